"""Every change to a conversation goes through one of these functions, whichever door it comes from: a page, the
admin, a command, an importer.

Each runs in a transaction, checks the actor's role and the conversation's stage against queues/process.py, locks
the conversation row, writes only the fields it changed and records exactly one Event. A refused change raises a
ServiceError (services/errors.py) and writes nothing. Side effects run after commit.
"""

from queues.services.conversations import (
    assign_conversation,
    close_conversation,
    move_to_queue,
    put_on_hold,
    reopen_conversation,
    set_product,
    set_tags,
    take_next_conversation,
    unassign_conversation,
)
from queues.services.delivery import send_again
from queues.services.errors import InvalidInput, NothingToChange, NotPermitted, ServiceError, TransitionNotAllowed
from queues.services.escalation import check_reason, escalate_conversation
from queues.services.intake import create_conversation, create_conversations_bulk, record_customer_message
from queues.services.replies import add_note, check_reply, record_sent_replies_bulk, reply

__all__ = [
    "InvalidInput",
    "NotPermitted",
    "NothingToChange",
    "ServiceError",
    "TransitionNotAllowed",
    "add_note",
    "assign_conversation",
    "check_reason",
    "check_reply",
    "close_conversation",
    "create_conversation",
    "create_conversations_bulk",
    "escalate_conversation",
    "move_to_queue",
    "put_on_hold",
    "record_customer_message",
    "record_sent_replies_bulk",
    "reopen_conversation",
    "reply",
    "send_again",
    "set_product",
    "set_tags",
    "take_next_conversation",
    "unassign_conversation",
]
