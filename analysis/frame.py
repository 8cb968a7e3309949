"""The analysis table: one row per response, one column per answer, with a fixed contract.

Column contract (``build_frame``):

=====================  ===========================================  ======================
question type          column(s)                                    dtype
=====================  ===========================================  ======================
single choice, Likert  ``<question>``                               category (option codes)
multiple choice        ``<question>__<option>`` for every option    boolean (<NA> = skipped)
Likert grid            ``<question>__<statement>`` per statement    category (option codes)
number                 ``<question>``                               Int64
free text              ``<question>``                               string
=====================  ===========================================  ======================

Unanswered questions are ``<NA>``; for multiple choice every option column of a skipped
question is ``<NA>`` (a respondent who answered has True/False in each). Rows are in no
meaningful order and carry no id, date or anything else about the respondent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

Kind = Literal["single", "multiple", "grid", "number", "text"]


@dataclass(frozen=True)
class QuestionSpec:
    """What the analysis needs to know about one question (built by the caller from the
    questionnaire, so this package never imports the web application)."""

    id: str
    kind: Kind
    options: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()

    def columns(self) -> tuple[str, ...]:
        if self.kind == "multiple":
            return tuple(f"{self.id}__{option}" for option in self.options)
        if self.kind == "grid":
            return tuple(f"{self.id}__{statement}" for statement in self.statements)
        return (self.id,)


def build_frame(
    specs: Sequence[QuestionSpec], answers: Iterable[Mapping[str, Any]]
) -> pd.DataFrame:
    """One row per answers mapping (``{question id: value}``, as sealed), columns as above.

    Values that do not fit the contract (an option no longer offered, a wrong type) become
    ``<NA>`` rather than errors: the analysis never fails on one odd response.
    """
    columns: dict[str, list[Any]] = {c: [] for spec in specs for c in spec.columns()}
    for row in answers:
        for spec in specs:
            value = row.get(spec.id)
            if spec.kind == "multiple":
                chosen = set(value) if isinstance(value, list) else None
                for option in spec.options:
                    columns[f"{spec.id}__{option}"].append(
                        None if chosen is None else option in chosen
                    )
            elif spec.kind == "grid":
                given = value if isinstance(value, dict) else {}
                for statement in spec.statements:
                    columns[f"{spec.id}__{statement}"].append(given.get(statement))
            elif spec.kind == "number":
                is_int = isinstance(value, int) and not isinstance(value, bool)
                columns[spec.id].append(value if is_int else None)
            elif spec.kind == "text":
                columns[spec.id].append(value if isinstance(value, str) else None)
            else:
                columns[spec.id].append(value if isinstance(value, str) else None)
    data: dict[str, pd.Series[Any]] = {}
    for spec in specs:
        for column in spec.columns():
            values = columns[column]
            if spec.kind in ("single", "grid"):
                data[column] = pd.Series(pd.Categorical(values, categories=list(spec.options)))
            elif spec.kind == "multiple":
                data[column] = pd.Series(values, dtype="boolean")
            elif spec.kind == "number":
                data[column] = pd.Series(values, dtype="Int64")
            else:
                data[column] = pd.Series(values, dtype="string")
    return pd.DataFrame(data)
