from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _ensure_search_triggers(sender, using, **kwargs):
    from queues import search

    search.ensure(connections[using])


class QueuesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "queues"

    def ready(self):
        # After every migrate: a migration that rebuilds the conversation table on SQLite drops its triggers.
        post_migrate.connect(_ensure_search_triggers, sender=self)
        from queues.platforms import checks  # noqa: F401 - registers the credentials check
