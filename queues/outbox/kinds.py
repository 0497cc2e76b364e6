"""What the outbox asks of a kind of item (replies: queues/platforms/delivery.Replies; notices next). The engine
and the worker know nothing else about what they send."""

from typing import Protocol

from queues.platforms.transport import Sent


class Kind(Protocol):
    name: str  # for logs: "reply"
    model: type  # an OutboxItem model
    attempt_model: type  # an AttemptRecord model
    attempt_field: str  # its foreign key to model

    def claim_columns(self, table: str) -> dict[str, str]:
        """name → SQL expression (scalar subqueries over table) the claim returns beside the item's own fields."""

    def claimed(self, values: dict):
        """The item (unsaved model instance) built from the claim's columns."""

    def load(self, pk):
        """The same item, read without claiming it (for an expired lease)."""

    def label(self, item) -> str:
        """Where it goes, for people: "X", "Matrix"."""

    def wait_reason(self, item) -> str:
        """Why it cannot be tried now (no credentials); empty when it can. Waiting is not an attempt."""

    def wait(self, item, *, reason: str) -> int:
        """Put it (and any like it) back to wait with reason, through engine.release. Returns how many."""

    def send(self, item) -> Sent:
        """One call; raises transport.RetryLater, Failed, AlreadyPosted or Unknown."""

    def resend_after_lost_lease(self, item) -> bool:
        """May a send whose worker stopped be sent again (True), or does it become unknown?"""

    def unknown_reason(self, item) -> str:
        """What an agent reads on an item whose worker stopped mid-send."""

    def had_unknown_attempt(self, item) -> bool:
        """Did an earlier attempt end unknown (so AlreadyPosted means that one arrived)?"""

    def record_event(self, item, settled) -> None:
        """The audit trail's line for sent, failed or unknown, in the outcome's transaction."""
