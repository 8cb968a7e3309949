"""Series and sessions: a session takes responses only inside its window, each response
carries its session (bound into the envelope) and never a time, and a series is answered only
through a session."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import select, update

from survey_app.extensions import get_db, get_questionnaires
from survey_app.services import sessions, surveys
from survey_app.services.analysis import open_answers
from survey_app.services.errors import ServiceError, SurveyClosedError
from survey_app.services.submission import submit_response
from survey_app.storage.models import Response, Survey
from tests.helpers.journey import PASSPHRASE

QUESTIONNAIRE = "reflective-space-feedback"
ANSWERS = {"usefulness": "fairly_useful"}
NOON = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def make_series(app: Flask) -> surveys.SurveyInfo:
    with app.app_context():
        info = surveys.create_survey(
            get_db(),
            get_questionnaires()[QUESTIONNAIRE],
            title="Reflective Space 2026-27",
            access="sessions",
            min_group=5,
            key_label="Programme lead",
            passphrase=PASSPHRASE,
            log2_n=app.config["SURVEY_SCRYPT_LOG2_N"],
        )
        return surveys.open_survey(get_db(), info.slug)


def add_session(app: Flask, series: surveys.SurveyInfo, **changes) -> sessions.SessionInfo:
    values = {"title": "December Reflective Space", "held_on": NOON.date(), "format": "online"}
    values.update(changes)
    with app.app_context():
        return sessions.create_session(get_db(), series, get_questionnaires(), **values)


def send(app: Flask, series: surveys.SurveyInfo, session_id: str | None) -> None:
    with app.app_context():
        questionnaire = get_questionnaires()[QUESTIONNAIRE]
        submit_response(get_db(), series, questionnaire, ANSWERS, session_id=session_id)


def test_a_session_window_opens_on_start_and_closes_after_its_minutes(app: Flask) -> None:
    series = make_series(app)
    session = add_session(app, series, open_minutes=120)
    assert session.state(NOON) == "waiting"
    assert sessions.normalise_short_code(session.short_code.lower()) == session.short_code
    with app.app_context():
        started = sessions.start_session(get_db(), session.id, now=NOON)
        assert started.state(NOON) == "open"
        assert started.state(NOON + dt.timedelta(minutes=119)) == "open"
        assert started.state(NOON + dt.timedelta(minutes=120)) == "closed"
        with pytest.raises(ServiceError, match="already taking responses"):
            sessions.start_session(get_db(), session.id, now=NOON + dt.timedelta(minutes=1))
        closed = sessions.close_session(get_db(), session.id, now=NOON + dt.timedelta(minutes=30))
        assert closed.state(NOON + dt.timedelta(minutes=31)) == "closed"
        with pytest.raises(ServiceError, match="cannot be started again"):
            sessions.start_session(get_db(), session.id, now=NOON + dt.timedelta(minutes=40))
        with pytest.raises(ServiceError, match="has already closed"):
            sessions.close_session(get_db(), session.id, now=NOON + dt.timedelta(minutes=40))


def test_responses_are_taken_only_while_the_session_is_open(app: Flask) -> None:
    series = make_series(app)
    waiting = add_session(app, series)
    with pytest.raises(SurveyClosedError):
        send(app, series, waiting.id)
    scheduled = add_session(app, series, opens_at=sessions.utcnow() - dt.timedelta(minutes=5))
    send(app, series, scheduled.id)
    with app.app_context():
        sessions.close_session(get_db(), scheduled.id)
    with pytest.raises(SurveyClosedError):
        send(app, series, scheduled.id)
    with app.app_context():
        assert sessions.response_counts(get_db(), series.id) == {scheduled.id: 1}


def test_a_series_response_needs_a_session_and_a_survey_response_cannot_have_one(
    app: Flask,
) -> None:
    series = make_series(app)
    with pytest.raises(ServiceError, match="only through one of its sessions"):
        send(app, series, None)
    with app.app_context():
        survey = surveys.create_survey(
            get_db(),
            get_questionnaires()[QUESTIONNAIRE],
            title="Plain survey",
            access="open",
            min_group=5,
            key_label="Lead",
            passphrase=PASSPHRASE,
            log2_n=app.config["SURVEY_SCRYPT_LOG2_N"],
        )
        survey = surveys.open_survey(get_db(), survey.slug)
    with pytest.raises(ServiceError, match="only through one of its sessions"):
        send(app, survey, "0" * 32)


def test_the_session_is_bound_into_the_envelope(app: Flask) -> None:
    """Moving a stored response to another session (a database edit) makes it unreadable."""
    series = make_series(app)
    now = sessions.utcnow() - dt.timedelta(minutes=1)
    first = add_session(app, series, opens_at=now)
    second = add_session(app, series, opens_at=now, title="January Reflective Space")
    send(app, series, first.id)
    send(app, series, second.id)
    with app.app_context():
        sessions.close_session(get_db(), first.id)
        sessions.close_session(get_db(), second.id)
        surveys.close_survey(get_db(), series.slug)  # every envelope sealed again
        opened = open_answers(get_db(), series.slug, PASSPHRASE)
        assert opened.answers == [ANSWERS, ANSWERS]
        with get_db().transaction() as db_session:
            stored = db_session.scalars(select(Response.session_id)).all()
            assert sorted(stored) == sorted([first.id, second.id])  # kept through the close
            db_session.execute(
                update(Response).where(Response.session_id == first.id).values(session_id=second.id)
            )
        with pytest.raises(ServiceError, match="could not be opened"):
            open_answers(get_db(), series.slug, PASSPHRASE)


def test_a_series_has_no_survey_address(app: Flask) -> None:
    series = make_series(app)
    client = app.test_client()
    assert client.get(f"/s/{series.slug}/").status_code == 404
    assert series.slug not in client.get("/").get_data(as_text=True)


def test_bad_session_details_are_refused(app: Flask) -> None:
    series = make_series(app)
    for changes, message in [
        ({"title": " "}, "Enter a session title"),
        ({"format": "hybrid"}, "in person or online"),
        ({"open_minutes": 1}, "between 5 minutes and 7 days"),
    ]:
        with pytest.raises(ServiceError, match=message):
            add_session(app, series, **changes)
    assert sessions.normalise_short_code("AB-CD") is None
    assert sessions.normalise_short_code("abcd0o") is None  # 0 is not in the alphabet


def test_a_session_answered_through_its_short_link(app: Flask) -> None:
    """The link shows a polite page before Start, the form while open (at the canonical
    address), stores the response with its session, and a polite page after the close."""
    from tests.helpers.pages import check_page

    series = make_series(app)
    found = add_session(app, series)
    client = app.test_client()
    link = f"/f/{found.short_code}"
    waiting = check_page(client.get(link))
    assert waiting.h1 == "Feedback for this session has not opened yet"
    assert client.get("/f/ZZZZZZ").status_code == 404
    with app.app_context():
        sessions.start_session(get_db(), found.id)
    assert client.get(f"/f/{found.short_code.lower()}").headers["Location"].endswith(link)
    start = check_page(client.get(link))
    assert start.h1 == "December Reflective Space"
    began = client.post(link, data={"csrf_token": start.csrf_token()})
    assert began.status_code == 303
    section = check_page(client.get(began.headers["Location"]))
    assert section.one(".cd-back-link")["href"] == link  # back to the session, not the series
    sent = client.post(
        began.headers["Location"], data={"csrf_token": section.csrf_token(), **ANSWERS}
    )
    about = f"/s/{series.slug}/q/about_you"  # the second page: council and role, optional
    assert sent.headers["Location"] == about
    page = check_page(client.get(about))
    skipped = client.post(about, data={"csrf_token": page.csrf_token()})
    check = f"/s/{series.slug}/check"
    assert skipped.headers["Location"] == check
    done = client.post(check, data={"csrf_token": check_page(client.get(check)).csrf_token()})
    assert done.status_code == 303
    with app.app_context():
        assert sessions.response_counts(get_db(), series.id) == {found.id: 1}
    again = check_page(client.get(link))
    assert again.h1 == "Answers have already been sent from this browser"
    # The series' own address is no way in.
    assert check_page(client.get(f"/s/{series.slug}/"), 404).h1.startswith("Use the link")
    with app.app_context():
        sessions.close_session(get_db(), found.id)
    closed = check_page(app.test_client().get(link), 410)
    assert closed.h1 == "Feedback for this session has closed"


def test_a_draft_started_before_the_close_is_not_stored_after_it(app: Flask) -> None:
    from tests.helpers.pages import check_page

    series = make_series(app)
    found = add_session(app, series, opens_at=sessions.utcnow() - dt.timedelta(minutes=1))
    client = app.test_client()
    link = f"/f/{found.short_code}"
    began = client.post(link, data={"csrf_token": check_page(client.get(link)).csrf_token()})
    section = check_page(client.get(began.headers["Location"]))
    client.post(began.headers["Location"], data={"csrf_token": section.csrf_token(), **ANSWERS})
    check = f"/s/{series.slug}/check"
    token = check_page(client.get(check)).csrf_token()
    with app.app_context():
        sessions.close_session(get_db(), found.id)
    late = check_page(client.post(check, data={"csrf_token": token}), 410)
    assert late.h1 == "Feedback for this session has closed"
    with app.app_context():
        assert sessions.response_counts(get_db(), series.id) == {}


def test_a_closed_session_s_responses_are_rewritten_once(app: Flask) -> None:
    """After the window: fresh ids and envelopes sharing no bytes with those stored while it
    was open (a backup from then matches nothing), still readable; only once per session."""
    series = make_series(app)
    now = sessions.utcnow()
    by_hand = add_session(app, series, opens_at=now - dt.timedelta(minutes=1))
    ran_out = add_session(app, series, opens_at=now - dt.timedelta(minutes=1), open_minutes=5)
    for found in (by_hand, by_hand, ran_out):
        send(app, series, found.id)

    def stored() -> dict[str, tuple[str, bytes]]:
        with app.app_context(), get_db().session() as db_session:
            rows = db_session.execute(select(Response.id, Response.envelope, Response.session_id))
            return {str(i): (str(s), bytes(e)) for i, e, s in rows}

    before = stored()
    with app.app_context():
        sessions.close_session(get_db(), by_hand.id)  # settles it at once
    after = stored()
    kept = {i for i, (s, _) in after.items() if s == ran_out.id}
    assert kept == {i for i, (s, _) in before.items() if s == ran_out.id}  # still open: untouched
    fresh = {i: e for i, (s, e) in after.items() if s == by_hand.id}
    old = [e for s, e in before.values() if s == by_hand.id]
    assert len(fresh) == 2 and not set(fresh) & set(before)
    assert all(e[40:72] not in o for e in fresh.values() for o in old)
    later = now + dt.timedelta(minutes=10)  # ran_out's window has ended by itself
    with app.app_context():
        assert sessions.settle_closed(get_db(), series, later) == 1
        assert sessions.settle_closed(get_db(), series, later) == 0
        surveys.close_survey(get_db(), series.slug)
        assert open_answers(get_db(), series.slug, PASSPHRASE).answers == [ANSWERS] * 3
    assert not set(stored()) & set(after)  # closing the series rewrites every row again


def test_a_series_whose_questionnaire_changed_takes_no_new_session(app: Flask) -> None:
    """The series' questionnaire version is neither current nor kept in earlier/: a new
    session is refused with the questionnaire, the version and what to do, on the web too."""
    from tests.helpers.pages import check_page
    from tests.integration.staff.support import form_token, signed_in

    series = make_series(app)
    with app.app_context(), get_db().transaction() as db_session:
        db_session.execute(
            update(Survey).where(Survey.id == series.id).values(questionnaire_version="2025.9")
        )
    with pytest.raises(ServiceError, match=r"version 2025\.9, which is not loaded"):
        add_session(app, surveys_info(app, series.slug))
    admin, _ = signed_in(app, "admin")
    new = f"/staff/series/{series.slug}/sessions/new"
    page = check_page(admin.get(new))
    refused = admin.post(
        new,
        data={"csrf_token": form_token(page), "title": "December", "held_on": "2026-12-10",
              "format": "online", "minutes": "120"},
    )  # fmt: skip
    (message,) = check_page(refused).error_messages()
    assert "questionnaires/earlier/reflective-space-feedback@2025.9.yaml" in message


def surveys_info(app: Flask, slug: str) -> surveys.SurveyInfo:
    with app.app_context():
        return surveys.get_survey(get_db(), slug)


def test_a_series_made_with_an_earlier_version_keeps_working(app: Flask) -> None:
    """The questionnaire moved on (2026.2) after a series was made with 2026.1, which is kept in
    questionnaires/earlier/: the series still takes sessions, answers and its own version's
    questions, and its responses open as that version."""
    from tests.helpers.pages import check_page

    with app.app_context():
        earlier = get_questionnaires().version(QUESTIONNAIRE, "2026.1")
        assert earlier is not None and get_questionnaires()[QUESTIONNAIRE].version != "2026.1"
        info = surveys.create_survey(
            get_db(),
            earlier,
            title="Reflective Space 2025-26",
            access="sessions",
            min_group=5,
            key_label="Programme lead",
            passphrase=PASSPHRASE,
            log2_n=app.config["SURVEY_SCRYPT_LOG2_N"],
        )
        series = surveys.open_survey(get_db(), info.slug)
    found = add_session(app, series, opens_at=sessions.utcnow() - dt.timedelta(minutes=1))
    client = app.test_client()
    start = check_page(client.get(f"/f/{found.short_code}"))
    began = client.post(f"/f/{found.short_code}", data={"csrf_token": start.csrf_token()})
    page = check_page(client.get(began.headers["Location"]))
    assert page.select("input[name=session_type]"), "the 2026.1 form, with its own question"
    with app.app_context():
        submit_response(get_db(), series, earlier, {"session_type": "webinar"}, session_id=found.id)
        sessions.close_session(get_db(), found.id)
        opened = open_answers(get_db(), series.slug, PASSPHRASE)
    assert [a["session_type"] for a in opened.answers] == ["webinar"]
