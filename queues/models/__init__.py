"""The domain of ../shared/PRODUCT.md: what admins configure (config.py), conversations (conversations.py), and
what happened on them (history.py). The process that moves a conversation is queues/process.py."""

from queues.models.config import MATRIX_ROOM_RE, SLACK_CHANNEL_RE, Channel, Clipping, Product, Queue, Tag
from queues.models.conversations import CUSTOMER_KEY, SORT_RATING, CloseReason, Conversation, EscalationReason, Status
from queues.models.history import Event, Message, Note, SearchText

__all__ = [
    "CUSTOMER_KEY",
    "MATRIX_ROOM_RE",
    "SLACK_CHANNEL_RE",
    "SORT_RATING",
    "Channel",
    "Clipping",
    "CloseReason",
    "Conversation",
    "EscalationReason",
    "Event",
    "Message",
    "Note",
    "Product",
    "Queue",
    "SearchText",
    "Status",
    "Tag",
]
