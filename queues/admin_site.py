"""The admin site: Django's, named for the portal, without the navigation sidebar. Apart from queues/admin/, which
registers the model admins on it: Django imports this module while it makes the site."""

from django.contrib import admin
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _


class PortalAdminSite(admin.AdminSite):
    site_header = _("Escalation Portal admin")
    site_title = _("Escalation Portal admin")
    index_title = _("Configuration and conversations")
    # The nav sidebar opens after the first paint (its state is in the browser's storage) and shifts the page (CLS
    # 0.18); the index lists the same models.
    enable_nav_sidebar = False

    def get_app_list(self, request, app_label=None):
        """Every app and model the user may see, worked out when a page reads it: Django puts it in every admin
        page's context for the sidebar, which is off, and only the index pages read it."""
        return SimpleLazyObject(lambda: super(PortalAdminSite, self).get_app_list(request, app_label))
