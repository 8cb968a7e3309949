"""The review and publishing attacks, replayed: none of them learns who wrote what.

- An analyst differences drafts: moves a comment to another theme and compares every table of
  the draft before and after.
- An interim release: results of a survey that is still open, then results after one more
  response.
- Republishing after moving the comment behind a published quote, then setting the two
  published releases side by side.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from analysis.comments import theme_item
from analysis.disclosure import ProtectedRelease
from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_theme_options,
    get_unlock_store,
)
from survey_app.services import analysis, publishing, review, surveys
from survey_app.services.errors import ServiceError
from survey_app.services.submission import submit_response
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.helpers.pages import check_page
from tests.integration.reports.support import QUESTIONNAIRE, SUBMITTED_ON, release_of
from tests.integration.reports.test_themes import COMMENTS
from tests.integration.staff.support import form_token, signed_in

SLUG = "attacks"
ITEM = theme_item("comments")
COUNCILS = ("north", "south", "east")
GROUPS = ("asian", "black", "mixed")


def answers(index: int) -> dict[str, Any]:
    """90 respondents: three councils and three ethnic groups of 30, every comment theme
    written in every council, so theme counts by council can be shown."""
    return {
        "council": COUNCILS[index % 3],
        "ethnic_group": GROUPS[(index // 3) % 3],
        "witnessed": ["yes", "no", "not_sure"][(index // 9) % 3],
        "views": {"listened": "agree", "valued": ["agree", "disagree"][index % 2]},
        "comments": COMMENTS[index % len(COMMENTS)],
    }


def closed_with_comments(app: Flask, count: int = 90) -> str:
    info = create_survey(app, QUESTIONNAIRE, slug=SLUG, min_group=5)
    with app.app_context():
        questionnaire = get_questionnaires()[QUESTIONNAIRE]
        for index in range(count):
            submit_response(get_db(), info, questionnaire, answers(index), today=SUBMITTED_ON)
        surveys.close_survey(get_db(), SLUG)
    return analyse(app)


def analyse(app: Flask) -> str:
    with app.app_context():
        store = get_unlock_store()
        return analysis.run_analysis(
            get_db(),
            get_keyring(),
            get_questionnaires()[QUESTIONNAIRE],
            SLUG,
            PASSPHRASE,
            actor="test",
            theme_options=get_theme_options(),
            unlocked=lambda release, key: store.put(release, key, 3600),
        )


def publish(app: Flask, release_id: str) -> None:
    with app.app_context():
        publishing.publish(
            get_db(),
            get_keyring(),
            get_questionnaires()[QUESTIONNAIRE],
            SLUG,
            release_id,
            PASSPHRASE,
            actor="test",
            store=get_unlock_store(),
        )


def move_first_comment(app: Flask) -> int:
    """Move comment 0 to another theme, as an analyst does; returns the theme it went to."""
    with app.app_context():
        context = review.open_review(
            get_db(), get_keyring(), get_questionnaires(), None, SLUG, get_unlock_store()
        )
        found = context.review("comments")
        target = next(t.id for t in found.themes if t.id != found.comments[0].theme)
        review.act(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            get_theme_options(),
            None,
            SLUG,
            context.release_id,
            "comments",
            "move",
            {"comment": "0", "to": str(target)},
            get_unlock_store(),
        )
    return target


def by_group_values(release: ProtectedRelease) -> dict[tuple[Any, ...], int | None]:
    """Every published value outside the overall row: (item, population, column) -> value."""
    found: dict[tuple[Any, ...], int | None] = {}
    for pop, size in release.sizes.items():
        if pop:
            found[(None, pop, "Total")] = size
    for item, rows in release.items.items():
        for pop, row in rows.items():
            if pop:
                for column, value in row.items():
                    found[(item, pop, column)] = value
    return found


def test_a_draft_shows_theme_counts_overall_only(sample_app: Flask) -> None:
    closed_with_comments(sample_app)
    draft = release_of(sample_app, SLUG)
    assert draft.status == "draft"
    assert set(draft.protected.items[ITEM]) == {()}
    assert draft.overall_only == {ITEM: analysis.DRAFT}
    assert not draft.protected.publishes(ITEM, ("council",))
    # The closed questions are broken down as usual.
    assert draft.protected.publishes("witnessed", ("council", "ethnic_group"))


def test_differencing_drafts_around_a_moved_comment_learns_nothing(sample_app: Flask) -> None:
    closed_with_comments(sample_app)
    before = release_of(sample_app, SLUG).protected
    move_first_comment(sample_app)
    after = release_of(sample_app, SLUG).protected
    # The overall theme counts do change: the move is real ...
    assert before.items[ITEM][()] != after.items[ITEM][()]
    # ... but nothing about any group does, in any table of the draft.
    assert by_group_values(before) == by_group_values(after)
    assert not any(item == ITEM for item, _pop, _col in by_group_values(after))


def test_the_draft_pages_show_no_theme_counts_by_group(sample_app: Flask) -> None:
    closed_with_comments(sample_app)
    client, _staff = signed_in(sample_app, "admin")
    page = check_page(client.get(f"/staff/surveys/{SLUG}/report/comments?view=council"))
    assert not page.select(f"table[data-item='{ITEM}']")
    assert "worked out once, when a key holder publishes" in page.soup.get_text()
    overall = check_page(client.get(f"/staff/surveys/{SLUG}/report/comments"))
    assert overall.select(f"table[data-item='{ITEM}']")


def test_an_open_survey_is_never_analysed_or_published(sample_app: Flask) -> None:
    """The interim-release attack cannot start: no results while a survey is open, from the
    service, the command line or the web."""
    info = create_survey(sample_app, QUESTIONNAIRE, slug=SLUG, min_group=5)
    with sample_app.app_context():
        questionnaire = get_questionnaires()[QUESTIONNAIRE]
        for index in range(30):
            submit_response(get_db(), info, questionnaire, answers(index))
        with pytest.raises(ServiceError, match="only after a survey closes"):
            analysis.run_analysis(
                get_db(),
                get_keyring(),
                questionnaire,
                SLUG,
                PASSPHRASE,
                actor="test",
                theme_options=get_theme_options(),
            )
        with pytest.raises(ServiceError, match="only after a survey closes"):
            publishing.publish(
                get_db(), get_keyring(), questionnaire, SLUG, "0" * 32, PASSPHRASE, actor="t"
            )
        assert analysis.release_count(get_db(), info.id) == 0
    runner = sample_app.test_cli_runner()
    result = runner.invoke(args=["analysis", "run", "--survey", SLUG], input=PASSPHRASE + "\n")
    assert result.exit_code == 1 and "only after a survey closes" in result.output
    client, _staff = signed_in(sample_app, "admin")
    page = check_page(client.get(f"/staff/surveys/{SLUG}/analyse"))
    assert page.h1 == "This survey cannot be analysed yet"
    token = form_token(check_page(client.get("/staff/surveys/new")))
    posted = client.post(
        f"/staff/surveys/{SLUG}/analyse", data={"passphrase": PASSPHRASE, "csrf_token": token}
    )
    assert check_page(posted).h1 == "This survey cannot be analysed yet"
    with sample_app.app_context():
        assert analysis.release_count(get_db(), info.id) == 0


def test_publishing_counts_themes_by_group_from_the_final_review(sample_app: Flask) -> None:
    release_id = closed_with_comments(sample_app)
    draft = release_of(sample_app, SLUG).protected
    publish(sample_app, release_id)
    published = release_of(sample_app, SLUG, published_only=True)
    assert published.id == release_id and not published.has_workspace
    assert published.overall_only == {}
    assert published.protected.publishes(ITEM, ("council",))
    shown = [
        v for (item, _p, _c), v in by_group_values(published.protected).items() if item == ITEM
    ]
    assert any(v is not None and v > 0 for v in shown), "some theme counts by group are shown"
    # Everything the draft hid is still hidden, and the closed questions are as in the draft.
    closed = set(draft.items) - {ITEM}
    assert (
        published.protected.without_items({ITEM}).hidden_cells()
        == draft.without_items({ITEM}).hidden_cells()
    )
    for item in closed:
        assert published.protected.items[item] == draft.items[item]
    with sample_app.app_context():
        assert get_unlock_store().get(release_id) is None  # the review key is gone too


def test_republishing_after_a_move_shows_nothing_to_difference(sample_app: Flask) -> None:
    first_id = closed_with_comments(sample_app)
    publish(sample_app, first_id)
    first = release_of(sample_app, SLUG, published_only=True).protected
    assert first.publishes(ITEM, ("council",))
    # A second analysis, the comment behind a quote moved, published again.
    second_id = analyse(sample_app)
    draft = release_of(sample_app, SLUG).protected
    assert draft.without_items({ITEM}) == first.without_items({ITEM}), (
        "a later draft shows the closed questions exactly as published"
    )
    move_first_comment(sample_app)
    publish(sample_app, second_id)
    second = release_of(sample_app, SLUG, published_only=True)
    assert second.id == second_id
    # The changed themes are shown overall only, and say why ...
    assert second.overall_only == {ITEM: analysis.CHANGED}
    assert set(second.protected.items[ITEM]) == {()}
    # ... and every value both releases show by group is the same value: a reader setting
    # them side by side finds no difference anywhere, so learns nothing about the mover.
    old, new = by_group_values(first), by_group_values(second.protected)
    both = [key for key in new if key in old and old[key] is not None and new[key] is not None]
    assert both, "the releases do show figures by group"
    assert all(old[key] == new[key] for key in both)
    assert {key for key in new if new[key] is not None} <= {
        key for key in old if old[key] is not None
    }


def test_republishing_unchanged_themes_shows_them_exactly_as_before(sample_app: Flask) -> None:
    first_id = closed_with_comments(sample_app)
    publish(sample_app, first_id)
    first = release_of(sample_app, SLUG, published_only=True).protected
    second_id = analyse(sample_app)  # the same themes again: nothing moved
    publish(sample_app, second_id)
    second = release_of(sample_app, SLUG, published_only=True)
    assert second.overall_only == {}
    assert second.protected.items[ITEM] == first.items[ITEM]
    assert second.protected.hidden_cells() == first.hidden_cells()


def test_publishing_needs_the_passphrase_and_changes_nothing_without_it(
    sample_app: Flask,
) -> None:
    release_id = closed_with_comments(sample_app)
    from survey_app.services.errors import KeySlotError

    with sample_app.app_context(), pytest.raises(KeySlotError):
        publishing.publish(
            get_db(),
            get_keyring(),
            get_questionnaires()[QUESTIONNAIRE],
            SLUG,
            release_id,
            "not the passphrase",
            actor="test",
        )
    assert release_of(sample_app, SLUG).status == "draft"


def test_draft_downloads_carry_no_theme_counts_by_group(sample_app: Flask) -> None:
    import csv
    import io

    import openpyxl

    closed_with_comments(sample_app)
    client, _staff = signed_in(sample_app, "admin")
    text = client.get(
        f"/staff/surveys/{SLUG}/report/download/csv?view=council&view=ethnic_group&view=council%2Bethnic_group"
    ).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    themed = [r for r in rows if r[2].endswith("Themes in the comments")]
    assert {r[0] for r in themed if r[6] in ("shown", "hidden")} == {"Overall"}
    notes = [r for r in themed if r[6] == "note"]
    assert {r[0] for r in notes} == {"By council", "By ethnic group", "By council and ethnic group"}
    assert all("worked out once" in r[3] for r in notes)
    book = openpyxl.load_workbook(
        io.BytesIO(
            client.get(
                f"/staff/surveys/{SLUG}/report/download/xlsx?view=council&view=ethnic_group&view=council%2Bethnic_group"
            ).get_data()
        ),
        read_only=True,
    )
    cells = [
        str(c)
        for sheet in book.worksheets
        for r in sheet.iter_rows(values_only=True)
        for c in r
        if c
    ]
    assert any("worked out once" in c for c in cells)
    html = client.get(
        f"/staff/surveys/{SLUG}/report/download/html?view=council&view=ethnic_group&view=council%2Bethnic_group"
    ).get_data(as_text=True)
    assert "worked out once, when a key holder publishes" in html
