"""What a service raises when it refuses a change. Nothing was written; the message is for the user."""


class ServiceError(Exception):
    """message: what to tell the person who tried. reason: the same, short and without the conversation's number,
    for lists that group refusals (the admin's bulk actions). field: the form field it is about, if any."""

    def __init__(self, message: str, *, field: str | None = None, reason: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason or message


class TransitionNotAllowed(ServiceError):
    """The conversation's stage does not allow it."""


class NothingToChange(TransitionNotAllowed):
    """It is already so: assigned to that agent, in that queue, with that product or those tags."""


class InvalidInput(ServiceError):
    pass


class NotPermitted(ServiceError):
    """The user's role does not allow it."""
