"""How long a product team waits for an escalation's notice: from the escalation's commit to the notice visible in
a real Synapse room, with an idle `manage.py deliver` worker (LISTEN/NOTIFY on PostgreSQL).

Run under .ci/with-postgres with Synapse installed (.ci/synapse-venv): make bench-notices. Prints a table.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
TARGET_P95_SECONDS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--escalations", type=int, default=50)
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between escalations (the worker idles)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (run under .ci/with-postgres): the bench needs one.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation_portal.settings")
    os.environ.setdefault("DEBUG", "1")

    from tests import synapse

    python = synapse.synapse_python()
    if python is None:
        sys.exit("No Synapse: run .ci/synapse-venv first.")
    directory = Path(tempfile.mkdtemp(prefix="bench-synapse-"))
    process, base_url, secret = synapse.start(python, directory)
    worker = None
    try:
        server = synapse.set_up(base_url, secret, directory / "homeserver.log")
        os.environ.update(
            MATRIX_HOMESERVER_URL=base_url, MATRIX_ACCESS_TOKEN=server.bot.access_token, DELIVERY_BACKEND="platforms"
        )
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        worker = subprocess.Popen(
            [sys.executable, str(REPO / "manage.py"), "deliver"],
            env={**os.environ, "LOG_LEVEL": "WARNING"},
            stdout=subprocess.DEVNULL,
        )
        waits = measure(server, args.escalations, args.gap)
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
        synapse.stop(process)
    report(waits, args)


def measure(server, count: int, gap: float) -> list[float]:
    from django.contrib.auth import get_user_model

    from queues import services
    from queues.models import Channel, Conversation, EscalationReason, Product

    alias, room_id = server.new_room(alias_localpart="bench-fenix")
    product, _ = Product.objects.update_or_create(
        slug="bench-fenix", defaults={"name": "Bench Fenix", "matrix_room": alias, "slack_channel": ""}
    )
    agent, _ = get_user_model().objects.get_or_create(username="bench-agent", defaults={"is_staff": True})
    channel = Channel.objects.filter(platform="x").first()
    time.sleep(2)  # the worker has started and is idle
    waits = []
    for number in range(count):
        convo = Conversation.objects.create(
            channel=channel, queue=channel.working_queue, external_id=f"bench-notice-{time.time_ns()}", product=product
        )
        seen = len(server.messages(room_id, sender=server.bot.user_id))
        services.escalate_conversation(
            conversation_id=convo.pk,
            actor=agent,
            reason=EscalationReason.NEEDS_PRODUCT_TEAM,
            note="bench",
        )
        committed = time.monotonic()
        while len(server.messages(room_id, sender=server.bot.user_id)) == seen:
            if time.monotonic() - committed > 30:
                sys.exit(f"escalation {number + 1}: no notice in the room after 30 s")
            time.sleep(0.01)
        waits.append(time.monotonic() - committed)
        time.sleep(gap)
    return waits


def report(waits: list[float], args) -> None:
    waits = sorted(waits)
    p95 = statistics.quantiles(waits, n=20, method="inclusive")[18]
    load = ", ".join(f"{minutes:.2f}" for minutes in os.getloadavg())
    print(f"Synapse on loopback, PostgreSQL 15, {os.cpu_count()} CPUs, load average {load}")
    print(f"{args.escalations} escalations, {args.gap:.1f} s apart, one idle worker (manage.py deliver)\n")
    print("| from the escalation's commit to the notice in the room | p50 s | p95 s | max s |")
    print("|---|---|---|---|")
    print(
        f"| Matrix m.notice, read back through the client API | {statistics.median(waits):.3f} | {p95:.3f} "
        f"| {waits[-1]:.3f} |"
    )
    print(f"\ntarget p95 < {TARGET_P95_SECONDS:.0f} s: {'met' if p95 < TARGET_P95_SECONDS else 'MISSED'}")


if __name__ == "__main__":
    main()
