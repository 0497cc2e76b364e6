"""Each channel's secrets, from the JSON file settings.PLATFORM_CREDENTIALS_FILE names (never the database).

The file maps "<platform>:<account>" (the Channel's platform and account, e.g. "x:@FirefoxSupport") to that
channel's secrets. A bad file is refused as a whole, with every problem named, so a worker that cannot trust it
exits before it marks anything; a channel that is simply not in the file has no credentials.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

# platform: (keys every entry needs, keys it may have)
KEYS = {
    "x": ({"consumer_key", "consumer_secret", "access_token", "access_token_secret"}, {"bearer_token"}),
    "google_play": ({"service_account_file"}, set()),
    "facebook": ({"page_id", "page_access_token"}, {"app_secret"}),
}
# What google-auth needs to sign its token requests.
SERVICE_ACCOUNT_KEYS = ("client_email", "private_key", "token_uri")


class CredentialsError(Exception):
    """The credentials file cannot be used; the message names the file and every problem found."""


@dataclass(frozen=True)
class Credentials:
    path: str = ""
    channels: dict = field(default_factory=dict)

    def for_channel(self, platform: str, account: str) -> dict | None:
        """The secrets of one channel (a copy), or None when the file has none for it."""
        secrets = self.channels.get(f"{platform}:{account}")
        return dict(secrets) if secrets is not None else None


def load(path: str | Path) -> Credentials:
    """Read and check a credentials file. Relative service_account_file paths are read from the file's folder and
    returned absolute. Raises CredentialsError naming the file and the problems."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CredentialsError(_("Platform credentials file %(path)s does not exist.") % {"path": path}) from None
    except (OSError, UnicodeDecodeError) as error:
        raise CredentialsError(
            _("Platform credentials file %(path)s cannot be read: %(error)s") % {"path": path, "error": _why(error)}
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CredentialsError(
            _("Platform credentials file %(path)s is not valid JSON: %(error)s") % {"path": path, "error": error}
        ) from None
    if not isinstance(data, dict):
        raise CredentialsError(
            _('Platform credentials file %(path)s must hold a JSON object mapping "<platform>:<account>" to secrets.')
            % {"path": path}
        )
    problems, channels = [], {}
    for name, secrets in data.items():
        entry_problems = _check_entry(name, secrets, folder=path.parent)
        problems += entry_problems
        if not entry_problems:
            channels[name] = _resolved(name, secrets, folder=path.parent)
    if problems:
        raise CredentialsError(
            _("Platform credentials file %(path)s: %(problems)s") % {"path": path, "problems": " ".join(problems)}
        )
    return Credentials(path=str(path), channels=channels)


def load_configured() -> Credentials:
    """The credentials of settings.PLATFORM_CREDENTIALS_FILE; no channel has any when the setting is empty."""
    if not settings.PLATFORM_CREDENTIALS_FILE:
        return Credentials()
    return load(settings.PLATFORM_CREDENTIALS_FILE)


def _check_entry(name: str, secrets, *, folder: Path) -> list[str]:
    platform, colon, account = name.partition(":")
    if not colon or not account.strip():
        return [_('"%(name)s" is not "<platform>:<account>".') % {"name": name}]
    if platform not in KEYS:
        return [
            _('"%(name)s": unknown platform "%(platform)s" (expected one of %(platforms)s).')
            % {"name": name, "platform": platform, "platforms": ", ".join(KEYS)}
        ]
    if not isinstance(secrets, dict):
        return [_('"%(name)s" must map to an object of secrets.') % {"name": name}]
    required, optional = KEYS[platform]
    problems = []
    for key in sorted(required - secrets.keys()):
        problems.append(_('"%(name)s" lacks %(key)s.') % {"name": name, "key": key})
    for key in sorted(secrets.keys() - required - optional):
        problems.append(_('"%(name)s" has an unexpected key %(key)s.') % {"name": name, "key": key})
    for key in sorted(secrets.keys() & (required | optional)):
        if not isinstance(secrets[key], str) or not secrets[key].strip():
            problems.append(_('"%(name)s": %(key)s must be a non-empty string.') % {"name": name, "key": key})
    if not problems and platform == "google_play":
        problems += _check_service_account(name, _service_account_path(secrets, folder))
    return problems


def _check_service_account(name: str, path: Path) -> list[str]:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [_('"%(name)s": service account file %(path)s does not exist.') % {"name": name, "path": path}]
    except (OSError, UnicodeDecodeError) as error:
        return [
            _('"%(name)s": service account file %(path)s cannot be read: %(error)s.')
            % {"name": name, "path": path, "error": _why(error)}
        ]
    except json.JSONDecodeError as error:
        return [
            _('"%(name)s": service account file %(path)s is not valid JSON: %(error)s.')
            % {"name": name, "path": path, "error": error}
        ]
    if not isinstance(info, dict):
        return [_('"%(name)s": service account file %(path)s is not a JSON object.') % {"name": name, "path": path}]
    missing = [key for key in SERVICE_ACCOUNT_KEYS if not isinstance(info.get(key), str) or not info[key]]
    if missing:
        return [
            _('"%(name)s": service account file %(path)s lacks %(keys)s.')
            % {"name": name, "path": path, "keys": ", ".join(missing)}
        ]
    return []


def _resolved(name: str, secrets: dict, *, folder: Path) -> dict:
    if name.startswith("google_play:"):
        return {**secrets, "service_account_file": str(_service_account_path(secrets, folder))}
    return dict(secrets)


def _service_account_path(secrets: dict, folder: Path) -> Path:
    return folder / Path(secrets["service_account_file"]).expanduser()


def _why(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)
