from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_triggers(sender, using, **kwargs):
    from queues import history, search

    search.ensure(connections[using])
    history.ensure(connections[using])


class QueuesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "queues"
    verbose_name = _("Queues")

    def ready(self):
        from queues import audit, history

        # Django's UserAdmin with the user's "who did what" page; the admin has registered its own by now.
        audit.register()

        # After every migrate: a migration that rebuilds a table on SQLite drops its triggers.
        post_migrate.connect(_ensure_triggers, sender=self)
        # The append-only triggers on SQLite read a switch each connection must have (queues/history.py).
        connection_created.connect(history.register_sqlite_function)
        from queues import preferences  # noqa: F401  (copies a user's language and time zone into the session)
        from queues.platforms import checks  # noqa: F401 - registers the credentials check


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on the portal's site (queues/admin_site.py); INSTALLED_APPS names it in place of Django's."""

    default = False  # "queues" stays QueuesConfig
    default_site = "queues.admin_site.PortalAdminSite"
