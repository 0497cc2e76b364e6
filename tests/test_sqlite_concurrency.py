"""The laptop demo's SQLite takes agents at once: tests/sqlite_file_race.py runs real threads against a file database
with the real settings, in a process of its own (this run's database is in memory)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite settings of the laptop demo")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def race(tmp_path_factory):
    database = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.sqlite_file_race"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_demo_database_is_a_wal_file_with_immediate_transactions(race):
    assert (race["journal_mode"], race["transaction_mode"]) == ("wal", "IMMEDIATE")


def test_a_double_clicked_escalate_escalates_once_and_both_clicks_show_the_success(race):
    result = race["double_escalate"]
    assert (result["escalated_events"], result["notes"], result["statements"]) == (1, 1, 1)
    for response in result["responses"]:
        assert response["status"] == 200, response
        assert any(said.startswith("Escalated") for said in response["said"]), response


def test_two_agents_pressing_next_at_once_each_get_their_own_conversation(race):
    result = race["two_next"]
    for response in result["responses"]:
        assert response["status"] == 200, response
        assert any("is now assigned to you" in said for said in response["said"]), response
    assert sorted(user for _pk, user in result["assignees"]) == ["bob", "carol"]
    assert len({response["chain"][-1] for response in result["responses"]}) == 2


def test_a_lock_held_past_the_busy_timeout_says_try_again_and_writes_nothing(race):
    assert race["locked"] == {"status": 503, "retry_after": "2", "busy_page": True, "notes": 0}
