"""Comments on a Facebook Page's posts, from the webhook's feed changes or from the Graph API's feed, taken in by one
set of rules (the importers' Importer: checked whole, written all or nothing, audited):

- a comment on the Page's post starts a conversation (external id: the comment id);
- a reply in that comment's thread is a customer follow-up, the Page's own replies are replies already sent (and
  mark a portal reply with the same text sent);
- a reply in a thread the portal does not have (its first comment came before the portal, or was missed) starts a
  conversation under the thread's first comment id; a comment the portal has already is unchanged.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from queues import services
from queues.models import Channel, Conversation, Message
from queues.platforms.fetching import PageProblem
from queues.platforms.importing import Importer, Summary, max_length

# Graph ids: digits, a post's and a comment's joined to their parent's by an underscore.
GRAPH_ID = re.compile(r"^[0-9]{1,64}(_[0-9]{1,64})?$")


@dataclass(frozen=True, slots=True)
class Comment:
    where: str
    id: str
    parent_id: str  # the comment replied to; empty for a comment on the post itself
    text: str
    created_at: datetime
    author_id: str
    author_name: str
    permalink: str


class CommentsImporter(Importer):
    """One batch of comments for one channel: a webhook delivery's, or a Graph feed page's. items are (where,
    raw object) pairs that parse() turns into Comments, or None for a change that is not a new comment."""

    platform = Channel.Platform.FACEBOOK

    def __init__(self, source: str, *, channel: Channel, page_id: str, items: list, details: dict):
        super().__init__(source)
        self.source, self.channel, self.page_id, self.items = source, channel, page_id, items
        self.details = details

    def problem(self, where: str, problem: str) -> PageProblem:
        return PageProblem(self.source, where, problem)

    def replies_phrase(self, number: int) -> str:
        return ngettext("%(n)d reply already sent", "%(n)d replies already sent", number) % {"n": number}

    def skipped_phrase(self, number: int) -> str:
        return ngettext("%(n)d skipped", "%(n)d skipped", number) % {"n": number}

    def parse(self, where: str, item) -> Comment | None:
        raise NotImplementedError

    def records(self):
        comments = [c for where, item in self.items if (c := self.parse(where, item)) is not None]
        comments.sort(key=lambda c: (c.created_at, c.id))
        yield from comments

    # Checks both sources share.

    def graph_id(self, item: dict, where: str, key: str, *, required: bool = True) -> str:
        value = item.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not GRAPH_ID.match(value):
            raise self.problem(f"{where}.{key}", _("must be a Graph id, a string of digits, not %(v)r") % {"v": value})
        return value

    def text(self, item: dict, where: str, key: str, field: str | None = None) -> str:
        value = item.get(key, "")
        if not isinstance(value, str):
            raise self.problem(f"{where}.{key}", _("must be a string"))
        if "\x00" in value:
            # PostgreSQL cannot store it in text.
            raise self.problem(f"{where}.{key}", _("contains a NUL character"))
        if field and len(value) > max_length(Conversation, field):
            raise self.problem(
                f"{where}.{key}",
                _("is longer than %(limit)d characters") % {"limit": max_length(Conversation, field)},
            )
        return value

    def author(self, item: dict, where: str) -> tuple[str, str]:
        person = item.get("from")
        if not isinstance(person, dict):
            raise self.problem(f"{where}.from", _("is missing: a comment needs its author"))
        return self.graph_id(person, f"{where}.from", "id"), self.text(person, f"{where}.from", "name", "author_name")

    # Writing

    def write(self, comments: list[Comment], summary: Summary) -> None:
        ids = {c.id for c in comments} | {c.parent_id for c in comments if c.parent_id}
        # A comment id -> its conversation: a Conversation (new in this batch, or found by its external id), or
        # only the id of the conversation a recorded message belongs to, which is all writing needs.
        thread: dict[str, Conversation | int] = {}
        known: set[str] = set()
        for convo in (
            Conversation.objects.filter(channel=self.channel, external_id__in=ids)
            .only("id", "external_id", "metadata")
            .order_by("pk")
        ):
            thread[convo.external_id] = convo
            known |= {convo.external_id, convo.metadata.get("comment_id", convo.external_id)}
        recorded = dict(
            Message.objects.filter(conversation__channel=self.channel, external_id__in=ids)
            .order_by()
            .values_list("external_id", "conversation_id")
        )
        thread |= recorded
        known |= recorded.keys()
        new, replies, follow_ups = [], [], []
        for comment in comments:
            if comment.id in known:
                summary.unchanged += 1
                continue
            known.add(comment.id)
            by_page = comment.author_id == self.page_id
            convo = thread.get(comment.parent_id) if comment.parent_id else None
            if by_page and convo is None:
                # The Page's own comment on its post, or its reply in a thread the portal does not have.
                summary.skipped += 1
                continue
            if convo is None:
                convo = self._conversation(comment)
                thread[convo.external_id] = convo
                new.append(convo)
            elif by_page:
                replies.append(
                    Message(
                        **_of(convo),
                        external_id=comment.id,
                        author_name=comment.author_name,
                        body=comment.text,
                        created_at=comment.created_at,
                    )
                )
            else:
                follow_ups.append((convo, comment))
            thread[comment.id] = convo
        if new:
            services.create_conversations_bulk(conversations=new, details=self.details)
        if replies:
            services.record_sent_replies_bulk(messages=replies, details=self.details)
        for convo, comment in follow_ups:
            services.record_customer_message(
                conversation_id=convo.pk if isinstance(convo, Conversation) else convo,
                body=comment.text,
                external_id=comment.id,
                author_name=comment.author_name,
                sent_at=comment.created_at,
            )
        summary.new += len(new)
        summary.replies += len(replies)
        summary.follow_ups += len(follow_ups)

    def _conversation(self, comment: Comment) -> Conversation:
        return Conversation(
            channel=self.channel,
            # A reply whose thread the portal lacks starts the conversation under the thread's first comment.
            external_id=comment.parent_id or comment.id,
            permalink=comment.permalink,
            author_name=comment.author_name,
            body=comment.text,
            metadata={"comment_id": comment.id, "author_id": comment.author_id},
            created_at=comment.created_at,
        )


def _of(convo: Conversation | int) -> dict:
    return {"conversation": convo} if isinstance(convo, Conversation) else {"conversation_id": convo}


class HookComments(CommentsImporter):
    """The changes of one webhook delivery's entries for this channel's page: ("entry[0].changes[1]", change)."""

    def parse(self, where: str, change) -> Comment | None:
        if not isinstance(change, dict):
            raise self.problem(where, _("must be an object"))
        value = change.get("value")
        if change.get("field") != "feed" or not isinstance(value, dict):
            return None
        # Reactions, likes, shares, new posts, edits and removals carry nothing to answer.
        if value.get("item") != "comment" or value.get("verb") != "add":
            return None
        where = f"{where}.value"
        comment_id = self.graph_id(value, where, "comment_id")
        where = _("comment %(id)s (%(path)s)") % {"id": comment_id, "path": where}
        post_id = self.graph_id(value, where, "post_id")
        parent_id = self.graph_id(value, where, "parent_id", required=False)
        created = value.get("created_time")
        if not isinstance(created, int) or isinstance(created, bool) or not 0 < created < 253402300800:
            raise self.problem(f"{where}.created_time", _("must be seconds since 1970, not %(v)r") % {"v": created})
        author_id, author_name = self.author(value, where)
        return Comment(
            where=where,
            id=comment_id,
            parent_id="" if parent_id in ("", post_id) else parent_id,
            text=self.text(value, where, "message"),
            created_at=datetime.fromtimestamp(created, UTC),
            author_id=author_id,
            author_name=author_name,
            permalink="",
        )


class GraphComments(CommentsImporter):
    """Comments from GET /{page-id}/feed?fields=comments.filter(stream){…}: ("data[0].comments.data[2]", comment)."""

    def parse(self, where: str, item) -> Comment | None:
        if not isinstance(item, dict):
            raise self.problem(where, _("must be an object"))
        comment_id = self.graph_id(item, where, "id")
        where = _("comment %(id)s (%(path)s)") % {"id": comment_id, "path": where}
        parent = item.get("parent")
        if parent is not None and not isinstance(parent, dict):
            raise self.problem(f"{where}.parent", _("must be an object"))
        created = item.get("created_time")
        try:
            created_at = datetime.strptime(created, "%Y-%m-%dT%H:%M:%S%z")
        except (TypeError, ValueError):
            raise self.problem(
                f"{where}.created_time", _("is not a Graph time like 2026-11-20T08:00:00+0000: %(v)r") % {"v": created}
            ) from None
        author_id, author_name = self.author(item, where)
        return Comment(
            where=where,
            id=comment_id,
            parent_id=self.graph_id(parent, f"{where}.parent", "id") if parent else "",
            text=self.text(item, where, "message"),
            created_at=created_at,
            author_id=author_id,
            author_name=author_name,
            permalink=self.text(item, where, "permalink_url", "permalink"),
        )
