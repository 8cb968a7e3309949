"""Themes end to end: analysis run, analyst review on the web and the CLI, protected counts,
quotes only after moderation, publishing, exports, and nothing readable left on disk."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import select

from analysis.comments import theme_item
from analysis.disclosure import render
from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_theme_options,
    get_unlock_store,
)
from survey_app.services import analysis, surveys
from survey_app.services.submission import submit_response
from survey_app.storage.models import Release
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.helpers.pages import check_page
from tests.integration.reports.support import (
    MIN_GROUP,
    QUESTIONNAIRE,
    SUBMITTED_ON,
    publish,
    release_of,
    staff_member,
)
from tests.integration.staff.support import events

SLUG = "themes-survey"
BASE = f"/staff/surveys/{SLUG}"
CANARY = "Zanzibarquokka"

# Three experiences, each told in several ways (our own words).
WORKLOAD = [
    "My caseload is far heavier than my white colleagues and nobody looks at allocation.",
    "The allocation of cases is unfair, I always get the most complex caseload.",
    "I am given more cases than colleagues and the caseload never gets reviewed.",
    "Caseload allocation feels biased, the hardest cases always land on my desk.",
    "Too many cases and an unfair allocation, my caseload is unmanageable.",
    "Heavy caseload again this year, allocation of work is not fair.",
]
LISTENED = [
    "When I raise racism my manager does not listen and nothing changes.",
    "Managers do not listen when we report racist comments from colleagues.",
    "I reported a racist remark and my manager simply did not listen to me.",
    "Nobody in management listens when racism is raised, it is brushed aside.",
    "My concerns about racist behaviour were not listened to by my manager.",
    "I feel managers never listen to staff who raise racism at work.",
]
NETWORK = [
    "The staff network has been a lifeline and the reflective space helps a lot.",
    "Our Global Majority staff network gives me real support and solidarity.",
    "The reflective space sessions and the staff network make me feel less alone.",
    "Peer support through the staff network is the best thing about working here.",
    "I value the staff network meetings, they give support I cannot find elsewhere.",
    "The network and reflective space give me support and a sense of belonging.",
]
COMMENTS = WORKLOAD + LISTENED + NETWORK
COUNCILS = ("north", "south", "east")


def answers(index: int) -> dict[str, Any]:
    found: dict[str, Any] = {
        "council": COUNCILS[index % 3],
        "witnessed": ["yes", "no", "not_sure"][index % 3],
        "views": {"listened": "agree", "valued": "disagree"},
    }
    if index < len(COMMENTS) * 2:
        text = COMMENTS[index % len(COMMENTS)]
        found["comments"] = text + (f" Ask {CANARY}." if index == 0 else "")
    return found


def build_themed(app: Flask) -> str:
    """A closed survey of 48 responses, 36 with comments, analysed: the draft release's id."""
    info = create_survey(app, QUESTIONNAIRE, slug=SLUG, min_group=MIN_GROUP)
    with app.app_context():
        questionnaire = get_questionnaires()[QUESTIONNAIRE]
        for index in range(48):
            submit_response(get_db(), info, questionnaire, answers(index), today=SUBMITTED_ON)
        surveys.close_survey(get_db(), SLUG)
        store = get_unlock_store()
        # As after a key holder's analysis on the web: the review is unlocked for them.
        return analysis.run_analysis(
            get_db(),
            get_keyring(),
            questionnaire,
            SLUG,
            PASSPHRASE,
            actor="test",
            theme_options=get_theme_options(),
            unlocked=lambda release, key: store.put(release, key, 3600),
        )


@pytest.fixture
def themed(sample_app: Flask) -> str:
    return build_themed(sample_app)


def _review(app: Flask):  # type: ignore[no-untyped-def]
    from survey_app.services import review

    with app.app_context():
        return review.open_review(
            get_db(), get_keyring(), get_questionnaires(), None, SLUG, get_unlock_store()
        )


def test_the_analysis_run_finds_the_themes_and_protects_their_counts(
    sample_app: Flask, themed: str
) -> None:
    release = release_of(sample_app, SLUG)
    summary = release.themes["comments"]
    assert summary.status == "ready" and summary.engine == "lexical"
    found = _review(sample_app).review("comments")
    assert len(found.comments) == 36
    # Each experience lands (mostly) in one theme of its own.
    for group in (WORKLOAD, LISTENED, NETWORK):
        labels = [c.theme for c in found.comments if c.text.split(" Ask ")[0] in group]
        top = max(set(labels), key=labels.count)
        assert top != -1 and labels.count(top) >= 0.75 * len(labels)
    # The theme item is a release item, protected with the others.
    protected = release.protected
    item = theme_item("comments")
    assert item in protected.items
    counts = render(protected, (), item)
    assert int(counts["Total"].iloc[-1]) == 48
    # Key phrases are readable words that occur in the comments.
    text = " ".join(COMMENTS).lower()
    for theme in summary.themes:
        for phrase in theme.key_phrases:
            assert all(word in text for word in phrase.lower().split())
    assert all(theme.quotes == () for theme in summary.themes)  # nothing approved yet


def test_nothing_readable_is_left_on_disk(sample_app: Flask, themed: str) -> None:
    url = sample_app.config["SURVEY_DATABASE_URL"]
    if not url.startswith("sqlite:///"):
        pytest.skip("the file check reads the SQLite file; PostgreSQL runs the row check below")
    raw = Path(url.removeprefix("sqlite:///")).read_bytes()
    for suffix in ("-wal", "-journal"):
        extra = Path(url.removeprefix("sqlite:///") + suffix)
        if extra.exists():
            raw += extra.read_bytes()
    assert CANARY.encode() not in raw
    assert b"caseload" not in raw.lower()


def test_the_workspace_and_payload_are_encrypted(sample_app: Flask, themed: str) -> None:
    with sample_app.app_context(), get_db().session() as session:
        row = session.scalars(select(Release).where(Release.id == themed)).one()
        assert row.workspace is not None
        for blob in (row.workspace, row.payload):
            assert CANARY.encode() not in blob and b"caseload" not in blob


def _act(client, url: str, data: dict[str, str], release: str):  # type: ignore[no-untyped-def]
    page = check_page(client.get(url))
    token = str(page.select("main form[method=post] input[name=csrf_token]")[0]["value"])
    return client.post(
        f"{BASE}/themes/comments",
        data={**data, "csrf_token": token, "release": release},
    )


def test_an_analyst_reviews_themes_and_quotes_on_the_web(sample_app: Flask, themed: str) -> None:
    client, staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    index = check_page(client.get(f"{BASE}/themes"))
    assert index.select("#themes-questions a")
    page = check_page(client.get(f"{BASE}/themes/comments"))
    assert page.select(".cd-review-theme")
    found = _review(sample_app).review("comments")
    first, second = found.themes[0].id, found.themes[1].id

    # Rename: the draft report shows the new name, and the audit log has the action.
    response = _act(
        client,
        f"{BASE}/themes/comments",
        {"action": "rename", "theme": str(first), "label": "Caseload <allocation>"},
        themed,
    )
    assert response.status_code == 303
    report = check_page(client.get(f"{BASE}/report/comments"))
    assert "Caseload <allocation>" in report.soup.get_text()
    assert "<allocation>" not in report.response.get_data(as_text=True)  # escaped
    assert any("named" in e.detail for e in events(sample_app, "theme_review"))

    # Approve every candidate of the first theme: quotes appear on the overall view only.
    for quote in found.quotes:
        if found.comments[quote.comment].theme == first:
            _act(
                client,
                f"{BASE}/themes/comments/quotes",
                {"action": "approve", "quote": quote.id, "page": "quotes"},
                themed,
            )
    approved = _review(sample_app).review("comments")
    shown = {q.text for q in approved.quotes if q.status == "approved"}
    assert shown
    overall = check_page(client.get(f"{BASE}/report/comments"))
    quotes = {q.get_text(strip=True).strip("“”") for q in overall.select(".cd-quotes .cd-quote")}
    assert quotes and quotes <= shown
    assert CANARY not in overall.soup.get_text()
    by_council = check_page(client.get(f"{BASE}/report/comments?view=council"))
    assert not by_council.select(".cd-quotes")

    # Reject one, edit one: the edit is redacted again.
    ids = [q.id for q in approved.quotes if q.status == "approved"]
    _act(
        client,
        f"{BASE}/themes/comments/quotes",
        {"action": "reject", "quote": ids[0], "page": "quotes"},
        themed,
    )
    _act(
        client,
        f"{BASE}/themes/comments/quotes",
        {
            "action": "edit_quote",
            "quote": ids[-1],
            "text": "Call me on 07700 900123",
            "page": "quotes",
        },
        themed,
    )
    after = _review(sample_app).review("comments")
    assert after.quote(ids[0]).status == "rejected"
    assert after.quote(ids[-1]).text == "Call me on [phone]"

    # Merge, move, not reportable.
    _act(
        client,
        f"{BASE}/themes/comments",
        {"action": "merge", "theme": str(second), "into": str(first)},
        themed,
    )
    merged = _review(sample_app).review("comments")
    assert not merged.has_theme(second)
    _act(
        client,
        f"{BASE}/themes/comments/theme/{first}",
        {"action": "move", "comment": "0", "to": "-1", "page": "theme", "back_theme": str(first)},
        themed,
    )
    assert _review(sample_app).review("comments").comments[0].theme == -1
    _act(
        client, f"{BASE}/themes/comments", {"action": "not_reportable", "theme": str(first)}, themed
    )
    release = release_of(sample_app, SLUG)
    published = release.themes["comments"].named_themes
    reviewed = _review(sample_app).review("comments").themes
    assert len(published) == sum(1 for t in reviewed if t.reportable)
    # Named themes keep their names; the rest are published as automatic, never by name.
    assert sorted(t.label for t in published if t.reviewed) == sorted(
        t.label for t in reviewed if t.reportable and t.confirmed
    )
    assert all(t.label.startswith("Automatic theme") for t in published if not t.reviewed)
    actions = {e.detail.split(": ", 1)[1].split(" ")[0] for e in events(sample_app, "theme_review")}
    assert {"theme", "quote", "comment"} <= actions
    assert all(e.actor == staff.email for e in events(sample_app, "theme_review"))


def test_review_errors_are_shown_on_the_page(sample_app: Flask, themed: str) -> None:
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    found = _review(sample_app).review("comments")
    theme = found.themes[0].id
    response = _act(
        client,
        f"{BASE}/themes/comments",
        {"action": "rename", "theme": str(theme), "label": "  ", "field": f"label-{theme}"},
        themed,
    )
    page = check_page(response, 400)
    assert page.title.startswith("Error:")
    assert "Enter a name" in page.select(".cd-error-summary")[0].get_text()
    stale = _act(
        client,
        f"{BASE}/themes/comments",
        {"action": "rename", "theme": str(theme), "label": "X"},
        "0" * 32,
    )
    assert "newer analysis" in check_page(stale, 400).soup.get_text()
    assert _review(sample_app).review("comments").decisions == ()


def test_only_workers_review_and_only_drafts(sample_app: Flask, themed: str) -> None:
    viewer, _ = staff_member(sample_app, "viewer")
    assert viewer.get(f"{BASE}/themes").status_code == 403
    analyst, _ = staff_member(sample_app, "analyst")  # not assigned
    assert analyst.get(f"{BASE}/themes/comments").status_code == 403
    admin, _ = staff_member(sample_app, "admin")
    check_page(admin.get(f"{BASE}/themes/comments"))
    assert admin.get(f"{BASE}/themes/nope").status_code == 404
    assert admin.get(f"{BASE}/themes/comments/theme/999").status_code == 404
    publish(sample_app, SLUG)
    assert admin.get(f"{BASE}/themes").status_code == 404  # published: the workspace is gone
    release = release_of(sample_app, SLUG)
    assert not release.has_workspace and release.themes["comments"].status == "ready"


def test_publishing_keeps_decisions_and_approved_quotes_only(
    sample_app: Flask, themed: str
) -> None:
    runner = sample_app.test_cli_runner()
    found = _review(sample_app).review("comments")
    theme = found.themes[0].id
    result = runner.invoke(
        args=[
            "themes",
            "rename",
            "--survey",
            SLUG,
            "--question",
            "comments",
            "--theme",
            str(theme),
            "--label",
            "Workload",
        ]
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["themes", "list", "--survey", SLUG])
    assert "Workload" in listing.output
    quotes = runner.invoke(args=["themes", "quotes", "--survey", SLUG, "--question", "comments"])
    first_quote = next(q for q in found.quotes if found.comments[q.comment].theme == theme)
    assert first_quote.id in quotes.output
    approve = runner.invoke(
        args=[
            "themes",
            "approve",
            "--survey",
            SLUG,
            "--question",
            "comments",
            "--quote",
            first_quote.id,
        ]
    )
    assert approve.exit_code == 0, approve.output
    bad = runner.invoke(
        args=[
            "themes",
            "merge",
            "--survey",
            SLUG,
            "--question",
            "comments",
            "--theme",
            str(theme),
            "--into",
            str(theme),
        ]
    )
    assert bad.exit_code == 1 and "different theme" in bad.output
    publish(sample_app, SLUG)
    release = release_of(sample_app, SLUG, published_only=True)
    assert [d["action"] for d in release.decisions["comments"]] == ["rename", "approve"]
    with sample_app.app_context(), get_db().session() as session:
        assert session.scalars(select(Release.workspace)).all() == [None]
    admin, _ = staff_member(sample_app, "admin")
    page = check_page(admin.get(f"{BASE}/report/comments"))
    assert len(page.select("#review-decisions li")) == 2
    viewer, _ = staff_member(sample_app, "viewer")
    assert not check_page(viewer.get(f"{BASE}/report/comments")).select("#review-decisions")
    codebook = runner.invoke(args=["themes", "codebook", "--survey", SLUG])
    assert "label: Workload" in codebook.output and "codebooks:" in codebook.output


def test_exports_carry_the_themes(sample_app: Flask, themed: str) -> None:
    runner = sample_app.test_cli_runner()
    found = _review(sample_app).review("comments")
    theme = found.themes[0].id
    runner.invoke(
        args=[
            "themes",
            "rename",
            "--survey",
            SLUG,
            "--question",
            "comments",
            "--theme",
            str(theme),
            "--label",
            "Workload",
        ]
    )
    client, _ = staff_member(sample_app, "admin")
    response = client.get(f"{BASE}/report/download/csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert any(r[2].endswith("Themes in the comments") and r[3] == "Workload" for r in rows)
    assert any(r[6] == "key phrase" for r in rows)
    workbook = client.get(f"{BASE}/report/download/xlsx").get_data()
    book = openpyxl.load_workbook(io.BytesIO(workbook), read_only=True)
    strings = " ".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell
    )
    assert "Workload" in strings and "Key phrases" in strings and CANARY not in strings
    html = client.get(f"{BASE}/report/download/html").get_data(as_text=True)
    assert "Workload" in html and CANARY not in html


def test_splitting_a_theme_makes_a_new_one_with_its_own_quotes(
    sample_app: Flask, themed: str
) -> None:
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    before = _review(sample_app).review("comments")
    biggest = max(before.themes, key=lambda t: before.size(t.id))
    response = _act(
        client, f"{BASE}/themes/comments", {"action": "split", "theme": str(biggest.id)}, themed
    )
    assert response.status_code == 303
    after = _review(sample_app).review("comments")
    (new,) = [t for t in after.themes if not before.has_theme(t.id)]
    assert 0 < after.size(new.id) < before.size(biggest.id)
    assert after.size(new.id) + after.size(biggest.id) == before.size(biggest.id)
    assert after.decisions[-1].action == "split"
    assert any("split" in e.detail for e in events(sample_app, "theme_review"))
    release = release_of(sample_app, SLUG)
    assert f"t{new.id}" in release.protected.items[theme_item("comments")][()]


def test_a_change_made_meanwhile_by_someone_else_is_not_overwritten(
    sample_app: Flask, themed: str
) -> None:
    from analysis.comments import reviewing
    from survey_app.services import review

    first, second = _review(sample_app), _review(sample_app)
    theme = first.review("comments").themes[0].id
    mine = reviewing.rename(first.review("comments"), theme, "Mine", actor="a@example.org")
    theirs = reviewing.rename(second.review("comments"), theme, "Theirs", actor="b@example.org")
    with sample_app.app_context():
        review.save(get_db(), get_keyring(), first, first.workspace.replace_review(mine))
        with pytest.raises(review.StaleReviewError, match="Someone else changed"):
            review.save(get_db(), get_keyring(), second, second.workspace.replace_review(theirs))
    assert _review(sample_app).review("comments").theme(theme).label == "Mine"


def test_the_review_page_proposes_the_most_alike_themes_and_merges_them_in_one_click(
    sample_app: Flask, themed: str
) -> None:
    from analysis.comments.similar import nearest_pairs

    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    found = _review(sample_app).review("comments")
    # The fixture's three themes share no words: nothing is proposed.
    assert nearest_pairs(found) == []
    assert not check_page(client.get(f"{BASE}/themes/comments")).select("#merge-proposals")
    # Split the largest theme: its two parts share words, and are proposed as one.
    biggest = max(found.themes, key=lambda t: found.size(t.id))
    split = {"action": "split", "theme": str(biggest.id)}
    assert _act(client, f"{BASE}/themes/comments", split, themed).status_code == 303
    pairs = nearest_pairs(_review(sample_app).review("comments"))
    assert pairs
    page = check_page(client.get(f"{BASE}/themes/comments"))
    proposals = page.select("#merge-proposals li")
    assert len(proposals) == len(pairs)
    first = pairs[0]
    text = proposals[0].get_text(" ", strip=True)
    assert f"{first.percent}% alike" in text
    form = proposals[0].select("form")[0]
    values = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    assert (values["theme"], values["into"]) == (str(first.second), str(first.first))
    response = _act(
        client,
        f"{BASE}/themes/comments",
        {"action": "merge", "theme": values["theme"], "into": values["into"]},
        themed,
    )
    assert response.status_code == 303
    after = _review(sample_app).review("comments")
    assert not after.has_theme(first.second) and after.has_theme(first.first)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"action": "merge", "theme": "{a}", "into": "{a}"}, "Choose a different theme"),
        ({"action": "split"}, "Choose a theme or comment from the list"),
        ({"action": "move", "comment": "0", "to": "999"}, "no longer exists"),
    ],
)
def test_review_actions_that_cannot_be_done_say_so_on_the_page(
    sample_app: Flask, themed: str, values: dict[str, str], message: str
) -> None:
    client, _staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    theme = str(_review(sample_app).review("comments").themes[0].id)
    data = {key: value.replace("{a}", theme) for key, value in values.items()}
    page = check_page(_act(client, f"{BASE}/themes/comments", data, themed), 400)
    assert message in page.select(".cd-error-summary")[0].get_text()
    assert _review(sample_app).review("comments").decisions == ()
