"""A real Matrix homeserver for the tests: Synapse on loopback with SQLite, started once per test session.

Synapse lives in its own virtualenv (.ci/synapse-venv makes it) so its dependencies never mix with the portal's.
It is found through SYNAPSE_PYTHON or .synapse-venv/bin/python; without it the Matrix tests skip, except under
CI (env CI set), where a missing homeserver is a failure. The session has:

- the bot (@fenixbot), exempt from rate limits like a production bot should be, with the one access token
  every worker shares;
- a reader (@reader) who sits in the bot's rooms and reads what arrived;
- a chatty user (@chatty) who keeps Synapse's default-like message limit, to meet a real 429;
- #fenix:localhost, a room the bot created and is in, and #elsewhere:localhost, a room the bot is not in.
"""

import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
SERVER_NAME = "localhost"
START_TIMEOUT = 90  # seconds: the first start writes Synapse's whole schema, slow on a busy 2-core machine
REQUEST_TIMEOUT = 30


@dataclass(frozen=True)
class User:
    user_id: str
    access_token: str
    device_id: str


@dataclass
class Homeserver:
    base_url: str
    admin: User
    bot: User
    reader: User
    chatty: User
    room_alias: str
    room_id: str
    foreign_room_alias: str
    foreign_room_id: str
    log_path: Path

    def request(self, user: User, method: str, path: str, **kwargs) -> dict:
        """One client-API call as user; raises on any error answer."""
        response = requests.request(
            method,
            f"{self.base_url}{path}",
            headers={"Authorization": f"Bearer {user.access_token}"},
            timeout=REQUEST_TIMEOUT,
            **kwargs,
        )
        if response.status_code != 200:
            raise AssertionError(f"{method} {path} as {user.user_id}: {response.status_code} {response.text}")
        return response.json()

    def new_room(self, *, alias_localpart: str | None = None) -> tuple[str, str]:
        """A fresh public room the bot created (so it is in it) and the reader joined: (alias, room id)."""
        localpart = alias_localpart or f"room-{uuid.uuid4().hex[:10]}"
        room = {"room_alias_name": localpart, "preset": "public_chat"}
        room_id = self.request(self.bot, "POST", "/_matrix/client/v3/createRoom", json=room)["room_id"]
        self.request(self.reader, "POST", f"/_matrix/client/v3/join/{quote(room_id, safe='')}", json={})
        return f"#{localpart}:{SERVER_NAME}", room_id

    def messages(self, room_id: str, *, sender: str | None = None) -> list[dict]:
        """Every m.room.message event in the room, oldest first, as the reader sees it (sender: only theirs)."""
        events, token = [], None
        while True:
            params = {"dir": "b", "limit": 100, **({"from": token} if token else {})}
            page = self.request(
                self.reader, "GET", f"/_matrix/client/v3/rooms/{quote(room_id, safe='')}/messages", params=params
            )
            events.extend(page.get("chunk", []))
            token = page.get("end")
            if not token or not page.get("chunk"):
                break
        events.reverse()
        return [e for e in events if e["type"] == "m.room.message" and (sender is None or e["sender"] == sender)]


def synapse_python() -> str | None:
    configured = os.environ.get("SYNAPSE_PYTHON")
    if configured:
        return configured
    default = REPO / ".synapse-venv" / "bin" / "python"
    return str(default) if default.exists() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(directory: Path, *, port: int, shared_secret: str) -> Path:
    """A minimal homeserver.yaml: one client listener on loopback, SQLite, no federation, no phoning home."""
    relaxed = {"per_second": 1000, "burst_count": 1000}
    config = {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(directory / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(directory / "homeserver.db")}},
        "media_store_path": str(directory / "media"),
        "signing_key_path": str(directory / "signing.key"),
        "log_config": str(write_log_config(directory)),
        "registration_shared_secret": shared_secret,
        "enable_registration": False,
        "macaroon_secret_key": secrets.token_hex(32),
        "form_secret": secrets.token_hex(32),
        "report_stats": False,
        "enable_metrics": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "url_preview_enabled": False,
        "presence": {"enabled": False},
        # A real default-like limit for plain users (the chatty one meets it); the bot and the reader are
        # exempted through the admin API, like a production bot should be.
        "rc_message": {"per_second": 0.1, "burst_count": 3},
        "rc_registration": relaxed,
        "rc_login": {"address": relaxed, "account": relaxed, "failed_attempts": relaxed},
        "rc_joins": {"local": relaxed, "remote": relaxed},
        "rc_room_creation": relaxed,
        "rc_invites": {"per_room": relaxed, "per_user": relaxed, "per_issuer": relaxed},
    }
    path = directory / "homeserver.yaml"
    # JSON is YAML: no YAML library needed on the portal's side.
    path.write_text(json.dumps(config, indent=2))
    return path


def write_log_config(directory: Path) -> Path:
    path = directory / "log.yaml"
    path.write_text(
        "version: 1\n"
        "formatters:\n  plain:\n    format: '%(asctime)s %(name)s %(levelname)s %(message)s'\n"
        "handlers:\n  file:\n    class: logging.FileHandler\n    formatter: plain\n"
        f"    filename: {directory / 'homeserver.log'}\n"
        "root:\n  level: WARNING\n  handlers: [file]\n"
        "loggers:\n  synapse.access.http:\n    level: INFO\n"
        "disable_existing_loggers: false\n"
    )
    return path


def start(python: str, directory: Path) -> tuple[subprocess.Popen, str, str]:
    """Start Synapse and wait until it answers. Returns (process, base URL, registration shared secret)."""
    shared_secret = secrets.token_hex(32)
    port = free_port()
    config = write_config(directory, port=port, shared_secret=shared_secret)
    subprocess.run(
        [python, "-m", "synapse.app.homeserver", "-c", str(config), "--generate-keys"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    output = open(directory / "stdout.log", "wb")  # noqa: SIM115 (kept open for the process's life)
    process = subprocess.Popen(
        [python, "-m", "synapse.app.homeserver", "-c", str(config)],
        stdout=output,
        stderr=subprocess.STDOUT,
        cwd=directory,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"Synapse exited with {process.returncode}:\n{tail(directory)}")
        try:
            if requests.get(f"{base_url}/_matrix/client/versions", timeout=5).status_code == 200:
                return process, base_url, shared_secret
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"Synapse did not answer within {START_TIMEOUT} s:\n{tail(directory)}")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


def tail(directory: Path, lines: int = 40) -> str:
    text = ""
    for name in ("stdout.log", "homeserver.log"):
        path = directory / name
        if path.exists():
            text += f"--- {name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
    return text


def register(base_url: str, shared_secret: str, username: str, *, admin: bool = False) -> User:
    """Register through the shared-secret admin API (the way an operator creates a bot account)."""
    url = f"{base_url}/_synapse/admin/v1/register"
    nonce = requests.get(url, timeout=REQUEST_TIMEOUT).json()["nonce"]
    password = secrets.token_urlsafe(16)
    message = b"\x00".join([nonce.encode(), username.encode(), password.encode(), b"admin" if admin else b"notadmin"])
    mac = hmac.new(shared_secret.encode(), message, hashlib.sha1).hexdigest()
    body = {"nonce": nonce, "username": username, "password": password, "admin": admin, "mac": mac}
    response = requests.post(url, json=body, timeout=REQUEST_TIMEOUT)
    response.raise_for_status()
    answer = response.json()
    return User(user_id=answer["user_id"], access_token=answer["access_token"], device_id=answer["device_id"])


def exempt_from_rate_limits(base_url: str, admin: User, user: User) -> None:
    response = requests.post(
        f"{base_url}/_synapse/admin/v1/users/{quote(user.user_id, safe='')}/override_ratelimit",
        headers={"Authorization": f"Bearer {admin.access_token}"},
        json={"messages_per_second": 0, "burst_count": 0},
        timeout=REQUEST_TIMEOUT,
    )
    response.raise_for_status()


def set_up(base_url: str, shared_secret: str, log_path: Path) -> Homeserver:
    admin = register(base_url, shared_secret, "admin", admin=True)
    bot = register(base_url, shared_secret, "fenixbot")
    reader = register(base_url, shared_secret, "reader")
    chatty = register(base_url, shared_secret, "chatty")
    for user in (bot, reader):
        exempt_from_rate_limits(base_url, admin, user)
    server = Homeserver(base_url, admin, bot, reader, chatty, "", "", "", "", log_path)
    server.room_alias, server.room_id = server.new_room(alias_localpart="fenix")
    server.foreign_room_id = server.request(
        reader, "POST", "/_matrix/client/v3/createRoom", json={"room_alias_name": "elsewhere", "preset": "public_chat"}
    )["room_id"]
    server.foreign_room_alias = f"#elsewhere:{SERVER_NAME}"
    return server


@pytest.fixture(scope="session")
def homeserver(tmp_path_factory) -> Homeserver:
    """A running Synapse with the bot, the reader and the two rooms; stopped when the session ends."""
    python = synapse_python()
    if python and not os.access(python, os.X_OK):
        pytest.fail(f"SYNAPSE_PYTHON={python} is not an executable Python", pytrace=False)
    if python is None:
        reason = "no Synapse: run .ci/synapse-venv (or set SYNAPSE_PYTHON) to run the Matrix tests"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must install it (.ci/run does)", pytrace=False)
        pytest.skip(reason)
    directory = tmp_path_factory.mktemp("synapse")
    started = time.monotonic()
    process, base_url, shared_secret = start(python, directory)
    try:
        server = set_up(base_url, shared_secret, directory / "homeserver.log")
        print(f"Synapse ready at {base_url} in {time.monotonic() - started:.1f} s", file=sys.stderr)
        yield server
    finally:
        stop(process)
