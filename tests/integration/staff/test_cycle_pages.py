"""The annual cycle on the web: an admin starts next cycle's survey and sees each invitation
code once; the key holder accepts it with a new passphrase; the survey can then open."""

from __future__ import annotations

from flask import Flask

from survey_app.extensions import get_db
from survey_app.services import keys, surveys
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.helpers.pages import check_page
from tests.integration.reports.support import QUESTIONNAIRE
from tests.integration.staff.support import form_token, post_form, signed_in

SLUG = "staff-survey-2026-27"
NEXT = "staff-survey-2027-28"
NEW_PASSPHRASE = "next year's own long passphrase"


def closed_cycle(app: Flask) -> None:
    create_survey(app, QUESTIONNAIRE, slug=SLUG, min_group=5)
    with app.app_context():
        surveys.close_survey(get_db(), SLUG)


def test_an_admin_starts_the_next_cycle_and_a_key_holder_accepts(sample_app: Flask) -> None:
    app = sample_app
    closed_cycle(app)
    admin, _ = signed_in(app, "admin")
    survey_page = check_page(admin.get(f"/staff/surveys/{SLUG}"))
    assert survey_page.one("#survey-actions a[href$='/next-cycle']").get_text(strip=True) == (
        "Start the next cycle"
    )
    url = f"/staff/surveys/{SLUG}/next-cycle"
    refused = post_form(admin, url, {"cycle": "", "version": "", "carry": "yes"})
    page = check_page(refused)
    summary = [a.get_text(strip=True) for a in page.select(".cd-error-summary a")]
    assert "Enter the new cycle, such as 2027-28" in summary
    form = check_page(admin.get(url))
    version = form.one("input[name=version][checked]")["value"]
    done = admin.post(
        url,
        data={
            "cycle": "2027-28",
            "title": "",
            "slug": NEXT,
            "version": version,
            "carry": "no",
            "csrf_token": form_token(form),
        },
    )
    assert done.status_code == 200
    assert done.headers["Cache-Control"] == "no-store"
    shown = check_page(done)
    rows = shown.select("#invitation-codes tbody tr")
    assert [r.th.get_text(strip=True) for r in rows] == ["Lead analyst"]
    code = rows[0].td.get_text(strip=True)
    again = check_page(admin.get(f"/staff/surveys/{NEXT}"))
    assert code not in str(again.soup), "the codes are shown once"
    assert "cannot open" in again.one("#key-invitations").get_text()
    assert not again.select("#survey-actions form[action$='/open']")
    assert "Follows" in again.one("#survey-cycle").get_text()

    accept = f"/staff/surveys/{NEXT}/keys/accept"
    wrong = post_form(
        admin,
        accept,
        {
            "label": "Lead analyst",
            "code": code,
            "passphrase": PASSPHRASE,
            "passphrase_confirm": PASSPHRASE,
        },
    )
    errors = [a.get_text(strip=True) for a in check_page(wrong).select(".cd-error-summary a")]
    assert errors == [
        "That passphrase opens last cycle’s survey. Choose a new passphrase for this cycle"
    ]
    accepted = post_form(
        admin,
        accept,
        {
            "label": "Lead analyst",
            "code": code.lower().replace("-", " "),
            "passphrase": NEW_PASSPHRASE,
            "passphrase_confirm": NEW_PASSPHRASE,
        },
    )
    assert accepted.status_code == 303
    assert accepted.headers["Location"].endswith(f"/staff/surveys/{NEXT}?done=accepted")
    ready = check_page(admin.get(f"/staff/surveys/{NEXT}"))
    assert ready.select("#survey-actions form[action$='/open']")
    assert not ready.select("#key-invitations")
    with app.app_context():
        assert keys.unlock_survey(get_db(), NEXT, NEW_PASSPHRASE)
        info = surveys.get_survey(get_db(), NEXT)
    assert (info.cycle, info.title) == ("2027-28", "Test Report survey 2027-28")


def test_analysts_cannot_start_a_cycle(sample_app: Flask) -> None:
    closed_cycle(sample_app)
    analyst, _ = signed_in(sample_app, "analyst")
    assert analyst.get(f"/staff/surveys/{SLUG}/next-cycle").status_code == 403
