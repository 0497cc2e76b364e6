"""The Django admin: admins configure queues, channels, products, tags and clippings (config.py), look into any
conversation and act on many at once (conversations.py, actions.py), read the history (history.py), what the
fetchers keep (fetching.py) and the notices to product teams (notices.py).

Conversations, messages, notes and events are never deleted, and events are never edited.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from queues.admin import config, conversations, fetching, history, languages, notices  # noqa: F401  (they register the model admins)
from queues.admin.base import GuardedSearch

# Every list page of the admin takes its search and filters from the query string: the guards go into every model
# admin registered, those of Django's auth and of django-axes (registered before this app's) included.
for _model, _model_admin in list(admin.site._registry.items()):
    if not isinstance(_model_admin, GuardedSearch):
        admin.site.unregister(_model)
        admin.site.register(_model, type(type(_model_admin).__name__, (GuardedSearch, type(_model_admin)), {}))

admin.site.site_header = _("Escalation Portal admin")
admin.site.site_title = _("Escalation Portal admin")
admin.site.index_title = _("Configuration and conversations")
# The nav sidebar opens after the first paint (its state is in the browser's storage) and shifts the page (CLS 0.18);
# the index lists the same models.
admin.site.enable_nav_sidebar = False
