"""Build an analysed report survey, and read figures back from report pages.

Every page's tables carry ``data-population`` on rows and ``data-column``/``data-measure`` on
cells, so each cell can be matched with the release it came from.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from bs4 import Tag
from flask import Flask
from sqlalchemy import select

from analysis.disclosure import NO_ANSWER, Population, ProtectedRelease
from analysis.report import percent
from survey_app.extensions import get_db, get_keyring, get_questionnaires, get_theme_options
from survey_app.services import accounts, analysis, publishing, releases, surveys
from survey_app.services.analysis import ReleaseData
from survey_app.services.submission import submit_response
from survey_app.storage.models import Release, Response
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.integration.staff.support import Staff, make_user, sign_in

QUESTIONNAIRE = "report-survey"
SLUG = "report-survey"
SUBMITTED_ON = dt.date(2024, 3, 7)  # far from today, so a leak would show in an export
MIN_GROUP = 5
VIEWS = ("overall", "council", "ethnic_group", "council+ethnic_group")
HTML_LABEL = "<b>East</b> & Fens Council"

COUNCILS = ["north"] * 18 + ["south"] * 14 + ["east"] * 8
GROUPS = (["asian", "black"] * 14) + ["mixed"] * 6 + ["prefer_not_to_say"] * 4 + [None, None]


def answers(index: int) -> dict[str, Any]:
    """The answers of respondent ``index`` (0..39): varied, deterministic."""
    found: dict[str, Any] = {"council": COUNCILS[index]}
    if GROUPS[index] is not None:
        found["ethnic_group"] = GROUPS[index]
    found["witnessed"] = ["yes", "yes", "no", "not_sure"][index % 4]
    found["views"] = {
        "listened": ["agree", "neutral", "disagree"][index % 3],
        "valued": ["agree", "disagree"][(index // 3) % 2],
    }
    if index % 7:
        found["support"] = (
            ["nobody"]
            if index % 5 == 0
            else [
                ["manager", "colleague", "network"][index % 3],
                *(["colleague"] if index % 3 == 0 else []),
            ]
        )
    if index % 4 == 0:
        found["comments"] = f"Comment number {index}"
    return found


@dataclass
class Built:
    slug: str
    release_id: str
    response_ids: list[str]


def closed_survey(app: Flask, slug: str = SLUG, count: int = 40, *, analyse: bool = True) -> Built:
    """A closed report survey with ``count`` responses and (if ``analyse``) a draft release."""
    info = create_survey(app, QUESTIONNAIRE, slug=slug, min_group=MIN_GROUP)
    with app.app_context():
        questionnaire = get_questionnaires()[QUESTIONNAIRE]
        for index in range(count):
            submit_response(get_db(), info, questionnaire, answers(index), today=SUBMITTED_ON)
        surveys.close_survey(get_db(), slug)
        with get_db().session() as session:
            ids = list(session.scalars(select(Response.id).where(Response.survey_id == info.id)))
    return Built(slug, analyse_survey(app, slug) if analyse else "", ids)


def analyse_survey(app: Flask, slug: str = SLUG) -> str:
    """Run the analysis of the closed survey ``slug`` as its key holder: the draft's id."""
    with app.app_context():
        info = surveys.get_survey(get_db(), slug)
        return analysis.run_analysis(
            get_db(),
            get_keyring(),
            get_questionnaires()[info.questionnaire_id],
            slug,
            PASSPHRASE,
            actor="test",
            theme_options=get_theme_options(),
        )


def release_of(app: Flask, slug: str = SLUG, *, published_only: bool = False) -> ReleaseData:
    with app.app_context():
        info = surveys.get_survey(get_db(), slug)
        found = analysis.load_release(get_db(), get_keyring(), info, published_only=published_only)
    assert found is not None
    return found


def stored_protection(app: Flask, release_id: str) -> ProtectedRelease:
    """A stored release's tables with their disclosure audit (report pages read the tables
    only; the audit is stored apart, see ``services.releases``)."""
    with app.app_context(), get_db().session() as session:
        row = session.get(Release, release_id)
        assert row is not None
        document = releases.read_release(session, get_keyring(), row)
    return ProtectedRelease.from_dict(document["release"])


def staff_member(app: Flask, role: str, *, assigned_to: str | None = None) -> tuple[Any, Staff]:
    """A signed-in browser for a new account with ``role`` (assigned to a survey if given)."""
    staff = make_user(app, role, f"{role}-{assigned_to or 'none'}@example.org")
    if assigned_to is not None:
        with app.app_context():
            accounts.assign(get_db(), email=staff.email, slug=assigned_to, actor="test")
    client = app.test_client()
    sign_in(client, staff)
    return client, staff


def publish(app: Flask, slug: str = SLUG) -> None:
    """Publish the newest draft as a key holder does (the passphrase opens the responses)."""
    release = release_of(app, slug)
    with app.app_context():
        info = surveys.get_survey(get_db(), slug)
        questionnaire = get_questionnaires()[info.questionnaire_id]
        publishing.publish(
            get_db(), get_keyring(), questionnaire, slug, release.id, PASSPHRASE, actor="test"
        )


# --- reading pages -----------------------------------------------------------------------------


def population_of(row: Tag) -> Population:
    text = str(row["data-population"])
    if not text:
        return ()
    return tuple(sorted(tuple(part.split("=", 1)) for part in text.split(";")))  # type: ignore[misc]


def cell_value(cell: Tag) -> int | None:
    """A rendered count or percentage: ``None`` for ``c``; anything else must be a number."""
    text = cell.get_text(strip=True)
    if text == "c":
        return None
    digits = text.removesuffix("%").replace(",", "")
    assert digits.isdigit(), f"unexpected cell text {text!r}"
    return int(digits)


def cell_figures(cell: Tag) -> dict[str, int | None]:
    """What a rendered cell says, by measure: ``count``, ``percent`` or both, from a cell of
    "48", "12%", "c", or "48 (12%)" / "48 (c)" (``data-measure="count percent"``)."""
    measures = str(cell["data-measure"]).split()
    text = cell.get_text(strip=True)
    if measures == ["count", "percent"]:
        if text == "c":
            return {"count": None, "percent": None}
        found = re.fullmatch(r"([0-9,]+) \((c|[0-9]+%)\)", text)
        assert found is not None, f"unexpected cell text {text!r}"
        share = found.group(2)
        return {
            "count": int(found.group(1).replace(",", "")),
            "percent": None if share == "c" else int(share[:-1]),
        }
    (measure,) = measures
    return {measure: cell_value(cell)}


def check_figure_table(table: Tag, release: ProtectedRelease) -> int:
    """Every figure of a rendered question table equals the release (returns the figures
    seen)."""
    item = str(table["data-item"])
    # Themes and codes of comments: percentages of the people who commented (the group less
    # those who wrote nothing, when both are shown); the no-comment column has none.
    commented = item.endswith(("__themes", "__codes"))
    seen = 0
    for row in table.select("tbody tr"):
        population = population_of(row)
        size = release.size(population)
        total = size
        if commented:
            silent = release.value(item, population, NO_ANSWER)
            total = None if size is None or silent is None else size - silent
        for cell in row.select("td"):
            column = str(cell["data-column"])
            assert not (commented and column == NO_ANSWER), "no-comment column in a theme table"
            count = release.value(item, population, column)
            if column == "Total":  # the group's size (or its commenters), 100 % of itself
                count = total if commented else count
                share = percent(count, count)
            else:
                share = percent(count, total)
            expected = {"count": count, "percent": share}
            for measure, value in cell_figures(cell).items():
                assert value == expected[measure], (item, population, column, measure)
                seen += 1
    return seen


def check_respondent_table(table: Tag, release: ProtectedRelease) -> int:
    seen = 0
    for row in table.select("tbody tr"):
        population = population_of(row)
        size = release.size(population)
        count, share = row.select("td")
        assert cell_value(count) == size
        assert cell_value(share) == percent(size, release.size(()))
        seen += 2
    return seen
