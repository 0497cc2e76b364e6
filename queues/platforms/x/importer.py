"""X API v2 search and timeline payloads: {"data": [post, ...], "includes": {"users": [...]}}.

One conversation per thread (conversation_id, which X sets on every reply to the id of the thread's first
post). Which channel a new thread belongs to: the brand account (a channel of platform x, matched by
handle) that its first customer post replies to (in_reply_to_user_id), else the first one it mentions
(entities.mentions). A later customer post in a known thread is a follow-up; a post by a brand account
is a reply already sent, never a customer. Posts are handled oldest first, because search results come
newest first and a thread's first post must become its conversation.

A payload is one API page (at most 100 posts for search, 500 for the full archive), so it is read whole.
"""

import html
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

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

# X ids are 64-bit numbers: at most 19 digits. A longer "id" is no post of X's (and would not fit a column).
MAX_ID_DIGITS = 19


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    name: str


@dataclass(frozen=True, slots=True)
class Post:
    path: str
    id: str
    conversation_id: str
    text: str
    created_at: datetime
    language: str
    author: User
    in_reply_to_user_id: str
    mentions: tuple[str, ...]
    is_retweet: bool

    @property
    def permalink(self) -> str:
        return f"https://x.com/{self.author.username}/status/{self.id}"


def _deepest_line(content: str) -> int:
    """The line where arrays and objects nest deepest, strings left out: where a too-deep document goes wrong."""
    depth = deepest = 0
    line = deepest_line = 1
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}\n]', content):
        token = match[0]
        if token == "\n":
            line += 1
        elif token in "[{":
            depth += 1
            if depth > deepest:
                deepest, deepest_line = depth, line
        elif token in "]}":
            depth -= 1
        else:
            line += token.count("\n")
    return deepest_line


def handle(account: str) -> str:
    return account.removeprefix("@").lower()


class XImporter(Importer):
    platform = Channel.Platform.X

    def __init__(self, path, *, progress=None, text: str | None = None):
        """text: an API page already read (fetch.py); path then only names it in problems."""
        super().__init__(path, progress=progress)
        self.text = text
        # Inactive channels too: their accounts' posts are still the brand's, never a customer's.
        self.brands = {handle(c.account): c for c in Channel.objects.filter(platform=self.platform)}
        # Brand posts in a thread that has no conversation yet: kept for a customer post later in the file
        # that starts one; those left at the end are skipped.
        self.waiting: dict[str, list[Post]] = defaultdict(list)
        self.brand_users: dict[str, Channel] = {}

    def replies_phrase(self, number: int) -> str:
        return ngettext("%(n)d brand reply", "%(n)d brand replies", number) % {"n": number}

    def skipped_phrase(self, number: int) -> str:
        return ngettext(
            "%(n)d skipped (retweets, brand posts outside a known thread)",
            "%(n)d skipped (retweets, brand posts outside a known thread)",
            number,
        ) % {"n": number}

    # Reading and checking

    def records(self):
        document = self._load()
        data = document.get("data")
        if data is None:
            # X leaves data out of a search that found nothing, and says so in meta.
            if isinstance(document.get("meta"), dict) and document["meta"].get("result_count") == 0:
                return
            raise self.problem("data", _("is missing: this is not an X API v2 payload"))
        if not isinstance(data, list):
            raise self.problem("data", _("must be a list of posts"))
        users = self._users(document)
        self.brand_users = {
            user.id: self.brands[handle(user.username)]
            for user in users.values()
            if handle(user.username) in self.brands
        }
        posts = [self._post(f"data[{index}]", item, users) for index, item in enumerate(data)]
        posts.sort(key=lambda post: (post.created_at, int(post.id)))
        for done, post in enumerate(posts, 1):
            yield post
            self.progress.update(done, len(posts))

    def _load(self) -> dict:
        if self.text is not None:
            content, encoding = self.text, "UTF-8"
        else:
            with open_text(self.path) as (_raw, text, encoding):
                content = text.read()
        if UNDECODABLE in content:
            line = content.count("\n", 0, content.index(UNDECODABLE)) + 1
            raise self.problem(
                _("line %(n)d") % {"n": line}, _("is not valid %(encoding)s text") % {"encoding": encoding}
            )
        try:
            document = json.loads(content)
        except json.JSONDecodeError as error:
            raise self.problem(
                _("line %(line)d column %(column)d") % {"line": error.lineno, "column": error.colno},
                _("broken JSON (%(error)s)") % {"error": error.msg},
            ) from error
        except RecursionError as error:
            raise self.problem(
                _("line %(n)d") % {"n": _deepest_line(content)},
                _("arrays and objects are nested too deeply to read"),
            ) from error
        except ValueError as error:
            # A number of thousands of digits: Python refuses to convert it (and no X field is one).
            long_number = re.search(rf"\d{{{sys.get_int_max_str_digits()},}}", content)
            line = content.count("\n", 0, long_number.start()) + 1 if long_number else 1
            raise self.problem(
                _("line %(n)d") % {"n": line},
                _("broken JSON (a number too long to read: %(error)s)") % {"error": error},
            ) from error
        if not isinstance(document, dict):
            raise self.problem("", _("must be a JSON object with data and includes.users"))
        return document

    def _users(self, document: dict) -> dict[str, User]:
        includes = document.get("includes")
        users = includes.get("users") if isinstance(includes, dict) else None
        if not isinstance(users, list):
            raise self.problem("includes.users", _("is missing: posts need their authors"))
        found = {}
        for index, item in enumerate(users):
            path = f"includes.users[{index}]"
            user = User(
                id=self._id(item, path, "id"),
                username=self._text(item, path, "username", required=True),
                name=self._text(item, path, "name"),
            )
            self._fits(f"{path}.username", "@" + user.username, "author_handle")
            self._fits(f"{path}.name", user.name, "author_name")
            found[user.id] = user
        return found

    def _post(self, path: str, item, users: dict[str, User]) -> Post:
        if not isinstance(item, dict):
            raise self.problem(path, _("must be an object"))
        author = users.get(self._id(item, path, "author_id"))
        if author is None:
            raise self.problem(f"{path}.author_id", _("names a user that is not in includes.users"))
        created_at = self._text(item, path, "created_at", required=True)
        try:
            created = datetime.fromisoformat(created_at)
        except ValueError:
            created = None
        if created is None or created.tzinfo is None:
            raise self.problem(
                f"{path}.created_at", _("is not an ISO 8601 time with a zone: %(value)r") % {"value": created_at[:100]}
            )
        if found := time_problem(created):
            raise self.problem(f"{path}.created_at", found)
        language = self._text(item, path, "lang")
        self._fits(f"{path}.lang", language, "language")
        referenced = self._list(item, path, "referenced_tweets")
        for index, reference in enumerate(referenced):
            self._text(reference, f"{path}.referenced_tweets[{index}]", "type", required=True)
        entities = item.get("entities", {})
        if not isinstance(entities, dict):
            raise self.problem(f"{path}.entities", _("must be an object"))
        mentions = self._list(entities, f"{path}.entities", "mentions")
        text = html.unescape(self._text(item, path, "text", required=True))
        if found := text_problem(text):
            raise self.problem(f"{path}.text", found)
        return Post(
            path=path,
            id=self._id(item, path, "id"),
            conversation_id=self._id(item, path, "conversation_id"),
            # X sends text with &, < and > escaped as HTML entities.
            text=text,
            created_at=created,
            language=language,
            author=author,
            in_reply_to_user_id=self._id(item, path, "in_reply_to_user_id", required=False),
            mentions=tuple(
                handle(self._text(mention, f"{path}.entities.mentions[{index}]", "username", required=True))
                for index, mention in enumerate(mentions)
            ),
            is_retweet=any(reference["type"] == "retweeted" for reference in referenced),
        )

    def _text(self, item, path: str, key: str, *, required: bool = False) -> str:
        if not isinstance(item, dict):
            raise self.problem(path, _("must be an object"))
        value = item.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value):
            raise self.problem(f"{path}.{key}", _("must be a non-empty string") if required else _("must be a string"))
        if found := text_problem(value):
            raise self.problem(f"{path}.{key}", found)
        return value

    def _id(self, item, path: str, key: str, *, required: bool = True) -> str:
        # X ids are strings of digits: as JSON numbers they would lose precision in JavaScript, and here.
        value = self._text(item, path, key, required=required)
        if value and not (value.isascii() and value.isdigit()):
            raise self.problem(
                f"{path}.{key}", _("must be an id, a string of digits, not %(value)r") % {"value": value[:100]}
            )
        if len(value) > MAX_ID_DIGITS:
            raise self.problem(
                f"{path}.{key}",
                _("must be an id of at most %(n)d digits; this one has %(length)d")
                % {"n": MAX_ID_DIGITS, "length": len(value)},
            )
        return value

    def _list(self, item: dict, path: str, key: str) -> list:
        value = item.get(key, [])
        if not isinstance(value, list):
            raise self.problem(f"{path}.{key}", _("must be a list"))
        return value

    def _fits(self, path: str, value: str, field: str) -> None:
        limit = max_length(Conversation, field)
        if len(value) > limit:
            raise self.problem(path, _("is longer than %(limit)d characters") % {"limit": limit})

    # Writing

    def write(self, posts: list[Post], summary: Summary) -> None:
        """One chunk: two lookups, bulk INSERTs for new conversations and brand replies, and follow-ups one by
        one through record_customer_message."""
        known = {}
        for convo in (
            Conversation.objects.filter(
                channel__platform=self.platform, external_id__in={post.conversation_id for post in posts}
            )
            .only("id", "external_id", "metadata")
            .order_by("pk")
        ):
            known.setdefault(convo.external_id, convo)
        recorded = set(
            Message.objects.filter(
                conversation__in=known.values(), external_id__in={post.id for post in posts}
            ).values_list("external_id", flat=True)
        )
        recorded |= {convo.metadata.get("post_id") for convo in known.values()}
        new, replies, follow_ups = [], [], []
        for post in posts:
            if post.id in recorded:
                summary.unchanged += 1
                continue
            recorded.add(post.id)
            convo = known.get(post.conversation_id)
            if post.is_retweet:
                summary.skipped += 1
            elif handle(post.author.username) in self.brands:
                if convo is None:
                    self.waiting[post.conversation_id].append(post)
                else:
                    replies.append(self._reply(convo, post))
            elif convo is None:
                convo = known[post.conversation_id] = self._conversation(post)
                new.append(convo)
                replies += [self._reply(convo, waiting) for waiting in self.waiting.pop(post.conversation_id, [])]
            else:
                follow_ups.append((convo, post))
        if new:
            services.create_conversations_bulk(conversations=new, details=self.details)
        if replies:
            services.record_sent_replies_bulk(messages=replies, details=self.details)
        for convo, post in follow_ups:
            services.record_customer_message(
                conversation_id=convo.pk,
                body=post.text,
                external_id=post.id,
                author_name=post.author.name,
                sent_at=post.created_at,
            )
        summary.new += len(new)
        summary.replies += len(replies)
        summary.follow_ups += len(follow_ups)

    def finish(self, summary: Summary) -> None:
        summary.skipped += sum(len(posts) for posts in self.waiting.values())
        self.waiting.clear()

    def _conversation(self, post: Post) -> Conversation:
        addressed = [self.brand_users.get(post.in_reply_to_user_id)]
        addressed += [self.brands.get(mention) for mention in post.mentions]
        channel = next((c for c in addressed if c is not None and c.is_active), None)
        if channel is None:
            accounts = sorted(c.account for c in self.brands.values() if c.is_active)
            raise self.problem(
                post.path,
                _("starts a thread that is not known, and neither replies to nor mentions an active X channel (%(a)s)")
                % {"a": ", ".join(accounts) or _("none is configured")},
            )
        return Conversation(
            channel=channel,
            external_id=post.conversation_id,
            permalink=post.permalink,
            author_name=post.author.name,
            author_handle="@" + post.author.username,
            body=post.text,
            language=post.language,
            # post_id: the post the conversation was made from, so importing it again finds it unchanged.
            metadata={"post_id": post.id, "author_id": post.author.id},
            created_at=post.created_at,
        )

    def _reply(self, convo: Conversation, post: Post) -> Message:
        return Message(
            conversation=convo,
            external_id=post.id,
            author_name="@" + post.author.username,
            body=post.text,
            created_at=post.created_at,
        )
