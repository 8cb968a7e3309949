"""The theme review and report pages in Chromium: WCAG 2.2 AA by axe-core, and usable
without JavaScript on a phone-sized screen."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.browser.test_respondent_pages import axe_violations, no_sideways_scroll
from tests.integration.reports.test_themes import SLUG, build_themed
from tests.integration.staff.support import make_user, sign_in

BASE = f"/staff/surveys/{SLUG}"


def _signed_in_context(browser: Any, app: Flask, base: str, **options: Any) -> Any:
    client = app.test_client()
    sign_in(client, make_user(app, "admin", "admin@example.org"))
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    context = browser.new_context(**options)
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])
    return context


def test_review_and_report_pages_meet_wcag_aa(
    browser: Any, live_sample_app: tuple[Flask, str]
) -> None:
    app, base = live_sample_app
    release_id = build_themed(app)
    context = _signed_in_context(browser, app, base)
    page = context.new_page()
    checked = []
    for path in (
        f"{BASE}/themes",
        f"{BASE}/themes/comments",
        f"{BASE}/themes/comments/quotes",
        f"{BASE}/themes/comments/theme/-1",
        f"{BASE}/report",
        f"{BASE}/report/comments",
        f"{BASE}/report/comments?view=council",
        f"{BASE}/review/unlock",
        f"{BASE}/publish?release={release_id}",
    ):
        response = page.goto(base + path)
        assert response is not None and response.status == 200, path
        checked.append((path, axe_violations(page)))
    first = page.goto(base + f"{BASE}/themes/comments")
    assert first is not None
    link = page.locator(".cd-review-theme a.cd-link").first
    link.click()
    checked.append(("a theme's comments", axe_violations(page)))
    context.close()
    assert [(name, found) for name, found in checked if found] == []


def test_an_analyst_renames_a_theme_on_a_phone_without_javascript(
    browser: Any, live_sample_app: tuple[Flask, str]
) -> None:
    app, base = live_sample_app
    build_themed(app)
    context = _signed_in_context(
        browser, app, base, java_script_enabled=False, viewport={"width": 320, "height": 640}
    )
    page = context.new_page()
    page.goto(base + f"{BASE}/themes/comments")
    assert no_sideways_scroll(page)
    section = page.locator(".cd-review-theme").first
    section.locator("summary").click()
    section.locator("input[name=label]").fill("Heavy caseloads")
    section.get_by_role("button", name="Rename").click()
    assert page.locator("h2", has_text="Heavy caseloads").count() == 1
    page.goto(base + f"{BASE}/report/comments")
    assert page.locator(".cd-theme h3", has_text="Heavy caseloads").count() == 1
    assert no_sideways_scroll(page)
    context.close()
