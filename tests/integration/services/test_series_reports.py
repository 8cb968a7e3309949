"""A series report: closed sessions pooled (all, by quarter, format and hosting council) and
session by session, protected together, and each session in one report only.

The attack replayed: a facilitator knows every session's count (the room saw it go up) and
which session is in which quarter, format and council. With the published report they
subtract: "all sessions" minus every shown session, a quarter minus its shown sessions. The
independent integer-programme attacker (``tests/unit/analysis/checking.py``) is told all of
that from the test's own session list, and must find no small session's answers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Any

import pytest
from flask import Flask

from analysis.counting import Breakdown, release_input
from analysis.frame import QuestionSpec, build_frame
from survey_app.demo_data import synthetic_answers
from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_theme_options,
    get_unlock_store,
)
from survey_app.services import analysis, publishing, sessions
from survey_app.services.errors import ServiceError
from survey_app.services.submission import submit_response
from tests.helpers.journey import PASSPHRASE
from tests.integration.services.test_sessions import QUESTIONNAIRE, add_session, make_series
from tests.unit.analysis.checking import attack

K = 5  # the series' smallest group (make_series)

#: (title, date, format, council, responses): two below k, one of them of two people
SESSIONS = (
    ("September Reflective Space", dt.date(2026, 9, 10), "in_person", "Norwich", 9),
    ("Webinar: allyship", dt.date(2026, 9, 24), "online", None, 12),
    ("October Reflective Space", dt.date(2026, 10, 15), "in_person", "Ipswich", 3),
    ("Webinar: reporting racism", dt.date(2026, 11, 5), "online", None, 8),
    ("November Reflective Space", dt.date(2026, 11, 19), "in_person", "Norwich", 2),
)


def run_sessions(
    app: Flask, series: Any, plan: tuple[Any, ...], seed: int
) -> list[tuple[str, dict[str, Any]]]:
    """Hold each session of ``plan`` (start, answers, close); returns (session id, answers)
    for every response sent, as the test's own record."""
    rng = random.Random(seed)
    sent = []
    with app.app_context():
        questionnaire = get_questionnaires()[QUESTIONNAIRE]
    for title, day, form, council, count in plan:
        meeting = add_session(app, series, title=title, held_on=day, format=form, council=council)
        with app.app_context():
            sessions.start_session(get_db(), meeting.id)
            for _ in range(count):
                answers = synthetic_answers(questionnaire, rng)
                submit_response(get_db(), series, questionnaire, answers, session_id=meeting.id)
                sent.append((meeting.id, answers))
            sessions.close_session(get_db(), meeting.id)
    return sent


def analyse(app: Flask, slug: str) -> str:
    with app.app_context():
        store = get_unlock_store()
        return analysis.run_analysis(
            get_db(),
            get_keyring(),
            get_questionnaires()[QUESTIONNAIRE],
            slug,
            PASSPHRASE,
            actor="test",
            theme_options=get_theme_options(),
            unlocked=lambda release, key: store.put(release, key, 3600),
        )


def publish(app: Flask, slug: str, release_id: str) -> None:
    with app.app_context():
        publishing.publish(
            get_db(),
            get_keyring(),
            get_questionnaires()[QUESTIONNAIRE],
            slug,
            release_id,
            PASSPHRASE,
            actor="test",
            store=get_unlock_store(),
        )


def newest(app: Flask, series: Any) -> analysis.ReleaseData:
    with app.app_context():
        found = analysis.load_release(get_db(), get_keyring(), series, published_only=False)
    assert found is not None
    return found


def what_a_facilitator_knows(
    app: Flask, sent: list[tuple[str, dict[str, Any]]], plan: tuple[Any, ...], ids: list[str]
) -> Any:
    """The true counts, with every fact about the sessions a reader knows, built by the test
    from its own records (not from the application's scope code)."""
    with app.app_context():
        questionnaire = get_questionnaires()[QUESTIONNAIRE]
    days = {sid: p[1] for sid, p in zip(ids, plan, strict=True)}
    quarter = {sid: f"{d.year}-{3 * ((d.month - 1) // 3) + 1:02d}" for sid, d in days.items()}
    fmt = {sid: p[2] for sid, p in zip(ids, plan, strict=True)}
    host = {sid: p[3] or "_none" for sid, p in zip(ids, plan, strict=True)}
    facts = {"_session": {sid: sid for sid in ids}, "_quarter": quarter, "_format": fmt}
    facts["_host"] = host
    rows = [{**answers, **{d: facts[d][sid] for d in facts}} for sid, answers in sent]
    dims = {d: tuple(sorted(set(m.values()))) for d, m in facts.items()}
    specs = [*analysis.question_specs(questionnaire)]
    specs += [QuestionSpec(d, "single", groups) for d, groups in dims.items()]
    frame = build_frame(specs, rows)
    # the session facts, then the respondent's own council and role (not public)
    split = [Breakdown(d, groups, missing=False) for d, groups in dims.items()]
    split += analysis.breakdowns(questionnaire)
    views = [(), *((b.id,) for b in split)]
    spec = release_input(frame, analysis.report_items(questionnaire), split, views)
    return dataclasses.replace(
        spec,
        nesting={d: ("_session", dict(facts[d])) for d in ("_quarter", "_format", "_host")},
        public_dimensions=frozenset(dims),
    )


@pytest.mark.parametrize("seed", [1])
def test_a_series_report_never_gives_a_small_session_away(app: Flask, seed: int) -> None:
    series = make_series(app)
    sent = run_sessions(app, series, SESSIONS, seed)
    ids = list(dict.fromkeys(sid for sid, _ in sent))
    analyse(app, series.slug)
    release = newest(app, series)
    protected = release.protected
    assert set(release.scope.sessions) == set(ids)
    assert ("_session",) in protected.views
    # each session's count is public (the room saw it) and shown; a small one's answers are not
    for sid, (_title, _day, _form, _council, count) in zip(ids, SESSIONS, strict=True):
        pop = (("_session", sid),)
        assert protected.sizes[pop] == count
        if count < K:
            for rows in protected.items.values():
                if pop in rows:
                    assert all(value is None for value in rows[pop].values())
    # the labels a report shows: session titles with dates, quarters, formats, councils
    labels = release.scope.labels
    assert labels["_session"][ids[0]] == "September Reflective Space, 10 Sep 2026"
    assert list(labels["_quarter"].values()) == ["Jul–Sep 2026", "Oct–Dec 2026"]
    assert labels["_host"]["_none"] == "No single council"
    # the attack: everything a facilitator knows, against everything published
    spec = what_a_facilitator_knows(app, sent, SESSIONS, ids)
    closed = protected.without_items(set(protected.items) - {i.id for i in spec.items})
    result = attack(spec, closed)
    assert not result.breaches, result.report()
    assert result.ranges, "the attack looked at hidden cells"


def test_all_sessions_minus_all_but_one_is_never_published(app: Flask) -> None:
    """The differencing the issue names, read straight off the release: for every answer,
    not both the overall count and every other session's count may be shown."""
    series = make_series(app)
    sent = run_sessions(app, series, SESSIONS, seed=3)
    ids = list(dict.fromkeys(sid for sid, _ in sent))
    analyse(app, series.slug)
    protected = newest(app, series).protected
    small = [sid for sid, plan in zip(ids, SESSIONS, strict=True) if plan[4] < K]
    checked = 0
    for item_id, rows in protected.items.items():
        if (("_session", ids[0]),) not in rows:
            continue  # a draft's theme counts are shown for everyone only
        checked += 1
        for column, total in rows[()].items():
            if total is None:
                continue
            for sid in small:
                others = [rows[(("_session", o),)][column] for o in ids if o != sid]
                assert None in others, (item_id, column, "recoverable by subtraction")
    assert checked == 3, "the closed questions are broken down by session"


def test_each_session_is_in_one_report_only(app: Flask) -> None:
    series = make_series(app)
    first = run_sessions(app, series, SESSIONS[:3], seed=4)
    draft = analyse(app, series.slug)
    covered = set(newest(app, series).scope.sessions)
    assert covered == {sid for sid, _ in first}
    # another session closes while the draft is under review: a new analysis keeps to the
    # draft's sessions (an analyst must not see two drafts one session apart)
    later = run_sessions(app, series, SESSIONS[3:4], seed=5)
    analyse(app, series.slug)
    assert set(newest(app, series).scope.sessions) == covered
    publish(app, series.slug, newest(app, series).id)
    assert newest(app, series).status == "published"
    assert draft != newest(app, series).id
    # the next report covers only what closed since
    analyse(app, series.slug)
    assert set(newest(app, series).scope.sessions) == {sid for sid, _ in later}
    publish(app, series.slug, newest(app, series).id)
    with app.app_context(), pytest.raises(ServiceError, match="No session of this series"):
        analysis.run_analysis(
            get_db(),
            get_keyring(),
            get_questionnaires()[QUESTIONNAIRE],
            series.slug,
            PASSPHRASE,
            actor="test",
            theme_options=get_theme_options(),
        )


def test_an_open_session_is_never_in_a_report(app: Flask) -> None:
    series = make_series(app)
    sent = run_sessions(app, series, SESSIONS[:2], seed=6)
    meeting = add_session(app, series, title="Still open")
    with app.app_context():
        sessions.start_session(get_db(), meeting.id)
        questionnaire = get_questionnaires()[QUESTIONNAIRE]
        answers = synthetic_answers(questionnaire, random.Random(7))
        submit_response(get_db(), series, questionnaire, answers, session_id=meeting.id)
    analyse(app, series.slug)
    release = newest(app, series)
    assert meeting.id not in release.scope.sessions
    assert release.protected.sizes[()] == len(sent)
