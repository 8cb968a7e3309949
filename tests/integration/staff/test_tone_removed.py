"""Tone is not published: no report page, CSV, XLSX, printable report or stored release
carries a tone or sentiment share. Analysts may sort a theme's comments by it, marked
experimental, and that is all."""

from __future__ import annotations

import io
import json
import re

import openpyxl
from flask import Flask

from survey_app.extensions import get_db, get_keyring, get_questionnaires, get_unlock_store
from survey_app.services import analysis, releases, review, surveys
from tests.helpers.pages import check_page
from tests.integration.reports.support import publish, staff_member
from tests.integration.reports.test_themes import BASE, SLUG, build_themed

TONE_WORDS = re.compile(r"\btones?\b|sentiment|\bpositive\b|\bnegative\b|mixed or neutral", re.I)


def _approve_every_quote(app: Flask) -> None:
    with app.app_context():
        context = review.open_review(
            get_db(), get_keyring(), get_questionnaires(), None, SLUG, get_unlock_store()
        )
        review.approve_clean_quotes(
            get_db(),
            get_keyring(),
            get_questionnaires()[context.questionnaire.id],
            context.survey,
            context.release_id,
            get_unlock_store(),
            actor="test",
            per_theme=5,
        )


def test_no_published_artefact_carries_tone(sample_app: Flask) -> None:
    build_themed(sample_app)
    with sample_app.app_context():
        context = review.open_review(
            get_db(), get_keyring(), get_questionnaires(), None, SLUG, get_unlock_store()
        )
    # The comments do have tones (analysts' sort key), several of them positive.
    tones = {c.tone for c in context.review("comments").comments}
    assert "positive" in tones and len(tones) > 1
    _approve_every_quote(sample_app)
    publish(sample_app, SLUG)
    viewer, _staff = staff_member(sample_app, "viewer")
    texts = {
        "overview": check_page(viewer.get(f"{BASE}/report")).text(),
        "question": check_page(viewer.get(f"{BASE}/report/comments")).text(),
        "by council": check_page(viewer.get(f"{BASE}/report/comments?view=council")).text(),
    }
    for file_format in ("csv", "html"):
        response = viewer.get(f"{BASE}/report/download/{file_format}")
        assert response.status_code == 200
        texts[file_format] = response.get_data(as_text=True)
    book = openpyxl.load_workbook(
        io.BytesIO(viewer.get(f"{BASE}/report/download/xlsx").get_data()), read_only=True
    )
    texts["xlsx"] = " ".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )
    with sample_app.app_context():
        info = surveys.get_survey(get_db(), SLUG)
        with get_db().session() as session:
            row = analysis.newest_row(session, info.id)
            assert row is not None and row.status == "published"
            document = releases.read_release(session, get_keyring(), row)
    texts["stored release"] = json.dumps({k: document[k] for k in ("themes", "release")})
    assert "quote" in texts["csv"]  # the comments' quotes and key phrases are there ...
    for name, text in texts.items():  # ... but no tone, anywhere
        assert not TONE_WORDS.search(text), (name, TONE_WORDS.search(text))


def test_analysts_can_sort_by_tone_marked_experimental(sample_app: Flask) -> None:
    build_themed(sample_app)
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    question = check_page(client.get(f"{BASE}/themes/comments"))
    assert not TONE_WORDS.search(question.one("main").get_text(" "))
    with sample_app.app_context():
        context = review.open_review(
            get_db(), get_keyring(), get_questionnaires(), None, SLUG, get_unlock_store()
        )
    found = context.review("comments")
    theme = max(found.themes, key=lambda t: found.size(t.id))
    url = f"{BASE}/themes/comments/theme/{theme.id}"
    plain = check_page(client.get(url))
    assert not plain.select(".cd-comment p:-soup-contains('Tone')")
    assert "Experimental" in plain.one("#comment-order").get_text()
    by_tone = check_page(client.get(f"{url}?order=tone"))
    shown = [
        re.search(r"Tone \(experimental\): (\w+)", li.get_text(" ")).group(1)  # type: ignore[union-attr]
        for li in by_tone.select(".cd-comment")
    ]
    order = {"negative": 0, "mixed": 1, "positive": 2}
    assert shown == sorted(shown, key=order.__getitem__)
    assert sorted(shown) == sorted(found.comments[i].tone for i in found.members(theme.id))
    assert "never published" in by_tone.one("#comment-order").get_text()
