"""The domain of ../shared/PRODUCT.md: what admins configure (config.py), conversations (conversations.py), and
what happened on them (history.py); fetch cursors and stored webhooks (fetching.py); sign-in identities
(identity.py). The process that moves a conversation is queues/process.py."""

from queues.models.config import MATRIX_ROOM_RE, SLACK_CHANNEL_RE, Channel, Clipping, Product, Queue, Tag
from queues.models.conversations import CUSTOMER_KEY, SORT_RATING, CloseReason, Conversation, EscalationReason, Status
from queues.models.fetching import FetchCursor, WebhookDelivery
from queues.models.history import Attempt, Event, Message, Note, SearchText
from queues.models.identity import Identity
from queues.models.languages import ClippingTranslation, Preferences
from queues.models.notices import Notice, NoticeAttempt
from queues.models.reports import (
    AgentWeek,
    EscalationClose,
    FirstResponseWeek,
    OpenByEntryDay,
    OpenByEntryHour,
    OpenTotal,
    ReportConversation,
    ReportState,
    WeeklyCount,
)

__all__ = [
    "CUSTOMER_KEY",
    "AgentWeek",
    "EscalationClose",
    "FirstResponseWeek",
    "OpenByEntryDay",
    "OpenByEntryHour",
    "OpenTotal",
    "ReportConversation",
    "ReportState",
    "WeeklyCount",
    "Attempt",
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
    "Identity",
    "FetchCursor",
    "Message",
    "Note",
    "Notice",
    "NoticeAttempt",
    "Preferences",
    "Product",
    "Queue",
    "SearchText",
    "Status",
    "Tag",
    "WebhookDelivery",
]
