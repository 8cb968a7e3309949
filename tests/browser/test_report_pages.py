"""The report as a reader gets it, in Chromium: last year's staff survey (the demo's, with
fewer responses) published and read by a viewer on a 375 px phone and a 1280 px screen.
WCAG 2.2 AA by axe-core (wide tables in a focusable region, so `scrollable-region-focusable`
passes), tables that scroll with the keyboard, chart words at the page's own size, and a
printable report that prints to a readable A4 document."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from analysis.report import published_views, view_key
from survey_app.demo import PAST_SLUG, ensure_demo_cycles, ensure_demo_surveys, ensure_past_survey
from survey_app.extensions import get_db, get_keyring
from survey_app.services import analysis, surveys
from tests.browser.conftest import serve
from tests.browser.test_respondent_pages import axe_violations, no_sideways_scroll
from tests.helpers.databases import TestDatabases
from tests.integration.staff.support import make_user, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
REPORT = f"/staff/surveys/{PAST_SLUG}/report"


@pytest.fixture(scope="module")
def published(
    tmp_path_factory: pytest.TempPathFactory, test_databases: TestDatabases
) -> Iterator[tuple[Flask, str, list[str]]]:
    """The demo's published staff survey report (400 responses, as `make run` makes: a
    smaller survey publishes its results for everyone only), and the views it publishes.
    Made once for this module: protecting 400 responses takes tens of seconds."""
    served = serve(tmp_path_factory.mktemp("report"), test_databases)
    app, base = next(served)
    with app.app_context():
        log2_n = int(app.config["SURVEY_SCRYPT_LOG2_N"])
        ensure_demo_surveys(log2_n)
        info = ensure_past_survey(log2_n, responses=400)
        assert info is not None
        # The cycle before it, so that year-on-year results and the annual report compare.
        assert ensure_demo_cycles(log2_n, info, 200) is not None
        found = analysis.load_release(
            get_db(), get_keyring(), surveys.get_survey(get_db(), PAST_SLUG), published_only=True
        )
    assert found is not None
    yield app, base, [view_key(v) for v in published_views(found.protected)]
    next(served, None)  # stop the server


def viewer_context(browser: Any, app: Flask, base: str, **options: Any) -> Any:
    client = app.test_client()
    sign_in(client, make_user(app, "viewer", f"viewer-{secrets.token_hex(4)}@example.org"))
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    context = browser.new_context(**options)
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])
    return context


def report_paths(views: list[str]) -> list[str]:
    paths = [
        REPORT,
        f"{REPORT}/download",
        f"{REPORT}/protection",
        f"{REPORT}/experienced_racism",
        f"{REPORT}/racism_forms?view=council",
        f"{REPORT}/safety_statements?view=council",
        f"{REPORT}/biggest_difference",
        f"{REPORT}/year-on-year",
        f"{REPORT}/year-on-year?view=council&question=experienced_racism",
        f"/staff/surveys/{PAST_SLUG}/annual-report",
    ]
    two_way = [v for v in views if "+" in v]
    if two_way:
        paths.append(f"{REPORT}/pledge_commitments?view={two_way[0].replace('+', '%2B')}")
    return paths


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_report_pages_meet_wcag_aa_on_a_phone_and_a_desktop(
    browser: Any, published: tuple[Flask, str, list[str]], viewport: dict[str, int]
) -> None:
    app, base, views = published
    context = viewer_context(browser, app, base, viewport=viewport)
    page = context.new_page()
    checked = []
    for path in report_paths(views):
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        checked.append((path, axe_violations(page)))
        assert no_sideways_scroll(page), path
    context.close()
    assert [(path, found) for path, found in checked if found] == []


def test_a_wide_table_scrolls_with_the_keyboard_on_a_phone(
    browser: Any, published: tuple[Flask, str, list[str]]
) -> None:
    app, base, _views = published
    context = viewer_context(browser, app, base, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{base}{REPORT}/safety_statements?view=council")
    region = page.locator(".cd-table-container").first
    # Wider than the phone: it scrolls sideways inside its region, not the page.
    assert region.evaluate("r => r.scrollWidth > r.clientWidth + 50")
    assert region.get_attribute("role") == "region"
    name = page.locator(f"#{region.get_attribute('aria-labelledby')}").inner_text()
    assert name.startswith("I can be myself at work.")
    # Reached with Tab like any control, then scrolled with the arrow keys.
    page.locator("#hidden-footnote a, #view-selector button").last.focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('cd-table-container')"):
            break
    assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
    before = page.evaluate("document.activeElement.scrollLeft")
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    # Scrolling may be smooth: give it up to 5 s rather than read it at once.
    for _ in range(50):
        if page.evaluate("document.activeElement.scrollLeft") > before:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("document.activeElement.scrollLeft") > before
    assert no_sideways_scroll(page)
    # axe-core found scrollable regions here and every one passed its keyboard rule.
    from axe_playwright_python.sync_playwright import Axe

    results = (
        Axe()
        .run(page, options={"runOnly": {"type": "rule", "values": ["scrollable-region-focusable"]}})
        .response
    )
    assert results["violations"] == []
    (passed,) = [r for r in results["passes"] if r["id"] == "scrollable-region-focusable"]
    assert len(passed["nodes"]) >= 6  # a table per statement, each wider than the phone
    context.close()


def test_chart_words_are_the_page_s_own_size_on_a_phone(
    browser: Any, published: tuple[Flask, str, list[str]]
) -> None:
    app, base, _views = published
    context = viewer_context(browser, app, base, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{base}{REPORT}/safety_statements?view=council")
    sizes = page.evaluate(
        """() => [...document.querySelectorAll(
            '.cd-chart__label, .cd-chart__value, .cd-chart__group-label')]
            .map(e => parseFloat(getComputedStyle(e).fontSize))"""
    )
    assert len(sizes) > 20 and min(sizes) >= 16
    # Every chart and every bar fits the phone's width.
    widths = page.evaluate(
        "() => [...document.querySelectorAll('.cd-chart, .cd-chart__bar')]"
        ".map(e => e.getBoundingClientRect().right)"
    )
    assert max(widths) <= PHONE["width"]
    context.close()


def test_the_printable_report_prints_to_a_readable_a4_document(
    browser: Any, published: tuple[Flask, str, list[str]]
) -> None:
    app, base, _views = published
    context = viewer_context(browser, app, base)
    response = context.request.get(f"{base}{REPORT}/download/html")
    assert response.status == 200
    page = context.new_page()
    page.set_content(response.text())
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 718, "height": 1000})  # A4 less its margins, at 96 dpi
    # No table is wider than the printed page.
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('table')]
            .filter(t => t.getBoundingClientRect().width > 718 + 1).map(t => t.id)"""
    )
    assert overflowing == []
    pdf = page.pdf(format="A4", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    # Everyone and five one-way breakdowns of 34 items: tens of pages, not a thousand.
    assert 10 < pages < 90
    everyone = context.request.get(f"{base}{REPORT}/download/html?view=overall")
    page.set_content(everyone.text())
    fewer = len(re.findall(rb"/Type\s*/Page(?!s)", page.pdf(format="A4")))
    assert fewer < pages
    context.close()


def test_the_annual_report_prints_to_a4_from_the_browser(
    browser: Any, published: tuple[Flask, str, list[str]]
) -> None:
    """The annual report's HTML, printed by Chromium as a reader would print it: no table
    wider than the page, the summary on a page of its own, every page numbered."""
    app, base, _views = published
    context = viewer_context(browser, app, base)
    page = context.new_page()
    response = page.goto(f"{base}/staff/surveys/{PAST_SLUG}/annual-report")
    assert response is not None and response.status == 200
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 718, "height": 1000})
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('table, .annual-chart__row')]
            .filter(t => t.getBoundingClientRect().width > 718 + 1).length"""
    )
    assert overflowing == 0
    pdf = page.pdf(format="A4", print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert 10 < pages < 120
    context.close()
