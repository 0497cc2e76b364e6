"""The portal's URLs, and an OpenID Connect provider (django-oauth-toolkit) under /o/: the single sign-on tests'
ROOT_URLCONF (tests/test_sso.py)."""

from django.urls import include, path

from escalation_portal.urls import urlpatterns as portal

urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    *portal,
]
