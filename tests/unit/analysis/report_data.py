"""Small releases for the report and export tests: built by hand (every value chosen) or
protected by ``protect_release`` from a few dozen made-up respondents."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType
from typing import Any

from analysis.counting import MISSING
from analysis.disclosure import NO_ANSWER, ProtectedRelease, protect_release
from analysis.report import Labels, Question, Report, ReportInfo, build_report

from .building import release_from_people

TEAM = "team"
SITE = "site"
VIEWS: tuple[tuple[str, ...], ...] = ((), (TEAM,), (SITE,), (TEAM, SITE))


def hand_release() -> ProtectedRelease:
    """One breakdown (team a, b and "not answered"), values chosen to test percentages:
    19/40 = 47.5% and 5/40 = 12.5% round half up; team b's size is hidden but one of its
    counts is shown; nobody is in the "not answered" group."""
    a, b, missing = ((TEAM, "a"),), ((TEAM, "b"),), ((TEAM, MISSING),)
    single: dict[Any, Any] = {
        (): {"yes": 19, "no": 16, NO_ANSWER: 5},
        a: {"yes": 9, "no": None, NO_ANSWER: None},
        b: {"yes": 10, "no": None, NO_ANSWER: None},
        missing: {"yes": 0, "no": 0, NO_ANSWER: 0},
    }
    multiple: dict[Any, Any] = {
        (): {"pay": 30, "hours": 25, NO_ANSWER: 3},
        a: {"pay": None, "hours": 12, NO_ANSWER: 0},
        b: {"pay": None, "hours": None, NO_ANSWER: None},
        missing: {"pay": 0, "hours": 0, NO_ANSWER: 0},
    }
    return ProtectedRelease(
        k=10,
        k_cell=3,
        sizes=MappingProxyType({(): 40, a: 22, b: None, missing: 0}),
        items=MappingProxyType(
            {
                "single": MappingProxyType(single),
                "multiple": MappingProxyType(multiple),
            }
        ),
        audit=(),
        dimensions=MappingProxyType({TEAM: ("a", "b", MISSING)}),
        views=((), (TEAM,)),
    )


def hand_labels() -> Labels:
    return Labels(
        breakdowns={TEAM: "Team"},
        groups={TEAM: {"a": "Team A", "b": "<i>Team</i> B"}},
        items={"single": "Did it happen?", "multiple": "What would help?"},
        options={
            "single": {"yes": "Yes", "no": "No"},
            "multiple": {"pay": "Fair pay", "hours": "=Flexible hours"},
        },
        multiple=frozenset({"multiple"}),
    )


def people() -> list[dict[str, object]]:
    """60 respondents over 3 teams and 2 sites, with a sensitive single choice, a multiple
    choice and two grid statements."""
    found: list[dict[str, object]] = []
    layout = {("a", "x"): 14, ("a", "y"): 9, ("b", "x"): 12, ("b", "y"): 16, ("c", "x"): 4}
    layout[("c", "y")] = 5
    for (team, site), n in layout.items():
        for j in range(n):
            found.append(
                {
                    TEAM: team,
                    SITE: site,
                    "seen": ("yes", "no", "unsure", "no", None)[j % 5],
                    "help": (("pay",), ("pay", "hours"), ("none",), ())[j % 4] if j % 6 else None,
                    "grid__fair": ("agree", "disagree")[(j // 2) % 2],
                    "grid__safe": ("agree", "disagree", None)[j % 3],
                }
            )
    return found


def protected_release() -> ProtectedRelease:
    spec = release_from_people(
        {TEAM: ("a", "b", "c"), SITE: ("x", "y")},
        VIEWS,
        people(),
        [
            ("seen", "exclusive", True, ("yes", "no", "unsure")),
            ("help", "multiple", False, ("pay", "hours", "none")),
            ("grid__fair", "exclusive", False, ("agree", "disagree")),
            ("grid__safe", "exclusive", False, ("agree", "disagree")),
        ],
    )
    return protect_release(spec, k=5, k_cell=3)


def protected_labels() -> Labels:
    agreement = {"agree": "Agree", "disagree": "Disagree"}
    return Labels(
        breakdowns={TEAM: "Team", SITE: "Site"},
        groups={TEAM: {"a": "Team A", "b": "Team B", "c": "Team C"}, SITE: {"x": "X", "y": "Y"}},
        items={
            "seen": "Have you seen racism at work?",
            "help": "What would help?",
            "grid__fair": "I am treated fairly",
            "grid__safe": "I feel safe",
        },
        options={
            "seen": {"yes": "Yes", "no": "No", "unsure": "Not sure"},
            "help": {"pay": "Fair pay", "hours": "Flexible hours", "none": "None of these"},
            "grid__fair": agreement,
            "grid__safe": agreement,
        },
        multiple=frozenset({"help"}),
    )


QUESTIONS = (
    Question("seen", "Have you seen racism at work?", "counts", ("seen",)),
    Question("grid", "How far do you agree?", "counts", ("grid__fair", "grid__safe")),
    Question("help", "What would help?", "counts", ("help",)),
    Question("comments", "Anything else?", "text"),
)
INFO = ReportInfo("Staff survey 2026", "staff-2026", dt.date(2026, 5, 4), "published")


def protected_report() -> tuple[ProtectedRelease, Report]:
    release = protected_release()
    return release, build_report(release, VIEWS, QUESTIONS, protected_labels(), INFO)
