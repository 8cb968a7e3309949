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


def two_way_release() -> ProtectedRelease:
    """Team (a, b) by site (x, y), every value chosen by hand. It publishes overall, by team
    and by team and site, but not by site (as if site were too small to show); "seen" is
    published by every view it has, "late" (a follow-up few were asked) for everyone only."""
    a, b, x, y = (TEAM, "a"), (TEAM, "b"), (SITE, "x"), (SITE, "y")
    sizes: dict[Any, Any] = {
        (): 50,
        (a,): 30,
        (b,): 20,
        (x,): 26,
        (y,): 24,
        (a, x): 18,
        (a, y): 12,
        (b, x): 8,
        (b, y): 12,
    }
    seen: dict[Any, Any] = {
        (): {"yes": 21, "no": 25, NO_ANSWER: 4},
        (a,): {"yes": 12, "no": 16, NO_ANSWER: 2},
        (b,): {"yes": 9, "no": 9, NO_ANSWER: 2},
        (x,): {"yes": 11, "no": 13, NO_ANSWER: 2},
        (y,): {"yes": 10, "no": 12, NO_ANSWER: 2},
        (a, x): {"yes": 8, "no": None, NO_ANSWER: None},
        (a, y): {"yes": 4, "no": 7, NO_ANSWER: 1},
        (b, x): {"yes": None, "no": None, NO_ANSWER: None},
        (b, y): {"yes": 6, "no": None, NO_ANSWER: None},
    }
    sizes[(b, x)] = None
    late: dict[Any, Any] = {(): {"soon": 6, "later": 5, NO_ANSWER: 39}}
    return ProtectedRelease(
        k=10,
        k_cell=3,
        sizes=MappingProxyType({tuple(sorted(k)): v for k, v in sizes.items()}),
        items=MappingProxyType(
            {
                "seen": MappingProxyType({tuple(sorted(k)): v for k, v in seen.items()}),
                "late": MappingProxyType(late),
            }
        ),
        audit=(),
        dimensions=MappingProxyType({TEAM: ("a", "b"), SITE: ("x", "y")}),
        views=((), (TEAM,), (TEAM, SITE)),
    )


def two_way_labels() -> Labels:
    return Labels(
        breakdowns={TEAM: "Team", SITE: "Site"},
        groups={TEAM: {"a": "Team A", "b": "Team B"}, SITE: {"x": "X", "y": "Y"}},
        items={"seen": "Have you seen racism at work?", "late": "When did it happen?"},
        options={"seen": {"yes": "Yes", "no": "No"}, "late": {"soon": "Soon", "later": "Later"}},
    )


TWO_WAY_QUESTIONS = (
    Question("seen", "Have you seen racism at work?", "counts", ("seen",)),
    Question("late", "When did it happen?", "counts", ("late",)),
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
