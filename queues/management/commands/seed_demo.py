"""Demo users and a few hundred invented conversations, so every page has something to show."""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from queues.models import (
    Channel,
    Clipping,
    CloseReason,
    Conversation,
    EscalationReason,
    Event,
    Message,
    Note,
    Product,
    Queue,
    Status,
    Tag,
)
from queues.models.languages import clipping_text
from queues.process import Stage

DEMO_USERS = [
    # username, password, first name, role, staff
    ("admin", "demo-admin", "Ada", "Admins", True),
    ("alice", "demo-alice", "Alice", "Contributors", False),
    ("bob", "demo-bob", "Bob", "Moderators", False),
]

FIRST = [
    "Mara",
    "Tomasz",
    "Aiko",
    "Lucas",
    "Priya",
    "Jonas",
    "Amara",
    "Diego",
    "Elif",
    "Noah",
    "Sofia",
    "Kenji",
    "Leila",
    "Owen",
    "Ines",
    "Ravi",
    "Hana",
    "Mateo",
    "Zoe",
    "Idris",
]
LAST = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Novak",
    "Haddad",
    "Silva",
    "Kowalski",
    "Brennan",
    "Ito",
    "Fischer",
    "Mensah",
    "Duarte",
    "Varga",
    "Quinn",
]

SOCIAL_TEXTS = [
    "@FirefoxSupport my bookmarks toolbar disappeared after the update, how do I get it back?",
    "Firefox keeps asking me to set it as default browser every single time I open it. Please make it stop",
    "@FirefoxSupport is there a way to sync passwords between my laptop and my phone?",
    "Since this morning YouTube videos stutter in Firefox but not in other browsers. Anyone else?",
    "Why did my tabs not restore after a crash? Lost 40 tabs of research 😭",
    "@Firefox love the new look but where did the compact density option go?",
    "Firefox won't open PDFs anymore, it just downloads them. Windows 11.",
    "My Pocket Premium subscription was charged twice this month, who do I talk to?",
    "Is it true Firefox is selling my browsing data? Saw a post about it",
    "Extensions all got disabled overnight and I can't re-enable them",
    "Can't log into my bank website with Firefox, works fine elsewhere. Error says 'secure connection failed'",
    "Hardware acceleration makes my screen flicker on Linux with Wayland",
    "Firefox 国际版 同步 不工作了，怎么办？",
    "Mi Firefox no guarda las contraseñas desde la última actualización",
]
PLAY_TEXTS = [
    ("Crashes constantly", "App crashes every time I open a new tab on my Pixel. Reinstalled twice."),
    ("Too slow", "Pages load much slower than before the last update."),
    ("", "Love it but please bring back the old tab tray, the new one is confusing"),
    ("Add-ons", "Why can't I install all add-ons like on desktop? uBlock works, others don't."),
    ("Battery drain", "Drains my battery overnight even when closed."),
    ("Great privacy", "Best private browser, blocks trackers and is fast. 5 stars"),
    ("Login issue", "Can't sign into my Mozilla account in the app, says something went wrong."),
    ("", "Videos keep playing sound after I leave the app and I can't stop them"),
    ("Downloads", "Downloads fail halfway with 'download failed' on large files."),
    ("Dark mode", "Dark mode doesn't apply to websites anymore"),
    ("Sync", "Tabs from my computer don't show up on my phone since two weeks."),
    ("Klar", "Klar löscht meinen Verlauf nicht beim Schließen, obwohl es das sollte."),
]
TAGS = ["crash", "sync", "performance", "bookmarks", "passwords", "billing", "privacy", "extensions", "video"]
CLIPPINGS = [
    ("Thanks for the feedback", "Thanks for taking the time to tell us! We've passed this on to the team."),
    ("Clear cache", "Could you try clearing the cache (Settings > Delete browsing data) and restarting? Let us know."),
    ("Refresh Firefox", "A Firefox Refresh often fixes this: https://support.mozilla.org/kb/refresh-firefox"),
    ("Need more details", "Could you tell us your Firefox version and device so we can look into it?"),
]
HOW_MANY = 300
ESCALATION_NOTE = "Customer tried a refresh and reinstall; still happening. Needs the product team to look."


class Command(BaseCommand):
    help = (
        "Creates demo users (an admin and two agents) and about 300 invented conversations over every channel and "
        "queue. Running it again adds nothing twice."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            users = self._users()
            created = self._conversations(users)
        self.stdout.write(
            ngettext(
                "Demo data: %(created)s conversation created (%(existing)s already there).",
                "Demo data: %(created)s conversations created (%(existing)s already there).",
                created,
            )
            % {"created": created, "existing": HOW_MANY - created}
        )
        self.stdout.write(_("Demo logins (username / password):"))
        for username, password, _first, role, _staff in DEMO_USERS:
            self.stdout.write(f"  {username:6} / {password:11} {role}")

    def _users(self):
        User = get_user_model()
        users = {}
        for username, password, first_name, role, staff in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username, defaults={"first_name": first_name})
            if created:
                user.set_password(password)
                user.is_staff = user.is_superuser = staff
                user.save()
                user.groups.add(Group.objects.get(name=role))
            users[username] = user
        return users

    def _conversations(self, users):
        rng = random.Random(20261124)  # the same demo every time
        now = timezone.now()
        for title, body in CLIPPINGS:
            Clipping.objects.get_or_create(title=title, defaults={"body": body})
        tags = [Tag.objects.get_or_create(slug=name, defaults={"name": name})[0] for name in TAGS]
        channels = list(Channel.objects.select_related("working_queue", "escalation_queue", "default_product"))
        products = list(Product.objects.all())
        on_hold = Queue.objects.active_of_kind(Queue.Kind.ON_HOLD).first()
        statement = Clipping.objects.filter(is_escalation_statement=True).prefetch_related("translations").first()
        agents = [users["alice"], users["bob"]]
        existing = set(
            Conversation.objects.filter(external_id__startswith="demo-").values_list("external_id", flat=True)
        )

        plans = []
        for number in range(1, HOW_MANY + 1):
            external_id = f"demo-{number:04d}"
            # Draw every value even for existing rows so the rest of the demo stays the same.
            plan = self._plan(rng, now, number, external_id, channels, products, agents)
            if external_id not in existing:
                plans.append(plan)
        if not plans:
            return 0

        conversations = []
        for plan in plans:
            convo = plan["convo"]
            stage = plan["stage"]
            if stage == Stage.ON_HOLD:
                convo.previous_queue, convo.queue = convo.queue, on_hold
                convo.on_hold_since = plan["changed_at"]
            elif stage == Stage.ESCALATED:
                convo.previous_queue, convo.queue = convo.queue, convo.channel.escalation_queue
                convo.escalation_reason = rng.choice(EscalationReason.values[:-1])
                convo.escalated_at = plan["changed_at"]
            elif stage == Stage.CLOSED:
                convo.status, convo.closed_at = Status.CLOSED, plan["changed_at"]
                convo.close_reason = rng.choice(CloseReason.values)
            conversations.append(convo)
        Conversation.objects.bulk_create(conversations)

        events, notes, messages, tagged = [], [], [], []
        Through = Conversation.tags.through
        for plan in plans:
            convo, stage, at, agent = plan["convo"], plan["stage"], plan["changed_at"], plan["agent"]
            events.append(
                Event(
                    conversation=convo,
                    kind=Event.Kind.CREATED,
                    to_queue=convo.previous_queue or convo.queue,
                    by_automation=True,
                    created_at=convo.received_at,
                )
            )
            for tag in rng.sample(tags, rng.choice([0, 0, 1, 2])):
                tagged.append(Through(conversation=convo, tag=tag))
            if stage == Stage.CLOSED:
                details = {"reason": convo.close_reason}
                events.append(
                    Event(
                        conversation=convo,
                        actor=agent,
                        kind=Event.Kind.CLOSED,
                        from_queue=convo.queue,
                        created_at=at,
                        details=details,
                    )
                )
                continue
            if stage == Stage.ON_HOLD:
                kind, clipping, details = Event.Kind.PUT_ON_HOLD, None, {}
                body = rng.choice(CLIPPINGS)[1]
            elif stage == Stage.ESCALATED:
                kind, clipping, details = Event.Kind.ESCALATED, statement, {"reason": convo.escalation_reason}
                body = clipping_text(statement, convo.language)  # as escalating sends it
                notes.append(Note(conversation=convo, author=agent, body=ESCALATION_NOTE, created_at=at))
            else:
                continue
            messages.append(
                Message(
                    conversation=convo,
                    direction=Message.Direction.OUTBOUND,
                    author=agent,
                    # Demo history: these replies went out when they were written.
                    delivery=Message.Delivery.SENT,
                    sent_at=at,
                    body=body,
                    clipping=clipping,
                    created_at=at,
                )
            )
            events.append(
                Event(
                    conversation=convo,
                    actor=agent,
                    kind=kind,
                    from_queue=convo.previous_queue,
                    to_queue=convo.queue,
                    created_at=at,
                    details=details,
                )
            )
        Event.objects.bulk_create(events)
        Note.objects.bulk_create(notes)
        Message.objects.bulk_create(messages)
        Through.objects.bulk_create(tagged)
        return len(plans)

    def _plan(self, rng, now, number, external_id, channels, products, agents):
        channel = rng.choice(channels)
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        received_at = now - timedelta(minutes=rng.randint(5, 60 * 24 * 200))
        stage = rng.choices([Stage.WORKING, Stage.ON_HOLD, Stage.ESCALATED, Stage.CLOSED], weights=[45, 20, 10, 25])[0]
        age = now - received_at
        changed_at = received_at + age * rng.uniform(0.05, 0.9)
        if stage == Stage.ON_HOLD:  # some still waiting, some long past the auto-close duration
            changed_at = now - timedelta(hours=rng.randint(1, 24 * 20))
            received_at = min(received_at, changed_at - timedelta(hours=2))
        play = channel.platform == Channel.Platform.GOOGLE_PLAY
        if play:
            title, body = rng.choice(PLAY_TEXTS)
            handle = ""
            permalink = f"https://play.google.com/apps/publish?reviewId=gp:demo{number:04d}"
        else:
            title, body = "", rng.choice(SOCIAL_TEXTS)
            handle = "@" + name.replace(" ", "").lower()
            permalink = f"https://x.com/{handle[1:]}/status/{10**17 + number}" if channel.platform == "x" else ""
        convo = Conversation(
            channel=channel,
            external_id=external_id,
            permalink=permalink,
            author_name=name,
            author_handle=handle,
            title=title,
            body=body,
            rating=rng.randint(1, 5) if play else None,
            language=rng.choice(["en", "en", "en", "de", "es", "fr"]),
            product=channel.default_product or rng.choice(products + [None]),
            queue=channel.working_queue,
            assignee=rng.choice(agents + [None, None]) if stage != Stage.CLOSED else None,
            created_at=received_at - timedelta(minutes=rng.randint(1, 30)),
            received_at=received_at,
        )
        return {"convo": convo, "stage": stage, "changed_at": changed_at, "agent": rng.choice(agents)}
