"""The domain of ../shared/PRODUCT.md: what admins configure (config.py), conversations (conversations.py), and
what happened on them (history.py). The process that moves a conversation is queues/process.py."""

from queues.models.config import MATRIX_ROOM_RE, SLACK_CHANNEL_RE, Channel, Clipping, Product, Queue, Tag
from queues.models.conversations import SORT_RATING, CloseReason, Conversation, EscalationReason, Status
from queues.models.history import Event, Message, Note, SearchText
from queues.models.languages import ClippingTranslation, Preferences

__all__ = [
    "MATRIX_ROOM_RE",
    "SLACK_CHANNEL_RE",
    "SORT_RATING",
    "Channel",
    "Clipping",
    "ClippingTranslation",
    "CloseReason",
    "Conversation",
    "EscalationReason",
    "Event",
    "Message",
    "Note",
    "Preferences",
    "Product",
    "Queue",
    "SearchText",
    "Status",
    "Tag",
]
