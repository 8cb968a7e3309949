"""A review action reprotects only the question it changed; publishing protects it all again.

A survey with two free-text questions (one with a codebook) is analysed; an analyst acts on
question A. Question B's stored items, audit entries and summary must come out byte for byte
as they were, A's must equal what protecting every free-text item from scratch gives, and
the draft as a whole must equal what the earlier whole-release reprotection made. Publishing
must not take the draft's theme counts on trust: it counts and protects them again from the
final review, with the rest of the release.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from flask import Flask

from analysis.counting import release_input
from analysis.disclosure import ProtectedRelease
from survey_app import create_app
from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_theme_options,
    get_unlock_store,
)
from survey_app.services import analysis, publishing, releases, review, surveys, themes
from survey_app.services.submission import submit_response
from survey_app.storage.models import Release
from tests.conftest import make_config
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.integration.reports.test_themes import COMMENTS

QUESTIONNAIRE = "two-comment-boxes"
SLUG = "two-boxes"
A, B = "better", "working"
COUNCILS = ("north", "south", "east")

# Our own words: what works, in three ways of saying it.
WORKING = [
    "Flexible working lets me manage my caring responsibilities properly.",
    "Working from home two days a week has made a real difference to me.",
    "Flexible hours mean I can do the school run and still do my job well.",
    "My team is supportive and we look out for each other every day.",
    "Colleagues in my team are kind and always help when things get hard.",
    "The people I work with directly are supportive and welcoming.",
    "Training on supervision this year was excellent and useful.",
    "The new training programme gave me skills I use every week.",
    "I have had good training and the chance to learn from senior staff.",
]

QUESTIONNAIRE_YAML = f"""\
id: {QUESTIONNAIRE}
version: "1"
title: Two comment boxes
description: A survey with two free-text questions, one with a codebook.
estimated_minutes: 3
privacy_notice: Reports never show groups of fewer than {{min_group}} people.
reports:
  breakdowns: [council]
sections:
  - id: about_you
    title: About you
    questions:
      - id: council
        type: single_choice
        text: Which council do you work for?
        demographic: true
        options:
          - {{value: north, label: North Council}}
          - {{value: south, label: South Council}}
          - {{value: east, label: East Council}}
  - id: your_views
    title: Your views
    questions:
      - id: witnessed
        type: single_choice
        text: In the last year, have you seen racism at work?
        options:
          - {{value: "yes", label: "Yes"}}
          - {{value: "no", label: "No"}}
          - {{value: not_sure, label: Not sure}}
      - id: {A}
        type: free_text
        codebook: pledge
        text: What would make the biggest difference to you at work?
        max_length: 1000
      - id: {B}
        type: free_text
        codebook: pledge
        text: What is working well?
        max_length: 1000
codebooks:
  pledge:
    - id: workload
      label: Fair allocation of work
      seeds: [caseload, allocation, cases]
    - id: listening
      label: Managers who listen
      seeds: [listen, manager, managers]
    - id: mentoring
      label: Mentoring
      seeds: [mentor, mentoring, mentored]
"""


def answers(index: int) -> dict[str, Any]:
    found: dict[str, Any] = {
        "council": COUNCILS[index % 3],
        "witnessed": ["yes", "no", "not_sure"][(index // 3) % 3],
    }
    if index % 4 != 3:
        found[A] = COMMENTS[index % len(COMMENTS)]
    if index % 5 != 4:
        found[B] = WORKING[index % len(WORKING)]
    # Two comments in each box are the only ones about mentoring: too few to show that count.
    if index in (5, 6):
        found[A] = "A mentoring scheme for Global Majority staff would help me progress."
    if index in (7, 8):
        found[B] = "Being mentored by a senior manager has helped me to progress."
    return found


@pytest.fixture
def two_boxes(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """A closed survey of 72 responses with comments in both boxes, analysed and unlocked."""
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    (folder / f"{QUESTIONNAIRE}.yaml").write_text(QUESTIONNAIRE_YAML, encoding="utf-8")
    app = create_app(make_config(tmp_path, database_url, SURVEY_QUESTIONNAIRE_DIR=str(folder)))
    info = create_survey(app, QUESTIONNAIRE, slug=SLUG, min_group=5)
    with app.app_context():
        questionnaire = get_questionnaires()[QUESTIONNAIRE]
        for index in range(72):
            submit_response(get_db(), info, questionnaire, answers(index))
        surveys.close_survey(get_db(), SLUG)
        store = get_unlock_store()
        analysis.run_analysis(
            get_db(),
            get_keyring(),
            questionnaire,
            SLUG,
            PASSPHRASE,
            actor="test",
            theme_options=get_theme_options(),
            unlocked=lambda release, key: store.put(release, key, 3600),
        )
    yield app
    with app.app_context():
        get_db().dispose()


def _open() -> review.ReviewContext:
    return review.open_review(
        get_db(), get_keyring(), get_questionnaires(), None, SLUG, get_unlock_store()
    )


def _act(context: review.ReviewContext, action: str, **values: Any) -> review.ReviewContext:
    return review.act(
        get_db(),
        get_keyring(),
        get_questionnaires(),
        get_theme_options(),
        None,
        SLUG,
        context.release_id,
        A,
        action,
        {key: str(value) for key, value in values.items()},
        get_unlock_store(),
    )


def _document(release_id: str) -> dict[str, Any]:
    with get_db().session() as session:
        row = session.get(Release, release_id)
        assert row is not None
        found: dict[str, Any] = releases.read_release(session, get_keyring(), row)
    return found


def _stored_parts(document: dict[str, Any], item_ids: set[str]) -> list[str]:
    """The stored JSON of the named items and of their audit entries, as text."""
    release = document["release"]
    return [
        json.dumps(entry, separators=(",", ":"))
        for entry in [
            *(i for i in release["items"] if i["id"] in item_ids),
            *(e for e in release["audit"] if e["item"] in item_ids),
        ]
    ]


def _ids(context: review.ReviewContext, question_id: str) -> set[str]:
    return {
        item.id
        for item in themes.question_items(context.questionnaire, context.review(question_id))
    }


def test_an_action_reprotects_only_the_question_it_changed(two_boxes: Flask) -> None:
    with two_boxes.app_context():
        context = _open()
        found = context.review(A)
        assert found.status == "ready" and found.codes and context.review(B).status == "ready"
        a_ids, b_ids = _ids(context, A), _ids(context, B)
        assert len(a_ids) == len(b_ids) == 2  # theme counts and code counts
        before = _document(context.release_id)
        audited = {e["item"] for e in before["release"]["audit"]}
        assert audited & a_ids and audited & b_ids, "each question has a hidden count"
        closed = set(ProtectedRelease.from_dict(before["release"]).items) - a_ids - b_ids
        assert closed, "the release has closed questions too"

        # Counts change: a comment moves, then a theme is merged into another.
        largest, other = sorted(found.themes, key=lambda t: -found.size(t.id))[:2]
        context = _act(context, "move", comment=found.members(other.id)[0], to=largest.id)
        merged = next(t.id for t in reversed(context.review(A).themes) if t.id != largest.id)
        context = _act(context, "merge", theme=merged, into=largest.id)
        after = _document(context.release_id)

        # What act returns is the review as saved.
        fresh = _open()
        assert context.digest == fresh.digest and context.workspace == fresh.workspace
        assert not context.review(A).has_theme(merged)

        # B and the closed questions: byte for byte as before, summary and decisions too.
        assert _stored_parts(after, b_ids | closed) == _stored_parts(before, b_ids | closed)
        assert json.dumps(after["themes"][B]) == json.dumps(before["themes"][B])
        assert after["release"]["sizes"] == before["release"]["sizes"]
        assert after["decisions"][B] == before["decisions"][B]
        assert len(after["decisions"][A]) == 2

        # A: as protecting every free-text item from scratch gives.
        full = themes.protect_overall(
            context.questionnaire, fresh.workspace, k=fresh.k, k_cell=fresh.k_cell
        )
        stored = ProtectedRelease.from_dict(after["release"])
        assert _ids(fresh, A) == a_ids
        for item in a_ids:
            assert stored.items[item] == full.items[item]
            assert [e for e in stored.audit if e.item == item] == [
                e for e in full.audit if e.item == item
            ]
        assert after["overall_only"] == dict.fromkeys(a_ids | b_ids, analysis.DRAFT)
        # (No quote is approved yet, so the summary has no quotes to shuffle.)
        assert after["themes"][A] == themes.summaries(fresh.workspace, full, k=fresh.k)[A].to_dict()

        # The whole draft: what reprotecting every free-text item made before this change.
        whole = (
            ProtectedRelease.from_dict(before["release"])
            .without_items(set(before["overall_only"]))
            .with_overall_items(full)
        )
        assert dict(stored.items) == dict(whole.items)
        assert set(stored.audit) == set(whole.audit)
        assert stored.hidden_cells() == whole.hidden_cells()


def test_the_stored_release_is_changed_as_the_release_model_would(two_boxes: Flask) -> None:
    with two_boxes.app_context():
        context = _open()
        document = _document(context.release_id)
        part = themes.protect_overall(
            context.questionnaire,
            context.workspace,
            k=context.k,
            k_cell=context.k_cell,
            questions=[A],
        )
        dropped = _ids(context, A)
        expected = (
            ProtectedRelease.from_dict(document["release"]).without_items(dropped)
        ).with_overall_items(part)
        made = analysis.with_overall_items(document["release"], part, dropped)
        assert made == expected.to_dict()
        assert ProtectedRelease.from_dict(made) == expected
        other = ProtectedRelease(part.k, part.k_cell, {(): 999}, part.items, part.audit)
        with pytest.raises(ValueError, match="same overall count"):
            analysis.with_overall_items(document["release"], other, dropped)


def test_publishing_counts_and_protects_the_themes_again(two_boxes: Flask) -> None:
    """Publishing does not take the draft's theme counts on trust: the draft's stored counts
    are changed behind the review's back here, and none of the changed figures is published;
    every theme and code figure published is the true count from the final review, hidden or
    shown as the whole release protected together decides."""
    with two_boxes.app_context():
        context = _act(_open(), "rename", theme=_open().review(A).themes[0].id, label="Workload")
        document = _document(context.release_id)
        text_ids = set(document["overall_only"])
        for item in document["release"]["items"]:
            if item["id"] in text_ids:
                for row in item["rows"]:
                    row["values"] = [[c, None if v is None else v + 1000] for c, v in row["values"]]
        with get_db().transaction() as session:
            row = session.get(Release, context.release_id)
            assert row is not None
            releases.write_release(session, get_keyring(), row, document)
        publishing.publish(
            get_db(),
            get_keyring(),
            context.questionnaire,
            SLUG,
            context.release_id,
            PASSPHRASE,
            actor="test",
            store=get_unlock_store(),
        )
        published = analysis.load_release(
            get_db(), get_keyring(), context.survey, published_only=True
        )
        assert published is not None and published.id == context.release_id
        workspace = context.workspace
        items = themes.text_items(context.questionnaire, workspace)
        frame = pd.DataFrame(themes.text_columns(workspace), index=range(workspace.rows))
        truth = {i.id: i.counts[()] for i in release_input(frame, items, [], [()]).items}
        assert set(truth) == text_ids
        shown = 0
        for item_id, counts in truth.items():
            for column, value in published.protected.items[item_id][()].items():
                assert value is None or value == counts[column], (item_id, column)
                shown += value is not None
        assert shown, "some theme counts are published"
        # Protected as one release with the closed questions: broken down by council.
        assert published.overall_only == {}
        assert all(published.protected.publishes(i, ("council",)) for i in text_ids)
