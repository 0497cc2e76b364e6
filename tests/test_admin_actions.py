import io
from datetime import timedelta
from unittest import mock

from django.contrib.auth.models import Permission
from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from queues import services
from queues.admin import actions as admin_actions
from queues.models import (
    Clipping,
    CloseReason,
    Conversation,
    EscalationReason,
    Event,
    Message,
    Note,
    Queue,
    Status,
)
from queues.process import Stage
from tests import factories as f

CHANGELIST = reverse("admin:queues_conversation_changelist")
CONFIRMATION = "admin/queues/conversation/action_confirmation.html"


class ActionTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin_user = f.admin(username="ada")
        cls.agent = f.agent(username="alice")
        cls.moderator = f.moderator(username="bob")
        cls.x = f.channel("@FirefoxSupport")
        cls.facebook = f.channel("Firefox")
        cls.play = f.channel("org.mozilla.firefox")
        cls.on_hold = f.queue_of_kind(Queue.Kind.ON_HOLD)

    def setUp(self):
        self.client.force_login(self.admin_user)

    def choose(self, action, conversations):
        """The changelist's action form: pick the action, tick the conversations, press Go."""
        return self.client.post(
            CHANGELIST, {"action": action, "index": 0, "_selected_action": [convo.pk for convo in conversations]}
        )

    def confirm(self, action, conversations, **data):
        """The intermediate page's form, as it posts back."""
        return self.client.post(
            CHANGELIST,
            {"action": action, "post": "yes", "_selected_action": [convo.pk for convo in conversations], **data},
            follow=True,
        )

    def assertIntermediatePage(self, response, action, conversations):
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, CONFIRMATION)
        self.assertContains(response, '<input type="hidden" name="post" value="yes">', html=True)
        self.assertContains(response, f'<input type="hidden" name="action" value="{action}">', html=True)
        for convo in conversations:
            self.assertContains(
                response, f'<input type="hidden" name="_selected_action" value="{convo.pk}">', html=True
            )
            self.assertContains(response, str(convo))

    def result(self, response):
        self.assertRedirects(response, CHANGELIST)
        return [str(message) for message in response.context["messages"]]

    def snapshot(self, *conversations):
        """Everything an action could change on these conversations."""
        pks = [convo.pk for convo in conversations]
        return (
            list(Conversation.objects.filter(pk__in=pks).order_by("pk").values()),
            list(Event.objects.filter(conversation__in=pks).values_list("pk", flat=True)),
            list(Message.objects.filter(conversation__in=pks).values_list("pk", flat=True)),
            list(Note.objects.filter(conversation__in=pks).values_list("pk", flat=True)),
        )

    def working(self, count=1, channel=None):
        return f.ConversationFactory.create_batch(count, channel=channel or self.x)

    def escalated(self, channel=None):
        convo = f.ConversationFactory(channel=channel or self.x)
        services.escalate_conversation(conversation_id=convo.pk, actor=self.agent, reason="sensitive", note=f.STEPS)
        return convo

    def closed(self, channel=None):
        convo = f.ConversationFactory(channel=channel or self.x)
        services.close_conversation(conversation_id=convo.pk, actor=self.agent, reason=CloseReason.RESOLVED)
        return convo

    def held(self, channel=None):
        convo = f.ConversationFactory(channel=channel or self.x)
        services.put_on_hold(conversation_id=convo.pk, actor=self.agent)
        return convo


class EscalateTests(ActionTestCase):
    def test_escalating_three_of_five_skips_the_escalated_and_the_closed_one_and_says_so(self):
        first, second = self.working(2)
        from_play = self.working(channel=self.play)[0]
        already, closed = self.escalated(), self.closed()
        selected = [first, second, from_play, already, closed]
        untouched = self.snapshot(already, closed)

        self.assertIntermediatePage(self.choose("escalate_selected", selected), "escalate_selected", selected)
        response = self.confirm(
            "escalate_selected", selected, reason=EscalationReason.NEEDS_PRODUCT_TEAM, note=f.STEPS, other_reason=""
        )

        self.assertEqual(
            self.result(response),
            [f"Escalated 3; skipped 2: already escalated (1: #{already.pk}), closed (1: #{closed.pk})."],
        )
        for convo in (first, second, from_play):
            convo.refresh_from_db()
            self.assertEqual(convo.queue, convo.channel.escalation_queue)
            self.assertEqual(convo.escalation_reason, EscalationReason.NEEDS_PRODUCT_TEAM)
            self.assertEqual(Note.objects.get(conversation=convo).body, f.STEPS)
            reply = Message.objects.get(conversation=convo)
            self.assertEqual((reply.body, reply.author), (f.statement().body, self.admin_user))
            event = Event.objects.get(conversation=convo)
            self.assertEqual((event.kind, event.actor), (Event.Kind.ESCALATED, self.admin_user))
        self.assertEqual(from_play.queue, self.play.escalation_queue)
        self.assertEqual(self.snapshot(already, closed), untouched)

    def test_the_intermediate_page_shows_the_statement_and_each_conversations_stage(self):
        convo, held = self.working()[0], self.held()
        response = self.choose("escalate_selected", [convo, held])
        self.assertContains(response, "requires more investigation")
        self.assertEqual(
            [(row, str(stage)) for row, stage in response.context["rows"]],
            [(convo, str(Stage.WORKING.label)), (held, str(Stage.ON_HOLD.label))],
        )

    def test_a_missing_note_or_other_reason_shows_the_form_again_and_changes_nothing(self):
        conversations = self.working(2)
        before = self.snapshot(*conversations)
        response = self.confirm("escalate_selected", conversations, reason=EscalationReason.SENSITIVE, note="  ")
        self.assertIntermediatePage(response, "escalate_selected", conversations)
        self.assertEqual(
            response.context["form"].errors["note"],
            ["Describe the problem and the steps you suggested to the customer."],
        )
        response = self.confirm("escalate_selected", conversations, reason=EscalationReason.OTHER, note=f.STEPS)
        self.assertEqual(response.context["form"].errors["other_reason"], ["Say what the other reason is."])
        response = self.confirm("escalate_selected", conversations, reason="bored", note=f.STEPS)
        self.assertIn("reason", response.context["form"].errors)
        self.assertEqual(self.snapshot(*conversations), before)

    def test_an_other_reason_is_recorded_and_the_admins_are_told_once_per_conversation(self):
        conversations = self.working(2)
        with self.settings(ADMINS=[("Admins", "admins@example.com")], DELIVERY_BACKEND="platforms"):
            self.confirm(
                "escalate_selected", conversations, reason=EscalationReason.OTHER, other_reason="Press", note=f.STEPS
            )
            call_command("deliver", "--once", stdout=io.StringIO())
        self.assertEqual(
            set(
                Conversation.objects.filter(pk__in=[c.pk for c in conversations]).values_list("escalation_reason_other")
            ),
            {("Press",)},
        )
        self.assertEqual(len(mail.outbox), 2)

    def test_a_refusal_by_the_service_undoes_only_that_conversation(self):
        statement = f.statement()
        statement.body = "x" * 400  # too long for Google Play, fine on Facebook; the admin form would refuse it
        statement.save()
        on_facebook, on_play = self.working(channel=self.facebook)[0], self.working(channel=self.play)[0]
        response = self.confirm(
            "escalate_selected", [on_facebook, on_play], reason=EscalationReason.SENSITIVE, note=f.STEPS
        )
        self.assertEqual(
            self.result(response),
            [f"Escalated 1; skipped 1: too long for Google Play (1: #{on_play.pk})."],
        )
        on_facebook.refresh_from_db()
        self.assertEqual(on_facebook.queue, self.facebook.escalation_queue)
        self.assertEqual(self.snapshot(on_play)[1:], ([], [], []))


class ReplyWithClippingTests(ActionTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.long_clipping = Clipping.objects.create(title="Long", body="Thanks for writing. " * 18)  # 360
        cls.html_clipping = Clipping.objects.create(title="Bold", body="<b>Thanks!</b>")

    def test_a_clipping_too_long_for_google_play_skips_and_names_those_conversations(self):
        on_facebook = self.working(channel=self.facebook)[0]
        reviews = self.working(2, channel=self.play)
        on_x, closed = self.working()[0], self.closed(channel=self.facebook)
        selected = [on_facebook, *reviews, on_x, closed]
        self.assertIntermediatePage(self.choose("reply_with_clipping", selected), "reply_with_clipping", selected)

        response = self.confirm("reply_with_clipping", selected, clipping=self.long_clipping.pk)

        self.assertEqual(
            self.result(response),
            [
                "Replied to 1 with “Long”; skipped 4: "
                f"too long for Google Play (2: #{reviews[0].pk}, #{reviews[1].pk}), "
                f"closed (1: #{closed.pk}), too long for X (1: #{on_x.pk})."
            ],
        )
        reply = Message.objects.get()
        self.assertEqual(
            (reply.conversation, reply.body, reply.clipping, reply.author),
            (on_facebook, self.long_clipping.body, self.long_clipping, self.admin_user),
        )
        self.assertEqual(Event.objects.get(conversation=on_facebook).kind, Event.Kind.REPLIED)

    def test_html_is_skipped_on_google_play_only(self):
        review, post = self.working(channel=self.play)[0], self.working()[0]
        response = self.confirm("reply_with_clipping", [review, post], clipping=self.html_clipping.pk)
        self.assertEqual(
            self.result(response),
            [
                "Replied to 1 with “Bold”; skipped 1: "
                f"Google Play replies cannot contain HTML: Google strips it (1: #{review.pk})."
            ],
        )
        self.assertEqual(list(Message.objects.values_list("conversation", flat=True)), [post.pk])

    def test_only_active_clippings_other_than_the_statement_are_offered_with_their_fit(self):
        Clipping.objects.create(title="Retired", body="Old text.", is_active=False)
        response = self.choose("reply_with_clipping", self.working())
        field = response.context["form"].fields["clipping"]
        self.assertEqual(set(field.queryset), {self.long_clipping, self.html_clipping})
        self.assertContains(response, "Long (X 360/280 ✗, Facebook 360/8000 ✓, Google Play 360/349 ✗)")

        convo = self.working()[0]
        response = self.confirm("reply_with_clipping", [convo], clipping=f.statement().pk)
        self.assertIn("clipping", response.context["form"].errors)
        self.assertFalse(Message.objects.exists())


class CloseAndReopenTests(ActionTestCase):
    def test_closing_needs_a_reason_and_skips_the_closed(self):
        first, held, escalated, closed = self.working()[0], self.held(), self.escalated(), self.closed()
        selected = [first, held, escalated, closed]
        self.assertIntermediatePage(self.choose("close_selected", selected), "close_selected", selected)
        response = self.confirm("close_selected", selected, reason="")
        self.assertIn("reason", response.context["form"].errors)
        self.assertEqual(Conversation.objects.filter(status=Status.CLOSED).count(), 1)

        response = self.confirm("close_selected", selected, reason=CloseReason.NO_ACTION_NEEDED)
        self.assertEqual(self.result(response), [f"Closed 3; skipped 1: already closed (1: #{closed.pk})."])
        for convo in (first, held, escalated):
            convo.refresh_from_db()
            self.assertEqual((convo.status, convo.close_reason), (Status.CLOSED, CloseReason.NO_ACTION_NEEDED))
            self.assertEqual(convo.events.last().actor, self.admin_user)
        closed.refresh_from_db()
        self.assertEqual(closed.close_reason, CloseReason.RESOLVED)

    def test_reopen_runs_at_once_into_the_channels_working_queue(self):
        closed_post, closed_review, still_open = self.closed(), self.closed(channel=self.play), self.working()[0]
        response = self.client.post(
            CHANGELIST,
            {
                "action": "reopen_selected",
                "index": 0,
                "_selected_action": [closed_post.pk, closed_review.pk, still_open.pk],
            },
            follow=True,
        )
        self.assertEqual(self.result(response), [f"Reopened 2; skipped 1: in a working queue (1: #{still_open.pk})."])
        for convo in (closed_post, closed_review):
            convo.refresh_from_db()
            self.assertEqual((convo.status, convo.queue), (Status.OPEN, convo.channel.working_queue))
            self.assertEqual(convo.events.last().kind, Event.Kind.REOPENED)


class HoldMoveAssignTests(ActionTestCase):
    def test_put_on_hold_asks_for_confirmation_with_the_only_on_hold_queue_preselected(self):
        working, escalated, held, closed = self.working()[0], self.escalated(), self.held(), self.closed()
        selected = [working, escalated, held, closed]
        response = self.choose("put_on_hold", selected)
        self.assertIntermediatePage(response, "put_on_hold", selected)
        self.assertContains(response, f'<option value="{self.on_hold.pk}">{self.on_hold}</option>', html=True)
        self.assertNotContains(response, '<option value="">')

        response = self.confirm("put_on_hold", selected, queue=self.on_hold.pk)
        self.assertEqual(
            self.result(response),
            [f"Put 2 on hold in On Hold; skipped 2: already on hold (1: #{held.pk}), closed (1: #{closed.pk})."],
        )
        for convo in (working, escalated):
            convo.refresh_from_db()
            self.assertEqual(convo.queue, self.on_hold)
            self.assertIsNotNone(convo.on_hold_since)

    def test_with_several_on_hold_queues_the_admin_must_choose_one(self):
        second = Queue.objects.create(
            name="Waiting on logs", slug="waiting-logs", kind=Queue.Kind.ON_HOLD, auto_close_after=timedelta(days=14)
        )
        convo = self.working()[0]
        response = self.confirm("put_on_hold", [convo])
        self.assertEqual(response.context["form"].errors["queue"], ["This field is required."])
        convo.refresh_from_db()
        self.assertEqual(convo.queue, self.x.working_queue)

        self.confirm("put_on_hold", [convo], queue=second.pk)
        convo.refresh_from_db()
        self.assertEqual(convo.queue, second)

    def test_move_to_a_working_queue_skips_those_already_there_and_the_closed(self):
        target = self.play.working_queue
        there, moving, escalated, closed = (
            self.working(channel=self.play)[0],
            self.working()[0],
            self.escalated(),
            self.closed(),
        )
        selected = [there, moving, escalated, closed]
        response = self.choose("move_to_queue", selected)
        self.assertIntermediatePage(response, "move_to_queue", selected)
        self.assertEqual(
            set(response.context["form"].fields["queue"].queryset), set(Queue.objects.filter(kind="working"))
        )

        response = self.confirm("move_to_queue", selected, queue=self.on_hold.pk)
        self.assertIn("queue", response.context["form"].errors)

        response = self.confirm("move_to_queue", selected, queue=target.pk)
        self.assertEqual(
            self.result(response),
            [f"Moved 2 to {target}; skipped 2: already in {target} (1: #{there.pk}), closed (1: #{closed.pk})."],
        )
        for convo in (moving, escalated):
            convo.refresh_from_db()
            self.assertEqual(convo.queue, target)
            self.assertEqual(convo.events.last().kind, Event.Kind.MOVED)

    def test_assign_offers_active_agents_only_and_skips_those_already_theirs(self):
        mine, free, closed = self.working()[0], self.working()[0], self.closed()
        services.assign_conversation(conversation_id=mine.pk, actor=self.agent, assignee_id=self.moderator.pk)
        outsider = f.UserFactory(username="visitor")
        retired = f.agent(username="gone", is_active=False)
        response = self.choose("assign_to", [mine, free, closed])
        agents = set(response.context["form"].fields["assignee"].queryset)
        self.assertLessEqual({self.admin_user, self.agent, self.moderator}, agents)
        self.assertFalse({outsider, retired} & agents)

        response = self.confirm("assign_to", [mine, free, closed], assignee=outsider.pk)
        self.assertIn("assignee", response.context["form"].errors)

        response = self.confirm("assign_to", [mine, free, closed], assignee=self.moderator.pk)
        self.assertEqual(
            self.result(response),
            [f"Assigned 1 to bob; skipped 2: already assigned to bob (1: #{mine.pk}), closed (1: #{closed.pk})."],
        )
        free.refresh_from_db()
        self.assertEqual(free.assignee, self.moderator)


class LimitsAndPermissionsTests(ActionTestCase):
    def test_more_than_the_limit_at_once_is_refused_and_changes_nothing(self):
        conversations = self.working(3)
        before = self.snapshot(*conversations)
        with mock.patch.object(admin_actions, "MAX_SELECTED", 2):
            response = self.client.post(
                CHANGELIST,
                {"action": "close_selected", "index": 0, "select_across": 1, "_selected_action": [conversations[0].pk]},
                follow=True,
            )
        self.assertEqual(
            self.result(response),
            ["Select at most 2 conversations at a time (filter the list first); nothing was changed."],
        )
        self.assertEqual(self.snapshot(*conversations), before)

    def test_the_result_names_at_most_ten_conversations_per_reason(self):
        closed = [self.closed() for _ in range(12)]
        response = self.confirm("close_selected", closed, reason=CloseReason.SPAM)
        names = ", ".join(f"#{convo.pk}" for convo in closed[:10])
        self.assertEqual(self.result(response), [f"Closed 0; skipped 12: already closed (12: {names} …)."])

    def test_staff_without_the_change_permission_get_no_actions_and_cannot_run_them(self):
        viewer = f.UserFactory(username="viewer", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_conversation"))
        self.client.force_login(viewer)
        convo = self.working()[0]
        before = self.snapshot(convo)

        response = self.client.get(CHANGELIST)
        self.assertEqual(response.status_code, 200)
        self.assertIsNone(response.context["action_form"])
        self.assertNotContains(response, "Escalate selected")

        response = self.confirm("escalate_selected", [convo], reason=EscalationReason.SENSITIVE, note=f.STEPS)
        self.assertNotIn(CONFIRMATION, [template.name for template in response.templates])
        response = self.choose("close_selected", [convo])
        self.assertNotIn(CONFIRMATION, [template.name for template in response.templates])
        self.assertEqual(self.snapshot(convo), before)

    def test_agents_who_are_not_staff_are_sent_to_the_admin_login(self):
        self.client.force_login(self.moderator)
        convo = self.working()[0]
        before = self.snapshot(convo)
        response = self.client.post(
            CHANGELIST, {"action": "close_selected", "post": "yes", "_selected_action": [convo.pk], "reason": "spam"}
        )
        self.assertRedirects(response, f"{reverse('admin:login')}?next={CHANGELIST}")
        self.assertEqual(self.snapshot(convo), before)
