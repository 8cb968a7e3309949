"""A session in Chromium: the phone form from the short link at 320 px and the "show to the
room" page on a 1280 px screen, both checked by axe (WCAG 2.2 AA); the room's count goes up
without the page reloading."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask

from survey_app.extensions import get_db
from survey_app.services import sessions
from tests.browser.test_respondent_pages import PHONE, axe_violations, no_sideways_scroll
from tests.integration.services.test_sessions import add_session, make_series
from tests.integration.staff.support import make_user, sign_in


def test_a_session_from_the_room_and_the_phone(browser: Any, live_app: tuple[Flask, str]) -> None:
    app, base = live_app
    series = make_series(app)
    found = add_session(app, series, title="Reflective Space – December")
    with app.app_context():
        sessions.start_session(get_db(), found.id)
    client = app.test_client()
    sign_in(client, make_user(app, "admin", "admin@example.org"))
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    checked = []

    screen = browser.new_context(viewport={"width": 1280, "height": 800})
    screen.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])
    room = screen.new_page()
    room.goto(f"{base}/staff/sessions/{found.id}/room")
    checked.append(("room", axe_violations(room)))
    assert room.locator("#room-count").inner_text() == "0"
    room.evaluate("window.candourNotReloaded = true")

    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(f"{base}/f/{found.short_code}")
    checked.append(("session start", axe_violations(phone)))
    assert phone.locator("h1").inner_text() == "Reflective Space – December"
    phone.get_by_role("button", name="Start now").click()
    checked.append(("session form", axe_violations(phone)))
    assert no_sideways_scroll(phone)
    phone.get_by_label("Very useful", exact=True).check()
    phone.get_by_role("button", name="Continue").click()
    # the second short page: council and role, both optional
    checked.append(("session about you", axe_violations(phone)))
    assert no_sideways_scroll(phone)
    phone.get_by_label("Suffolk").check()
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_role("button", name="Send my answers").click()
    assert "your answers have been sent" in phone.locator("h1").inner_text()

    shown = ""
    for _ in range(40):  # the page asks every 5 seconds; polled from here (CSP: no eval)
        shown = room.locator("#room-count").inner_text()
        if shown == "1":
            break
        time.sleep(0.5)
    assert shown == "1"
    assert room.locator("#room-count-word").inner_text() == "response"
    assert room.evaluate("window.candourNotReloaded === true")

    with app.app_context():
        sessions.close_session(get_db(), found.id)
    phone.goto(f"{base}/f/{found.short_code}")
    assert phone.locator("h1").inner_text() == "Feedback for this session has closed"
    checked.append(("session closed", axe_violations(phone)))
    screen.close()
    assert [(name, found) for name, found in checked if found] == []


def test_a_facilitator_reads_session_results(browser: Any, live_app: tuple[Flask, str]) -> None:
    """After a report is published: the series page, a large session's own results, a small
    session's page and the pooled report, as an assigned facilitator sees them; axe on each."""
    from survey_app.services import accounts
    from tests.integration.services.test_series_reports import (
        SESSIONS,
        analyse,
        publish,
        run_sessions,
    )

    app, base = live_app
    series = make_series(app)
    sent = run_sessions(app, series, SESSIONS, seed=21)
    ids = list(dict.fromkeys(sid for sid, _ in sent))
    publish(app, series.slug, analyse(app, series.slug))
    client = app.test_client()
    staff = make_user(app, "facilitator", "facilitator@example.org")
    with app.app_context():
        accounts.assign(get_db(), email=staff.email, slug=series.slug, actor="test")
    sign_in(client, staff)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])
    page = context.new_page()
    checked = []
    page.goto(f"{base}/staff/series/{series.slug}")
    checked.append(("series", axe_violations(page)))
    assert "Sessions in published reports: 5" in page.locator("#report-progress").inner_text()
    page.goto(f"{base}/staff/sessions/{ids[1]}")  # 12 responses
    checked.append(("session results", axe_violations(page)))
    assert page.locator("#session-results").count() == 1
    page.goto(f"{base}/staff/sessions/{ids[4]}")  # 2 responses
    checked.append(("small session", axe_violations(page)))
    assert "Fewer than 5 people answered" in page.locator("main").inner_text()
    page.goto(f"{base}/staff/surveys/{series.slug}/report")
    checked.append(("series report", axe_violations(page)))
    assert "Respondents by session" in page.locator("main").inner_text()
    context.close()
    assert [(name, found) for name, found in checked if found] == []
