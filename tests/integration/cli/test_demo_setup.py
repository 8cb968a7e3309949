"""``flask demo setup``: one open demo survey per questionnaire, last year's survey with a
published report, the demo series with its published first report and a session open now,
and the demo staff accounts; a second run reuses everything. (Apart from the other commands'
tests: it is the slowest, and a file of its own runs beside them.)"""

from __future__ import annotations

import json

import pytest
from flask import Flask

from survey_app.demo import (
    DEMO_KEY_LABEL,
    DEMO_PASSPHRASE,
    DEMO_STAFF_PASSWORD,
    OLDEST_SLUG,
    PAST_QUESTIONNAIRE,
    PAST_SESSIONS,
    PAST_SLUG,
    SERIES_SLUG,
)
from survey_app.extensions import get_db, get_keyring, get_questionnaires
from survey_app.services import accounts, analysis, headcounts, keys, sessions, surveys, trends
from survey_app.services.export import open_responses

QUESTIONNAIRE = "reflective-space-feedback"
# Last year's synthetic responses: few, so that the test is quick. (Not many more: on the staff
# survey's breakdowns the disclosure engine takes 13 s at 20 responses, 48 s at 30 and far
# longer at 40 -- see benchmarks/README.md, "Small surveys".)
PAST = 20


@pytest.mark.slow
def test_demo_setup_creates_and_opens_one_survey_per_questionnaire(app: Flask) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        questionnaire_ids = sorted(get_questionnaires())
    assert len(questionnaire_ids) == 3
    demo_slugs = [f"demo-{q}" for q in questionnaire_ids]

    result = runner.invoke(
        args=["demo", "setup", "--base-url", "https://demo.example/", "--past-responses", str(PAST)]
    )
    assert result.exit_code == 0, result.output
    for questionnaire_id in questionnaire_ids:
        assert f"https://demo.example/s/demo-{questionnaire_id}/  [open]" in result.stdout
    assert f"Demo key holder '{DEMO_KEY_LABEL}' passphrase: {DEMO_PASSPHRASE}" in result.stdout
    assert f"admin@demo.invalid  password: {DEMO_STAFF_PASSWORD}" in result.stdout

    with app.app_context():
        made = surveys.list_surveys(get_db())
        expected = [*demo_slugs, PAST_SLUG, OLDEST_SLUG, SERIES_SLUG]
        assert sorted(s.slug for s in made) == sorted(expected)
        # The staff survey's three cycles, linked in order, with last year's headcounts.
        by_slug = {s.slug: s for s in made}
        chain = [OLDEST_SLUG, PAST_SLUG, f"demo-{PAST_QUESTIONNAIRE}"]
        assert [by_slug[slug].cycle for slug in chain] == ["2024-25", "2025-26", "2026-27"]
        assert [by_slug[slug].previous_id for slug in chain] == [
            None,
            by_slug[OLDEST_SLUG].id,
            by_slug[PAST_SLUG].id,
        ]
        assert headcounts.headcounts(get_db(), by_slug[PAST_SLUG].id)
        year = trends.year_on_year(
            get_db(), get_keyring(), get_questionnaires(), by_slug[PAST_SLUG]
        )
        assert year is not None and year.cycles == ("2024-25", "2025-26")
        assert {s.status for s in made if s.slug in demo_slugs} == {"open"}
        # The printed passphrase is the one that opens them.
        assert open_responses(get_db(), f"demo-{QUESTIONNAIRE}", DEMO_PASSPHRASE) == []
        # Last year's survey: closed, its synthetic answers sealed, a published release.
        past = surveys.get_survey(get_db(), PAST_SLUG)
        assert past.status == "closed"
        opened = open_responses(get_db(), PAST_SLUG, DEMO_PASSPHRASE)
        assert len(opened) == PAST
        assert len({json.dumps(r.answers, sort_keys=True) for r in opened}) > PAST * 2 // 3
        release = analysis.load_release(get_db(), get_keyring(), past, published_only=True)
        assert release is not None and release.protected.size(()) == PAST
        assert {u.account.email for u in accounts.list_users(get_db())} >= {
            "admin@demo.invalid",
            "viewer@demo.invalid",
        }
        ids_before = {s.slug: s.id for s in made}
        # The demo series: past sessions, some below the smallest group, and one open now.
        series = surveys.get_survey(get_db(), SERIES_SLUG)
        counts = sessions.response_counts(get_db(), series.id)
        found = sessions.list_sessions(get_db(), series.id)
        states = sorted(f.state(sessions.utcnow()) for f in found)
        assert states == ["closed"] * len(PAST_SESSIONS) + ["open"]
        assert sorted(counts.values()) == sorted(n for *_, n in PAST_SESSIONS)
        assert min(counts.values()) < series.min_group < max(counts.values())
        (today,) = [f for f in found if f.state(sessions.utcnow()) == "open"]
        # ... and its first report, published: the past sessions pooled and one by one
        report = analysis.load_release(get_db(), get_keyring(), series, published_only=True)
        assert report is not None
        closed = {f.id for f in found if f.id != today.id}
        assert set(report.scope.sessions) == closed
        assert ("_session",) in report.protected.views
        assert report.protected.size(()) == sum(n for *_, n in PAST_SESSIONS)
    assert f"https://demo.example/f/{today.short_code}" in result.stdout

    second = runner.invoke(args=["demo", "setup", "--past-responses", str(PAST)])
    assert second.exit_code == 0, second.output
    assert f"http://127.0.0.1:5000/s/demo-{QUESTIONNAIRE}/  [open]" in second.stdout
    with app.app_context():
        after = surveys.list_surveys(get_db())
        assert {s.slug: s.id for s in after} == ids_before
        for slug in ids_before:
            assert len(keys.list_slots(get_db(), slug)) == 1
        assert analysis.release_count(get_db(), past.id) == 1
        assert len(open_responses(get_db(), PAST_SLUG, DEMO_PASSPHRASE)) == PAST
        # Still one open session (the same one), and no new past sessions.
        assert len(sessions.list_sessions(get_db(), series.id)) == len(PAST_SESSIONS) + 1
    assert f"/f/{today.short_code}" in second.stdout
