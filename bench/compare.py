"""Bench: the pages of bench/pages.py before and after, in lockstep: this tree against an earlier revision.

    .ci/with-postgres .venv/bin/python bench/compare.py REVISION [--size 3000] [--requests 80] [PAGE ...]

The revision is checked out in a temporary git worktree. Each tree serves its own pages from a worker process that
runs that tree's code (its bench/pages.py fills a database of --size conversations for it, named apart from the
other tree's, on the cluster DATABASE_URL points at) through Django's test client as a signed-in superuser. The
driver asks the two workers for one request each in turn, alternating which goes first, so that a change in the
shared host's speed meets both trees alike; a median of one against a median of the other taken minutes apart on a
busy host says more about the host than about the code.

It prints, per page, each tree's median and p95 server time (the request through every middleware), this process's
CPU time per request, and the ratio after / before. The pages are named as in bench/pages.py; by default the
dashboard, the list, the conversation page with a long timeline and the admin's list.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GIT = shutil.which("git") or "git"
PAGES = ["dashboard", "list", "detail: long timeline", "admin list"]
WARM_UP = 5

# Runs in each tree: fills (or reuses) its database, then answers "page name" lines with "wall cpu" in ms.
WORKER = """
import json, os, sys, time
sys.path.insert(0, "bench")
sys.argv = ["bench/pages.py"]
import pages
label = pages._label
pages._label = lambda size: os.environ["COMPARE_TAG"] + "_" + label(size)
import django
django.setup()
from django.test import Client
dataset = pages.prepare(int(os.environ["COMPARE_SIZE"]), reuse=True)
pages.switch_to(dataset.database)
client = Client()
client.force_login(dataset.context["user"])
known = {name: page for name, page in pages.pages(dataset.context).items() if page[0] == "get"}
print(json.dumps(sorted(known)), flush=True)
for line in sys.stdin:
    method, address = known[line.strip()]
    began, cpu = time.perf_counter(), time.process_time()
    pages.request(client, method, address)
    print((time.perf_counter() - began) * 1000, (time.process_time() - cpu) * 1000, flush=True)
"""


class Worker:
    def __init__(self, tree: Path, tag: str, size: int):
        env = {**os.environ, "COMPARE_TAG": tag, "COMPARE_SIZE": str(size), "PYTHONPATH": str(tree)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER], cwd=tree, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        first = self.process.stdout.readline()
        if not first:
            sys.exit(f"The worker of {tree} stopped before it was ready (its output is above).")
        self.pages = set(json.loads(first))

    def request(self, page: str) -> tuple[float, float]:
        self.process.stdin.write(page + "\n")
        self.process.stdin.flush()
        wall, cpu = self.process.stdout.readline().split()
        return float(wall), float(cpu)

    def stop(self):
        self.process.stdin.close()
        self.process.wait()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revision", help="the git revision to compare this tree with (a commit, a tag, a branch)")
    parser.add_argument("pages", nargs="*", default=PAGES, help="page names of bench/pages.py")
    parser.add_argument("--size", type=int, default=3000, help="conversations in each tree's database")
    parser.add_argument("--requests", type=int, default=80, help="timed requests per page and tree")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (run under .ci/with-postgres): the bench needs one.")
    revision = subprocess.run(
        [GIT, "rev-parse", "--short", args.revision], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    if not revision:
        sys.exit(f"No revision {args.revision!r} in this repository.")
    with tempfile.TemporaryDirectory(prefix="compare-") as scratch:
        old_tree = Path(scratch) / revision
        subprocess.run([GIT, "worktree", "add", "--detach", "--quiet", old_tree, revision], cwd=ROOT, check=True)
        try:
            compare(old_tree, revision, args)
        finally:
            subprocess.run([GIT, "worktree", "remove", "--force", old_tree], cwd=ROOT, check=False)


def compare(old_tree: Path, revision: str, args) -> None:
    before = Worker(old_tree, "before", args.size)
    after = Worker(ROOT, "after", args.size)
    unknown = [page for page in args.pages if page not in before.pages or page not in after.pages]
    if unknown:
        sys.exit(f"Not a page both trees GET: {', '.join(unknown)}")
    load = ", ".join(f"{minutes:.2f}" for minutes in os.getloadavg())
    print(
        f"{args.size:,} conversations in each tree's database, {args.requests} requests per page and tree in "
        f"lockstep, {os.cpu_count()} CPUs, load average {load}; before = {revision}, after = this tree\n"
    )
    print(
        "| page | before median ms | after median ms | after / before | before p95 ms | after p95 ms "
        "| before CPU ms | after CPU ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for page in args.pages:
        for _ in range(WARM_UP):
            before.request(page)
            after.request(page)
        times = {"before": [], "after": []}
        for i in range(args.requests):
            order = [("before", before), ("after", after)]
            for name, worker in order if i % 2 else reversed(order):
                times[name].append(worker.request(page))
        medians = {name: statistics.median(wall for wall, _cpu in runs) for name, runs in times.items()}
        cpu = {name: statistics.median(c for _wall, c in runs) for name, runs in times.items()}
        tails = {name: p95([wall for wall, _cpu in runs]) for name, runs in times.items()}
        print(
            f"| {page} | {medians['before']:.1f} | {medians['after']:.1f} | {medians['after'] / medians['before']:.2f} "
            f"| {tails['before']:.1f} | {tails['after']:.1f} | {cpu['before']:.1f} | {cpu['after']:.1f} |"
        )
    before.stop()
    after.stop()


if __name__ == "__main__":
    main()
