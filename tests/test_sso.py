"""Single sign-on (queues/sso/) against a real OpenID Connect provider: django-oauth-toolkit, served by the same live
server under /o/ (tests/oidc_provider.py), spoken to over real HTTP for discovery, token, keys and userinfo.

The "browser" is a requests session: the portal is http://localhost:PORT and the provider http://127.0.0.1:PORT, so
each keeps its own session cookie, as two sites would. The person is signed in at the provider already (its session
cookie, from force_login) and the portal's application skips the consent page, so every step is a redirect the
tests follow one at a time."""

from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import pytest
import requests
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from oauth2_provider.models import Application

from queues.models import Identity
from queues.sso import config
from tests import factories as f
from tests import oidc_provider

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

User = get_user_model()
GROUP_MAP = {"idp-agents": "Contributors", "idp-moderators": "Moderators", "idp-admins": "Admins"}
TIMEOUT = 30


@pytest.fixture(scope="module")
def provider_key():
    return oidc_provider.rsa_private_key_pem()


@pytest.fixture
def portal(live_server, settings, provider_key):
    """The portal's and the provider's base URLs, single sign-on configured with the provider's issuer only (its
    endpoints come from discovery), and the portal registered at the provider."""
    port = urlparse(live_server.url).port
    rp, op = f"http://localhost:{port}", f"http://127.0.0.1:{port}"
    settings.ROOT_URLCONF = "tests.oidc_urls"
    settings.OAUTH2_PROVIDER = {
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": provider_key,
        "OIDC_ISS_ENDPOINT": f"{op}/o",
        "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
        "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
        "OAUTH2_VALIDATOR_CLASS": "tests.oidc_provider.Validator",
        "SCOPES": {"openid": "OpenID Connect", "email": "e-mail", "profile": "profile"},
    }
    settings.OIDC_ISSUER = f"{op}/o"
    settings.OIDC_RP_CLIENT_ID = "portal"
    settings.OIDC_RP_CLIENT_SECRET = "portal-secret"
    settings.OIDC_GROUP_MAP = GROUP_MAP
    Application.objects.create(
        name="Escalation Portal",
        client_id="portal",
        client_secret="portal-secret",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=f"{rp}/oidc/callback/",
        post_logout_redirect_uris=f"{rp}/accounts/login/",
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    for name in GROUP_MAP:
        Group.objects.get_or_create(name=name)
    config.forget_discovery()
    oidc_provider.MISBEHAVE.clear()
    yield {"rp": rp, "op": op}
    oidc_provider.MISBEHAVE.clear()
    config.forget_discovery()


def person(username="ada", *, groups=("idp-agents",), email="ada@example.org"):
    """Someone with an account at the provider."""
    user = User.objects.create_user(f"provider-{username}", email=email, first_name=username.title())
    user.groups.set(Group.objects.filter(name__in=groups))
    return user


def browser(portal, who) -> requests.Session:
    """A browser signed in at the provider as who, and not at the portal."""
    client = Client()
    client.force_login(who)
    session = requests.Session()
    session.cookies.set(
        django_settings.SESSION_COOKIE_NAME,
        client.cookies[django_settings.SESSION_COOKIE_NAME].value,
        domain="127.0.0.1",
    )
    return session


def sign_in(portal, session, *, tamper=None) -> requests.Response:
    """Click "Sign in with …" and follow the redirects to the provider and back; tamper may change the callback's
    query. Returns the portal's answer to the callback."""
    to_provider = session.get(f"{portal['rp']}/oidc/authenticate/", allow_redirects=False, timeout=TIMEOUT)
    assert to_provider.status_code == 302, to_provider.text
    assert to_provider.headers["Location"].startswith(f"{portal['op']}/o/authorize/")
    back = session.get(to_provider.headers["Location"], allow_redirects=False, timeout=TIMEOUT)
    assert back.status_code == 302, back.text
    callback = back.headers["Location"]
    assert callback.startswith(f"{portal['rp']}/oidc/callback/?"), callback
    if tamper:
        parts = urlparse(callback)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        callback = urlunparse(parts._replace(query=urlencode(tamper(query))))
    return session.get(callback, allow_redirects=False, timeout=TIMEOUT)


def portal_user(who):
    return Identity.objects.select_related("user").get(subject=str(who.pk)).user


def roles(user):
    return set(user.groups.values_list("name", flat=True))


def test_a_first_sign_in_creates_the_user_matched_by_subject_with_the_mapped_role(portal):
    ada = person()
    session = browser(portal, ada)
    answer = sign_in(portal, session)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    identity = Identity.objects.select_related("user").get()
    assert (identity.issuer, identity.subject) == (f"{portal['op']}/o", str(ada.pk))
    user = identity.user
    assert (user.username, user.email, user.first_name) == ("ada", "ada@example.org", "Ada")
    assert roles(user) == {"Contributors"} and not user.is_staff and not user.has_usable_password()
    dashboard = session.get(f"{portal['rp']}/", timeout=TIMEOUT)
    assert dashboard.status_code == 200 and "Ada" in dashboard.text


def test_the_providers_admins_group_makes_an_admin_with_the_django_admin(portal):
    session = browser(portal, person("grace", groups=("idp-admins", "idp-agents"), email="grace@example.org"))
    assert sign_in(portal, session).status_code == 302
    user = Identity.objects.get().user
    assert roles(user) == {"Admins", "Contributors"} and user.is_staff
    assert session.get(f"{portal['rp']}/admin/", timeout=TIMEOUT).status_code == 200


def test_a_group_change_at_the_provider_is_applied_at_the_next_sign_in(portal):
    ada = person(groups=("idp-admins",))
    assert sign_in(portal, browser(portal, ada)).status_code == 302
    assert portal_user(ada).is_staff
    ada.groups.set(Group.objects.filter(name="idp-moderators"))
    assert sign_in(portal, browser(portal, ada)).status_code == 302
    user = portal_user(ada)
    assert roles(user) == {"Moderators"} and not user.is_staff
    assert User.objects.filter(identities__isnull=False).count() == 1


def test_a_group_removed_at_the_provider_is_gone_at_the_next_silent_renewal(portal):
    ada = person(groups=("idp-moderators",))
    session = browser(portal, ada)
    assert sign_in(portal, session).status_code == 302
    ada.groups.clear()
    # The renewal is due (OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS later): a GET goes to the provider and back, silently.
    store = SessionStore(session_key=session.cookies.get(django_settings.SESSION_COOKIE_NAME, domain="localhost.local"))
    store["oidc_id_token_expiration"] = 0
    store.save()
    renewal = session.get(f"{portal['rp']}/", allow_redirects=False, timeout=TIMEOUT)
    assert renewal.status_code == 302 and "prompt=none" in renewal.headers["Location"]
    page = session.get(f"{portal['rp']}/", timeout=TIMEOUT)  # to the provider, back, and to the page again
    assert page.status_code == 403
    assert roles(portal_user(ada)) == set()


def test_a_changed_email_at_the_provider_updates_the_same_user(portal):
    ada = person()
    assert sign_in(portal, browser(portal, ada)).status_code == 302
    User.objects.filter(pk=ada.pk).update(email="ada.lovelace@example.org")
    assert sign_in(portal, browser(portal, ada)).status_code == 302
    assert Identity.objects.count() == 1
    assert portal_user(ada).email == "ada.lovelace@example.org"


def test_a_local_account_with_the_same_email_and_name_is_never_taken_over(portal):
    local = f.admin(username="ada", email="ada@example.org")
    ada = person("ada", groups=())
    assert sign_in(portal, browser(portal, ada)).status_code == 302
    user = portal_user(ada)
    assert user != local and user.username == "ada-2"
    local.refresh_from_db()
    assert local.is_staff and roles(local) == {"Admins"}


def test_a_first_sign_in_with_no_mapped_group_creates_a_user_without_a_role(portal):
    session = browser(portal, person(groups=("idp-unrelated",)))
    assert sign_in(portal, session).status_code == 302
    assert roles(Identity.objects.get().user) == set()
    assert session.get(f"{portal['rp']}/", timeout=TIMEOUT).status_code == 403


def assert_refused(answer, words, users_before):
    assert answer.status_code == 403, answer.text
    assert "Sign-in did not work" in answer.text and words in answer.text
    assert "nothing was changed" in answer.text
    assert User.objects.count() == users_before and not Identity.objects.exists()


@pytest.mark.parametrize(
    ("misbehaviour", "words"),
    [
        ({"claims": {"aud": "another-application"}}, "meant for another application"),
        ({"claims": {"iss": "http://127.0.0.1:1/elsewhere"}}, "meant for another application"),
        ({"claims": {"nonce": "not-this-attempt"}}, "does not belong to this sign-in attempt"),
        ({"claims": {"exp": 1_000_000_000, "iat": 999_990_000}}, "has expired"),
        ({"key": "unpublished"}, "not signed with a key it publishes"),
    ],
    ids=["wrong audience", "wrong issuer", "wrong nonce", "expired token", "unknown signing key"],
)
def test_a_bad_id_token_is_refused_with_a_clear_page_and_nothing_created(portal, misbehaviour, words):
    session = browser(portal, person())
    users = User.objects.count()
    if misbehaviour.get("key") == "unpublished":
        misbehaviour = {"key": oidc_provider.unpublished_key()}
    oidc_provider.MISBEHAVE.update(misbehaviour)
    assert_refused(sign_in(portal, session), words, users)
    assert AccessAttempt.objects.get().failures_since_start == 1  # django-axes counts it as a failed sign-in
    assert session.get(f"{portal['rp']}/", allow_redirects=False, timeout=TIMEOUT).status_code == 302  # not signed in


def test_a_tampered_state_is_refused_with_a_clear_page_and_nothing_created(portal):
    session = browser(portal, person())
    users = User.objects.count()
    answer = sign_in(portal, session, tamper=lambda query: {**query, "state": query["state"][::-1]})
    assert_refused(answer, "does not belong to a sign-in started in this browser", users)


def test_a_callback_used_twice_is_refused(portal):
    session = browser(portal, person())
    callback = {}

    def remember(query):
        callback.update(query)
        return query

    assert sign_in(portal, session, tamper=remember).status_code == 302
    users = User.objects.count()
    again = session.get(f"{portal['rp']}/oidc/callback/?{urlencode(callback)}", allow_redirects=False, timeout=TIMEOUT)
    assert again.status_code == 403 and "used already" in again.text
    assert User.objects.count() == users and Identity.objects.count() == 1


def test_signing_out_ends_the_session_at_the_provider_too(portal):
    session = browser(portal, person())
    assert sign_in(portal, session).status_code == 302
    page = session.get(f"{portal['rp']}/", timeout=TIMEOUT)
    token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    out = session.post(
        f"{portal['rp']}/accounts/logout/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{portal['rp']}/"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert out.status_code == 302
    end_session = urlparse(out.headers["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == f"{portal['op']}/o/logout/"
    assert parse_qs(end_session.query)["post_logout_redirect_uri"] == [f"{portal['rp']}/accounts/login/"]
    back = session.get(out.headers["Location"], allow_redirects=False, timeout=TIMEOUT)
    assert back.status_code == 302 and back.headers["Location"] == f"{portal['rp']}/accounts/login/"
    # Signed out at both: the portal asks to sign in, and the provider would ask for a password again.
    assert session.get(f"{portal['rp']}/", allow_redirects=False, timeout=TIMEOUT).status_code == 302
    to_provider = session.get(f"{portal['rp']}/oidc/authenticate/", allow_redirects=False, timeout=TIMEOUT)
    at_provider = session.get(to_provider.headers["Location"], allow_redirects=False, timeout=TIMEOUT)
    assert at_provider.status_code == 302 and "/accounts/login/" in at_provider.headers["Location"]
    assert "/oidc/callback/" not in at_provider.headers["Location"]


def test_an_unreachable_provider_is_said_so(portal, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9/nowhere"
    answer = requests.get(f"{portal['rp']}/oidc/authenticate/", allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 503 and "cannot be reached" in answer.text


def test_the_sign_in_page_offers_the_provider_first(portal):
    page = requests.get(f"{portal['rp']}/accounts/login/?next=/conversations/", timeout=TIMEOUT).text
    assert page.index("Sign in with your organisation account") < page.index('name="password"')
    assert 'href="/oidc/authenticate/?next=/conversations/"' in page


def test_explicit_endpoints_need_no_discovery(portal, settings, monkeypatch):
    base = f"{portal['op']}/o"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{base}/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{base}/token/"
    settings.OIDC_OP_USER_ENDPOINT = f"{base}/userinfo/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{base}/.well-known/jwks.json"

    def no_discovery(issuer):
        raise AssertionError(f"discovery of {issuer}")

    monkeypatch.setattr(config, "_discovery", no_discovery)
    assert sign_in(portal, browser(portal, person())).status_code == 302
    assert roles(Identity.objects.get().user) == {"Contributors"}


def test_a_user_switched_off_here_is_not_signed_in_by_the_provider(portal):
    ada = person()
    assert sign_in(portal, browser(portal, ada)).status_code == 302
    User.objects.filter(pk=portal_user(ada).pk).update(is_active=False)
    session = browser(portal, ada)
    answer = sign_in(portal, session)
    assert answer.status_code == 403 and "switched off" in answer.text
    assert session.get(f"{portal['rp']}/", allow_redirects=False, timeout=TIMEOUT).status_code == 302
