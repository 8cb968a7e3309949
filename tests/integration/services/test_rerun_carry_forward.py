"""Analysing again never silently discards review work: names, merges, moves and quote
decisions are carried forward where the comments are the same (from a draft's workspace, or
from the record a published release keeps sealed to the survey's key), or the analyst chose
to start again. Comment digests are matched inside sealed data only: never stored readable."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

import pytest
from flask import Flask

from analysis.comments import NO_THEME, Comment, QuestionReview, Quote, ThemeState, reviewing
from analysis.comments.carrying import carry_forward, digest, record_of
from survey_app.crypto import generate_survey_keypair
from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_theme_options,
    get_unlock_store,
)
from survey_app.services import analysis, publishing, releases, review, surveys
from survey_app.services.errors import ServiceError
from tests.helpers.journey import PASSPHRASE
from tests.integration.reports.support import publish, release_of
from tests.integration.reports.test_themes import SLUG, build_themed
from tests.integration.staff.support import events

ACTOR = "analyst@example.org"


def _context(app: Flask) -> review.ReviewContext:
    with app.app_context():
        return review.open_review(
            get_db(), get_keyring(), get_questionnaires(), None, SLUG, get_unlock_store()
        )


def _act(app: Flask, release_id: str, action: str, **values: str) -> None:
    with app.app_context():
        review.act(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            get_theme_options(),
            None,
            SLUG,
            release_id,
            "comments",
            action,
            values,
            get_unlock_store(),
        )


def _analyse_again(app: Flask, *, keep: bool = True) -> str:
    with app.app_context():
        store = get_unlock_store()
        info = surveys.get_survey(get_db(), SLUG)
        return review.run_analysis_keeping_review(
            get_db(),
            get_keyring(),
            get_questionnaires()[info.questionnaire_id],
            SLUG,
            PASSPHRASE,
            actor=ACTOR,
            theme_options=get_theme_options(),
            unlocked=lambda release, key: store.put(release, key, 3600),
            keep=keep,
        )


def _do_some_review(app: Flask, release_id: str) -> QuestionReview:
    """Name one theme, merge two others, move a comment out, approve and reject a quote."""
    before = _context(app).review("comments")
    first, second, third = (t.id for t in before.themes[:3])
    _act(app, release_id, "rename", theme=str(first), label="Caseload allocation")
    _act(app, release_id, "merge", theme=str(third), into=str(second))
    _act(app, release_id, "move", comment="0", to=str(NO_THEME))
    quotes = [q.id for q in _context(app).review("comments").quotes]
    _act(app, release_id, "approve", quote=quotes[0])
    _act(app, release_id, "reject", quote=quotes[1])
    return _context(app).review("comments")


def _by_text(found: QuestionReview) -> list[tuple[str, str, bool]]:
    """Each comment's text with its theme's name and whether an analyst confirmed it."""
    names = {t.id: (t.label, t.confirmed) for t in found.themes}
    return sorted((c.text, *names.get(c.theme, ("no clear theme", False))) for c in found.comments)


def _quote_decisions(found: QuestionReview) -> list[tuple[str, str, str]]:
    return sorted((found.comments[q.comment].text, q.status, q.text) for q in found.quotes)


def _database_bytes(app: Flask) -> bytes:
    url = app.config["SURVEY_DATABASE_URL"]
    path = Path(url.removeprefix("sqlite:///"))
    raw = path.read_bytes()
    for suffix in ("-wal", "-journal"):
        extra = Path(str(path) + suffix)
        if extra.exists():
            raw += extra.read_bytes()
    return raw


def test_analysing_a_reviewed_draft_again_carries_the_whole_review(sample_app: Flask) -> None:
    first_id = build_themed(sample_app)
    reviewed = _do_some_review(sample_app, first_id)
    second_id = _analyse_again(sample_app)
    assert second_id != first_id
    carried = _context(sample_app)
    assert carried.release_id == second_id
    found = carried.review("comments")
    # The same comments, in the same themes, with the same names and quote decisions.
    assert _by_text(found) == _by_text(reviewed)
    assert _quote_decisions(found) == _quote_decisions(reviewed)
    assert [t.label for t in found.themes] == [t.label for t in reviewed.themes]
    assert found.theme(reviewed.themes[0].id).confirmed
    # The decisions say so, and the draft report shows the analyst's name.
    assert found.decisions[: len(reviewed.decisions)] == reviewed.decisions
    assert found.decisions[-1].action == "carry"
    assert "the comments are unchanged" in found.decisions[-1].detail
    summary = release_of(sample_app, SLUG).themes["comments"]
    assert "Caseload allocation" in [t.label for t in summary.themes if t.reviewed]
    assert any("carried forward" in e.detail for e in events(sample_app, "theme_review"))


def test_comment_digests_are_never_stored_readable(sample_app: Flask) -> None:
    if not sample_app.config["SURVEY_DATABASE_URL"].startswith("sqlite:///"):
        pytest.skip("reads the SQLite file")
    first_id = build_themed(sample_app)
    reviewed = _do_some_review(sample_app, first_id)
    publish(sample_app, SLUG)
    _analyse_again(sample_app)
    raw = _database_bytes(sample_app)
    for comment in reviewed.comments:
        found = digest(comment.text)
        for needle in (
            found.encode(),
            bytes.fromhex(found),
            base64.b64encode(bytes.fromhex(found)),
        ):
            assert needle not in raw


def test_a_published_review_is_carried_to_the_next_draft(sample_app: Flask) -> None:
    first_id = build_themed(sample_app)
    reviewed = _do_some_review(sample_app, first_id)
    publish(sample_app, SLUG)
    with sample_app.app_context():
        info = surveys.get_survey(get_db(), SLUG)
        with get_db().session() as session:
            row = analysis.newest_row(session, info.id)
            assert row is not None and row.workspace is None  # the comments are gone
            document = releases.read_release(session, get_keyring(), row)
    # The record is sealed to the survey's key: the server's own keys cannot open it.
    stranger = generate_survey_keypair().private
    with pytest.raises(ServiceError, match="cannot be opened"):
        publishing.open_record(document["carry"], stranger, info.id, first_id)
    assert "Caseload" not in base64.b64decode(document["carry"]).decode("latin-1")
    _analyse_again(sample_app)
    found = _context(sample_app).review("comments")
    assert _by_text(found) == _by_text(reviewed)
    assert _quote_decisions(found) == _quote_decisions(reviewed)


def test_starting_the_review_again_is_a_choice_and_is_audited(sample_app: Flask) -> None:
    first_id = build_themed(sample_app)
    _do_some_review(sample_app, first_id)
    _analyse_again(sample_app, keep=False)
    fresh = _context(sample_app).review("comments")
    assert fresh.decisions == ()
    assert not any(t.confirmed for t in fresh.themes)
    assert all(q.status == "pending" for q in fresh.quotes)
    assert any("review started again" in e.detail for e in events(sample_app, "theme_review"))
    # Nothing unreviewed is published by name: every theme is an automatic one.
    summary = release_of(sample_app, SLUG).themes["comments"]
    assert summary.reviewed == 0 and summary.automatic == len(summary.named_themes) > 0


# --- what is carried when the comments are not the same -------------------------------------------


def _comment(row: int, text: str, theme: int, redacted: str | None = None) -> Comment:
    return Comment(row, text, redacted or text, (), "negative", (), theme)


def _review(comments: list[Comment], themes: list[ThemeState]) -> QuestionReview:
    quotes = tuple(Quote(f"q{i + 1}", i, c.redacted) for i, c in enumerate(comments[:4]))
    return QuestionReview(
        "comments", "ready", "lexical", tuple(comments), tuple(themes), (), quotes
    )


def test_changed_comments_carry_what_matches_and_count_what_does_not() -> None:
    old = _review(
        [_comment(i, f"workload text {i}", 0) for i in range(4)]
        + [_comment(4 + i, f"listening text {i}", 1) for i in range(4)],
        [ThemeState(0, "Workload", ("workload",)), ThemeState(1, "Listening", ("listening",))],
    )
    old = reviewing.rename(old, 0, "Heavy caseloads", actor=ACTOR)
    old = reviewing.rename(old, 1, "Not listened to", actor=ACTOR)
    old = reviewing.approve(old, "q1", actor=ACTOR)  # workload text 0
    old = reviewing.reject(old, "q2", actor=ACTOR)  # workload text 1
    old = reviewing.approve(old, "q3", actor=ACTOR)  # workload text 2: redaction changes
    # A new analysis: the workload comments are the same (one redacted differently now),
    # one listening comment is gone and a new one arrived.
    new = _review(
        [_comment(0, "workload text 0", 5), _comment(1, "workload text 1", 5)]
        + [_comment(2, "workload text 2", 5, redacted="workload [name] 2")]
        + [_comment(3, "workload text 3", 5)]
        + [_comment(4 + i, f"listening text {i}", 6) for i in range(3)]
        + [_comment(7, "something new", 6)],
        [ThemeState(5, "Workload", ()), ThemeState(6, "Listening", ())],
    )
    carried, report = carry_forward(record_of(old), new, actor=ACTOR, on="2025-01-01")
    assert not report.whole
    # The workload theme has exactly the same comments: its name is carried.
    assert (carried.theme(5).label, carried.theme(5).confirmed) == ("Heavy caseloads", True)
    # The listening theme changed: its automatic name stays, unconfirmed.
    assert (carried.theme(6).label, carried.theme(6).confirmed) == ("Listening", False)
    statuses = {carried.comments[q.comment].text: q.status for q in carried.quotes}
    assert statuses["workload text 0"] == "approved"
    assert statuses["workload text 1"] == "rejected"
    assert statuses["workload text 2"] == "pending"  # its redaction changed: decide again
    assert (report.names, report.names_lost) == (1, 1)
    assert (report.quotes, report.quotes_lost) == (2, 1)
    assert carried.decisions[-1].action == "carry" and "not carried" in carried.decisions[-1].detail
    assert all(c.text not in carried.decisions[-1].detail for c in new.comments)


def test_a_review_with_no_work_carries_nothing() -> None:
    plain = _review([_comment(i, f"text {i}", 0) for i in range(4)], [ThemeState(0, "T", ())])
    carried, report = carry_forward(record_of(plain), plain, actor=ACTOR, on="2025-01-01")
    assert carried is plain and not report.lost_anything and report.names == 0


def test_record_round_trips_through_json() -> None:
    old = _review([_comment(i, f"text {i}", 0) for i in range(4)], [ThemeState(0, "T", ())])
    old = reviewing.approve(reviewing.rename(old, 0, "Named", actor=ACTOR), "q1", actor=ACTOR)
    record = record_of(old)
    assert type(record).from_dict(record.to_dict()) == record
    # No comment text, except an approved quote's (which is published anyway).
    assert all(c.text not in str(record.to_dict()) for c in old.comments[1:])
    assert [q.text for q in record.quotes] == ["text 0", None, None, None]


def test_workspaces_saved_before_names_were_confirmed_still_open() -> None:
    review_ = _review(
        [_comment(i, f"text {i}", i % 2) for i in range(4)],
        [
            ThemeState(0, "A", ()),
            ThemeState(1, "B", ()),
        ],
    )
    review_ = reviewing.rename(review_, 1, "Named", actor=ACTOR)
    stored = review_.to_dict()
    for theme in stored["themes"]:
        del theme["confirmed"]  # as an older version stored it
    opened = QuestionReview.from_dict(stored)
    assert [t.confirmed for t in opened.themes] == [False, True]
    assert dataclasses.replace(opened, themes=review_.themes) == review_
