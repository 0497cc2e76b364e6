"""Posting notices into Matrix rooms through the client-server API.

Posted once: the homeserver remembers each transaction id per device (access token) and answers a repeated PUT
with the event it already sent, so a lost answer is simply sent again. That only holds when every worker uses the
same access token (MATRIX_ACCESS_TOKEN): a new login is a new device, whose transaction ids are new.
"""

from urllib.parse import quote

import requests
from django.utils.translation import gettext as _

from queues.platforms import transport
from queues.platforms.transport import Failed, RetryLater, Sent

CLIENT_API = "/_matrix/client/v3"

# Alias → room id, per homeserver, for the life of the process: an alias rarely moves, and a send that is then
# refused forgets it so the next attempt asks again.
_room_ids: dict[tuple[str, str], str] = {}
# Access token → the bot's user id, only to name it in a refusal.
_user_ids: dict[tuple[str, str], str] = {}


def resolve_alias(base_url: str, token: str, alias: str, *, session: requests.Session | None = None) -> str:
    """The room id behind a room alias (#fenix:mozilla.org), cached in this process."""
    key = (base_url.rstrip("/"), alias)
    if key in _room_ids:
        return _room_ids[key]
    response, _seconds = transport.call(
        "GET",
        f"{key[0]}{CLIENT_API}/directory/room/{quote(alias, safe='')}",
        idempotent=True,
        session=session,
        headers=_auth(token),
    )
    if response.status_code == 200:
        room_id = _json(response).get("room_id")
        if isinstance(room_id, str) and room_id.startswith("!"):
            _room_ids[key] = room_id
            return room_id
        raise RetryLater(_("the homeserver's answer named no room: %(answer)s") % {"answer": response.text[:300]})
    raise _error(response, base_url=key[0], token=token, room=alias, session=session)


def send_notice(
    *,
    base_url: str,
    token: str,
    room: str,
    txn_id: str,
    body: str,
    formatted_body: str,
    thread_root_event_id: str | None = None,
    session: requests.Session | None = None,
) -> Sent:
    """Post an m.notice (plain body and HTML) into room (an alias or a room id). txn_id must be the same on every
    attempt at the same notice. thread_root_event_id puts the notice into the thread of that earlier event.

    Returns Sent(external_id=event id, details={"room_id": …}); raises RetryLater or Failed."""
    base_url = base_url.rstrip("/")
    room_id = room if room.startswith("!") else resolve_alias(base_url, token, room, session=session)
    content = {"msgtype": "m.notice", "body": body}
    content |= {"format": "org.matrix.custom.html", "formatted_body": formatted_body}
    if thread_root_event_id:
        # Clients without threads show it as a reply to the first notice (the spec's fallback).
        content["m.relates_to"] = {
            "rel_type": "m.thread",
            "event_id": thread_root_event_id,
            "is_falling_back": True,
            "m.in_reply_to": {"event_id": thread_root_event_id},
        }
    response, _seconds = transport.call(
        "PUT",
        f"{base_url}{CLIENT_API}/rooms/{quote(room_id, safe='')}/send/m.room.message/{quote(txn_id, safe='')}",
        # The same transaction id on the same device is answered with the first event, never a second one.
        idempotent=True,
        session=session,
        headers=_auth(token),
        json=content,
    )
    if response.status_code == 200:
        event_id = _json(response).get("event_id")
        if isinstance(event_id, str) and event_id:
            return Sent(external_id=event_id, status=200, details={"room_id": room_id})
        raise RetryLater(_("the homeserver's answer named no event: %(answer)s") % {"answer": response.text[:300]})
    if response.status_code in (403, 404):
        _room_ids.pop((base_url, room), None)
    raise _error(response, base_url=base_url, token=token, room=room, session=session)


def _error(response, *, base_url: str, token: str, room: str, session) -> Exception:
    data = _json(response)
    status, code = response.status_code, str(data.get("errcode") or "")
    words = f"{status} {code}: {data.get('error') or response.text[:300]}".strip()
    if status == 429 or code == "M_LIMIT_EXCEEDED":
        return RetryLater(
            _("the homeserver limits the bot's rate (%(words)s)") % {"words": words},
            not_before=transport.retry_after(response, milliseconds=data.get("retry_after_ms")),
            status=status,
            code=code,
        )
    if status >= 500 or status == 408:
        return RetryLater(_("the homeserver failed (%(words)s)") % {"words": words}, status=status, code=code)
    if status == 401 or code in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
        reason = _("the homeserver refused the bot's access token: check MATRIX_ACCESS_TOKEN (%(words)s)")
        return Failed(reason % {"words": words}, status=status, code=code)
    if code == "M_FORBIDDEN":
        reason = _("the bot %(bot)s is not in %(room)s or may not post there: invite it (%(words)s)")
        bot = _bot_user_id(base_url, token, session)
        return Failed(reason % {"bot": bot, "room": room, "words": words}, status=status, code=code)
    if status == 404 or code == "M_NOT_FOUND":
        reason = _("no room %(room)s: check the product's Matrix room (%(words)s)")
        return Failed(reason % {"room": room, "words": words}, status=status, code=code)
    return Failed(_("the homeserver refused the notice (%(words)s)") % {"words": words}, status=status, code=code)


def _bot_user_id(base_url: str, token: str, session) -> str:
    key = (base_url, token)
    if key not in _user_ids:
        try:
            response, _seconds = transport.call(
                "GET", f"{base_url}{CLIENT_API}/account/whoami", idempotent=True, session=session, headers=_auth(token)
            )
        except transport.DeliveryError:
            return _("(its user id is unknown)")
        user_id = _json(response).get("user_id") if response.status_code == 200 else None
        if not isinstance(user_id, str):
            return _("(its user id is unknown)")
        _user_ids[key] = user_id
    return _user_ids[key]


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _json(response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
