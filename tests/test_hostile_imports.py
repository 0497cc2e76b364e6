"""Import files crafted to break the importers: values only a database would notice, ids and times that do not fit,
JSON too deep to read, and a bad file among good ones. Each is a file error naming the place, found before anything
is written, the same on SQLite and PostgreSQL; the other files on the command line are still imported."""

import json
from unittest import mock

from django.core.management import CommandError
from django.db import IntegrityError

from queues import services
from queues.models import Conversation, Message
from tests.importing import FIXTURES
from tests.test_import_play_reviews import PlayImportTestCase, export, review_id, row
from tests.test_import_x import BRAND_USERS, XImportTestCase, payload, post, user

NOVEMBER = FIXTURES / "reviews_org.mozilla.firefox_202611.csv"


def link(review: str) -> str:
    return f"https://play.google.com/console/developers/1/app/2/user-feedback/review-details?reviewId={review}"


class PlayHostileValueTests(PlayImportTestCase):
    def refused(self, rows, where, problem):
        path = self.write("hostile.csv", export(rows), encoding="utf-16")
        return self.assertRefused(path, where, problem)

    def test_a_nul_character_is_refused_naming_line_and_column(self):
        rows = [row(1), row(2, **{"Review Text": "bad\x00text"})]
        self.refused(rows, "line 3", "Review Text contains a NUL character (\\u0000), which cannot be stored")

    def test_a_nul_character_in_the_device_is_refused_too(self):
        # The device goes into the conversation's JSON metadata, which PostgreSQL refuses a NUL in as well.
        self.refused([row(1, Device="a52\x00q")], "line 2", "Device contains a NUL character")

    def test_a_nul_character_escaped_in_the_review_id_is_refused(self):
        self.refused(
            [row(1, **{"Review Link": link("gp:AOqp%00TO")})], "line 2", "Review Link reviewId contains a NUL character"
        )

    def test_a_review_id_whose_follow_up_id_would_overflow_its_column_is_refused(self):
        # 253 characters fit a conversation's id; "<id>@<13-digit millis>" does not fit a message's.
        long_id = "gp:" + "A" * 250
        self.refused(
            [row(1, **{"Review Link": link(long_id)})],
            "line 2",
            "Review Link reviewId with its update time is longer than 255 characters",
        )

    def test_a_time_of_thousands_of_digits_is_refused_not_a_traceback(self):
        self.refused(
            [row(1, **{"Review Submit Millis Since Epoch": "9" * 5000})],
            "line 2",
            "Review Submit Millis Since Epoch is not a time in milliseconds since 1970",
        )

    def test_a_time_at_the_end_of_year_9999_is_refused_as_impossible(self):
        self.refused(
            [row(1, **{"Review Last Update Millis Since Epoch": "253402300799999"})],
            "line 2",
            "Review Last Update Millis Since Epoch: 9999-12-31T23:59:59.999000+00:00 is more than a year in the future",
        )

    def test_customer_text_is_stored_as_written(self):
        text = "    indented first line\nsecond line\n\n"
        reply = "  Thanks!\n"
        path = self.write(
            "spaces.csv",
            export(
                [
                    row(
                        1,
                        **{
                            "Review Text": text,
                            "Review Title": " Title ",
                            "Developer Reply Text": reply,
                            "Developer Reply Millis Since Epoch": "1790000100000",
                        },
                    ),
                    row(2, **{"Review Text": " \n ", "Review Title": "Only a title"}),
                ]
            ),
        )
        self.run_command(path)
        first = Conversation.objects.get(external_id=review_id(1))
        self.assertEqual((first.title, first.body), (" Title ", text))
        self.assertEqual(first.messages.get().body, reply)
        second = Conversation.objects.get(external_id=review_id(2))
        self.assertEqual((second.title, second.body), ("Only a title", ""))

    def test_a_follow_up_keeps_the_customers_text_as_written(self):
        self.run_command(self.write("first.csv", export([row(1)])))
        update = row(1, **{"Review Last Update Millis Since Epoch": "1790000900000", "Review Text": "  Worse now.\n"})
        self.run_command(self.write("second.csv", export([update])))
        follow_up = Message.objects.get(conversation__external_id=review_id(1), direction="inbound")
        self.assertEqual(follow_up.body, "  Worse now.\n")


class PlayChannelTests(PlayImportTestCase):
    def test_importing_a_file_again_into_another_channel_is_refused_not_duplicated(self):
        path = self.november()
        self.run_command(path)
        count = Conversation.objects.count()
        message = self.assertRefused(
            path, "line 2", "is already a conversation of the channel", "--channel", "org.mozilla.focus"
        )
        self.assertIn("not imported into", message)
        self.assertEqual(Conversation.objects.count(), count)
        self.assertFalse(Conversation.objects.filter(channel=self.focus).exists())

    def test_one_review_id_under_two_packages_in_one_file_is_refused(self):
        rows = [row(1), row(1, **{"Package Name": "org.mozilla.focus"})]
        path = self.write("two.csv", export(rows))
        self.assertRefused(path, "line 3", "is already a conversation of the channel")


class EveryFileOnItsOwnTests(PlayImportTestCase):
    def test_an_unforeseen_failure_in_one_file_does_not_stop_the_files_after_it(self):
        first = self.write("reviews_1.csv", export([row(1)]))
        second = self.write("reviews_2.csv", export([row(2)]))
        third = self.write("reviews_3.csv", export([row(3)]))
        original = services.create_conversations_bulk

        def refuse_the_second(*, conversations, **kwargs):
            if conversations[0].external_id == review_id(2):
                raise IntegrityError("value too long for type character varying(255)")
            return original(conversations=conversations, **kwargs)

        with (
            mock.patch.object(services, "create_conversations_bulk", side_effect=refuse_the_second),
            self.assertLogs("queues.platforms.importing", "ERROR") as logged,
            self.assertRaises(CommandError) as raised,
        ):
            self.run_command(first, second, third)
        self.assertEqual(
            str(raised.exception),
            f"{second}: could not be imported (IntegrityError: value too long for type character varying(255)); "
            "nothing from this file was written.",
        )
        self.assertIn("Traceback", logged.output[0])
        self.assertEqual(
            sorted(Conversation.objects.values_list("external_id", flat=True)), [review_id(1), review_id(3)]
        )

    def test_a_refused_file_between_two_good_ones_stops_neither(self):
        first = self.write("reviews_1.csv", export([row(1)]))
        bad = self.write("reviews_2.csv", export([row(2, **{"Review Text": "\x00"})]))
        third = self.write("reviews_3.csv", export([row(3)]))
        stdout_lines = []
        with self.assertRaises(CommandError) as raised:
            try:
                self.run_command(first, bad, third)
            finally:
                stdout_lines = list(Conversation.objects.values_list("external_id", flat=True))
        self.assertIn(f"{bad}: line 2: Review Text contains a NUL character", str(raised.exception))
        self.assertEqual(sorted(stdout_lines), [review_id(1), review_id(3)])


class XHostileValueTests(XImportTestCase):
    def refused(self, document: str, where: str, problem: str):
        return self.assertRefused(self.write("hostile.json", document), where, problem)

    def customer(self):
        return user(1)

    def test_a_nul_character_is_refused_naming_its_json_path(self):
        person = self.customer()
        self.refused(
            payload([post(1, author=person), post(2, author=person, text="nul \u0000 here")], [person]),
            "data[1].text",
            "contains a NUL character",
        )

    def test_a_lone_surrogate_escape_is_refused_naming_its_json_path(self):
        person = self.customer()
        document = payload([post(1, author=person, text="PLACEHOLDER")], [person]).replace("PLACEHOLDER", "\\ud83d!")
        self.refused(document, "data[0].text", "contains a lone surrogate (\\ud83d), which is not a character")

    def test_a_lone_surrogate_in_an_authors_name_is_refused(self):
        person = {**self.customer(), "name": "PLACEHOLDER"}
        document = payload([post(1, author=person)], [person]).replace("PLACEHOLDER", "Mara \\udc00")
        self.refused(document, "includes.users[0].name", "contains a lone surrogate")

    def test_times_the_time_zones_cannot_hold_are_refused(self):
        person = self.customer()
        for value, problem in (
            ("0001-01-01T00:00:00+14:00", "is outside the years any time zone can hold"),
            ("9999-12-31T23:00:00-14:00", "is outside the years any time zone can hold"),
            ("9999-12-31T00:00:00+00:00", "is more than a year in the future"),
            ("1969-12-31T23:59:59+00:00", "is before 1970"),
        ):
            with self.subTest(value=value):
                self.refused(
                    payload([post(1, author=person, created_at=value)], [person]), "data[0].created_at", problem
                )

    def test_an_id_of_300_digits_is_refused(self):
        person = self.customer()
        self.refused(
            payload([post(1, author=person, id="7" * 300)], [person]),
            "data[0].id",
            "must be an id of at most 19 digits; this one has 300",
        )

    def test_a_conversation_id_too_long_for_its_column_is_refused(self):
        person = self.customer()
        self.refused(
            payload([post(1, author=person, conversation_id="1" * 256)], [person]),
            "data[0].conversation_id",
            "must be an id of at most 19 digits",
        )

    def test_json_nested_100000_deep_is_refused_naming_the_line(self):
        person = self.customer()
        document = payload([post(1, author=person)], [person])
        deep = document[:-1] + ',\n"extra":\n' + "[" * 100_000 + "]" * 100_000 + "}"
        self.refused(deep, "line 3", "arrays and objects are nested too deeply to read")

    def test_a_number_of_thousands_of_digits_is_refused(self):
        person = self.customer()
        document = payload([post(1, author=person)], [person])
        self.refused(document[:-1] + ',\n"count": ' + "9" * 5000 + "}", "line 2", "a number too long to read")

    def test_a_valid_page_still_imports_after_these_checks(self):
        person = self.customer()
        text = "  @FirefoxSupport indented\nand a trailing line break\n"
        out, _err = self.run_command(self.write("ok.json", payload([post(1, author=person, text=text)], [person])))
        self.assertIn("1 new conversation", out)
        self.assertEqual(Conversation.objects.get().body, text)
        self.assertTrue(BRAND_USERS)

    def test_a_deep_document_does_not_stop_the_next_file(self):
        person = self.customer()
        deep = self.write("deep.json", "[" * 100_000 + "]" * 100_000)
        good = self.write("good.json", payload([post(1, author=person)], [person]))
        with self.assertRaises(CommandError) as raised:
            self.run_command(deep, good)
        self.assertIn(f"{deep}: line 1: arrays and objects are nested too deeply", str(raised.exception))
        self.assertEqual(Conversation.objects.count(), 1)
        self.assertEqual(json.loads(Conversation.objects.get().metadata["post_id"]), int(post(1, author=person)["id"]))
