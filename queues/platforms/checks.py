"""A system check: in production, every active channel needs credentials, or its replies wait forever."""

from django.conf import settings
from django.core import checks
from django.db import DatabaseError
from django.utils.translation import gettext as _

from queues.platforms.credentials import CredentialsError, load_configured


def channels_without_credentials(credentials) -> list:
    from queues.models import Channel

    return [
        channel
        for channel in Channel.objects.filter(is_active=True).order_by("platform", "account")
        if credentials.for_channel(channel.platform, channel.account) is None
    ]


# Tagged database: it reads the channels, so it runs with `check --database default` and `migrate`, not at import.
@checks.register(checks.Tags.database)
def check_channel_credentials(app_configs=None, databases=None, **kwargs):
    if settings.DEBUG or settings.DELIVERY_BACKEND != "platforms" or not databases:
        return []
    try:
        credentials = load_configured()
    except CredentialsError as error:
        return [checks.Error(str(error), id="queues.E101")]
    try:
        missing = channels_without_credentials(credentials)
    except DatabaseError:
        return []  # not migrated yet
    return [
        checks.Warning(
            _("Channel %(channel)s has no credentials: its replies wait as queued.") % {"channel": channel},
            hint=_('Add "%(key)s" to the file PLATFORM_CREDENTIALS_FILE names.')
            % {"key": f"{channel.platform}:{channel.account}"},
            id="queues.W101",
        )
        for channel in missing
    ]
