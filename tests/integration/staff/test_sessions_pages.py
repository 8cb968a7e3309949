"""A facilitator runs a session from the staff pages: add it, start it, show the room its
short link and QR code (which decodes to that link) with a live count, close it. Only the
series they are assigned to; a second Start is told the session's state."""

from __future__ import annotations

import datetime as dt
import io

import zxingcpp
from flask import Flask
from PIL import Image

from survey_app.extensions import get_db, get_questionnaires
from survey_app.services import accounts, sessions
from tests.helpers.pages import check_page
from tests.integration.services.test_sessions import ANSWERS, make_series
from tests.integration.staff.support import events, form_token, signed_in


def assigned_facilitator(app: Flask, slug: str):  # type: ignore[no-untyped-def]
    client, staff = signed_in(app, "facilitator")
    with app.app_context():
        accounts.assign(get_db(), email=staff.email, slug=slug, actor="test")
    return client


def decode(png: bytes) -> list[str]:
    image = Image.open(io.BytesIO(png)).convert("L")
    return [found.text for found in zxingcpp.read_barcodes(image)]


def test_a_facilitator_runs_a_session_end_to_end(app: Flask) -> None:
    series = make_series(app)
    client = assigned_facilitator(app, series.slug)
    home = check_page(client.get("/staff/"))
    assert [a.get_text() for a in home.select("#series-list a")] == [series.title]

    new = f"/staff/series/{series.slug}/sessions/new"
    form = check_page(client.get(new))
    bad = client.post(
        new, data={"csrf_token": form_token(form), "title": "", "held_on": "10/12/2026",
                   "format": "hybrid", "minutes": "²"}
    )  # fmt: skip
    assert check_page(bad).error_messages() == [
        "Enter the session's title",
        "Enter the date of the session, for example 2026-12-10",
        "Select whether the session is in person or online",
        "Enter how many minutes the form stays open, as a whole number",
    ]
    made = client.post(
        new, data={"csrf_token": form_token(form), "title": "December <Reflective> Space",
                   "held_on": "2026-12-10", "format": "online", "minutes": "120"}
    )  # fmt: skip
    assert made.status_code == 303
    page_url = made.headers["Location"]
    page = check_page(client.get(page_url))
    assert page.h1 == "December <Reflective> Space"
    assert page.one("#session-state").get_text(strip=True) == "Not started"
    link = page.one("#session-link").get_text(strip=True)
    code = link.rsplit("/", 1)[1]
    assert link == f"http://localhost/f/{code}"

    png = client.get(f"{page_url}/qr.png")
    assert png.mimetype == "image/png" and decode(png.data) == [link]
    svg = client.get(f"{page_url}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data

    started = client.post(f"{page_url}/start", data={"csrf_token": form_token(page)})
    assert started.status_code == 303
    page = check_page(client.get(started.headers["Location"]))
    assert page.one("#session-state").get_text(strip=True).startswith("Open until")
    again = client.post(f"{page_url}/start", data={"csrf_token": form_token(page)})
    told = check_page(client.get(again.headers["Location"]))
    assert "This session is already taking responses." in told.text()

    room = check_page(client.get(f"{page_url}/room"))
    assert room.one("#room-link").get_text(strip=True) == f"localhost/f/{code}"
    assert room.one("#room-count").get_text(strip=True) == "0"
    assert room.select("noscript meta[http-equiv=refresh]")

    respondent = app.test_client()
    start = check_page(respondent.get(f"/f/{code}"))
    began = respondent.post(f"/f/{code}", data={"csrf_token": start.csrf_token()})
    section = check_page(respondent.get(began.headers["Location"]))
    respondent.post(began.headers["Location"], data={"csrf_token": section.csrf_token(), **ANSWERS})
    check = f"/s/{series.slug}/check"
    respondent.post(check, data={"csrf_token": check_page(respondent.get(check)).csrf_token()})
    assert client.get(f"{page_url}/count").get_json() == {"count": 1, "state": "open"}

    closed = client.post(f"{page_url}/close", data={"csrf_token": form_token(page)})
    page = check_page(client.get(closed.headers["Location"]))
    assert page.one("#session-state").get_text(strip=True) == "Closed"
    note = page.one("#session-results-note").get_text(" ", strip=True)
    assert note.startswith("Fewer than 5 people answered this session")  # 1 response, k = 5
    assert client.get(f"{page_url}/count").get_json() == {"count": 1, "state": "closed"}
    listing = check_page(client.get(f"/staff/series/{series.slug}"))
    assert listing.one(f'tr[data-code="{code}"] [data-state]').get_text(strip=True) == "Closed"
    assert {"session_created", "session_started", "session_closed"} <= {
        e.action for e in events(app)
    }


def test_only_assigned_staff_reach_a_series(app: Flask) -> None:
    series = make_series(app)
    stranger, _ = signed_in(app, "facilitator", "other@example.org")
    assert check_page(stranger.get(f"/staff/series/{series.slug}"), 403)
    viewer, _ = signed_in(app, "viewer")
    assert viewer.get(f"/staff/series/{series.slug}").status_code == 403
    admin, _ = signed_in(app, "admin")
    assert check_page(admin.get(f"/staff/series/{series.slug}")).h1 == series.title
    assert admin.get("/staff/series/no-such-series").status_code == 404
    assert admin.get("/staff/sessions/no-such-session").status_code == 404
    assert admin.get("/staff/sessions/x/qr.gif").status_code == 404


def test_an_admin_gives_a_facilitator_a_series_from_the_web(app: Flask) -> None:
    series = make_series(app)
    admin, _ = signed_in(app, "admin")
    facilitator, staff = signed_in(app, "facilitator", "fac@example.org")
    assert facilitator.get(f"/staff/series/{series.slug}").status_code == 403
    page = check_page(admin.get(f"/staff/series/{series.slug}"))
    options = [o["value"] for o in page.select("select#email option")]
    assert options == ["fac@example.org"]
    added = admin.post(
        f"/staff/series/{series.slug}/people",
        data={"csrf_token": form_token(page), "email": "fac@example.org"},
    )
    page = check_page(admin.get(added.headers["Location"]))
    assert "They can now work on this series." in page.text()
    assert page.one("#assigned").get_text(" ", strip=True).startswith("fac@example.org")
    assert check_page(facilitator.get(f"/staff/series/{series.slug}")).h1 == series.title
    # Facilitators never see the admin's part of the page, nor may they post to it.
    own = check_page(facilitator.get(f"/staff/series/{series.slug}"))
    assert not own.select("#people")
    refused = facilitator.post(
        f"/staff/series/{series.slug}/people",
        data={"csrf_token": str(own.one("input[name=csrf_token]")["value"]), "email": "x"},
    )
    assert refused.status_code == 403
    removed = admin.post(
        f"/staff/series/{series.slug}/people",
        data={"csrf_token": form_token(page), "email": "fac@example.org", "action": "remove"},
    )
    assert (
        "no longer work on this series" in check_page(admin.get(removed.headers["Location"])).text()
    )
    assert facilitator.get(f"/staff/series/{series.slug}").status_code == 403
    nobody = admin.post(
        f"/staff/series/{series.slug}/people",
        data={"csrf_token": form_token(page), "email": "nobody@example.org"},
    )
    assert "Nothing changed" in check_page(admin.get(nobody.headers["Location"])).text()
    assert [e.detail for e in events(app, "user_assigned")] == [staff.email]


def test_a_session_can_be_scheduled_to_start_by_itself(app: Flask) -> None:
    series = make_series(app)
    client = assigned_facilitator(app, series.slug)
    new = f"/staff/series/{series.slug}/sessions/new"
    token = form_token(check_page(client.get(new)))
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    fields = {"csrf_token": token, "title": "Webinar", "format": "online", "minutes": "120"}
    past = client.post(new, data={**fields, "held_on": "2020-01-01", "starts_at": "09:30"})
    assert check_page(past).error_messages() == [
        "That start time has passed: choose a later one, or leave it empty and press Start"
    ]
    wrong = client.post(new, data={**fields, "held_on": tomorrow.isoformat(), "starts_at": "9.30"})
    assert check_page(wrong).error_messages() == [
        "Enter the start time as hours and minutes, for example 15:55"
    ]
    made = client.post(new, data={**fields, "held_on": tomorrow.isoformat(), "starts_at": "09:30"})
    page = check_page(client.get(made.headers["Location"]))
    expected = dt.datetime.combine(tomorrow, dt.time(9, 30)).strftime("%-d %B")
    assert page.one("#session-state").get_text(strip=True) == f"Opens at 09:30, {expected}"
    # It starts by itself; the facilitator may still start it earlier by hand.
    assert page.select("form[action$='/start']")


def test_odd_session_requests_never_crash(app: Flask) -> None:
    """Odd short codes and ids, missing tokens and strangers: a page, never a 500."""
    from tests.integration.web.support import assert_no_crash

    series = make_series(app)
    with app.app_context():
        found = sessions.create_session(
            get_db(),
            series,
            get_questionnaires(),
            title="Odd",
            held_on=dt.date(2026, 12, 10),
            format="online",
        )
    respondent = app.test_client()
    odd = ["", "x", "²²²²²²", "A" * 500, "%00", "../../etc", "ＡＢＣＤＥＦ", found.short_code + "Z"]
    for code in odd:
        for response in (respondent.get(f"/f/{code}"), respondent.post(f"/f/{code}")):
            assert_no_crash(response)
            assert response.status_code in (308, 400, 404, 405), (code, response.status_code)
    # Not started: a POST (even with no token) stores nothing and never crashes.
    assert_no_crash(respondent.post(f"/f/{found.short_code}"))
    assert respondent.post(f"/f/{found.short_code}/new-person").status_code == 400  # no token
    staff, _ = signed_in(app, "admin")
    for path in (
        f"/staff/sessions/{'z' * 300}",
        f"/staff/sessions/{found.id}/qr.exe",
        f"/staff/sessions/{found.id}/count?x=%FF",
        f"/staff/series/{series.slug}/sessions/new?held_on=%00",
    ):
        assert_no_crash(staff.get(path))
    token = form_token(check_page(staff.get(f"/staff/series/{series.slug}/sessions/new")))
    for fields in (
        {"minutes": "9" * 40},
        {"held_on": "2026-02-30"},
        {"starts_at": "25:61"},
        {"format": "in_person", "title": "x" * 5000},
    ):
        response = staff.post(
            f"/staff/series/{series.slug}/sessions/new", data={"csrf_token": token, **fields}
        )
        assert_no_crash(response)
        assert response.status_code in (200, 413), fields
    with app.app_context():
        assert sessions.response_counts(get_db(), series.id) == {}
