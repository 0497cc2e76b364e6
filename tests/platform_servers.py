"""One local HTTP server that speaks the three platforms' reply APIs, and Google's token endpoint.

It checks each request as the platform would (X's OAuth 1.0a signature, Play's bearer token from its own token
endpoint, Facebook's Page token, the body's fields), records what arrived, and answers as told: success, a queued
answer (a platform's real error bodies are in platform_answers), HANG, CLOSE, BROKEN, or by chance in chaos mode.
It needs neither pytest nor Django, so bench/ scripts use it too:

    with PlatformServer(latency=0.02, chaos=Chaos(server_error=0.10, rate_limited=0.05, never=0.02)) as server:
        sa_file = server.service_account("/tmp/sa.json")   # X_API_URL = GOOGLE_PLAY_API_URL = … = server.url
        ...
        server.posted_counts("facebook")                   # Counter of (comment id, text) that took effect
"""

import json
import random
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl, unquote, urlsplit

from google.auth import jwt
from oauthlib.oauth1.rfc5849 import signature, utils

from tests import platform_answers as answers
from tests.platform_answers import BROKEN, CLOSE, HANG, Answer

X, PLAY, FACEBOOK, TOKEN = "x", "google_play", "facebook", "google_token"
PLATFORMS = (X, PLAY, FACEBOOK)
ROUTES = (
    (X, re.compile(r"^/2/tweets$")),
    (PLAY, re.compile(r"^/androidpublisher/v3/applications/(?P<package>[^/]+)/reviews/(?P<target>[^/:]+):reply$")),
    (FACEBOOK, re.compile(r"^/v\d+\.\d+/(?P<target>[^/]+)/comments$")),
    (TOKEN, re.compile(r"^/token$")),
)
OAUTH1_PARAMS = {
    "oauth_consumer_key",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
    "oauth_timestamp",
    "oauth_token",
    "oauth_version",
}
X_SECRETS = {
    "consumer_key": "local-consumer-key",
    "consumer_secret": "local-consumer-secret",
    "access_token": "1234-local-access-token",
    "access_token_secret": "local-access-token-secret",
}
FACEBOOK_SECRETS = {"page_id": "1000", "page_access_token": "local-page-token", "app_secret": "local-app-secret"}
_key_lock = threading.Lock()
_rsa_key: tuple[str, str] | None = None  # (private PEM, public PEM); one per process, generating one takes a while


@dataclass(frozen=True)
class Chaos:
    """Fractions of reply requests answered 500, 429 (come back in retry_after seconds), or never (posted)."""

    server_error: float = 0.0
    rate_limited: float = 0.0
    never: float = 0.0
    retry_after: int = 1


@dataclass
class Received:
    platform: str
    method: str
    path: str
    headers: dict
    body: bytes
    target: str = ""  # the post, review or comment replied to
    text: str = ""
    answer: str = ""  # the status sent, or "hang" / "close" / "broken"
    answer_body: dict | str | bytes | None = None
    posted: bool = False  # the platform acted on it (success, or taken and never answered)

    def json(self):
        return json.loads(self.body)

    def form(self) -> dict:
        return dict(parse_qsl(self.body.decode()))


class PlatformServer:
    def __init__(
        self,
        *,
        latency: float = 0.0,
        chaos: Chaos | None = None,
        seed: int | None = None,
        hang_seconds: float = 30.0,
        x_secrets: dict | None = None,
        facebook_secrets: dict | None = None,
    ):
        self.latency, self.chaos, self.hang_seconds = latency, chaos, hang_seconds
        self.x_secrets = dict(x_secrets or X_SECRETS)
        self.facebook_secrets = dict(facebook_secrets or FACEBOOK_SECRETS)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._queued: dict[str, list] = {name: [] for name in (*PLATFORMS, TOKEN)}
        self._received: list[Received] = []
        self._tokens: set[str] = set()
        self._public_keys: list[str] = []
        self._next_id = 1_800_000_000_000_000_000
        self.play_replies: dict[tuple[str, str], str] = {}  # (package, review id) -> the public reply now
        self.stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.platforms = self
        # A short poll keeps stop() quick; serving does not depend on it.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="platform-server", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def start(self) -> "PlatformServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def answer(self, platform: str, *queued: Answer | str) -> None:
        """The next requests to platform get these answers, in order; success after them."""
        with self._lock:
            self._queued[platform].extend(queued)

    def received(self, platform: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._received if platform is None or r.platform == platform]

    def posted_counts(self, platform: str) -> Counter:
        """How many times each (target, text) took effect on the platform."""
        return Counter((r.target, r.text) for r in self.received(platform) if r.posted)

    def revoke_play_tokens(self) -> None:
        """Every token issued so far is refused from now on (as after a key is disabled, or a token expires)."""
        with self._lock:
            self._tokens.clear()

    def service_account(self, path: str | Path, *, email: str = "replies@portal-tests.iam.gserviceaccount.com") -> str:
        """Write a service-account JSON whose token_uri is this server and whose key it trusts; returns the path."""
        private_pem, public_pem = _key_pair()
        with self._lock:
            if public_pem not in self._public_keys:
                self._public_keys.append(public_pem)
        info = {
            "type": "service_account",
            "project_id": "portal-tests",
            "private_key_id": "local",
            "private_key": private_pem,
            "client_email": email,
            "client_id": "1",
            "token_uri": self.token_uri,
        }
        Path(path).write_text(json.dumps(info), encoding="utf-8")
        return str(path)

    # What the handler threads call.

    def handle(self, handler: "_Handler", method: str) -> tuple[Received, Answer | str]:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        platform, match = next(((p, m) for p, rx in ROUTES if (m := rx.match(parts.path))), ("", None))
        request = Received(platform, method, parts.path, dict(handler.headers), body)
        with self._lock:
            self._received.append(request)
        if match is None or method != "POST":
            return request, answers.not_found(platform)
        request.target = unquote(match.groupdict().get("target") or "")
        refusal = self._refusal(request, handler, parts.query)
        if refusal is not None:
            return request, refusal
        if platform == TOKEN:
            return request, self._pop(TOKEN) or self._token(request)
        chosen = self._pop(platform) or self._chaos(platform)
        if isinstance(chosen, Answer):
            return request, chosen
        # Success, or taken and never answered: either way the platform acted on it.
        request.posted = True
        if platform == PLAY:
            with self._lock:
                self.play_replies[(unquote(match["package"]), request.target)] = request.text
        return request, chosen or self._success(request)

    def _pop(self, platform: str) -> Answer | str | None:
        with self._lock:
            return self._queued[platform].pop(0) if self._queued[platform] else None

    def _chaos(self, platform: str) -> Answer | str | None:
        chaos = self.chaos
        if chaos is None:
            return None
        with self._lock:
            roll = self._random.random()
        if roll < chaos.server_error:
            return answers.unavailable(platform, status=500)
        if roll < chaos.server_error + chaos.rate_limited:
            return answers.rate_limited(platform, seconds=chaos.retry_after)
        if roll < chaos.server_error + chaos.rate_limited + chaos.never:
            return HANG
        return None

    def _refusal(self, request: Received, handler, query: str) -> Answer | None:
        """The platform's answer to a request it would not accept (credentials, body), or None."""
        if request.platform == X:
            if not self._x_signed(handler, request):
                return answers.x_unauthorized()
            try:
                data = request.json()
                request.text, request.target = data["text"], str(data["reply"]["in_reply_to_tweet_id"])
            except (ValueError, KeyError, TypeError):
                return answers.x_invalid_request("The request body is not a post with a reply.")
        elif request.platform == PLAY:
            bearer = handler.headers.get("Authorization", "").removeprefix("Bearer ")
            with self._lock:
                known = bearer in self._tokens
            if not known:
                return answers.play_unauthenticated()
            try:
                request.text = request.json()["replyText"]
            except (ValueError, KeyError, TypeError):
                return answers.play_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        elif request.platform == FACEBOOK:
            form = {**dict(parse_qsl(query)), **request.form()}
            token = form.get("access_token") or handler.headers.get("Authorization", "").removeprefix("Bearer ")
            if token != self.facebook_secrets["page_access_token"]:
                return answers.facebook_error(190, "Invalid OAuth access token - Cannot parse access token")
            proof = answers.appsecret_proof(self.facebook_secrets.get("app_secret", ""), token)
            if "appsecret_proof" in form and form["appsecret_proof"] != proof:
                return answers.facebook_error(100, "Invalid appsecret_proof provided in the API argument")
            if not form.get("message"):
                return answers.facebook_error(100, "(#100) The parameter message is required")
            request.text = form["message"]
        return None

    def _x_signed(self, handler, request: Received) -> bool:
        """Is the Authorization header a well-formed OAuth 1.0a header, signed with the account's secrets?"""
        header = handler.headers.get("Authorization", "")
        try:
            params = dict(utils.parse_authorization_header(header))
        except ValueError:
            return False
        secrets = self.x_secrets
        if not params.keys() >= OAUTH1_PARAMS or params["oauth_signature_method"] != "HMAC-SHA1":
            return False
        if unquote(params["oauth_consumer_key"]) != secrets["consumer_key"]:
            return False
        if unquote(params["oauth_token"]) != secrets["access_token"]:
            return False
        uri = f"http://{handler.headers.get('Host')}{handler.path}"
        collected = signature.collect_parameters(uri_query=urlsplit(uri).query, headers={"Authorization": header})
        base = signature.signature_base_string(
            "POST", signature.base_string_uri(uri), signature.normalize_parameters(collected)
        )
        keys = SimpleNamespace(
            client_secret=secrets["consumer_secret"], resource_owner_secret=secrets["access_token_secret"]
        )
        expected = signature.sign_hmac_sha1_with_client(base, keys)
        return unquote(params["oauth_signature"]) == expected

    def _token(self, request: Received) -> Answer:
        form = request.form()
        with self._lock:
            keys = list(self._public_keys)
        claims = None
        for key in keys:
            try:
                # google-auth addresses the assertion to Google's token endpoint whatever the token_uri.
                claims = jwt.decode(
                    form.get("assertion", ""),
                    certs=key,
                    audience=[self.token_uri, "https://oauth2.googleapis.com/token"],
                    clock_skew_in_seconds=30,
                )
                break
            except ValueError:
                continue
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or claims is None:
            return Answer(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        if "https://www.googleapis.com/auth/androidpublisher" not in str(claims.get("scope", "")).split():
            return Answer(400, {"error": "invalid_scope", "error_description": "Invalid OAuth scope."})
        with self._lock:
            self._next_id += 1
            token = f"ya29.local-{self._next_id}"
            self._tokens.add(token)
        return Answer(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _success(self, request: Received) -> Answer:
        with self._lock:
            self._next_id += 1
            new_id = str(self._next_id)
        if request.platform == X:
            reset = str(int(time.time()) + 900)
            headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "99", "x-rate-limit-reset": reset}
            return Answer(
                201, {"data": {"id": new_id, "text": request.text, "edit_history_tweet_ids": [new_id]}}, headers
            )
        if request.platform == PLAY:
            edited = {"seconds": str(int(time.time())), "nanos": 0}
            return Answer(200, {"result": {"replyText": request.text, "lastEdited": edited}})
        return Answer(200, {"id": f"{request.target}_{new_id}"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the platforms do: the bench measures the portal, not handshakes

    def do_POST(self):
        self._serve("POST")

    def do_GET(self):
        self._serve("GET")

    def _serve(self, method: str) -> None:
        platforms: PlatformServer = self.server.platforms
        request, answer = platforms.handle(self, method)
        if answer == HANG:
            request.answer = "hang"
            platforms.stopping.wait(platforms.hang_seconds)
            self.close_connection = True
            return
        if answer == CLOSE:
            request.answer = "close"
            self.close_connection = True
            return
        if answer == BROKEN:
            request.answer = "broken"
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"data": {"id": "18')
            self.close_connection = True
            return
        request.answer, request.answer_body = str(answer.status), answer.body
        if platforms.latency:
            time.sleep(platforms.latency)
        body = answer.body if isinstance(answer.body, bytes | str) else json.dumps(answer.body)
        body = body.encode() if isinstance(body, str) else body
        self.send_response(answer.status)
        headers = {"Content-Type": "application/json; charset=utf-8", **answer.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def refused_url() -> str:
    """The address of a port with nothing listening: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _key_pair() -> tuple[str, str]:
    global _rsa_key
    with _key_lock:
        if _rsa_key is None:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa

            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            private = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
            public = (
                key.public_key()
                .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
                .decode()
            )
            _rsa_key = (private, public)
        return _rsa_key
