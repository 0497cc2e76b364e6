"""Signing in: through the identity provider (OpenID Connect, mozilla-django-oidc), or with a local password.

mozilla-django-oidc does the authorization code flow (state, nonce, PKCE) and checks the ID token's signature and
expiry. What it leaves to us, done here: the audience and issuer of the ID token, which key signed it, that the
userinfo is about the same subject; finding users by (issuer, subject) rather than by e-mail (e-mails change and
are reused); and the roles, set from the provider's group claim at every sign-in and every silent renewal.

A refused answer never creates anything. The reason is logged and left on the request (request.sso_failure) for
the page that says what happened (views.failure_page); Django's authenticate() then reports a failed sign-in
(django-axes counts it).
"""

import logging
import re

import jwt
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import IntegrityError, transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from queues.models import Identity
from queues.sso import config

log = logging.getLogger(__name__)

# Seconds of clock difference tolerated between the provider and us.
LEEWAY = 60


class Refused(Exception):
    """The provider's answer is not acceptable; reason is one of views.REASONS' keys."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class PasswordBackend(ModelBackend):
    """Django's password sign-in; with LOCAL_PASSWORDS off, for superusers only (break-glass)."""

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and (config.local_passwords() or user.is_superuser)


class OIDCBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):
        # Settings are read when a sign-in happens (config.py), not when Django loads the backend.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if request is None or not config.enabled() or "nonce" not in kwargs:
            return None  # not a callback from the provider (a password sign-in, a test's force_login)
        try:
            self._configure(config.provider())
            user = super().authenticate(request, **kwargs)
        except config.ProviderUnavailable as error:
            return self._refuse(request, Refused("unavailable", str(error)))
        except Refused as error:
            return self._refuse(request, error)
        except jwt.ExpiredSignatureError as error:
            return self._refuse(request, Refused("expired", str(error)))
        except (jwt.InvalidAudienceError, jwt.InvalidIssuerError) as error:
            return self._refuse(request, Refused("audience", str(error)))
        except (jwt.InvalidTokenError, SuspiciousOperation, KeyError, TypeError, ValueError) as error:
            # A signature that does not verify, a key the provider does not publish, a malformed token.
            return self._refuse(request, Refused("token", f"{error.__class__.__name__}: {error}"))
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else None
            reason = "code" if status is not None and 400 <= status < 500 else "unavailable"
            return self._refuse(request, Refused(reason, str(error)))
        except requests.RequestException as error:
            return self._refuse(request, Refused("unavailable", str(error)))
        if user is None:
            return self._refuse(request, Refused("token", "no usable answer"))
        return user

    def _configure(self, provider: config.Provider) -> None:
        from django.conf import settings

        self.provider = provider
        self.OIDC_OP_TOKEN_ENDPOINT = provider.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = provider.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = provider.jwks_uri
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None

    def _refuse(self, request, error: Refused):
        log.warning("single sign-on refused (%s)", error)
        request.sso_failure = error.reason
        raise PermissionDenied(error.reason)

    def verify_token(self, token, **kwargs):
        """The ID token: signed by a key the provider publishes, for us, from our issuer, unexpired, and carrying
        the nonce of this sign-in attempt."""
        if self.OIDC_RP_SIGN_ALGO.startswith(("RS", "ES", "PS")):
            try:
                key = self.retrieve_matching_jwk(token)
            except SuspiciousOperation as error:
                raise Refused("key", str(error)) from error
        else:
            key = self.OIDC_RP_CLIENT_SECRET
        payload = self._verify_jws(token, key)
        if "nonce" in kwargs and (not kwargs["nonce"] or payload.get("nonce") != kwargs["nonce"]):
            raise Refused("nonce")
        return payload

    def _verify_jws(self, payload, key):
        algorithm = jwt.get_unverified_header(payload).get("alg")
        if algorithm != self.OIDC_RP_SIGN_ALGO:
            raise Refused("token", f"signed with {algorithm!r}, expected {self.OIDC_RP_SIGN_ALGO!r}")
        claims = jwt.decode(
            payload,
            key,
            algorithms=[algorithm],
            audience=self.OIDC_RP_CLIENT_ID,
            issuer=self.provider.issuer,
            leeway=LEEWAY,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
        # OpenID Connect Core 3.1.3.7: with several audiences, the token must have been issued to us.
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise Refused("audience", f"azp {claims.get('azp')!r}")
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        # OpenID Connect Core 5.3.2: a userinfo about anyone else must not be used.
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload["sub"]:
            raise Refused("token", "the userinfo is about another subject")
        return sign_in(issuer=self.provider.issuer, claims={**payload, **userinfo})


def sign_in(*, issuer: str, claims: dict):
    """The user of this (issuer, subject), created on a first sign-in, with name, e-mail and roles as the provider
    says now."""
    subject = str(claims["sub"])
    try:
        with transaction.atomic():
            identity = Identity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
            if identity is None:
                user = get_user_model().objects.create_user(_free_username(claims), email=claims.get("email", ""))
                Identity.objects.create(user=user, issuer=issuer, subject=subject)
                log.info("single sign-on: new user %s for %s", user.get_username(), subject)
            else:
                user = identity.user
            _update(user, claims)
    except IntegrityError:
        # The same person's first sign-in in two tabs at once: the other one created the user.
        identity = Identity.objects.select_related("user").get(issuer=issuer, subject=subject)
        user = identity.user
        _update(user, claims)
    return user


def _update(user, claims: dict) -> None:
    User = get_user_model()
    changed = []
    for field, claim in (("email", "email"), ("first_name", "given_name"), ("last_name", "family_name")):
        value = str(claims.get(claim) or "")[: User._meta.get_field(field).max_length]
        if value and getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    roles = config.mapped_roles(claims)
    staff = config.STAFF_ROLE in roles
    if user.is_staff != staff and not user.is_superuser:
        user.is_staff = staff
        changed.append("is_staff")
    if changed:
        user.save(update_fields=changed)
    # Only the three roles are the provider's to give; any other group an admin gave by hand stays.
    groups = Group.objects.filter(name__in=config.ROLES)
    user.groups.remove(*[group for group in groups if group.name not in roles])
    user.groups.add(*[group for group in groups if group.name in roles])


def _free_username(claims: dict) -> str:
    """The provider's preferred username (or the e-mail's local part), made unique with a number: a name that
    happens to equal a local account's never signs in as that account, since users are found by subject only."""
    wanted = str(claims.get("preferred_username") or str(claims.get("email", "")).split("@")[0] or "user")
    base = re.sub(r"[^\w.@+-]", "", wanted)[:140] or "user"
    User = get_user_model()
    name, number = base, 1
    while User.objects.filter(username__iexact=name).exists():
        number += 1
        name = f"{base}-{number}"
    return name
