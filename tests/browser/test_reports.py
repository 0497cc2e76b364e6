"""The report pages in Chromium: axe finds nothing serious, and screenshots at desktop and phone widths, light and
dark, land in test-artifacts/screenshots/ for a person to look at."""

import pytest
from django.test import override_settings

from queues.reports import rollup
from tests import factories, reports_fixture
from tests.browser.conftest import check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RANGE = "?start=2026-03-02&end=2026-04-12"
PAGES = {
    "escalations": RANGE,
    "backlog": "",
    "first-response": RANGE,
    "escalation-to-close": RANGE,
    "on-hold": RANGE,
    "agents": RANGE,
    "stale": "",
}


@pytest.fixture
def history(db):
    with override_settings(TIME_ZONE=reports_fixture.TIME_ZONE):
        reports_fixture.build()
        rollup.fold()
    factories.moderator(username="mod")


def test_every_report_page_passes_axe_and_draws_its_charts(history, page, live_server):
    sign_in(page, live_server, "mod")
    page.get_by_role("link", name="Reports").click()
    check_page(page, "reports-index")
    for slug, query in PAGES.items():
        page.goto(f"{live_server.url}/reports/{slug}/{query}")
        assert page.locator("h1").count() == 1
        if slug != "stale":
            assert page.locator("svg.chart").count() >= 1, slug
        check_page(page, f"report-{slug}")


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_report_screenshots_light_and_dark_desktop_and_phone(history, chromium, live_server, width, scheme):
    context = chromium.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    try:
        sign_in(page, live_server, "mod")
        for slug in ("escalations", "first-response", "backlog"):
            page.goto(f"{live_server.url}/reports/{slug}/{PAGES[slug]}")
            if scheme == "dark":
                # The portal has no theme switch of its own; Bootstrap's dark mode is this attribute.
                page.evaluate("document.documentElement.setAttribute('data-bs-theme', 'dark')")
            check_page(page, f"report-{slug}-{width}-{scheme}")
    finally:
        context.close()
