"""A database lock that timed out is the portal being busy, not broken: the agent gets a page that says nothing was
changed and to try again (503 with Retry-After), never a 500.

SQLite says "database is locked" once its busy timeout passes (settings: IMMEDIATE transactions, WAL); PostgreSQL
raises lock_not_available when lock_timeout passes, and deadlock_detected when two transactions wait on each other.
Either way the transaction was rolled back: nothing was written."""

import logging

from django.db import OperationalError
from django.db.utils import DatabaseError
from django.shortcuts import render

logger = logging.getLogger(__name__)

# PostgreSQL's SQLSTATEs for a lock not granted in time and for a deadlock it broke.
_PG_BUSY = {"55P03", "40P01"}


def is_busy(error: BaseException) -> bool:
    if not isinstance(error, DatabaseError):
        return False
    if getattr(error.__cause__, "sqlstate", None) in _PG_BUSY or getattr(error.__cause__, "pgcode", None) in _PG_BUSY:
        return True
    return isinstance(error, OperationalError) and "locked" in str(error).lower()


class BusyDatabaseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_busy(exception):
            return None
        logger.warning("database busy on %s %s: %s", request.method, request.path, exception)
        response = render(request, "busy.html", status=503)
        response["Retry-After"] = "2"
        return response
