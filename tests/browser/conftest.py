"""Browser tests: Playwright drives Debian's Chromium against the live test server.

Screenshots of every page, at a desktop and a phone size, land in test-artifacts/screenshots/ (not committed). Every
page is checked with axe-core at both sizes with every <details> open: no serious or critical accessibility violation.

Timeouts are generous (30 s): the machine that runs these may be a loaded two-core box, and a slow answer there is
not a defect; only a wrong one is.
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TIMEOUT_MS = 30_000
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or os.environ.get("CI"):
        return  # in CI a missing browser must fail, not skip
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium(django_db_setup):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop, and Django keeps connections per async context: carry
    # the test database connections (which hold the serialized seed data) into that context.
    test_connections = {alias: connections[alias] for alias in connections}
    with sync_playwright() as playwright:
        for alias, connection in test_connections.items():
            connections[alias] = connection
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def check_page(page, name: str, *, accessibility: bool = True) -> None:
    """At a desktop and a phone size: a screenshot of what the screen shows (not the full page, whose capture of a
    long page is what timed out on a busy machine), then axe-core with every <details> open, failing on serious or
    critical violations. The page is left as it was: same size, same <details> open.

    accessibility=False for Django's own admin pages, whose markup (select2, breadcrumbs) is not ours.
    """
    from axe_playwright_python.sync_playwright import Axe

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or DESKTOP
    bad = []
    try:
        for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(viewport)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), timeout=60_000, animations="disabled")
            if not accessibility:
                continue
            closed = page.evaluate(
                """() => [...document.querySelectorAll('details:not([open])')].map((d, i) => {
                    d.dataset.checkClosed = '1'; d.open = true; return i; }).length"""
            )
            try:
                results = Axe().run(page)
            finally:
                if closed:
                    page.evaluate(
                        """() => document.querySelectorAll('details[data-check-closed]').forEach(d => {
                            d.open = false; delete d.dataset.checkClosed; })"""
                    )
            bad += [
                f"{label}: {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
                for v in results.response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
    finally:
        page.set_viewport_size(size)
    assert not bad, f"{name}: accessibility violations:\n" + "\n".join(bad)


def sign_in(page, live_server, username: str) -> None:
    """As a person does: open the portal, get sent to sign in, sign in, land on the dashboard."""
    from tests.factories import PASSWORD

    page.goto(live_server.url + "/")
    assert "/accounts/login/" in page.url
    check_page(page, "sign-in")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/")
