"""Headcounts and response rates: how many staff of each council could answer a survey.

An admin enters each council's eligible headcount for a survey (the web form, or
``flask headcounts set`` from a CSV). A report then shows a council's response rate — its
published response count over its headcount — only where that response count is published;
a headcount is public information, so the rate tells nobody more than the count already did.
A headcount smaller than a council's published responses is refused: one of the two is wrong.

The councils are the options of the questionnaire's ``council`` breakdown (the staff survey's
"Which council do you work for?"; "Prefer not to say" has no headcount).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select

from survey_app.domain.model import Questionnaire
from survey_app.domain.numbers import typed_number
from survey_app.services import audit
from survey_app.services.errors import ServiceError
from survey_app.services.surveys import SurveyInfo
from survey_app.storage.database import Database
from survey_app.storage.models import Headcount

COUNCIL = "council"
NOT_COUNTED = ("prefer_not_to_say",)
LARGEST = 1_000_000


@dataclass(frozen=True)
class Council:
    value: str
    label: str


def councils(questionnaire: Questionnaire | None) -> list[Council]:
    """The councils a survey's staff can belong to (none: the questionnaire has no council
    breakdown, and the survey has no response rates)."""
    if questionnaire is None or COUNCIL not in questionnaire.breakdowns:
        return []
    return [
        Council(o.value, o.label)
        for o in questionnaire.question(COUNCIL).options
        if o.value not in NOT_COUNTED
    ]


def headcounts(db: Database, survey_id: str) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(
            select(Headcount.group_value, Headcount.headcount).where(
                Headcount.survey_id == survey_id
            )
        )
        return {str(group): int(count) for group, count in rows}


def parse_count(text: str) -> int | None:
    """A whole number as typed ("1,250" too), or None."""
    return typed_number(text)


def read_csv(text: str, known: list[Council]) -> dict[str, int]:
    """``council,headcount`` rows (a header row is optional; a council by its value or its
    label) as {council value: headcount}; ServiceError naming the line otherwise."""
    by_name = {c.value.lower(): c.value for c in known}
    by_name.update({c.label.lower(): c.value for c in known})
    found: dict[str, int] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2:
            raise ServiceError(f"Line {number}: write a council and its headcount, 2 values")
        name, count_text = (cell.strip() for cell in row)
        if number == 1 and name.lower() == COUNCIL:
            continue  # the header
        value = by_name.get(name.lower())
        if value is None:
            raise ServiceError(f"Line {number}: '{name}' is not a council of this survey")
        count = parse_count(count_text)
        if count is None:
            raise ServiceError(
                f"Line {number}: the headcount for {name} must be a whole number of 0 or more"
            )
        found[value] = count
    if not found:
        raise ServiceError("The file has no headcounts")
    return found


def set_headcounts(
    db: Database,
    survey: SurveyInfo,
    questionnaire: Questionnaire | None,
    values: Mapping[str, int | None],
    published: Mapping[str, int | None],
    *,
    actor: str,
) -> dict[str, int]:
    """Store the survey's headcounts (None or absent: no headcount for that council).
    ``published``: each council's response count in the survey's published report (None
    where hidden), which no headcount may be below."""
    known = {c.value: c for c in councils(questionnaire)}
    if not known:
        raise ServiceError("This survey's questionnaire does not ask for a council")
    chosen: dict[str, int] = {}
    for value, count in values.items():
        if value not in known:
            raise ServiceError(f"'{value}' is not a council of this survey")
        if count is None:
            continue
        if not 0 <= count <= LARGEST:
            raise ServiceError(
                f"The headcount for {known[value].label} must be between 0 and {LARGEST:,}"
            )
        responses = published.get(value)
        if responses is not None and count < responses:
            raise ServiceError(
                f"The headcount for {known[value].label} ({count:,}) is smaller than its "
                f"{responses:,} published responses: check the figure"
            )
        chosen[value] = count
    with db.transaction() as session:
        session.execute(delete(Headcount).where(Headcount.survey_id == survey.id))
        for value, count in chosen.items():
            session.add(Headcount(survey_id=survey.id, group_value=value, headcount=count))
    audit.record(
        db,
        actor,
        "headcounts_set",
        survey.slug,
        f"{len(chosen)} councils, {sum(chosen.values()):,} staff",
    )
    return chosen


@dataclass(frozen=True)
class Rate:
    label: str
    responses: int
    headcount: int

    @property
    def percent(self) -> int:
        return round(100 * self.responses / self.headcount) if self.headcount else 0


def response_rates(
    questionnaire: Questionnaire | None,
    stored: Mapping[str, int],
    published: Mapping[str, int | None],
) -> list[Rate]:
    """A rate for each council with a headcount whose response count is published."""
    rates = []
    for council in councils(questionnaire):
        count = published.get(council.value)
        headcount = stored.get(council.value)
        if count is None or headcount is None or headcount == 0:
            continue
        rates.append(Rate(council.label, count, headcount))
    return rates
