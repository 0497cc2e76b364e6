"""Facebook's webhook for the Page's feed: /hooks/facebook/.

GET is the subscription handshake. A POST is checked against X-Hub-Signature-256 (HMAC-SHA256 of the raw body with
the app secret) before anything is parsed, stored as it arrived (one INSERT; a replayed body is stored once) and
answered 200 at once. process_deliveries() works the stored ones later (cron: process_facebook_hooks every minute):
the answer never waits on the database locks an import holds, Facebook stops sending to an endpoint that answers
slowly or fails too often, and a delivery stored but not yet worked survives a crash. (transaction.on_commit would
still run in the request before the answer goes out.)

The endpoint needs no sign-in and no CSRF token: the signature is its authentication.
"""

import hashlib
import hmac
import json
import logging

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotAllowed
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from queues.models import Channel, WebhookDelivery
from queues.platforms.facebook.comments import HookComments
from queues.platforms.fetching import Outcome, PageProblem
from queues.platforms.importing import ImportProblem

log = logging.getLogger(__name__)
BATCH = 100


def signature_matches(body: bytes, header: str, secret: str) -> bool:
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


@csrf_exempt
def receive(request):
    if request.method == "GET":
        return _handshake(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    # Resolved as the sign-in throttle does (PROXY_COUNT): behind a proxy, REMOTE_ADDR is the proxy.
    sender = get_client_ip_address(request)
    body = request.body
    if not signature_matches(body, request.headers.get("X-Hub-Signature-256", ""), settings.FACEBOOK_APP_SECRET):
        log.warning("Facebook webhook: refused a POST from %s: missing or bad X-Hub-Signature-256", sender)
        return HttpResponseForbidden("bad signature", content_type="text/plain")
    digest = hashlib.sha256(body).hexdigest()
    # ignore_conflicts: a replayed body (Facebook retries, or someone resends a captured one) is stored once.
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                source=WebhookDelivery.Source.FACEBOOK,
                body=body.decode("utf-8", errors="replace"),
                digest=digest,
                sender=sender,
            )
        ],
        ignore_conflicts=True,
    )
    return HttpResponse("ok", content_type="text/plain")


def _handshake(request):
    token = settings.FACEBOOK_VERIFY_TOKEN
    given = request.GET.get("hub.verify_token", "")
    if request.GET.get("hub.mode") != "subscribe" or not token or not hmac.compare_digest(given, token):
        log.warning("Facebook webhook: refused a verification request from %s", get_client_ip_address(request))
        return HttpResponseForbidden("bad verify token", content_type="text/plain")
    return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")


def page_channels(known) -> dict[str, Channel]:
    """Active Facebook channels by the page_id of their credentials entry."""
    found = {}
    for channel in Channel.objects.filter(platform=Channel.Platform.FACEBOOK, is_active=True).order_by("pk"):
        secrets = known.for_channel(channel.platform, channel.account)
        if secrets:
            found[secrets["page_id"]] = channel
    return found


def process_deliveries(known, *, dry_run: bool = False) -> tuple[dict[int, Outcome], list[str]]:
    """Work the stored deliveries, oldest first, each all or nothing. Returns each channel's outcome and the
    problems of the deliveries that could not be taken in (they are marked worked, with their problem, so one bad
    delivery does not stop the others)."""
    channels = page_channels(known)
    outcomes: dict[int, Outcome] = {}
    problems = []
    after = None
    while True:
        pending = WebhookDelivery.objects.filter(source=WebhookDelivery.Source.FACEBOOK, processed_at__isnull=True)
        if after is not None:
            pending = pending.filter(received_at__gte=after[0]).exclude(pk__in=after[1])
        batch = list(pending.order_by("received_at", "pk")[:BATCH])
        if not batch:
            break
        for delivery in batch:
            problem = _process(delivery, channels, outcomes, dry_run=dry_run)
            if problem:
                problems.append(problem)
        # A dry run marks nothing: go past what it has read.
        after = (batch[-1].received_at, [d.pk for d in batch if d.received_at == batch[-1].received_at])
    return outcomes, problems


def _process(delivery: WebhookDelivery, channels: dict, outcomes: dict, *, dry_run: bool) -> str:
    with transaction.atomic():
        problem = ""
        try:
            with transaction.atomic():
                for (page_id, channel), items in _by_channel(delivery, channels).items():
                    importer = HookComments(
                        _("%(channel)s: webhook delivery #%(pk)d") % {"channel": channel.account, "pk": delivery.pk},
                        channel=channel,
                        page_id=page_id,
                        items=items,
                        details={"fetched_from": "facebook:webhook", "delivery": delivery.pk},
                    )
                    summary = importer.run(dry_run=dry_run)
                    outcomes.setdefault(channel.pk, Outcome(channel)).add(summary)
        except ImportProblem as error:
            problem = str(error)
            log.warning("%s", problem)
        if not dry_run:
            # Guarded: two workers on SQLite (no run lock) record it once.
            WebhookDelivery.objects.filter(pk=delivery.pk, processed_at__isnull=True).update(
                processed_at=timezone.now(), problem=problem
            )
        return problem


def _by_channel(delivery: WebhookDelivery, channels: dict) -> dict[tuple[str, Channel], list]:
    """The delivery's changes by (page id, channel)."""
    source = _("webhook delivery #%(pk)d") % {"pk": delivery.pk}
    try:
        document = json.loads(delivery.body)
    except (ValueError, RecursionError):
        raise PageProblem(source, "", _("is not JSON")) from None
    entries = document.get("entry") if isinstance(document, dict) else None
    if not isinstance(entries, list) or document.get("object") != "page":
        raise PageProblem(source, "", _('is not a Page notification ({"object": "page", "entry": [...]})'))
    found: dict[tuple[str, Channel], list] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("changes", []), list):
            raise PageProblem(source, f"entry[{index}]", _("must be an object with a list of changes"))
        page_id = str(entry.get("id"))
        channel = channels.get(page_id)
        if channel is None:
            # Answered 200 already (Facebook would retry otherwise); an admin sees it in the log.
            log.warning("Facebook webhook delivery #%d: no active channel has page %s", delivery.pk, entry.get("id"))
            continue
        found.setdefault((page_id, channel), []).extend(
            (f"entry[{index}].changes[{n}]", change) for n, change in enumerate(entry.get("changes", []))
        )
    return found
