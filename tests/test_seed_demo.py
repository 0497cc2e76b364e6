from io import StringIO

from django.core.management import call_command
from django.test import TestCase

from queues.models import Conversation, Event, Queue, Status


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


class SeedDemoTests(TestCase):
    def test_seed_demo_fills_every_queue_and_prints_the_logins(self):
        output = seed()
        self.assertIn("300 conversations created", output)
        for login in ("admin  / demo-admin", "alice  / demo-alice", "bob    / demo-bob"):
            self.assertIn(login, output)
        for queue in Queue.objects.all():
            self.assertTrue(Conversation.objects.filter(queue=queue, status=Status.OPEN).exists(), queue)
        self.assertTrue(Conversation.objects.filter(status=Status.CLOSED).exists())
        self.assertEqual(Event.objects.filter(kind=Event.Kind.CREATED).count(), 300)

    def test_running_it_twice_adds_nothing_twice(self):
        seed()
        counts = (Conversation.objects.count(), Event.objects.count())
        self.assertIn("0 conversations created (300 already there)", seed())
        self.assertEqual((Conversation.objects.count(), Event.objects.count()), counts)

    def test_demo_users_can_sign_in(self):
        seed()
        response = self.client.post("/accounts/login/", {"username": "alice", "password": "demo-alice"})
        self.assertRedirects(response, "/")
