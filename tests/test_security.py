"""Trust: every URL needs a role, every POST needs its CSRF token, production settings are safe,
sign-in abuse is throttled, nothing an agent does deletes anything."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.contrib import admin
from django.test import Client, TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from queues import services
from queues.models import CloseReason, Conversation, Event, Message, Note, Queue, Tag, WebhookDelivery
from queues.urls import urlpatterns
from tests import factories as f

PROJECT = Path(__file__).resolve().parents[1]
# The only pages anyone may open: signing in and out, the sign-in page's language switch and script strings, and the
# doors to and from the identity provider, which refuse anything but a sign-in they started with a page that says so
# (tests/test_sign_in.py tries them with junk).
PUBLIC = {
    "login",
    "logout",
    "switch-language",
    "javascript-catalog",
    "oidc_authentication_init",
    "oidc_authentication_callback",
}
# The only URLs without sign-in or CSRF token: a platform signs what it sends (tests/test_facebook_hook.py).
HOOKS = {"facebook-hook"}


def portal_routes(resolver=None, prefix=""):
    """Every route of the URL configuration outside the admin, as (name, sample path)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            yield from portal_routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield pattern.name, route


def sample_path(route, conversation_id, queue_id):
    path = route.replace("<int:pk>", str(conversation_id)).replace("<int:queue_id>", str(queue_id))
    path = path.replace("<slug:action>", "note").replace("<slug:slug>", "backlog").replace("<slug:table>", "backlog")
    assert "<" not in path, f"add a sample value for {route}"
    return "/" + path


def admin_paths(conversation_id):
    """The admin's pages, walked from its registry."""
    yield reverse("admin:index")
    yield reverse("admin:password_change")
    for model in admin.site._registry:
        opts = model._meta
        yield reverse("admin:app_list", args=[opts.app_label])
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[1])
        yield reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[1])
    yield reverse("admin:queues_conversation_change", args=[conversation_id])
    yield reverse("admin:auth_user_events", args=[1])  # who did what (queues/audit.py)


class EveryUrlTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.convo = f.ConversationFactory()
        cls.queue = f.queue_of_kind(Queue.Kind.WORKING)
        cls.visitor = f.UserFactory(username="visitor")  # signed in, but no role
        cls.agent = f.agent(username="agent")

    def routes(self):
        routes = [(name, sample_path(route, self.convo.pk, self.queue.pk)) for name, route in portal_routes()]
        self.assertGreaterEqual(len(routes), 8)
        return [(name, path) for name, path in routes if name not in PUBLIC | HOOKS]

    def test_every_route_sends_anonymous_users_to_sign_in(self):
        for name, path in self.routes():
            for method in ("get", "post"):
                with self.subTest(name=name, method=method):
                    response = getattr(self.client, method)(path)
                    self.assertEqual(response.status_code, 302)
                    self.assertTrue(response["Location"].startswith(reverse("login") + "?next="), response["Location"])

    def test_every_route_refuses_users_without_the_role(self):
        self.client.force_login(self.visitor)
        for name, path in self.routes():
            for method in ("get", "post"):
                with self.subTest(name=name, method=method):
                    self.assertEqual(getattr(self.client, method)(path).status_code, 403)
        self.assertFalse(Note.objects.exists())

    @override_settings(FACEBOOK_APP_SECRET="an-app-secret", FACEBOOK_VERIFY_TOKEN="a-verify-token")
    def test_the_webhooks_are_the_only_urls_open_without_sign_in_and_refuse_everything_unsigned(self):
        hooks = [(name, path) for name, path in portal_routes() if name in HOOKS]
        self.assertEqual({name for name, _path in hooks}, HOOKS)
        client = Client(enforce_csrf_checks=True)
        for user in (None, self.visitor, self.agent):
            if user:
                client.force_login(user)
            for _name, route in hooks:
                path = "/" + route
                for method in ("get", "post", "put", "patch", "delete"):
                    with self.subTest(path=path, method=method, user=str(user)):
                        body = {} if method == "get" else {"data": b'{"object": "page", "entry": []}'}
                        response = getattr(client, method)(path, content_type="application/json", **body)
                        self.assertIn(response.status_code, (403, 405))
                response = client.get(path, {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "x"})
                self.assertEqual(response.status_code, 403)
        self.assertFalse(WebhookDelivery.objects.exists())

    def test_every_admin_page_sends_anonymous_users_and_agents_to_the_admin_sign_in(self):
        paths = list(admin_paths(self.convo.pk))
        self.assertGreaterEqual(len(paths), 40)
        for user in (None, self.agent):
            if user:
                self.client.force_login(user)
            for path in paths:
                with self.subTest(user=str(user), path=path):
                    response = self.client.get(path)
                    self.assertEqual(response.status_code, 302)
                    self.assertTrue(response["Location"].startswith(reverse("admin:login")), response["Location"])

    def test_the_sign_in_page_is_public_and_sign_out_only_takes_post(self):
        self.assertEqual(self.client.get(reverse("login")).status_code, 200)
        self.assertEqual(self.client.get(reverse("logout")).status_code, 405)


class CsrfTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.moderator(username="mod")
        cls.admin = f.UserFactory(username="root", is_staff=True, is_superuser=True)
        cls.convo = f.ConversationFactory()

    def test_every_state_changing_post_fails_without_a_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.agent)
        queue = self.convo.queue
        actions = [
            p.name
            for p in urlpatterns
            if getattr(p, "name", "").startswith("conversation-") and str(p.pattern).count("/") == 3
        ]
        self.assertEqual(len(actions), 12)  # the 11 actions and the presence ping
        posts = [reverse(name, args=[self.convo.pk]) for name in actions]
        posts += [reverse("next-conversation", args=[queue.pk]), reverse("logout"), reverse("password_change")]
        before = (Event.objects.count(), Message.objects.count(), Note.objects.count())
        for path in posts:
            with self.subTest(path=path):
                response = client.post(path, {"body": "x", "reason": "resolved"})
                self.assertEqual(response.status_code, 403)
        self.assertEqual((Event.objects.count(), Message.objects.count(), Note.objects.count()), before)

    def test_admin_actions_fail_without_a_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.admin)
        response = client.post(
            reverse("admin:queues_conversation_changelist"),
            {"action": "close_selected", "_selected_action": [self.convo.pk], "post": "yes", "reason": "resolved"},
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Conversation.objects.get(pk=self.convo.pk).is_closed)

    def test_with_the_token_the_same_post_works(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.agent)
        page = client.get(reverse("conversation-detail", args=[self.convo.pk]))
        token = page.context["csrf_token"]
        client.post(reverse("conversation-note", args=[self.convo.pk]), {"body": "ok", "csrfmiddlewaretoken": token})
        self.assertEqual(Note.objects.get().body, "ok")


def run_manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "portal.example.org",
    "DATABASE_URL": "sqlite:////tmp/escalation-portal-check.sqlite3",
}


class ProductionSettingsTests(TestCase):
    def test_check_deploy_reports_nothing_with_production_settings(self):
        result = run_manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("System check identified no issues (0 silenced).", result.stdout)

    def test_the_portal_refuses_to_start_without_a_secret_key(self):
        env = {key: value for key, value in PRODUCTION.items() if key != "SECRET_KEY"}
        result = run_manage("check", env=env)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY is not set", result.stderr)

    def test_pages_carry_a_content_security_policy_allowing_only_the_portals_own_scripts_and_styles(self):
        response = self.client.get(reverse("login"))
        policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
        self.assertEqual(policy["script-src"], "'self'")
        self.assertEqual(policy["style-src"], "'self'")
        self.assertEqual(policy["default-src"], "'self'")
        self.assertEqual(policy["frame-ancestors"], "'none'")
        self.assertEqual(response["X-Frame-Options"], "DENY")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")

    @override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000, CSRF_COOKIE_SECURE=True)
    def test_https_is_enforced_with_hsts_and_secure_cookies(self):
        response = self.client.get(reverse("login"))
        self.assertEqual(response.status_code, 301)
        self.assertTrue(response["Location"].startswith("https://"))
        response = self.client.get(reverse("login"), secure=True)
        self.assertIn("max-age=31536000", response["Strict-Transport-Security"])
        self.assertTrue(response.cookies["csrftoken"]["secure"])
        response = self.client.post(reverse("login"), {"username": "nobody", "password": "x"}, secure=True)
        self.assertIn("max-age=31536000", response["Strict-Transport-Security"])

    def test_production_defaults_are_secure(self):
        from django.conf import settings

        result = run_manage(
            "shell",
            "-c",
            "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
            "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.DEBUG)",
            env=PRODUCTION,
        )
        self.assertEqual(result.stdout.split()[-5:], ["True", "True", "True", "31536000", "False"], result.stderr)
        self.assertTrue(settings.SESSION_COOKIE_HTTPONLY)


class SignInThrottlingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.agent = f.agent(username="alice")

    def attempt(self, username, password, address="10.0.0.1"):
        return self.client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)

    def test_repeated_failures_for_one_account_lock_it_with_a_clear_message(self):
        for i in range(4):
            response = self.attempt("alice", "wrong", address=f"10.0.0.{i + 1}")
            self.assertContains(response, "Please enter a correct username and password")
        response = self.attempt("alice", "wrong", address="10.0.0.5")  # the fifth failure locks the account
        self.assertContains(response, "Too many failed sign-ins", status_code=429)
        response = self.attempt("alice", f.PASSWORD, address="10.0.0.99")
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "Too many failed sign-ins", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_repeated_failures_from_one_address_lock_that_address(self):
        for i in range(5):
            self.attempt(f"someone{i}", "guess", address="192.0.2.7")
        response = self.attempt("alice", f.PASSWORD, address="192.0.2.7")
        self.assertContains(response, "Too many failed sign-ins", status_code=429)
        response = self.attempt("alice", f.PASSWORD, address="192.0.2.8")
        self.assertRedirects(response, "/")

    def test_a_few_mistakes_do_not_lock_anyone_out(self):
        for _ in range(3):
            self.attempt("alice", "wrong")
        self.assertRedirects(self.attempt("alice", f.PASSWORD), "/")


class NothingLostTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.moderator = f.moderator(username="mo", first_name="Mo")

    def counts(self):
        return [model.objects.count() for model in (Conversation, Message, Note, Event, Tag)]

    def test_no_agent_action_deletes_anything(self):
        self.client.force_login(self.moderator)
        convo = f.ConversationFactory()
        tag = f.TagFactory()
        other_queue = Queue.objects.filter(kind=Queue.Kind.WORKING).exclude(pk=convo.queue_id).first()
        steps = [
            ("note", {"body": "first"}),
            ("reply", {"body": "hello"}),
            ("assign", {}),
            ("tags", {"tags": [tag.pk]}),
            ("tags", {"tags": []}),
            ("product", {"product": ""}),
            ("move", {"queue": other_queue.pk}),
            ("hold", {"queue": f.queue_of_kind(Queue.Kind.ON_HOLD).pk}),
            ("escalate", {"reason": "sensitive", "note": "steps"}),
            ("unassign", {}),
            ("close", {"reason": CloseReason.RESOLVED}),
            ("reopen", {}),
        ]
        previous = self.counts()
        for name, data in steps:
            self.client.post(reverse(f"conversation-{name}", args=[convo.pk]), data)
            now = self.counts()
            self.assertTrue(all(a >= b for a, b in zip(now, previous, strict=True)), (name, previous, now))
            previous = now
        self.assertEqual(
            Event.objects.filter(conversation=convo).count(), len(steps) - 1
        )  # clearing an empty product changes nothing

    def test_a_deleted_users_work_stays_and_shows_as_deleted_user(self):
        leaver = f.agent(username="leaver", first_name="Lee")
        convo = f.ConversationFactory(assignee=leaver)
        services.add_note(conversation_id=convo.pk, actor=leaver, body="My note")
        services.reply(conversation_id=convo.pk, actor=leaver, body="My reply")
        before = self.counts()
        leaver.delete()
        self.assertEqual(self.counts(), before)
        self.client.force_login(self.moderator)
        response = self.client.get(reverse("conversation-detail", args=[convo.pk]))
        self.assertContains(response, "My note")
        self.assertContains(response, "My reply")
        self.assertContains(response, "deleted user", count=2)  # note and reply (each shows once: no event line)
        self.assertNotContains(response, "Lee")


# What an edited link or a crafted form can carry, for any parameter of any route.
MALFORMED = [
    "",
    "0",
    "-99999999999999999999999999999999",
    "99999999999999999999999999999999",
    str(2**63),
    "NaN",
    "not-a-number",
    "\x00",
    "\ud83d".encode("utf-8", "surrogatepass").decode("latin-1"),  # the bytes of a lone surrogate
    "\u202e\u200f\ufeff\uffff",
    "x" * 100_000,
    " ".join(["word"] * 1000),
    "9999-12-31T23:59:59-14:00",
    "WyIwMDAxLTAxLTAxVDAwOjAwOjAwKzE0OjAwIiwgMV0",  # ["0001-01-01T00:00:00+14:00", 1]
]
# Every parameter a page or a form of the portal reads.
PARAMETERS = [
    "after",
    "before",
    "sort",
    "q",
    "queue",
    "status",
    "channel",
    "product",
    "assignee",
    "rating",
    "tag",
    "escalation_reason",
    "received_from",
    "received_to",
    "timeline",
    "body",
    "clipping",
    "note",
    "reason",
    "other_reason",
    "tags",
    "new_tags",
    "next",
]
# The admin's changelist parameters: search, sort, page, and its filters.
ADMIN_PARAMETERS = ["q", "o", "p", "e", "queue__id__exact", "channel__id__exact", "received_at__gte", "stage", "kind"]
PATH_IDS = ["0", "99999999999999999999999999999999", str(2**63), str(2**63 - 1)]


class MalformedInputTests(TestCase):
    """No 5xx, whatever a route's parameters hold: every route of the portal, GET and POST, as a moderator (who sees
    every form) with each malformed value in every parameter, and with ids in its path no row has."""

    @classmethod
    def setUpTestData(cls):
        cls.convo = f.ConversationFactory()
        cls.queue = f.queue_of_kind(Queue.Kind.WORKING)
        cls.moderator = f.moderator(username="mod")
        cls.admin = f.UserFactory(username="root", is_staff=True, is_superuser=True)

    def assertNoServerError(self, method, path, data):
        try:
            response = getattr(self.client, method)(path, data)
        except Exception as error:  # the test client re-raises what the view raised: a 500 in production
            self.fail(f"{method.upper()} {path} with {str(data)[:200]!r} raised {type(error).__name__}: {error}")
        self.assertLess(response.status_code, 500, f"{method.upper()} {path} with {str(data)[:200]!r}")

    def test_no_route_answers_a_malformed_parameter_with_a_server_error(self):
        self.client.force_login(self.moderator)
        routes = [sample_path(route, self.convo.pk, self.queue.pk) for name, route in portal_routes()]
        for path in routes:
            # Each value once in every parameter, one value per parameter per request, shifted between requests: a
            # bad value in one parameter must not hide another's (a form stops at none of them).
            for shift in range(len(MALFORMED)):
                data = {name: MALFORMED[(index + shift) % len(MALFORMED)] for index, name in enumerate(PARAMETERS)}
                with self.subTest(path=path, shift=shift):
                    self.assertNoServerError("get", path, data)
                    self.assertNoServerError("post", path, data)
                    if path == reverse("logout"):
                        self.client.force_login(self.moderator)
            # And all of them the same: a value that is bad only next to itself (ids, dates) gets its chance.
            for value in MALFORMED:
                with self.subTest(path=path, value=value[:40]):
                    self.assertNoServerError("post", path, dict.fromkeys(PARAMETERS, value))
                    if path == reverse("logout"):
                        self.client.force_login(self.moderator)

    def test_no_route_answers_an_id_no_row_has_with_a_server_error(self):
        self.client.force_login(self.moderator)
        for _name, route in portal_routes():
            for number in PATH_IDS:
                path = sample_path(route, number, number)
                with self.subTest(path=path):
                    self.assertNoServerError("get", path, {})
                    self.assertNoServerError("post", path, {"body": "x", "reason": "resolved", "queue": number})
                    self.client.force_login(self.moderator)

    def test_no_admin_list_or_page_answers_a_malformed_parameter_with_a_server_error(self):
        self.client.force_login(self.admin)
        for model in admin.site._registry:
            opts = model._meta
            changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            for value in MALFORMED:
                # The search alone: a filter the model has not makes the admin redirect before it searches.
                with self.subTest(model=opts.model_name, value=value[:40]):
                    self.assertNoServerError("get", changelist, {"q": value})
                    self.assertNoServerError("get", changelist, dict.fromkeys(ADMIN_PARAMETERS, value))
            for number in PATH_IDS:
                path = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[number])
                with self.subTest(path=path):
                    self.assertNoServerError("get", path, {})
