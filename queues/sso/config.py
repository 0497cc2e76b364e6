"""The identity provider, as the environment configures it (settings.py reads it; README, "Single sign-on").

Read from django.conf.settings on each use rather than at import, so single sign-on can be switched on and off
without restarting the process's middleware (the tests do; an operator restarts anyway). Endpoints not given
explicitly are read from the issuer's discovery document, fetched on first use and kept for an hour.
"""

import logging
import threading
import time
from dataclasses import dataclass

import requests
from django.conf import settings

log = logging.getLogger(__name__)

ROLES = ("Contributors", "Moderators", "Admins")  # the groups migration 0002 creates
STAFF_ROLE = "Admins"  # as in the admin's own seed: this role also opens the Django admin (is_staff)
_DISCOVERY_TTL = 3600
_discovered: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read, or does not describe this issuer."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str  # "" when the provider has none


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def local_passwords() -> bool:
    """False: only superusers sign in with a password (break-glass); everyone else through the provider."""
    return settings.LOCAL_PASSWORDS or not enabled()


def provider() -> Provider:
    issuer = settings.OIDC_ISSUER.rstrip("/")
    explicit = {
        "authorization_endpoint": settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
        "token_endpoint": settings.OIDC_OP_TOKEN_ENDPOINT,
        "userinfo_endpoint": settings.OIDC_OP_USER_ENDPOINT,
        "jwks_uri": settings.OIDC_OP_JWKS_ENDPOINT,
        "end_session_endpoint": settings.OIDC_OP_END_SESSION_ENDPOINT,
    }
    # The end-session endpoint is optional: explicit endpoints without it need no discovery.
    needed = {key for key, value in explicit.items() if not value and key != "end_session_endpoint"}
    document = _discovery(issuer) if needed else {}
    values = {key: value or document.get(key) or "" for key, value in explicit.items()}
    missing = sorted(key for key in needed if not values[key])
    if missing:
        raise ProviderUnavailable(f"the discovery document of {issuer} has no {', '.join(missing)}")
    return Provider(issuer=issuer, **values)


def _discovery(issuer: str) -> dict:
    with _lock:
        cached = _discovered.get(issuer)
        if cached and time.monotonic() - cached[0] < _DISCOVERY_TTL:
            return cached[1]
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"{url}: {error}") from error
    # OpenID Connect Discovery 1.0, 4.3: the issuer in the document must be the one we asked.
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderUnavailable(f"{url} describes another issuer")
    with _lock:
        _discovered[issuer] = (time.monotonic(), document)
    return document


def forget_discovery() -> None:
    """Read the discovery document again on next use (tests; a provider that rotated its endpoints)."""
    with _lock:
        _discovered.clear()


def mapped_roles(claims: dict) -> set[str]:
    """The portal's roles that the provider's group claim grants, through OIDC_GROUP_MAP."""
    value = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list | tuple):
        return set()
    mapping = settings.OIDC_GROUP_MAP
    return {mapping[str(item)] for item in value if str(item) in mapping and mapping[str(item)] in ROLES}


def parse_group_map(text: str) -> dict[str, str]:
    """'idp-agents=Contributors, idp-mods=Moderators' → {'idp-agents': 'Contributors', 'idp-mods': 'Moderators'}.
    Settings call it; an unknown role is a configuration error, said at start-up."""
    mapping = {}
    for item in text.replace(";", ",").split(","):
        if not item.strip():
            continue
        claim_value, sep, role = item.rpartition("=")
        if not sep or not claim_value.strip() or role.strip() not in ROLES:
            raise ValueError(f"OIDC_GROUP_MAP: {item.strip()!r} is not <claim value>=<{'|'.join(ROLES)}>")
        mapping[claim_value.strip()] = role.strip()
    return mapping
