"""Google Play Console review exports: reviews_<package>_<YYYYMM>.csv.

UTF-16 with a byte order mark as Google ships them (UTF-8 accepted too), comma-separated, quoted fields
that may hold newlines, columns found by their header name. One row is one review in its latest version:
a review updated later comes back, in a later month's file, with a newer Last Update time.
"""

import csv
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from queues import services
from queues.models import Channel, Conversation, Message
from queues.platforms.importing import (
    UNDECODABLE,
    Importer,
    Summary,
    max_length,
    open_text,
    text_problem,
    time_problem,
)

PACKAGE = "Package Name"
VERSION_CODE = "App Version Code"
VERSION_NAME = "App Version Name"
LANGUAGE = "Reviewer Language"
DEVICE = "Device"
SUBMITTED = "Review Submit Millis Since Epoch"
UPDATED = "Review Last Update Millis Since Epoch"
RATING = "Star Rating"
TITLE = "Review Title"
TEXT = "Review Text"
REPLIED = "Developer Reply Millis Since Epoch"
REPLY = "Developer Reply Text"
LINK = "Review Link"
# The export's "Date and Time" columns say the same as the millis columns, less precisely: not needed.
COLUMNS = (PACKAGE, VERSION_CODE, VERSION_NAME, LANGUAGE, DEVICE, SUBMITTED, UPDATED, RATING, TITLE, TEXT)
COLUMNS += (REPLIED, REPLY, LINK)
# The whole header as the Play Console writes it, in its order (the bench and the tests write exports with it).
EXPORT_HEADER = (PACKAGE, VERSION_CODE, VERSION_NAME, LANGUAGE, DEVICE, "Review Submit Date and Time", SUBMITTED)
EXPORT_HEADER += ("Review Last Update Date and Time", UPDATED, RATING, TITLE, TEXT, "Developer Reply Date and Time")
EXPORT_HEADER += (REPLIED, REPLY, LINK)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RATINGS = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
# The end of year 9999 in milliseconds since 1970: no later time exists in Python. Its 15 digits are checked first,
# as int() of a few thousand digits is refused by Python itself.
MAX_MILLIS = 253402300799999


@dataclass(frozen=True, slots=True)
class Review:
    line: int
    channel: Channel
    review_id: str
    link: str
    rating: int
    title: str
    text: str
    language: str
    metadata: dict
    submitted_at: datetime
    updated_at: datetime
    updated_millis: int
    reply: str
    replied_at: datetime | None
    replied_millis: int | None
    # The reviews API names the reviewer; the export does not.
    author: str = ""

    @property
    def follow_up_text(self) -> str:
        if self.title.strip() and self.text.strip():
            return f"{self.title}\n\n{self.text}"
        return self.title if self.title.strip() else self.text

    @property
    def follow_up_id(self) -> str:
        return f"{self.review_id}@{self.updated_millis}"


def play_channel(id_or_account: str) -> Channel | None:
    channels = Channel.objects.filter(platform=Channel.Platform.GOOGLE_PLAY)
    if id_or_account.isdigit():
        return channels.filter(pk=int(id_or_account)).first()
    return channels.filter(account=id_or_account).first()


class PlayReviewsImporter(Importer):
    platform = Channel.Platform.GOOGLE_PLAY

    def __init__(self, path, *, channel: Channel | None = None, progress=None):
        """channel: where every review of the file goes, whatever its Package Name says."""
        super().__init__(path, progress=progress)
        self.channel = channel
        self.channels = {c.account: c for c in Channel.objects.filter(platform=self.platform, is_active=True)}

    def replies_phrase(self, number: int) -> str:
        return ngettext("%(n)d developer reply", "%(n)d developer replies", number) % {"n": number}

    def skipped_phrase(self, number: int) -> str:
        return ngettext("%(n)d rating without a review skipped", "%(n)d ratings without a review skipped", number) % {
            "n": number
        }

    def records(self):
        """Each row as a Review, or None for a bare star rating: no text, no link, nothing to answer."""
        with open_text(self.path) as (raw, text, encoding):
            size = os.fstat(raw.fileno()).st_size
            reader = csv.reader(text, strict=True)
            header = self._next(reader)
            columns = self._columns(header, encoding)
            self.header = [name.strip() for name in header]
            while True:
                line = reader.line_num + 1
                row = self._next(reader)
                if row is None:
                    return
                if row:
                    yield self._review(line, row, columns, len(header), encoding)
                self.progress.update(raw.tell(), size)

    def _next(self, reader) -> list[str] | None:
        line = reader.line_num + 1
        try:
            return next(reader, None)
        except csv.Error as error:
            raise self.problem(_("line %(n)d") % {"n": line}, _("broken CSV (%(error)s)") % {"error": error}) from error

    def _columns(self, header: list[str] | None, encoding: str) -> dict[str, int]:
        where = _("line 1")
        if not header:
            raise self.problem(where, _("the file is empty; expected the header row of a Play Console export"))
        if any("\x00" in name for name in header):
            raise self.problem(
                where, _("looks like UTF-16 without a byte order mark; export it again from the Play Console")
            )
        if any(UNDECODABLE in name for name in header):
            raise self.problem(where, _("is not valid %(encoding)s text") % {"encoding": encoding})
        columns = {name.strip(): index for index, name in enumerate(header)}
        missing = [name for name in COLUMNS if name not in columns]
        if missing:
            raise self.problem(where, _("missing column(s): %(names)s") % {"names": ", ".join(missing)})
        return columns

    def _review(self, line: int, row: list[str], columns: dict[str, int], width: int, encoding: str) -> Review | None:
        def problem(message, **values):
            return self.problem(_("line %(n)d") % {"n": line}, message % values)

        if any(UNDECODABLE in value for value in row):
            raise problem(_("is not valid %(encoding)s text: some bytes do not decode"), encoding=encoding)
        if len(row) != width:
            raise problem(_("has %(fields)d fields; the header has %(columns)d"), fields=len(row), columns=width)
        for name, value in zip(self.header, row, strict=True):
            if found := text_problem(value):
                raise problem(_("%(column)s %(problem)s"), column=name, problem=found)

        def get(name: str) -> str:
            return row[columns[name]].strip()

        def written(name: str) -> str:
            # Customer and developer text as written: indentation and trailing line breaks are theirs.
            value = row[columns[name]]
            return value if value.strip() else ""

        def millis(name: str) -> int:
            value = get(name)
            if (
                not (value.isascii() and value.isdigit() and len(value) <= len(str(MAX_MILLIS)))
                or int(value) > MAX_MILLIS
            ):
                raise problem(
                    _("%(column)s is not a time in milliseconds since 1970: %(value)r"), column=name, value=value[:40]
                )
            if found := time_problem(EPOCH + timedelta(milliseconds=int(value))):
                raise problem(_("%(column)s: %(problem)s"), column=name, problem=found)
            return int(value)

        package = get(PACKAGE)
        channel = self.channel or self.channels.get(package)
        if channel is None:
            raise problem(
                _("no active Google Play channel has the package %(package)r; add one in the admin or pass --channel"),
                package=package,
            )
        if get(RATING) not in RATINGS:
            raise problem(
                _("%(column)s must be a whole number from 1 to 5, not %(value)r"), column=RATING, value=get(RATING)
            )
        submitted, updated = millis(SUBMITTED), millis(UPDATED)
        title, text, link, language = written(TITLE), written(TEXT), get(LINK), get(LANGUAGE)
        review_id = parse_qs(urlsplit(link).query).get("reviewId", [""])[0]
        if not review_id:
            if not title and not text:
                return None
            raise problem(_("%(column)s has no reviewId: %(value)r"), column=LINK, value=link[:200])
        if found := text_problem(review_id):
            raise problem(_("%(column)s reviewId %(problem)s"), column=LINK, problem=found)
        for column, value, model, field in (
            (TITLE, title, Conversation, "title"),
            (LINK, link, Conversation, "permalink"),
            (LANGUAGE, language, Conversation, "language"),
            (LINK + " reviewId", review_id, Conversation, "external_id"),
            # A review updated later becomes a follow-up whose id is <reviewId>@<Last Update millis>.
            (
                _("%(column)s reviewId with its update time") % {"column": LINK},
                f"{review_id}@{updated}",
                Message,
                "external_id",
            ),
        ):
            limit = max_length(model, field)
            if len(value) > limit:
                raise problem(_("%(column)s is longer than %(limit)d characters"), column=column, limit=limit)
        reply = written(REPLY)
        replied = millis(REPLIED) if reply else None
        return Review(
            line=line,
            channel=channel,
            review_id=review_id,
            link=link,
            rating=RATINGS[get(RATING)],
            title=title,
            text=text,
            language=language,
            metadata={
                key: get(column)
                for key, column in (
                    ("device", DEVICE),
                    ("app_version_code", VERSION_CODE),
                    ("app_version_name", VERSION_NAME),
                )
                if get(column)
            },
            submitted_at=EPOCH + timedelta(milliseconds=submitted),
            updated_at=EPOCH + timedelta(milliseconds=updated),
            updated_millis=updated,
            reply=reply,
            replied_at=None if replied is None else EPOCH + timedelta(milliseconds=replied),
            replied_millis=replied,
        )

    def write(self, reviews: list[Review | None], summary: Summary) -> None:
        """One chunk: two lookups, bulk INSERTs for new conversations and developer replies, and the rare
        follow-ups one by one through record_customer_message."""
        present = [review for review in reviews if review is not None]
        summary.skipped += len(reviews) - len(present)
        known = {
            (convo.channel_id, convo.external_id): convo
            for convo in Conversation.objects.filter(
                # Every channel of the platform, not only the file's: a review held by another is refused below.
                channel__in=Channel.objects.filter(platform=self.platform),
                external_id__in={review.review_id for review in present},
            )
            .only("id", "channel_id", "external_id", "rating", "last_customer_message_at")
            .order_by()
        }
        self._check_held_elsewhere(present, known)
        key_of = {convo.pk: key for key, convo in known.items()}
        replies_known = {
            (key_of[conversation_id], external_id)
            for conversation_id, external_id in Message.objects.filter(
                conversation_id__in=key_of,
                external_id__in={f"devreply:{review.replied_millis}" for review in present if review.reply},
            ).values_list("conversation_id", "external_id")
        }
        new, replies, follow_ups = [], [], []
        for review in present:
            key = (review.channel.pk, review.review_id)
            convo = known.get(key)
            changed = convo is None
            if convo is None:
                convo = known[key] = self._conversation(review)
                new.append(convo)
            elif convo.last_customer_message_at is None or review.updated_at > convo.last_customer_message_at:
                # A newer Last Update is the customer writing again. An older or equal one (an earlier
                # month's file imported late, or this file again) is what we already have.
                convo.last_customer_message_at = review.updated_at
                follow_ups.append((convo, review))
                changed = True
            reply_key = (key, f"devreply:{review.replied_millis}")
            if review.reply and reply_key not in replies_known:
                replies_known.add(reply_key)
                replies.append(
                    Message(
                        conversation=convo, external_id=reply_key[1], body=review.reply, created_at=review.replied_at
                    )
                )
                changed = True
            summary.unchanged += not changed
        if new:
            services.create_conversations_bulk(conversations=new, details=self.details)
        if replies:
            services.record_sent_replies_bulk(messages=replies, details=self.details)
        for convo, review in follow_ups:
            self._follow_up(convo, review)
        summary.new += len(new)
        summary.replies += len(replies)
        summary.follow_ups += len(follow_ups)

    def _check_held_elsewhere(self, reviews: list[Review], known: dict[tuple[int, str], Conversation]) -> None:
        """A review is one conversation on one channel. The same file imported again with another --channel, or a
        review id under two packages, would make a second one: the file is refused instead, naming the line.
        known: the conversations of the platform with these reviews' ids (earlier chunks of this file included)."""
        held: dict[str, set[int]] = {}
        for channel_id, external_id in known:
            held.setdefault(external_id, set()).add(channel_id)
        for review in reviews:
            channels = held.setdefault(review.review_id, set())
            if channels and review.channel.pk not in channels:
                names = ", ".join(sorted(Channel.objects.filter(pk__in=channels).values_list("name", flat=True)))
                raise self.problem(
                    _("line %(n)d") % {"n": review.line},
                    _("review %(id)s is already a conversation of the channel %(held)s; not imported into %(channel)s")
                    % {"id": review.review_id, "held": names, "channel": review.channel.name},
                )
            channels.add(review.channel.pk)

    def _conversation(self, review: Review) -> Conversation:
        return Conversation(
            channel=review.channel,
            external_id=review.review_id,
            permalink=review.link,
            author_name=review.author,
            title=review.title,
            body=review.text,
            rating=review.rating,
            language=review.language,
            metadata=review.metadata,
            created_at=review.submitted_at,
            # An export has only a review's latest version: it was last written at its Last Update time.
            last_customer_message_at=review.updated_at,
        )

    def _follow_up(self, convo: Conversation, review: Review) -> None:
        # The stars become the review's as it stands now, like the Play Console shows them.
        services.record_customer_message(
            conversation_id=convo.pk,
            body=review.follow_up_text,
            external_id=review.follow_up_id,
            sent_at=review.updated_at,
            rating=review.rating,
        )
