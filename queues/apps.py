from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_search_triggers(sender, using, **kwargs):
    from queues import search

    search.ensure(connections[using])


class QueuesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "queues"
    verbose_name = _("Queues")

    def ready(self):
        # After every migrate: a migration that rebuilds the conversation table on SQLite drops its triggers.
        post_migrate.connect(_ensure_search_triggers, sender=self)
        from queues import preferences  # noqa: F401  (copies a user's language and time zone into the session)
