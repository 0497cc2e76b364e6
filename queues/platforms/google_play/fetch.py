"""Fetching a Google Play channel's reviews: GET …/applications/{package}/reviews with the service account's token,
page by page (maxResults, token / tokenPagination.nextPageToken). Each review becomes the same Review record the
export's rows become, and each page goes through the CSV importer's writes (PlayReviewsImporter.write): review id,
a newer lastModified is a customer follow-up, the developer comment a reply already sent.

The API lists only the reviews of about the last week that have text, most recently modified first: a run stops
at the first page whose reviews are all older than the newest it took in last time. The monthly export
(import_play_reviews) stays the way to backfill.
"""

from datetime import timedelta
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from queues.models import Channel, Conversation, FetchCursor
from queues.platforms import responses
from queues.platforms.fetching import (
    FetchError,
    Outcome,
    PageProblem,
    RateLimited,
    cursor_of,
    get_json,
    rate_limited_note,
    refused,
    unexpected,
)
from queues.platforms.google_play import client
from queues.platforms.google_play.importer import EPOCH, PlayReviewsImporter, Review
from queues.platforms.importing import max_length
from queues.platforms.transport import DeliveryError

PAGE_SIZE = 100
# The end of year 9999, as the export's checks have it.
LAST_SECOND = 253402300799


class PlayPageImporter(PlayReviewsImporter):
    """One page of the reviews API, mapped to Review records, written as an export's rows are."""

    def __init__(self, source: str, channel: Channel, reviews: list):
        super().__init__(source, channel=channel)
        self.source, self.reviews = source, reviews
        self.details = {"fetched_from": "google_play:reviews"}

    def problem(self, where: str, problem: str) -> PageProblem:
        return PageProblem(self.source, where, problem)

    def records(self):
        for index, item in enumerate(self.reviews):
            yield self._api_review(index, item)

    def _api_review(self, index: int, item) -> Review:
        path = f"reviews[{index}]"
        if not isinstance(item, dict):
            raise self.problem(path, _("must be an object"))
        review_id = item.get("reviewId")
        if not isinstance(review_id, str) or not review_id.strip():
            raise self.problem(f"{path}.reviewId", _("must be a non-empty string"))
        where = _("review %(id)s (%(path)s)") % {"id": review_id, "path": path}

        def problem(message, **values):
            return self.problem(where, message % values)

        comments = item.get("comments")
        if not isinstance(comments, list):
            raise problem(_("comments must be a list"))
        user, developer = (
            next((c[kind] for c in comments if isinstance(c, dict) and kind in c), None)
            for kind in ("userComment", "developerComment")
        )
        if not isinstance(user, dict):
            raise problem(_("has no userComment"))
        text = user.get("text")
        if not isinstance(text, str):
            raise problem(_("userComment.text must be a string"))
        # The API joins a review's title and text with a tab.
        title, tab, body = text.partition("\t")
        title, body = (title.strip(), body.strip()) if tab else ("", text.strip())
        rating = user.get("starRating")
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            raise problem(_("userComment.starRating must be a whole number from 1 to 5, not %(value)r"), value=rating)
        updated = self._millis(user.get("lastModified"), problem, "userComment.lastModified")
        reply, replied = "", None
        if developer is not None:
            if not isinstance(developer, dict) or not isinstance(developer.get("text"), str):
                raise problem(_("developerComment.text must be a string"))
            reply = developer["text"].strip()
            replied = self._millis(developer.get("lastModified"), problem, "developerComment.lastModified")
        if "\x00" in text or "\x00" in reply:
            # PostgreSQL cannot store it in text.
            raise problem(_("a comment contains a NUL character"))
        language = user.get("reviewerLanguage") or ""
        author = item.get("authorName") or ""
        query = urlencode({"id": self.channel.account, "reviewId": review_id})
        link = f"https://play.google.com/store/apps/details?{query}"
        for name, value, model_field in (
            ("reviewId", review_id, "external_id"),
            ("userComment.text", title, "title"),
            ("userComment.reviewerLanguage", language, "language"),
            ("authorName", author, "author_name"),
            ("reviewId", link, "permalink"),
        ):
            if not isinstance(value, str) or "\x00" in value:
                raise problem(_("%(field)s must be a string without NUL characters"), field=name)
            if len(value) > max_length(Conversation, model_field):
                raise problem(
                    _("%(field)s is longer than %(limit)d characters"),
                    field=name,
                    limit=max_length(Conversation, model_field),
                )
        metadata = {
            key: str(user[name])
            for key, name in (
                ("device", "device"),
                ("app_version_code", "appVersionCode"),
                ("app_version_name", "appVersionName"),
            )
            if isinstance(user.get(name), str | int) and not isinstance(user.get(name), bool) and user.get(name) != ""
        }
        when = EPOCH + timedelta(milliseconds=updated)
        return Review(
            line=index,
            channel=self.channel,
            review_id=review_id,
            link=link,
            rating=rating,
            title=title,
            text=body,
            language=language,
            metadata=metadata,
            # The API has no submit time: a review is first seen as it was last written.
            submitted_at=when,
            updated_at=when,
            updated_millis=updated,
            reply=reply,
            replied_at=None if replied is None else EPOCH + timedelta(milliseconds=replied),
            replied_millis=replied,
            author=author,
        )

    @staticmethod
    def _millis(value, problem, name: str) -> int:
        """A Timestamp {"seconds": "…", "nanos": …} as milliseconds, the export's unit."""
        seconds = value.get("seconds") if isinstance(value, dict) else None
        nanos = value.get("nanos", 0) if isinstance(value, dict) else None
        if isinstance(seconds, int) and not isinstance(seconds, bool):
            seconds = str(seconds)
        if (
            not isinstance(seconds, str)
            or not (seconds.isascii() and seconds.isdigit())
            or int(seconds) > LAST_SECOND
            or not isinstance(nanos, int)
            or not 0 <= nanos < 1_000_000_000
        ):
            raise problem(_("%(field)s is not a time: %(value)r"), field=name, value=value)
        return int(seconds) * 1000 + nanos // 1_000_000


def fetch_channel(channel: Channel, secrets: dict, *, dry_run: bool = False, session=None) -> Outcome:
    """Take in the app's reviews modified since the newest one the portal has."""
    outcome = Outcome(channel)
    token = _token(channel, secrets, session)
    cursor = cursor_of(channel)
    since = int(cursor.since_id) if cursor.since_id.isdigit() else -1
    url = (
        f"{settings.GOOGLE_PLAY_API_URL.rstrip('/')}/androidpublisher/v3/applications/"
        f"{quote(channel.account, safe='')}/reviews"
    )
    pages, page_token = [], ""
    while True:
        params = {"maxResults": PAGE_SIZE, **({"token": page_token} if page_token else {})}
        what = _("reviews page %(n)d") % {"n": len(pages) + 1}
        try:
            try:
                reviews, page_token = _page(channel, url, params, token, outcome, session, what)
            except _TokenRejected:
                # An expired or revoked token: one new one, as the reply client does.
                token = _token(channel, secrets, session, rejected=token)
                reviews, page_token = _page(channel, url, params, token, outcome, session, what, renewed=True)
        except RateLimited as limited:
            # Nothing is written from a run cut short: the pages read are read again next time.
            outcome.note = rate_limited_note(limited.until)
            return outcome
        pages.append(reviews)
        modified = [_modified(review) for review in reviews]
        # Listed most recently modified first: a page that reaches what the last run took in is the last one.
        if not page_token or not modified or min(modified) <= since:
            break
    newest_seen = max((_modified(review) for reviews in pages for review in reviews), default=-1)
    for index, reviews in reversed(list(enumerate(pages))):
        fresh = [review for review in reviews if _modified(review) > since]
        if not fresh:
            continue
        source = _("%(channel)s: reviews page %(n)d") % {"channel": channel.account, "n": index + 1}
        with transaction.atomic():
            outcome.add(PlayPageImporter(source, channel, fresh).run(dry_run=dry_run))
            if index == 0 and not dry_run and newest_seen > since:
                _move(channel, newest_seen)
    return outcome


def _move(channel: Channel, newest: int) -> None:
    cursor, _created = FetchCursor.objects.select_for_update().get_or_create(channel=channel)
    if not cursor.since_id.isdigit() or newest > int(cursor.since_id):
        cursor.since_id = str(newest)
        cursor.save(update_fields=["since_id", "updated_at"])


def _modified(review) -> int:
    """A review's lastModified in millis for the paging decisions, -1 when it cannot be read (the page's checks
    then name the problem)."""
    try:
        user = next(c["userComment"] for c in review["comments"] if "userComment" in c)
        return int(user["lastModified"]["seconds"]) * 1000 + int(user["lastModified"].get("nanos", 0)) // 1_000_000
    except (KeyError, TypeError, ValueError, StopIteration, AttributeError):
        return LAST_SECOND * 1000


class _TokenRejected(Exception):
    pass


def _token(channel: Channel, secrets: dict, session, rejected: str = "") -> str:
    try:
        return client.bearer_token(secrets["service_account_file"], session=session, rejected=rejected)
    except DeliveryError as error:
        raise FetchError(f"{channel.account}: {error.reason}") from None


def _page(channel, url, params, token, outcome, session, what, renewed=False) -> tuple[list, str]:
    response, document = get_json(
        channel,
        url,
        outcome=outcome,
        session=session,
        what=what,
        params=params,
        headers={"Authorization": f"Bearer {token}"},
    )
    status = response.status_code
    if not 200 <= status < 300:
        error = document.get("error") if isinstance(document.get("error"), dict) else {}
        words = responses.words(error["message"]) if error.get("message") else responses.body_words(response)
        if status == 429:
            raise RateLimited(responses.retry_after(response))
        if status == 401 and not renewed:
            raise _TokenRejected
        if status in (401, 403):
            raise refused(channel, response, words)
        raise unexpected(channel, response, words)
    reviews = document.get("reviews", [])
    if not isinstance(reviews, list):
        raise PageProblem(f"{channel.account}: {what}", "reviews", _("must be a list"))
    paging = document.get("tokenPagination", {})
    next_token = paging.get("nextPageToken", "") if isinstance(paging, dict) else ""
    if not isinstance(next_token, str):
        raise PageProblem(f"{channel.account}: {what}", "tokenPagination.nextPageToken", _("must be a string"))
    return reviews, next_token
