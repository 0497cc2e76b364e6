import csv
import io
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import TransactionTestCase

from queues import services
from queues.models import CloseReason, Conversation, Event, Message, Product, Queue, Status
from queues.platforms.google_play.importer import EXPORT_HEADER as HEADER
from queues.process import Stage
from tests import factories as f
from tests.importing import FIXTURES, ImportTestCase, Terminal, insert_queries
from tests.threads import run_at_once

NOVEMBER = FIXTURES / "reviews_org.mozilla.firefox_202611.csv"
DECEMBER = FIXTURES / "reviews_org.mozilla.firefox_202612.csv"


def review_id(number: int) -> str:
    return f"gp:AOqpTOGenerated{number:06d}"


def row(number: int, **values) -> dict:
    millis = str(1_790_000_000_000 + number * 60_000)
    return {
        "Package Name": "org.mozilla.firefox",
        "App Version Code": "2016030151",
        "App Version Name": "145.0.2",
        "Reviewer Language": "en",
        "Device": "a52q",
        "Review Submit Millis Since Epoch": millis,
        "Review Last Update Millis Since Epoch": millis,
        "Star Rating": "4",
        "Review Text": f"Invented review number {number}.",
        "Review Link": "https://play.google.com/console/developers/1/app/2/user-feedback/review-details"
        f"?reviewId={review_id(number).replace(':', '%3A')}&corpus=PUBLIC_REVIEWS",
        **values,
    }


def export(rows: list[dict], header=HEADER) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def utf16(path) -> bytes:
    """A UTF-8 fixture as Google ships exports: UTF-16 (little-endian) with a byte order mark."""
    return path.read_text(encoding="utf-8").encode("utf-16")


class PlayImportTestCase(ImportTestCase):
    command = "import_play_reviews"

    @classmethod
    def setUpTestData(cls):
        cls.firefox = f.channel("org.mozilla.firefox")
        cls.focus = f.channel("org.mozilla.focus")
        cls.on_hold = f.queue_of_kind(Queue.Kind.ON_HOLD)

    def november(self):
        return self.write(NOVEMBER.name, utf16(NOVEMBER))

    def december(self):
        return self.write(DECEMBER.name, utf16(DECEMBER))

    def review(self, number: int) -> Conversation:
        return Conversation.objects.get(external_id=f"gp:AOqpTOInvented{number:04d}")


class ImportTests(PlayImportTestCase):
    def test_a_utf16_export_becomes_conversations_in_the_channels_working_queue(self):
        out, err = self.run_command(self.november())
        self.assertEqual(
            out,
            f"{self.folder / NOVEMBER.name}: 5 new conversations, 0 follow-ups, 1 developer reply, 0 unchanged, "
            "1 rating without a review skipped\n",
        )
        self.assertEqual(err, "")
        convo = self.review(1)
        self.assertEqual((convo.channel, convo.queue, convo.status), (self.firefox, self.firefox.working_queue, "open"))
        self.assertEqual(convo.product, Product.objects.get(slug="firefox-android"))
        self.assertEqual(convo.title, "Crashes on start")
        self.assertEqual(
            convo.body,
            "Since the update it crashes every time I open a tab 😡\nTried clearing the cache.\n\n"
            "Still broken, please fix!",
        )
        self.assertEqual((convo.rating, convo.language), (1, "en"))
        self.assertEqual(
            convo.metadata, {"device": "a52q", "app_version_code": "2016030151", "app_version_name": "145.0.2"}
        )
        self.assertEqual(convo.created_at, datetime(2026, 11, 2, 8, 15, 30, 123000, tzinfo=UTC))
        self.assertEqual(convo.last_customer_message_at, convo.created_at)
        self.assertTrue(convo.permalink.startswith("https://play.google.com/console/developers/"))
        self.assertIn("reviewId=gp%3AAOqpTOInvented0001", convo.permalink)
        self.assertEqual(
            list(Event.objects.filter(kind=Event.Kind.CREATED).values_list("to_queue", "by_automation", "details")),
            [(self.firefox.working_queue.pk, True, {"imported_from": NOVEMBER.name})] * 5,
        )

    def test_cjk_and_right_to_left_text_is_kept_as_written(self):
        self.run_command(self.november())
        self.assertEqual(self.review(2).body, "動作が速くて気に入っています。ただ、タブの同期がときどき遅れます。")
        self.assertEqual(self.review(3).body, "المتصفح جيد لكن الإضافات لا تعمل بعد التحديث الأخير.")
        self.assertEqual(self.review(4).body, 'הדפדפן עובד, אבל "מצב קריאה" נעלם, וחבל.')
        self.assertEqual([self.review(n).language for n in (2, 3, 4)], ["ja", "ar", "he"])

    def test_a_review_without_text_is_kept_and_a_bare_rating_is_skipped(self):
        self.run_command(self.november())
        empty = self.review(5)
        self.assertEqual((empty.title, empty.body, empty.rating), ("", "", 5))
        self.assertNotIn("device", empty.metadata)
        # The bare rating has no link, hence no review id: nothing to answer.
        self.assertEqual(Conversation.objects.count(), 5)

    def test_a_developer_reply_is_recorded_as_an_outbound_message_already_sent(self):
        self.run_command(self.november())
        reply = Message.objects.get()
        self.assertEqual(reply.conversation, self.review(1))
        self.assertEqual(
            (reply.direction, reply.delivery, reply.external_id),
            (Message.Direction.OUTBOUND, Message.Delivery.SENT, "devreply:1793700000000"),
        )
        self.assertTrue(reply.body.startswith("Sorry about that!"))
        self.assertEqual(reply.created_at, datetime(2026, 11, 3, 10, tzinfo=UTC))
        event = Event.objects.get(kind=Event.Kind.REPLIED)
        self.assertEqual(event.details, {"message_id": reply.pk, "imported_from": NOVEMBER.name})

    def test_utf8_exports_with_or_without_a_byte_order_mark_are_accepted(self):
        text = NOVEMBER.read_text(encoding="utf-8")
        self.run_command(self.write("plain.csv", text))
        self.run_command(self.write("bom.csv", text, encoding="utf-8-sig"))
        self.assertEqual(Conversation.objects.count(), 5)
        self.assertEqual(self.review(3).body, "المتصفح جيد لكن الإضافات لا تعمل بعد التحديث الأخير.")

    def test_importing_the_same_file_twice_changes_nothing_and_says_so(self):
        path = self.november()
        self.run_command(path)
        before = self.snapshot()
        out, _ = self.run_command(path)
        self.assertEqual(
            out,
            f"{path}: nothing new (0 new conversations, 0 follow-ups, 0 developer replies, 5 unchanged, "
            "1 rating without a review skipped)\n",
        )
        self.assertEqual(self.snapshot(), before)

    def test_the_channel_is_found_from_the_package_name(self):
        self.run_command(self.write("focus.csv", export([row(1, **{"Package Name": "org.mozilla.focus"})])))
        convo = Conversation.objects.get()
        self.assertEqual((convo.channel, convo.product.slug), (self.focus, "focus-android"))

    def test_channel_option_imports_a_package_no_channel_has(self):
        path = self.write("new-app.csv", export([row(1, **{"Package Name": "org.example.invented"})]))
        self.assertRefused(path, "line 2", "no active Google Play channel has the package 'org.example.invented'")
        self.run_command(path, "--channel", "org.mozilla.focus")
        self.assertEqual(Conversation.objects.get().channel, self.focus)
        other = self.write("again.csv", export([row(2, **{"Package Name": "org.example.invented"})]))
        self.run_command(other, "--channel", str(self.firefox.pk))
        self.assertEqual(Conversation.objects.get(external_id=review_id(2)).channel, self.firefox)

    def test_an_unknown_channel_option_is_refused_before_any_file_is_read(self):
        with self.assertRaisesMessage(CommandError, "No Google Play channel has the id or package '@FirefoxSupport'"):
            self.run_command(self.november(), "--channel", "@FirefoxSupport")
        self.assertFalse(Conversation.objects.exists())

    def test_dry_run_reports_what_would_be_imported_and_writes_nothing(self):
        path = self.november()
        out, _ = self.run_command(path, "--dry-run")
        self.assertEqual(
            out,
            f"{path}: 5 new conversations, 0 follow-ups, 1 developer reply, 0 unchanged, "
            "1 rating without a review skipped (dry run: nothing was written)\n",
        )
        self.assertEqual(self.snapshot(), ([], [], []))

    def test_several_files_are_each_imported_all_or_nothing(self):
        good = self.november()
        bad = self.write("bad.csv", export([row(1), row(2, **{"Star Rating": "0"})]))
        focus = self.write("focus.csv", export([row(3, **{"Package Name": "org.mozilla.focus"})]))
        stdout = io.StringIO()
        with self.assertRaises(CommandError) as raised:
            self.run_command(good, bad, focus, stdout=stdout)
        self.assertEqual(
            str(raised.exception),
            f"{bad}: line 3: Star Rating must be a whole number from 1 to 5, not '0'; "
            "nothing from this file was written.",
        )
        self.assertEqual([line.split(":")[0] for line in stdout.getvalue().splitlines()], [str(good), str(focus)])
        self.assertEqual(Conversation.objects.filter(channel=self.firefox).count(), 5)
        self.assertFalse(Conversation.objects.filter(external_id__in=[review_id(1), review_id(2)]).exists())
        self.assertTrue(Conversation.objects.filter(channel=self.focus, external_id=review_id(3)).exists())


class FollowUpTests(PlayImportTestCase):
    def test_an_updated_review_is_a_customer_follow_up(self):
        self.run_command(self.november())
        out, _ = self.run_command(self.december())
        self.assertEqual(
            out, f"{self.folder / DECEMBER.name}: 1 new conversation, 1 follow-up, 1 developer reply, 0 unchanged\n"
        )
        convo = self.review(1)
        follow_up = convo.messages.get(direction=Message.Direction.INBOUND)
        self.assertEqual(follow_up.external_id, "gp:AOqpTOInvented0001@1796149200789")
        self.assertEqual(
            follow_up.body,
            "Crashes on start\n\nUpdate: the new version still crashes, but only with the private tab open.",
        )
        updated = datetime(2026, 12, 1, 18, 20, 0, 789000, tzinfo=UTC)
        self.assertEqual(follow_up.created_at, updated)
        self.assertEqual((convo.last_customer_message_at, convo.rating), (updated, 3))
        self.assertEqual(convo.events.last().kind, Event.Kind.CUSTOMER_MESSAGE)
        # The developer reply that was already in November's file is not recorded twice.
        self.assertEqual(convo.messages.filter(direction=Message.Direction.OUTBOUND).count(), 1)
        later_reply = self.review(2).messages.get()
        self.assertEqual(
            (later_reply.external_id, later_reply.body),
            ("devreply:1796203800000", "ありがとうございます！同期の件は調査中です。"),
        )
        self.assertEqual(self.review(6).title, "Ótimo")

    def test_the_same_update_imported_again_or_an_older_file_imported_late_changes_nothing(self):
        self.run_command(self.november())
        self.run_command(self.december())
        before = self.snapshot()
        for path in (self.december(), self.november()):
            out, _ = self.run_command(path)
            self.assertIn(": nothing new (", out)
        self.assertEqual(self.snapshot(), before)

    def test_a_review_and_its_update_in_the_same_file_are_a_conversation_and_a_follow_up(self):
        update = row(1, **{"Review Last Update Millis Since Epoch": "1790000900000", "Review Text": "Worse now."})
        out, _ = self.run_command(self.write("both.csv", export([row(1), update])))
        self.assertIn(": 1 new conversation, 1 follow-up,", out)
        convo = Conversation.objects.get()
        self.assertEqual((convo.body, convo.messages.get().body), ("Invented review number 1.", "Worse now."))

    def test_an_update_takes_an_on_hold_review_back_to_its_working_queue_and_stops_the_clock(self):
        self.run_command(self.november())
        agent = f.agent()
        services.put_on_hold(conversation_id=self.review(1).pk, actor=agent)
        self.run_command(self.december())
        convo = self.review(1)
        self.assertEqual(
            (convo.stage, convo.queue, convo.on_hold_since), (Stage.WORKING, self.firefox.working_queue, None)
        )
        event = convo.events.last()
        self.assertEqual(
            (event.kind, event.from_queue, event.to_queue), (Event.Kind.CUSTOMER_MESSAGE, self.on_hold, convo.queue)
        )

    def test_an_update_reopens_a_closed_review(self):
        self.run_command(self.november())
        services.close_conversation(conversation_id=self.review(1).pk, actor=f.agent(), reason=CloseReason.RESOLVED)
        self.run_command(self.december())
        convo = self.review(1)
        self.assertEqual((convo.status, convo.queue, convo.closed_at), (Status.OPEN, self.firefox.working_queue, None))
        self.assertTrue(convo.events.last().details["reopened"])

    def test_a_developer_reply_on_a_closed_review_is_recorded_and_leaves_it_closed(self):
        self.run_command(self.november())
        services.close_conversation(conversation_id=self.review(2).pk, actor=f.agent(), reason=CloseReason.RESOLVED)
        self.run_command(self.december())
        convo = self.review(2)
        self.assertEqual(convo.status, Status.CLOSED)
        self.assertEqual(convo.messages.get().delivery, Message.Delivery.SENT)


class BrokenFileTests(PlayImportTestCase):
    def test_bytes_that_are_not_utf16_are_refused_naming_the_line(self):
        data = bytearray(utf16(NOVEMBER))
        # A high surrogate followed by a letter cannot be UTF-16; put it in the review on line 7.
        start = data.index("المتصفح".encode("utf-16-le"))
        data[start : start + 4] = "\ud800x".encode("utf-16-le", "surrogatepass")
        path = self.write("broken.csv", bytes(data))
        self.assertRefused(path, "line 7", "is not valid UTF-16 text")

    def test_bytes_that_are_not_utf8_are_refused_naming_the_line(self):
        text = export([row(1), row(2, **{"Review Text": "caf\udce9"})])
        path = self.write("latin1.csv", text.encode("utf-8", "surrogateescape"))
        self.assertRefused(path, "line 3", "is not valid UTF-8 text")

    def test_utf16_without_a_byte_order_mark_is_refused(self):
        path = self.write("no-bom.csv", export([row(1)]), encoding="utf-16-le")
        self.assertRefused(path, "line 1", "looks like UTF-16 without a byte order mark")

    def test_a_missing_column_is_refused(self):
        header = [name for name in HEADER if name != "Star Rating"]
        path = self.write("no-rating.csv", export([row(1)], header=header), encoding="utf-16")
        self.assertRefused(path, "line 1", "missing column(s): Star Rating")

    def test_a_rating_out_of_range_is_refused_naming_the_physical_line(self):
        # The first review spans lines 2 to 5: the second one starts on line 6.
        text = NOVEMBER.read_text(encoding="utf-8").replace("1793795400456,4,", "1793795400456,6,")
        path = self.write("stars.csv", text, encoding="utf-16")
        self.assertRefused(path, "line 6", "Star Rating must be a whole number from 1 to 5, not '6'")

    def test_an_unparsable_time_is_refused(self):
        path = self.write("time.csv", export([row(1), row(2, **{"Review Submit Millis Since Epoch": "2026-11-02"})]))
        self.assertRefused(
            path, "line 3", "Review Submit Millis Since Epoch is not a time in milliseconds since 1970: '2026-11-02'"
        )

    def test_a_developer_reply_without_its_time_is_refused(self):
        path = self.write("reply.csv", export([row(1, **{"Developer Reply Text": "Thanks!"})]))
        self.assertRefused(path, "line 2", "Developer Reply Millis Since Epoch is not a time in milliseconds")

    def test_a_review_without_a_review_id_is_refused(self):
        path = self.write("link.csv", export([row(1, **{"Review Link": "https://play.google.com/console/"})]))
        self.assertRefused(path, "line 2", "Review Link has no reviewId")

    def test_a_row_with_missing_fields_is_refused(self):
        text = export([row(1)]) + "org.mozilla.firefox,2016030151\r\n"
        self.assertRefused(self.write("short.csv", text), "line 3", "has 2 fields; the header has 16")

    def test_broken_quoting_is_refused(self):
        text = export([row(1)]) + 'org.mozilla.firefox,"unclosed"quote\r\n'
        self.assertRefused(self.write("quotes.csv", text), "line 3", "broken CSV")

    def test_a_title_too_long_to_keep_is_refused(self):
        path = self.write("title.csv", export([row(1, **{"Review Title": "x" * 501})]))
        self.assertRefused(path, "line 2", "Review Title is longer than 500 characters")

    def test_an_empty_or_missing_file_is_refused(self):
        self.assertRefused(self.write("empty.csv", b""), "line 1", "the file is empty")
        before = self.snapshot()
        missing = self.folder / "missing.csv"
        with self.assertRaisesMessage(CommandError, f"{missing}: cannot be read (No such file or directory)"):
            self.run_command(missing)
        self.assertEqual(self.snapshot(), before)

    def test_a_bad_row_after_a_thousand_good_ones_leaves_nothing_written(self):
        rows = [row(n) for n in range(1, 1001)] + [row(1001, **{"Star Rating": "five"})]
        path = self.write("late.csv", export(rows), encoding="utf-16")
        self.assertRefused(path, "line 1002", "Star Rating must be a whole number from 1 to 5, not 'five'")


class ScaleTests(PlayImportTestCase):
    def import_new_reviews(self, first: int, count: int) -> None:
        path = self.write(f"reviews_{first}.csv", export([row(n) for n in range(first, first + count)]))
        expected = 7 + insert_queries(Conversation, count) + insert_queries(Event, count)
        with self.assertNumQueries(expected):
            self.run_command(path)

    def test_the_number_of_queries_does_not_grow_with_the_number_of_reviews(self):
        # 7: the channels; the file's transaction (a savepoint here), its lock; one lookup; the bulk
        # create's savepoint. The INSERTs: one per table on PostgreSQL, whatever the count.
        self.import_new_reviews(1, 10)
        self.import_new_reviews(1000, 100)
        self.assertEqual(Conversation.objects.count(), 110)

    def test_a_progress_bar_is_drawn_on_a_terminal_and_not_under_cron(self):
        path = self.write("reviews.csv", export([row(n) for n in range(1, 50)]), encoding="utf-16")
        out, err = self.run_command(path, "--dry-run", stdout=Terminal())
        self.assertIn("checking reviews.csv [", err)
        self.assertIn("importing reviews.csv [##############################] 100%", err)
        self.assertTrue(out.startswith(f"{path}: 49 new conversations"))
        out, err = self.run_command(path)
        self.assertEqual(err, "")
        self.assertEqual(len(out.splitlines()), 1)


@pytest.mark.postgres
class ConcurrentImportTests(TransactionTestCase):
    serialized_rollback = True

    def test_the_same_file_imported_twice_at_once_is_imported_once(self):
        # Big enough that the two imports overlap: without the lock both would insert, and one would fail.
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        path = Path(folder.name) / "reviews.csv"
        path.write_text(export([row(n) for n in range(3000)]), encoding="utf-16")

        def run():
            out = io.StringIO()
            call_command("import_play_reviews", str(path), stdout=out)
            return out.getvalue()

        outputs = run_at_once(run, run)
        self.assertTrue(all(isinstance(out, str) for out in outputs), outputs)
        self.assertEqual(sorted(": nothing new (" in out for out in outputs), [False, True])
        self.assertEqual(Conversation.objects.count(), 3000)
