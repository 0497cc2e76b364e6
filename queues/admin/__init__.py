"""The Django admin: admins configure queues, channels, products, tags and clippings (config.py), look into any
conversation and act on many at once (conversations.py, actions.py), read the history (history.py), what the
fetchers keep (fetching.py) and the notices to product teams (notices.py).

Conversations, messages, notes and events are never deleted, and events are never edited.
"""

from django.contrib import admin

from queues.admin import config, conversations, fetching, history, languages, notices  # noqa: F401  (they register the model admins)
from queues.admin.base import GuardedSearch


def guard_every_admin():
    """Every list page of the admin takes its search and filters from the query string: the guards go into every
    model admin registered, those of Django's auth, django-axes and any other app included. Called once every app's
    admin module is loaded (escalation_portal/urls.py)."""
    for model, model_admin in list(admin.site._registry.items()):
        if not isinstance(model_admin, GuardedSearch):
            admin.site.unregister(model)
            admin.site.register(model, type(type(model_admin).__name__, (GuardedSearch, type(model_admin)), {}))
