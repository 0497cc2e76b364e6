"""Settings for Escalation Portal, read from the environment (see .env.example)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from queues.sso.config import parse_group_map

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (see .env.example); "
            "only DEBUG=1 runs with a development key."
        )
    SECRET_KEY = "django-insecure-development-only-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "queues.apps.PortalAdminConfig",  # django.contrib.admin on the portal's own site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    "queues",
]

MIDDLEWARE = [
    # First: every response, and every log line of the request, carries its id (the 500 page shows it).
    "queues.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language (Accept-Language, or the language cookie the menu's switch sets), then English.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Renews the session of users signed in through the identity provider; does nothing while it is not set up.
    "queues.sso.views.SessionRefresh",
    # A signed-in user's own language and time zone (their Preferences), over the browser's.
    "queues.middleware.UserLanguageMiddleware",
    "queues.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A lock that timed out is "busy, try again" (503), never a 500.
    "queues.busy.BusyDatabaseMiddleware",
    "queues.error_pages.MethodNotAllowedPageMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "escalation_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

WSGI_APPLICATION = "escalation_portal.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The laptop demo takes several agents at once: write-ahead logging lets pages read while one writes; IMMEDIATE
    # takes the write lock when a transaction begins, so two writers queue (up to the busy timeout) instead of one
    # failing half-way with "database is locked" when it turns from reader into writer.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": float(os.environ.get("SQLITE_BUSY_TIMEOUT", "20")),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A request waits this long for a row lock, then the agent is told to try again (queues/busy.py).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c lock_timeout={int(os.environ.get('DATABASE_LOCK_TIMEOUT_MS', '10000'))}"
    )

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-ins while an address or account is locked out
    "queues.sso.backend.PasswordBackend",  # Django's, for superusers only when LOCAL_PASSWORDS is off
    "queues.sso.backend.OIDCBackend",  # the identity provider, when OIDC_ISSUER is set
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
# The contributors' languages; each has a complete catalog in locale/ (`make messages` after changing strings).
LANGUAGES = [
    ("en", "English"),
    ("ko", "한국어"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("pt-br", "Português (Brasil)"),
    ("ja", "日本語"),
    ("ar", "العربية"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
# Production: `manage.py collectstatic` fills STATIC_ROOT and WhiteNoise serves it. DEBUG serves from the apps.
STATIC_ROOT = None if DEBUG else Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves collected, hashed, compressed files (`manage.py collectstatic`); a laptop needs none.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or not env_bool("STATIC_MANIFEST", True)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Admins are told by e-mail about escalations whose reason is "other".
ADMINS = [("Portal admins", address) for address in env_list("ADMIN_EMAILS")]
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", "escalation-portal@localhost")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# Notices to product teams (queues/notices). Matrix posts once per transaction id *per device*: every worker must
# use this one access token (a new login is a new device and would post again). Empty: that target is not posted to.
# The portal as product teams reach it: the link in every escalation notice.
PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")
MATRIX_HOMESERVER_URL = os.environ.get("MATRIX_HOMESERVER_URL", "").rstrip("/")
MATRIX_ACCESS_TOKEN = os.environ.get("MATRIX_ACCESS_TOKEN", "")
SLACK_API_URL = (os.environ.get("SLACK_API_URL") or "https://slack.com/api").rstrip("/")
SLACK_BOT_TOKEN = os.environ.get("SLACK_BOT_TOKEN", "")

# Everything to stderr, where the process manager keeps it. django.request's errors are every 500 with its traceback:
# Django's own default only mails them to ADMINS (and prints them only with DEBUG), so without ADMIN_EMAILS a
# production error left no trace. Each line names its request id, which the 500 page shows the person.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "queues.middleware.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "loggers": {
        "queues": {
            "handlers": ["console"],
            "level": os.environ.get("LOG_LEVEL", "INFO"),
        },
        "django.request": {"handlers": ["console"], "level": "ERROR"},
    },
}

# Security. Secure by default whenever DEBUG is off; each can be turned off for a plain-HTTP loopback run.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = HTTPS
if env_bool("BEHIND_HTTPS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Only the portal's own scripts and styles; customer text can never run.
# How often an open conversation page asks whether it changed and who is writing in it (queues/presence.py).
PRESENCE_POLL_MS = int(os.environ.get("PRESENCE_POLL_MS", "10000"))

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# Sign-in throttling (django-axes): 5 failures from one address, or for one account, lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

# Talking to the platforms. Secrets never live here or in the database: PLATFORM_CREDENTIALS_FILE names a JSON file
# of each channel's secrets (queues/platforms/credentials.py); empty means none, and replies wait. The base URLs let
# tests and staging point the clients at local servers.
PLATFORM_CREDENTIALS_FILE = os.environ.get("PLATFORM_CREDENTIALS_FILE", "")
X_API_URL = os.environ.get("X_API_URL", "https://api.x.com").rstrip("/")
GOOGLE_PLAY_API_URL = os.environ.get("GOOGLE_PLAY_API_URL", "https://androidpublisher.googleapis.com").rstrip("/")
FACEBOOK_GRAPH_URL = os.environ.get("FACEBOOK_GRAPH_URL", "https://graph.facebook.com").rstrip("/")

# The outbox (queues/outbox/) and `manage.py deliver`. "platforms" sends through the platforms' APIs; "console"
# prints each reply and marks it sent after a short delay (`make run`).
DELIVERY_BACKEND = os.environ.get("DELIVERY_BACKEND", "platforms")
DELIVERY_CONSOLE_DELAY_SECONDS = float(os.environ.get("DELIVERY_CONSOLE_DELAY_SECONDS", "1"))
# A claimed item is the worker's for this long; it must outlast the slowest send (connect + read timeouts, and a
# Play token fetched first), or a slow send would be taken for a stopped worker.
OUTBOX_LEASE_SECONDS = float(os.environ.get("OUTBOX_LEASE_SECONDS", "120"))
OUTBOX_MAX_AGE_SECONDS = int(os.environ.get("OUTBOX_MAX_AGE_SECONDS", str(24 * 3600)))
OUTBOX_BACKOFF_SECONDS = float(os.environ.get("OUTBOX_BACKOFF_SECONDS", "30"))
OUTBOX_BACKOFF_MAX_SECONDS = float(os.environ.get("OUTBOX_BACKOFF_MAX_SECONDS", "3600"))
# How often an idle worker looks for expired leases, and for due items without being woken (PostgreSQL wakes it
# with NOTIFY; SQLite cannot, so it polls each second there).
OUTBOX_REAP_SECONDS = float(os.environ.get("OUTBOX_REAP_SECONDS", "30"))
OUTBOX_IDLE_POLL_SECONDS = float(os.environ.get("OUTBOX_IDLE_POLL_SECONDS", "5"))
OUTBOX_SQLITE_POLL_SECONDS = float(os.environ.get("OUTBOX_SQLITE_POLL_SECONDS", "1"))
# Facebook's webhook (/hooks/facebook/): the app secret signs every POST; the verify token answers the subscription
# handshake. Either empty: the endpoint refuses everything.
FACEBOOK_APP_SECRET = os.environ.get("FACEBOOK_APP_SECRET", "")
FACEBOOK_VERIFY_TOKEN = os.environ.get("FACEBOOK_VERIFY_TOKEN", "")
# Single sign-on through an OpenID Connect provider (README, "Single sign-on"); on when OIDC_ISSUER and OIDC_CLIENT_ID
# are set. Endpoints not given are read from the issuer's /.well-known/openid-configuration.
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "your organisation account")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
if os.environ.get("OIDC_CLIENT_SECRET_FILE"):
    OIDC_RP_CLIENT_SECRET = Path(os.environ["OIDC_CLIENT_SECRET_FILE"]).read_text().strip()
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO", "RS256")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_JWKS_ENDPOINT", "")
OIDC_OP_END_SESSION_ENDPOINT = os.environ.get("OIDC_END_SESSION_ENDPOINT", "")
# The claim that lists a person's groups at the provider, and which of its values give which role here.
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
try:
    OIDC_GROUP_MAP = parse_group_map(os.environ.get("OIDC_GROUP_MAP", ""))
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from error
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the hint a sign-out at the provider needs
OIDC_TIMEOUT = int(os.environ.get("OIDC_TIMEOUT", "10"))
# Roles follow the provider within this many seconds: a GET after it goes back to the provider silently.
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = int(os.environ.get("OIDC_RENEW_SECONDS", "900"))
# Off: only superusers may sign in with a password (break-glass), everyone else through the provider.
LOCAL_PASSWORDS = env_bool("LOCAL_PASSWORDS", True)
if OIDC_ISSUER:
    # A working day; the silent renewal above is what keeps roles current.
    SESSION_COOKIE_AGE = int(os.environ.get("SESSION_HOURS", "12")) * 3600
