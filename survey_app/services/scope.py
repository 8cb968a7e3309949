"""What one analysis covers, and how its responses are counted.

A survey's analysis covers every response, broken down by the questionnaire's demographic
questions. A series' analysis covers a *batch* of its closed sessions (those no earlier
published report covered; see ``analysis.series_scope``) and adds breakdowns that are facts
about each session, not about anyone who answered:

* ``_session`` — the session itself (the base: every other one is a function of it);
* ``_quarter`` — the calendar quarter it was held in ("Oct–Dec 2026");
* ``_format`` — in person or online;
* ``_host`` — the council that hosted it, or "No single council".

Every reader knows these facts, and the room saw each session's count go up, so the release
is told that the sizes of these groups are public and that the pooled groups are sums of
sessions (``ReleaseInput.public_dimensions`` and ``nesting``): the engine then protects the
answers of a small session against every subtraction the pooled views allow.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analysis.counting import Breakdown
from analysis.disclosure import ReleaseInput
from analysis.frame import QuestionSpec
from survey_app.domain.model import Questionnaire
from survey_app.services.sessions import FORMATS, SessionInfo

SESSION, QUARTER, FORMAT, HOST = "_session", "_quarter", "_format", "_host"
#: The session breakdowns in the order reports offer them (pooled ones before the sessions).
SESSION_DIMENSIONS = (QUARTER, FORMAT, HOST, SESSION)
TITLES: Mapping[str, str] = {
    SESSION: "Session",
    QUARTER: "Quarter",
    FORMAT: "Format",
    HOST: "Hosting council",
}
NO_HOST = "_none"
NO_HOST_LABEL = "No single council"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def quarter_of(day: dt.date) -> tuple[str, str]:
    """The calendar quarter of ``day``: a code that sorts ("2026-10") and its label."""
    first = 3 * ((day.month - 1) // 3) + 1
    return f"{day.year}-{first:02d}", f"{_MONTHS[first - 1]}–{_MONTHS[first + 1]} {day.year}"


def session_label(info: SessionInfo) -> str:
    return f"{info.title}, {info.held_on.day} {info.held_on:%b %Y}"


@dataclass(frozen=True)
class Scope:
    """A survey (no sessions) or a batch of a series' sessions (``sessions``: those with at
    least one response, which are the groups; ``covered``: every session the batch closes
    off, empty ones included)."""

    series: bool = False
    sessions: tuple[SessionInfo, ...] = ()
    covered: tuple[str, ...] = ()

    @property
    def session_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.sessions)

    def facts(self, info: SessionInfo) -> dict[str, str]:
        """The session breakdowns' groups for one session."""
        return {
            SESSION: info.id,
            QUARTER: quarter_of(info.held_on)[0],
            FORMAT: info.format,
            HOST: info.council or NO_HOST,
        }

    def labels(self) -> dict[str, dict[str, str]]:
        """Per session breakdown that has at least two groups, its groups' labels in report
        order (sessions by date, quarters in time order)."""
        if not self.series or len(self.sessions) < 2:
            return {}
        ordered = sorted(self.sessions, key=lambda s: (s.held_on, s.title, s.id))
        found: dict[str, dict[str, str]] = {QUARTER: {}, FORMAT: {}, HOST: {}, SESSION: {}}
        for info in ordered:
            code, label = quarter_of(info.held_on)
            found[QUARTER][code] = label
            found[FORMAT][info.format] = FORMATS[info.format]
            found[SESSION][info.id] = session_label(info)
        hosts = sorted({s.council for s in self.sessions if s.council})
        found[HOST] = {h: h for h in hosts}
        if any(s.council is None for s in self.sessions):
            found[HOST][NO_HOST] = NO_HOST_LABEL
        return {dim: groups for dim, groups in found.items() if len(groups) >= 2}

    def columns(self, session_id: str | None) -> dict[str, str]:
        """What to add to one response's answers for the analysis table."""
        if not self.series:
            return {}
        info = next(s for s in self.sessions if s.id == session_id)
        return self.facts(info)

    def specs(self) -> list[QuestionSpec]:
        return [
            QuestionSpec(id=dim, kind="single", options=tuple(groups))
            for dim, groups in self.labels().items()
        ]

    def breakdowns(self, questionnaire: Questionnaire) -> list[Breakdown]:
        own = [
            Breakdown(qid, tuple(o.value for o in questionnaire.question(qid).options))
            for qid in questionnaire.breakdowns
        ]
        facts = [
            Breakdown(dim, tuple(groups), missing=False) for dim, groups in self.labels().items()
        ]
        return [*facts, *own]

    def views(self, questionnaire: Questionnaire) -> list[tuple[str, ...]]:
        """Overall; the pooled session views; each session; then the questionnaire's views."""
        labels = self.labels()
        facts = [(dim,) for dim in SESSION_DIMENSIONS if dim in labels]
        own = [(b,) for b in questionnaire.breakdowns]
        return [(), *facts, *own, *questionnaire.cross_breakdowns]

    def finish(self, spec: ReleaseInput) -> ReleaseInput:
        """The counts as the engine must see them: session facts public, pooled groups sums
        of sessions."""
        labels = self.labels()
        if SESSION not in labels:
            return spec
        nesting = {
            dim: (SESSION, {s.id: self.facts(s)[dim] for s in self.sessions})
            for dim in (QUARTER, FORMAT, HOST)
            if dim in labels
        }
        return dataclasses.replace(spec, nesting=nesting, public_dimensions=frozenset(labels))

    def header(self) -> dict[str, Any]:
        """What a release stores about its scope (read back by :func:`scope_header`)."""
        if not self.series:
            return {}
        return {"sessions": list(self.covered), "session_labels": self.labels()}


@dataclass(frozen=True)
class ScopeHeader:
    """A stored release's scope: the sessions it covers and the session groups' labels."""

    sessions: tuple[str, ...] = ()
    labels: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)

    @property
    def is_series(self) -> bool:
        return bool(self.sessions)


def scope_header(document: Mapping[str, Any]) -> ScopeHeader:
    labels = document.get("session_labels", {})
    return ScopeHeader(
        sessions=tuple(str(s) for s in document.get("sessions", ())),
        labels={str(d): {str(c): str(t) for c, t in g.items()} for d, g in labels.items()},
    )


def batch(infos: Sequence[SessionInfo], counts: Mapping[str, int]) -> Scope:
    """The scope of a batch of closed sessions (``counts``: responses per session id)."""
    with_answers = tuple(s for s in infos if counts.get(s.id, 0) > 0)
    return Scope(series=True, sessions=with_answers, covered=tuple(s.id for s in infos))
