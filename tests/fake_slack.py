"""A local Slack Web API for the tests: chat.postMessage, conversations.history and conversations.replies, with
Slack's response shapes (HTTP 200 with ok:false for errors, 429 with Retry-After), message metadata stored and
returned only when asked for with include_all_metadata, and cursor paging.

Tests script what Slack does next with fail_next(): a 429, an ok:false code, a 5xx, or posting and then hanging
up before the answer (a lost answer).
"""

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

TOKEN = "xoxb-fake-bot-token"
BOT_USER, BOT_ID, APP_ID, TEAM = "U0FAKEBOT", "B0FAKEBOT", "A0FAKEAPP", "T0FAKETEAM"


@dataclass
class Channel:
    id: str
    name: str
    bot_is_member: bool = True
    archived: bool = False
    messages: list = field(default_factory=list)


class FakeSlack:
    def __init__(self):
        self.tokens = {TOKEN: None, "xoxb-revoked": "token_revoked", "xoxb-inactive": "account_inactive"}
        self.scopes = {"chat:write", "channels:history", "groups:history"}
        self.channels = {
            c.id: c
            for c in (
                Channel("C0FENIX001", "fenix"),
                Channel("C0CLOSED01", "closed-team", bot_is_member=False),
                Channel("C0ARCHIVE1", "old-fenix", archived=True),
            )
        }
        self.calls: list[tuple[str, dict]] = []
        self._scripted: list[tuple[str, str, dict]] = []
        self._last_ts = 0.0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"slack": self}))
        self.base_url = f"http://127.0.0.1:{self._server.server_port}/api"

    def start(self) -> "FakeSlack":
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, method: str, outcome: str, **options) -> None:
        """The next call of method: "http429" (retry_after=seconds), "http503", "lost_answer" (posts, then hangs up),
        or any Slack error code, answered HTTP 200 with ok:false."""
        self._scripted.append((method, outcome, options))

    def messages(self, channel_id: str) -> list[dict]:
        return list(self.channels[channel_id].messages)

    def seed(self, channel_id: str, *, text: str, metadata: dict | None = None, thread_ts: str | None = None) -> dict:
        """A message already in the channel (posted by the bot unless told otherwise)."""
        return self._store(self.channels[channel_id], {"text": text, "metadata": metadata, "thread_ts": thread_ts})

    # The Web API.

    def answer(self, method: str, params: dict, token: str | None) -> tuple[int, dict, dict] | None:
        self.calls.append((method, params))
        for index, (scripted_method, outcome, options) in enumerate(self._scripted):
            if scripted_method == method:
                del self._scripted[index]
                if outcome == "http429":
                    return 429, {"Retry-After": str(options.get("retry_after", 30))}, _error("ratelimited")
                if outcome == "http503":
                    return 503, {}, {"ok": False, "error": "service_unavailable"}
                if outcome == "lost_answer":
                    self._post(params)
                    return None
                return 200, {}, _error(outcome)
        if not token or token not in self.tokens:
            return 200, {}, _error("invalid_auth" if token else "not_authed")
        if self.tokens[token]:
            return 200, {}, _error(self.tokens[token])
        handler = {
            "chat.postMessage": self._post_message,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
        }.get(method)
        if handler is None:
            return 404, {}, _error("unknown_method")
        return 200, {}, handler(params)

    def _post_message(self, params: dict) -> dict:
        if "chat:write" not in self.scopes:
            return _error("missing_scope", needed="chat:write", provided=",".join(sorted(self.scopes)))
        channel = self._channel(params.get("channel"))
        refusal = self._refusal(channel)
        if refusal:
            return refusal
        if not params.get("text") and not params.get("blocks"):
            return _error("no_text")
        metadata = params.get("metadata")
        if metadata is not None and not (
            isinstance(metadata, dict) and isinstance(metadata.get("event_type"), str) and "event_payload" in metadata
        ):
            return _error("invalid_metadata_format")
        message = self._post(params)
        shown = {k: v for k, v in message.items() if k != "metadata"}
        return {"ok": True, "channel": channel.id, "ts": message["ts"], "message": shown}

    def _history(self, params: dict) -> dict:
        channel = self.channels.get(params.get("channel", ""))
        refusal = self._refusal(channel, reading=True)
        if refusal:
            return refusal
        top_level = [m for m in channel.messages if m.get("thread_ts", m["ts"]) == m["ts"]]
        return self._page(sorted(top_level, key=_ts, reverse=True), params)

    def _replies(self, params: dict) -> dict:
        channel = self.channels.get(params.get("channel", ""))
        refusal = self._refusal(channel, reading=True)
        if refusal:
            return refusal
        thread = [m for m in channel.messages if m["ts"] == params.get("ts") or m.get("thread_ts") == params.get("ts")]
        if not thread:
            return _error("thread_not_found")
        return self._page(sorted(thread, key=_ts), params)

    def _page(self, messages: list, params: dict) -> dict:
        oldest, latest = float(params.get("oldest") or 0), float(params.get("latest") or time.time() + 3600)
        inclusive = params.get("inclusive") in ("true", "1", True)
        messages = [m for m in messages if (oldest <= _ts(m) if inclusive else oldest < _ts(m)) and _ts(m) <= latest]
        limit = max(1, min(int(params.get("limit") or 100), 999))
        start = int(base64.b64decode(params["cursor"]).decode().split(":")[1]) if params.get("cursor") else 0
        page = messages[start : start + limit]
        if params.get("include_all_metadata") not in ("true", "1", True):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        has_more = start + limit < len(messages)
        cursor = base64.b64encode(f"next_ts:{start + limit}".encode()).decode() if has_more else ""
        answer = {"ok": True, "messages": page, "has_more": has_more, "pin_count": 0}
        return answer | {"response_metadata": {"next_cursor": cursor}}

    def _channel(self, name_or_id) -> Channel | None:
        wanted = str(name_or_id or "").lstrip("#")
        return next((c for c in self.channels.values() if wanted in (c.id, c.name)), None)

    def _refusal(self, channel: Channel | None, *, reading: bool = False) -> dict | None:
        if channel is None:
            return _error("channel_not_found")
        if reading and "channels:history" not in self.scopes:
            return _error("missing_scope", needed="channels:history", provided=",".join(sorted(self.scopes)))
        if channel.archived and not reading:
            return _error("is_archived")
        if not channel.bot_is_member:
            return _error("not_in_channel")
        return None

    def _post(self, params: dict) -> dict:
        return self._store(self._channel(params.get("channel")), params)

    def _store(self, channel: Channel, params: dict) -> dict:
        with self._lock:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            ts = f"{self._last_ts:.6f}"
        message = {"type": "message", "subtype": "bot_message", "text": params.get("text", ""), "ts": ts}
        message |= {"user": BOT_USER, "bot_id": BOT_ID, "app_id": APP_ID, "team": TEAM}
        for key in ("blocks", "thread_ts", "metadata"):
            if params.get(key):
                message[key] = params[key]
        channel.messages.append(message)
        return message


class _Handler(BaseHTTPRequestHandler):
    slack: FakeSlack

    def do_GET(self):
        self._serve(dict(parse_qsl(urlsplit(self.path).query)))

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Type", "").startswith("application/json"):
            params = json.loads(raw or b"{}")
        else:
            params = dict(parse_qsl(raw.decode()))
            for key in ("metadata", "blocks"):
                if isinstance(params.get(key), str):
                    params[key] = json.loads(params[key])
        self._serve({**dict(parse_qsl(urlsplit(self.path).query)), **params})

    def _serve(self, params: dict):
        method = urlsplit(self.path).path.rsplit("/", 1)[-1]
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else params.get("token")
        answer = self.slack.answer(method, params, token)
        if answer is None:
            self.close_connection = True  # posted, then hung up: the caller never hears
            return
        status, headers, body = answer
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def _error(code: str, **extra) -> dict:
    return {"ok": False, "error": code, **extra}


def _ts(message: dict) -> float:
    return float(message["ts"])
