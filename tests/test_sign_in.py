"""The sign-in page and the single sign-on doors without a provider to talk to: junk at the callback, single sign-on
switched off, and local passwords switched off (break-glass admins only). The flow itself: tests/test_sso.py."""

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.urls import reverse

from queues.models import Identity
from tests import factories as f

SSO = {"OIDC_ISSUER": "http://127.0.0.1:9/unused", "OIDC_RP_CLIENT_ID": "portal"}


class SingleSignOnDoorTests(TestCase):
    callback = "/oidc/callback/"
    start = "/oidc/authenticate/"

    def assertClearPage(self, response, status, words):
        self.assertEqual(response.status_code, status)
        self.assertContains(response, "Sign-in did not work", status_code=status)
        self.assertContains(response, words, status_code=status)
        self.assertContains(response, f'href="{reverse("login")}"', status_code=status)

    def test_when_single_sign_on_is_off_its_doors_say_so(self):
        self.assertClearPage(self.client.get(self.start), 404, "not set up")
        self.assertClearPage(self.client.get(self.callback + "?code=x&state=y"), 404, "not set up")

    @override_settings(**SSO)
    def test_the_callback_refuses_junk_with_a_clear_page_and_creates_nothing(self):
        users = get_user_model().objects.count()
        for query, words in [
            ("", "opened without a sign-in answer"),
            ("?code=abc", "opened without a sign-in answer"),
            ("?code=abc&state=never-started", "does not belong to a sign-in started in this browser"),
            ("?error=access_denied&state=x", "did not sign you in"),
            ("?code=%00%ff&state=<script>", "does not belong to a sign-in started in this browser"),
        ]:
            with self.subTest(query=query):
                self.assertClearPage(self.client.get(self.callback + query), 403, words)
        self.assertEqual(self.client.post(self.callback).status_code, 405)
        self.assertEqual(get_user_model().objects.count(), users)
        self.assertFalse(Identity.objects.exists())

    @override_settings(**SSO)
    def test_a_signed_in_agent_sent_back_with_an_error_is_signed_out(self):
        self.client.force_login(f.agent(username="agent"))
        self.assertClearPage(self.client.get(self.callback + "?error=login_required&state=x"), 403, "did not sign")
        self.assertEqual(self.client.get("/").status_code, 302)


class LocalPasswordTests(TestCase):
    def sign_in(self, username, query=""):
        return self.client.post(reverse("login") + query, {"username": username, "password": f.PASSWORD})

    def test_without_single_sign_on_the_page_is_the_password_form_alone(self):
        page = self.client.get(reverse("login"))
        self.assertContains(page, 'name="password"')
        self.assertNotContains(page, "/oidc/authenticate/")
        f.agent(username="agent")
        self.assertRedirects(self.sign_in("agent"), "/", fetch_redirect_response=False)

    @override_settings(**SSO)
    def test_with_single_sign_on_both_are_offered_provider_first(self):
        page = self.client.get(reverse("login")).content.decode()
        self.assertLess(page.index("/oidc/authenticate/"), page.index('name="password"'))

    @override_settings(**SSO, LOCAL_PASSWORDS=False)
    def test_with_local_passwords_off_only_superusers_sign_in_with_a_password(self):
        page = self.client.get(reverse("login"))
        self.assertContains(page, "/oidc/authenticate/")
        self.assertNotContains(page, 'name="password"')
        self.assertContains(page, "Emergency sign-in for administrators")
        self.assertContains(self.client.get(reverse("login") + "?local=1"), 'name="password"')

        f.admin(username="staffer")
        refused = self.sign_in("staffer", "?local=1")
        self.assertEqual(refused.status_code, 200)
        self.assertContains(refused, 'name="password"')  # the form stays, with its error
        self.assertEqual(self.client.get("/").status_code, 302)

        f.UserFactory(username="root", is_staff=True, is_superuser=True)
        self.assertRedirects(self.sign_in("root", "?local=1"), "/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/").status_code, 200)

    def test_a_password_session_ends_when_local_passwords_are_switched_off(self):
        f.agent(username="agent")
        self.sign_in("agent")
        self.assertEqual(self.client.get("/").status_code, 200)
        with override_settings(**SSO, LOCAL_PASSWORDS=False):
            self.assertEqual(self.client.get("/").status_code, 302)
