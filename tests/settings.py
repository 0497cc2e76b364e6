"""Test settings: the real settings, with a throwaway secret key when none is set."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")

from escalation_portal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
