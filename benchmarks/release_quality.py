"""Benchmark: how much of a realistic staff survey's release is shown, against a floor and a
simple baseline, and how long building and protecting it takes.

For each N (default 150, 400, 1,000 and 3,000), in a fresh process with a time limit, this

1. makes N synthetic respondents' answers to ``questionnaires/global-majority-staff-survey.yaml``
   (11 councils sized like their workforces, 5 ethnic groups, 6 roles; routing exactly as the
   questionnaire's ``show_if`` rules; plausible skips — see ``Respondents``);
2. builds the release input with the real ``survey_app.services.analysis.build_release_input``
   and protects it with ``protect_release(spec, k=10, k_cell=3)``, timing both;
3. counts, per table type, the share of cells hidden by Candour, by the primary rules alone
   (the floor) and by a simple baseline (the same primary rules plus one greedy complement per
   row or column with exactly one hidden cell), both computed here (``primary_hidden``,
   ``baseline_hidden``; neither is safe);
4. lists one-way groups of at least k people that Candour hid, and the items and views it did
   not publish.

Run with ``.venv/bin/python benchmarks/release_quality.py [--sizes 150 400] [--timeout 120]``.
It prints one table per N, then a summary table with the issue's targets, and exits with 1 if
a target is missed or a size failed. The README beside this file says how cells are counted.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from analysis.disclosure import ProtectedRelease, ReleaseInput
    from survey_app.domain.model import Question, Questionnaire

QUESTIONNAIRE = ROOT / "questionnaires" / "global-majority-staff-survey.yaml"
K = 10
K_CELL = 3
SIZES = (150, 400, 1_000, 3_000)
TARGET_POINTS = 10.0  # one-way question tables: at most baseline + 10 percentage points
TARGET_SECONDS = 30.0  # N = 3,000 built and protected in at most 30 s
TARGET_N = 3_000

# --- who answers -----------------------------------------------------------------------------
#
# Councils, sized like their social care workforces: approximate headcounts of children's and
# adults' social care staff, rounded to the nearest 50 (orders of magnitude as in the councils'
# published workforce figures; not official numbers). The survey is assumed to reach every
# council's staff alike, so respondents follow these proportions.
COUNCIL_HEADCOUNT = {
    "essex": 3_000,
    "hertfordshire": 3_000,
    "norfolk": 2_500,
    "suffolk": 1_800,
    "cambridgeshire": 1_600,
    "luton": 700,
    "thurrock": 600,
    "southend_on_sea": 600,
    "central_bedfordshire": 600,
    "peterborough": 550,
    "bedford_borough": 500,
}
# Ethnic groups of Global Majority staff in the region (per cent), tilted per council below.
ETHNIC_SHARE = {"black": 38, "asian": 30, "mixed": 12, "white": 10, "other": 7}
ETHNIC_TILT = {
    "luton": {"asian": 1.8},
    "peterborough": {"asian": 1.4, "white": 1.5},
    "bedford_borough": {"asian": 1.3},
    "norfolk": {"white": 1.5, "mixed": 1.2},
    "suffolk": {"white": 1.4, "mixed": 1.2},
    "thurrock": {"black": 1.3},
    "southend_on_sea": {"black": 1.2},
}
# Six roles (per cent); the questionnaire's other two ("other_practitioner", "other") unused.
ROLE_SHARE = {
    "social_worker": 45,
    "senior_practitioner": 14,
    "team_manager": 9,
    "senior_manager": 4,
    "family_support": 18,
    "business_support": 10,
}
YEARS_SHARE = {"under_2": 15, "2_to_5": 28, "6_to_10": 22, "11_to_20": 23, "over_20": 12}
GENDER_SHARE = {"woman": 77, "man": 20, "non_binary": 1.2, "another_way": 0.6}
# Each "About you" question: skipped by 3 %, "Prefer not to say" from 2.5 % of the rest.
PROFILE_SKIP = 0.03
PROFILE_PREFER_NOT = 0.025
# How likely someone is to have experienced racism at work in the last year, by ethnic group.
RISK = {"black": 0.55, "asian": 0.45, "mixed": 0.42, "white": 0.3, "other": 0.42, None: 0.45}


@dataclass(frozen=True)
class Profile:
    """One respondent's answers to the "About you" questions (None: skipped)."""

    council: str | None
    ethnic_group: str | None
    role_group: str | None
    years_in_profession: str | None
    gender: str | None


class Respondents:
    """Synthetic respondents of the global-majority staff survey, drawn from one seeded
    ``random.Random`` (the same seed gives the same respondents).

    Every answer is one the questionnaire accepts (checked with ``answer_problems``), and every
    follow-up is answered only by people whose earlier answer opens it (checked with
    ``prune_answers``): the answers go through the routing of the real questionnaire.
    Free-text and number questions are left empty (the closed tables do not count them).
    """

    def __init__(self, questionnaire: Questionnaire, seed: int) -> None:
        self.questionnaire = questionnaire
        self.rng = random.Random(seed)
        councils = sorted(COUNCIL_HEADCOUNT)
        # Each council's climate: a fixed lean, so councils differ as they would.
        climate = random.Random(seed ^ 0x5EED)
        self.climate = {c: climate.uniform(-0.12, 0.12) for c in councils}

    def profile(self) -> Profile:
        rng = self.rng
        council = _draw(rng, COUNCIL_HEADCOUNT)
        tilt = ETHNIC_TILT.get(council, {})
        shares = {g: w * tilt.get(g, 1.0) for g, w in ETHNIC_SHARE.items()}
        return Profile(
            council=self._maybe(council),
            ethnic_group=self._maybe(_draw(rng, shares)),
            role_group=self._maybe(_draw(rng, ROLE_SHARE)),
            years_in_profession=self._maybe(_draw(rng, YEARS_SHARE)),
            gender=self._maybe(_draw(rng, GENDER_SHARE)),
        )

    def _maybe(self, value: str) -> str | None:
        roll = self.rng.random()
        if roll < PROFILE_SKIP:
            return None
        if roll < PROFILE_SKIP + PROFILE_PREFER_NOT:
            return "prefer_not_to_say"
        return value

    def answers(self) -> dict[str, Any]:
        rng = self.rng
        profile = self.profile()
        ethnic = profile.ethnic_group if profile.ethnic_group in RISK else None
        lean = self.climate.get(profile.council or "", 0.0)
        risk = min(
            max(RISK[ethnic] + lean + (0.05 if profile.role_group == "social_worker" else 0), 0.05),
            0.9,
        )
        # mood in [0, 1]: 0 the most positive answers, 1 the most negative
        mood = min(max(rng.gauss(0.25 + 0.6 * risk, 0.22), 0.0), 1.0)
        answers: dict[str, Any] = {}
        demographic = vars(profile)
        for question in self.questionnaire.questions():
            if not question.is_visible(answers):
                continue
            if question.demographic:
                value = demographic.get(question.id)
            else:
                value = self._answer(question, answers, risk, mood)
            if value is not None:
                answers[question.id] = value
        return answers

    def _answer(
        self, question: Question, answers: Mapping[str, Any], risk: float, mood: float
    ) -> Any:
        from survey_app.domain.model import QuestionType

        rng = self.rng
        skip = 0.08 if question.sensitive else 0.05
        if question.type in (QuestionType.FREE_TEXT, QuestionType.NUMBER) or rng.random() < skip:
            return None
        special = _SPECIAL.get(question.id)
        if special is not None:
            return special(rng, answers, risk)
        if question.type is QuestionType.LIKERT_GRID:
            grid = {
                s.id: _leaning(rng, [o.value for o in question.options], mood)
                for s in question.statements
                if rng.random() > 0.03
            }
            return grid or None
        if question.type is QuestionType.MULTIPLE_CHOICE:
            plain = [o.value for o in question.options if not o.exclusive]
            return rng.sample(plain, k=min(len(plain), rng.choice([1, 1, 2, 3])))
        return _leaning(rng, [o.value for o in question.options], mood)


def _draw(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _leaning(rng: random.Random, values: Sequence[str], mood: float) -> str:
    """Earlier options (the positive end) for a low mood, later ones for a high mood;
    "Don't know", "Not sure" and "Prefer not to say" are rare."""
    scaled = [v for v in values if not _aside(v)]
    weights = []
    for value in values:
        if _aside(value):
            weights.append(0.25)
            continue
        position = scaled.index(value) / max(len(scaled) - 1, 1)
        weights.append(0.2 + 3.0 * max(0.0, 1 - 2.2 * abs(position - mood)))
    return rng.choices(list(values), weights=weights)[0]


def _aside(value: str) -> bool:
    return "prefer" in value or "not_sure" in value or "dont_know" in value


def _experienced(rng: random.Random, _answers: Mapping[str, Any], risk: float) -> str:
    return _draw(
        rng, {"yes": risk, "no": (1 - risk) * 0.85, "not_sure": (1 - risk) * 0.15 + 0.04,
              "prefer_not_to_say": 0.03}
    )  # fmt: skip


def _witnessed(rng: random.Random, _answers: Mapping[str, Any], risk: float) -> str:
    seen = min(risk + 0.1, 0.95)
    return _draw(
        rng, {"yes": seen, "no": (1 - seen) * 0.85, "not_sure": (1 - seen) * 0.15 + 0.04,
              "prefer_not_to_say": 0.03}
    )  # fmt: skip


def _touched(answers: Mapping[str, Any]) -> bool:
    return any(
        answers.get(q) in ("yes", "not_sure") for q in ("experienced_racism", "witnessed_racism")
    )


def _several(rng: random.Random, weights: Mapping[str, float], most: int) -> list[str]:
    """One to ``most`` options, each chosen with its weight, in the options' order."""
    chosen = [v for v, w in weights.items() if rng.random() < w]
    if not chosen:
        chosen = [_draw(rng, weights)]
    return chosen[:most]


def _from_whom(rng: random.Random, answers: Mapping[str, Any], _risk: float) -> list[str] | None:
    if _touched(answers):
        if rng.random() < 0.03:
            return ["prefer_not_to_say"]
        return _several(
            rng, {"colleagues": 0.5, "managers_leaders": 0.35, "people_using_services": 0.45,
                  "partner_agencies": 0.18, "other": 0.05}, 4,
        )  # fmt: skip
    roll = rng.random()
    return None if roll < 0.5 else ["none_of_these"] if roll < 0.95 else ["prefer_not_to_say"]


def _forms(rng: random.Random, answers: Mapping[str, Any], _risk: float) -> list[str] | None:
    if not _touched(answers):
        return None if rng.random() < 0.9 else ["prefer_not_to_say"]
    if rng.random() < 0.03:
        return ["prefer_not_to_say"]
    return _several(
        rng, {"comments_jokes": 0.55, "ignored_excluded": 0.35, "unfair_work_allocation": 0.25,
              "overlooked_development": 0.3, "skills_doubted": 0.35, "over_scrutiny": 0.3,
              "abuse_threats": 0.12, "other": 0.04}, 5,
    )  # fmt: skip


def _reported(rng: random.Random, _answers: Mapping[str, Any], _risk: float) -> str:
    return _draw(
        rng, {"yes_formally": 0.16, "yes_informally": 0.36, "no": 0.43, "prefer_not_to_say": 0.05}
    )


def _outcome(rng: random.Random, _answers: Mapping[str, Any], _risk: float) -> str:
    return _draw(
        rng, {"resolved": 0.15, "action_not_enough": 0.3, "nothing_happened": 0.3,
              "treated_worse": 0.1, "ongoing": 0.1, "prefer_not_to_say": 0.05},
    )  # fmt: skip


def _not_reported(rng: random.Random, _answers: Mapping[str, Any], _risk: float) -> list[str]:
    if rng.random() < 0.04:
        return ["prefer_not_to_say"]
    return _several(
        rng, {"nothing_would_happen": 0.55, "not_believed": 0.35, "fear_consequences": 0.4,
              "not_know_how": 0.12, "no_trust_process": 0.3, "dealt_with_it": 0.15,
              "too_tiring": 0.2, "other": 0.04}, 4,
    )  # fmt: skip


def _support(rng: random.Random, _answers: Mapping[str, Any], risk: float) -> str:
    return _draw(
        rng, {"got_support": 0.2, "some_support": 0.25 * risk + 0.05, "no_support": 0.2 * risk,
              "did_not_look": 0.15 * risk, "not_needed": 0.6 - 0.4 * risk,
              "prefer_not_to_say": 0.03},
    )  # fmt: skip


_SPECIAL: dict[str, Callable[[random.Random, Mapping[str, Any], float], Any]] = {
    "experienced_racism": _experienced,
    "witnessed_racism": _witnessed,
    "racism_from_whom": _from_whom,
    "racism_forms": _forms,
    "reported_racism": _reported,
    "reporting_outcome": _outcome,
    "reasons_not_reported": _not_reported,
    "support_access": _support,
}


def synthetic_answers(questionnaire: Questionnaire, count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` respondents' answers, each checked against the questionnaire and its routing."""
    from survey_app.domain.answers import answer_problems
    from survey_app.domain.routing import prune_answers

    people = Respondents(questionnaire, seed)
    found = []
    for _ in range(count):
        answers = people.answers()
        problems = answer_problems(questionnaire, answers)
        if problems or prune_answers(questionnaire, answers) != answers:
            raise AssertionError(f"a synthetic response breaks the questionnaire: {problems}")
        found.append(answers)
    return found


# --- what is hidden ----------------------------------------------------------------------------

Pop = tuple[tuple[str, str], ...]
Cell = tuple[Pop, str | None, str]  # (population, item or None for its size, column)
TYPES = ("one-way sizes", "one-way questions", "two-way sizes", "two-way questions")
OVERALL = "overall questions"
SIZE_COLUMN = "Total"


def table_type(cell: Cell) -> str:
    population, item, _column = cell
    if not population:
        return OVERALL if item is not None else "overall size"
    way = "one-way" if len(population) == 1 else "two-way"
    return f"{way} {'sizes' if item is None else 'questions'}"


def every_cell(spec: ReleaseInput) -> list[Cell]:
    """Every value the release input asks to publish: sizes, and per item every option and
    no-answer count of every population."""
    cells: list[Cell] = [(pop, None, SIZE_COLUMN) for pop in spec.sizes]
    for item in spec.items:
        for pop, row in item.counts.items():
            cells.extend((pop, item.id, column) for column in row)
    return cells


def value_of(spec: ReleaseInput) -> Callable[[Cell], int]:
    counts = {item.id: item.counts for item in spec.items}

    def value(cell: Cell) -> int:
        pop, item, column = cell
        return spec.sizes[pop] if item is None else counts[item][pop][column]

    return value


def primary_hidden(spec: ReleaseInput, k: int, k_cell: int) -> dict[Cell, str]:
    """The floor: what the primary rules hide, with the rule (DESIGN.md §6; as
    ``analysis/disclosure/rules.py`` states them, reimplemented here).

    P1 (0 < n < k) and nested (0 < n(parent) − n(child) < k: the child) hide whole populations,
    size and every item cell; P2 hides counts 1..k_cell−1; P3 hides every option count of a
    sensitive item's row in which everyone who answered chose one option."""
    sizes = spec.sizes
    hidden_pops: dict[Pop, str] = {p: "P1" for p, n in sizes.items() if 0 < n < k}
    children: dict[Pop, list[Pop]] = {}
    for pop in sizes:
        for pair in pop:
            parent = tuple(p for p in pop if p != pair)
            if parent in sizes:
                children.setdefault(parent, []).append(pop)
    for parent in sorted(children, key=lambda p: (len(p), p)):
        if parent in hidden_pops:
            continue
        for child in children[parent]:
            if child not in hidden_pops and 0 < sizes[parent] - sizes[child] < k:
                hidden_pops[child] = "nested"
    hidden: dict[Cell, str] = {(p, None, SIZE_COLUMN): rule for p, rule in hidden_pops.items()}
    for item in spec.items:
        for pop, row in item.counts.items():
            if pop in hidden_pops:
                hidden.update(((pop, item.id, c), hidden_pops[pop]) for c in row)
                continue
            hidden.update(((pop, item.id, c), "P2") for c, x in row.items() if 0 < x < k_cell)
            answered = sizes[pop] - row.get("_no_answer", 0)
            if item.sensitive and answered > 0 and any(row[o] == answered for o in item.options):
                hidden.update(((pop, item.id, o), "P3") for o in item.options)
    return hidden


@dataclass(frozen=True)
class Line:
    """A row or column of a published table: cells that add up to ``total``. The baseline
    may hide any of ``cells`` as a complement, never the total (a figure of a table decided
    before)."""

    total: Cell
    cells: tuple[Cell, ...]


def baseline_hidden(spec: ReleaseInput, k: int, k_cell: int) -> set[Cell]:
    """The floor plus one greedy complement per row or column with exactly one hidden value:
    the smallest non-zero shown value of that row or column, table by table (size tables,
    then question tables; overall, one-way, two-way), each repeated until nothing changes.

    A population whose size is hidden has every item cell hidden. Rows of multiple-choice
    items have no sum, so they get no complement (their columns do). Not safe: a figure can
    still be worked out across tables, or from a row with two hidden cells of which one is
    a known margin."""
    hidden = set(primary_hidden(spec, k, k_cell))
    value = value_of(spec)
    dims = spec.dimensions
    one_way = [v for v in spec.views if len(v) == 1]
    two_way = [v for v in spec.views if len(v) == 2]

    def pop(*pairs: tuple[str, str]) -> Pop:
        return tuple(sorted(pairs))

    def settle(lines: list[Line]) -> None:
        changed = True
        while changed:
            changed = False
            for line in lines:
                hidden_here = sum(c in hidden for c in (line.total, *line.cells))
                if hidden_here != 1:
                    continue
                shown = [c for c in line.cells if c not in hidden and value(c) > 0]
                if shown:
                    hidden.add(min(shown, key=value))
                    changed = True

    def size(p: Pop) -> Cell:
        return (p, None, SIZE_COLUMN)

    for (d,) in one_way:
        settle([Line(size(()), tuple(size(pop((d, g))) for g in dims[d]))])
    for d1, d2 in two_way:
        lines = [
            Line(size(pop((d1, g))), tuple(size(pop((d1, g), (d2, h))) for h in dims[d2]))
            for g in dims[d1]
        ]
        lines += [
            Line(size(pop((d2, h))), tuple(size(pop((d1, g), (d2, h))) for g in dims[d1]))
            for h in dims[d2]
        ]
        settle(lines)
    hidden_pops = {c[0] for c in hidden if c[1] is None}
    for item in spec.items:
        columns = (*item.options, "_no_answer")
        for p in hidden_pops:
            if p in item.counts:
                hidden.update((p, item.id, c) for c in columns)

        def row(p: Pop, item_id: str = item.id, columns: tuple[str, ...] = columns) -> Line:
            return Line(size(p), tuple((p, item_id, c) for c in columns))

        exclusive = item.kind == "exclusive"
        if exclusive:
            settle([row(())])
        for (d,) in one_way:
            groups = [pop((d, g)) for g in dims[d]]
            lines = [row(p) for p in groups] if exclusive else []
            lines += [
                Line(((), item.id, c), tuple((p, item.id, c) for p in groups)) for c in columns
            ]
            settle(lines)
        for d1, d2 in two_way:
            inner = {(g, h): pop((d1, g), (d2, h)) for g in dims[d1] for h in dims[d2]}
            lines = [row(p) for p in inner.values()] if exclusive else []
            for c in columns:
                lines += [
                    Line(
                        (pop((d1, g)), item.id, c),
                        tuple((inner[g, h], item.id, c) for h in dims[d2]),
                    )
                    for g in dims[d1]
                ]
                lines += [
                    Line(
                        (pop((d2, h)), item.id, c),
                        tuple((inner[g, h], item.id, c) for g in dims[d1]),
                    )
                    for h in dims[d2]
                ]
            settle(lines)
    return hidden


def candour_hidden(spec: ReleaseInput, release: ProtectedRelease) -> set[Cell]:
    """The cells the engine did not publish: hidden (``None``), missing from the release,
    or in a view or an item-view the release does not publish."""
    published = {frozenset(v) for v in release.views}
    hidden: set[Cell] = set()
    for cell in every_cell(spec):
        pop, item, column = cell
        view = frozenset(d for d, _ in pop)
        if view not in published:
            hidden.add(cell)
        elif item is None:
            if release.sizes.get(pop) is None:
                hidden.add(cell)
        else:
            row = release.items.get(item, {}).get(pop)
            shown = row is not None and row.get(column) is not None
            if not shown or (pop and not release.publishes(item, tuple(sorted(view)))):
                hidden.add(cell)
    return hidden


def shares(cells: Iterable[Cell], hidden: set[Cell]) -> dict[str, list[int]]:
    """``{table type: [hidden, all]}``."""
    found: dict[str, list[int]] = {}
    for cell in cells:
        entry = found.setdefault(table_type(cell), [0, 0])
        entry[0] += cell in hidden
        entry[1] += 1
    return found


def hidden_groups(
    spec: ReleaseInput, release: ProtectedRelease | None, hidden: set[Cell], k: int
) -> dict[str, list[list[Any]]]:
    """One-way groups with n ≥ k that are hidden, per breakdown: ``[group, n, why]``."""
    rules = {}
    if release is not None:
        rules = {e.population: e.rule for e in release.audit if e.item is None}
    found: dict[str, list[list[Any]]] = {}
    for view in spec.views:
        if len(view) != 1:
            continue
        (d,) = view
        found[d] = [
            [g, spec.sizes[((d, g),)], rules.get(((d, g),), "not published")]
            for g in spec.dimensions[d]
            if spec.sizes[((d, g),)] >= k and (((d, g),), None, SIZE_COLUMN) in hidden
        ]
    return found


def unpublished(spec: ReleaseInput, release: ProtectedRelease) -> dict[str, Any]:
    """Views missing from ``release.views``, and per published view the items it does not
    publish (``release.publishes(item, view)`` is False)."""
    published = {frozenset(v) for v in release.views}
    missing = [list(v) for v in spec.views if frozenset(v) not in published]
    items: dict[str, list[str]] = {}
    for view in release.views:
        if view:
            absent = [i.id for i in spec.items if not release.publishes(i.id, tuple(view))]
            if absent:
                items[" × ".join(view)] = absent
    return {"views": missing, "items": items}


# --- one size, in a child process ---------------------------------------------------------------


def measure(size: int, seed: int) -> dict[str, Any]:
    """Everything printed for one N (run in a fresh process)."""
    from survey_app.domain.loading import load_questionnaire

    questionnaire = load_questionnaire(QUESTIONNAIRE)
    started = time.perf_counter()
    answers = synthetic_answers(questionnaire, size, seed)
    result: dict[str, Any] = {"size": size, "generate_s": time.perf_counter() - started}
    try:
        from analysis.disclosure import protect_release
        from survey_app.services.analysis import build_release_input

        started = time.perf_counter()
        spec = build_release_input(questionnaire, answers)
        result["build_s"] = time.perf_counter() - started
    except Exception:
        result["error"] = "building the release input failed:\n" + traceback.format_exc(limit=4)
        return result
    cells = every_cell(spec)
    floor = set(primary_hidden(spec, K, K_CELL))
    baseline = baseline_hidden(spec, K, K_CELL)
    result["floor"] = shares(cells, floor)
    result["baseline"] = shares(cells, baseline)
    result["baseline_groups"] = hidden_groups(spec, None, baseline, K)
    result["group_counts"] = {
        v[0]: sum(spec.sizes[((v[0], g),)] >= K for g in spec.dimensions[v[0]])
        for v in spec.views
        if len(v) == 1
    }
    print(json.dumps({"partial": result}), flush=True)  # kept if protecting times out
    try:
        started = time.perf_counter()
        release = protect_release(spec, k=K, k_cell=K_CELL)
        result["protect_s"] = time.perf_counter() - started
    except Exception:
        result["error"] = "protect_release failed:\n" + traceback.format_exc(limit=4)
        return result
    hidden = candour_hidden(spec, release)
    result["candour"] = shares(cells, hidden)
    result["candour_groups"] = hidden_groups(spec, release, hidden, K)
    result["unpublished"] = unpublished(spec, release)
    return result


def run_child(size: int, seed: int, timeout: float) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(size), "--seed", str(seed)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=timeout)
        output, status, errors = done.stdout, done.returncode, done.stderr
    except subprocess.TimeoutExpired as expired:
        output = (
            expired.stdout.decode() if isinstance(expired.stdout, bytes) else expired.stdout or ""
        )
        status, errors = None, f"stopped after {timeout:.0f} s (--timeout)"
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    final = [line for line in lines if "partial" not in line]
    if final:
        result: dict[str, Any] = final[-1]
        return result
    partial = next((line["partial"] for line in reversed(lines) if "partial" in line), None)
    result = dict(partial or {"size": size})
    tail = errors.strip().splitlines()[-6:] if status is not None else [errors]
    result["error"] = "\n".join(tail) or f"the child process exited with status {status}"
    if status is None:
        result["timed_out"] = True
    return result


# --- printing -----------------------------------------------------------------------------------


def percent(entry: Sequence[int] | None) -> str:
    if not entry or not entry[1]:
        return "–"
    return f"{100 * entry[0] / entry[1]:.1f} %"


def points(entry: Sequence[int] | None) -> float | None:
    return None if not entry or not entry[1] else 100 * entry[0] / entry[1]


def report(result: dict[str, Any]) -> list[str]:
    """Print one size's tables; return the targets it missed."""
    size = result["size"]
    missed: list[str] = []
    print(f"\n## N = {size:,}")
    print(f"{'table type':<20} {'cells':>7} {'Candour':>9} {'floor':>9} {'baseline':>9}")
    for kind in (*TYPES, OVERALL):
        any_entry = (result.get("floor") or {}).get(kind)
        cells = f"{any_entry[1]:,}" if any_entry else "–"
        print(
            f"{kind:<20} {cells:>7} {percent(result.get('candour', {}).get(kind)):>9} "
            f"{percent(result.get('floor', {}).get(kind)):>9} "
            f"{percent(result.get('baseline', {}).get(kind)):>9}"
        )
    one_c = points(result.get("candour", {}).get("one-way questions"))
    one_b = points(result.get("baseline", {}).get("one-way questions"))
    if one_c is not None and one_b is not None:
        ok = one_c <= one_b + TARGET_POINTS
        print(
            f"target: one-way question tables ≤ baseline + {TARGET_POINTS:.0f} points: "
            f"{one_c:.1f} % vs ≤ {one_b + TARGET_POINTS:.1f} % — {'met' if ok else 'MISSED'}"
        )
        if not ok:
            missed.append(
                f"N={size:,}: one-way question tables {one_c:.1f} % > baseline {one_b:.1f} % + 10"
            )
    build, protect = result.get("build_s"), result.get("protect_s")
    timing = f"generate {result.get('generate_s', 0):.1f} s"
    if build is not None:
        timing += f", build {build:.2f} s"
    if protect is not None:
        timing += f", protect {protect:.2f} s, build + protect {build + protect:.2f} s"
    print("time:", timing)
    if size == TARGET_N:
        total = None if build is None or protect is None else build + protect
        ok = total is not None and total <= TARGET_SECONDS
        shown = "not finished" if total is None else f"{total:.1f} s"
        print(
            f"target: N = {TARGET_N:,} built and protected in ≤ {TARGET_SECONDS:.0f} s: "
            f"{shown} — {'met' if ok else 'MISSED'}"
        )
        if not ok:
            missed.append(f"N={size:,}: build + protect {shown} (target ≤ {TARGET_SECONDS:.0f} s)")
    if "candour_groups" in result:
        counts = result.get("group_counts", {})
        print(
            f"one-way groups with n ≥ {K} hidden by Candour "
            "(target: only as complement, at most one per breakdown):"
        )
        for dim, groups in result["candour_groups"].items():
            listed = ", ".join(f"{g} {n} ({why})" for g, n, why in groups) or "none"
            ok = len(groups) <= 1 and all(why == "complement" for _, _, why in groups)
            flag = "" if ok else "  — MISSED"
            print(f"  {dim:<20} {len(groups)} of {counts.get(dim, '?')}: {listed}{flag}")
            if not ok:
                missed.append(
                    f"N={size:,}: {dim}: {len(groups)} groups of n ≥ {K} hidden ({listed})"
                )
        base = result.get("baseline_groups", {})
        print(f"  (baseline: {sum(len(g) for g in base.values())} such groups hidden)")
    if "unpublished" in result:
        views = result["unpublished"]["views"]
        print("views not published:", ", ".join(" × ".join(v) for v in views) or "none")
        items = result["unpublished"]["items"]
        if items:
            for view, absent in items.items():
                more = " …" if len(absent) > 4 else ""
                print(
                    f"items not published by {view}: {len(absent)} ({', '.join(absent[:4])}{more})"
                )
        else:
            print("items not published in a published view: none")
    if "error" in result:
        print("ERROR:", result["error"])
        missed.append(f"N={size:,}: {'timed out' if result.get('timed_out') else 'failed'}")
    return missed


def summary(results: list[dict[str, Any]]) -> None:
    """One table for the closing note: Candour / baseline / floor per table type and N."""
    print("\n## Summary: share of cells hidden, Candour / baseline / floor")
    header = (
        "| N | "
        + " | ".join(TYPES)
        + " | groups n ≥ k hidden | views not published | build + protect s |"
    )
    print(header)
    print("|" + "---|" * (len(TYPES) + 4))
    for result in results:
        row = [f"{result['size']:,}"]
        for kind in TYPES:
            c = points(result.get("candour", {}).get(kind))
            b = points(result.get("baseline", {}).get(kind))
            f = points(result.get("floor", {}).get(kind))
            row.append(" / ".join("–" if x is None else f"{x:.0f} %" for x in (c, b, f)))
        groups = result.get("candour_groups")
        counts = result.get("group_counts", {})
        row.append(
            "–"
            if groups is None
            else f"{sum(len(g) for g in groups.values())} of {sum(counts.values())}"
        )
        unpub = result.get("unpublished")
        row.append("–" if unpub is None else str(len(unpub["views"])))
        build, protect = result.get("build_s"), result.get("protect_s")
        row.append(
            ("timed out" if result.get("timed_out") else "failed")
            if build is None or protect is None
            else f"{build + protect:.1f}"
        )
        print("| " + " | ".join(row) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--timeout", type=float, default=120, help="most seconds per size")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.seed + args.child)), flush=True)
        return 0
    where = QUESTIONNAIRE.relative_to(ROOT)
    print(f"k = {K}, k_cell = {K_CELL}; questionnaire {where}; seed {args.seed}")
    results, missed = [], []
    for size in args.sizes:
        result = run_child(size, args.seed, args.timeout)
        results.append(result)
        missed += report(result)
    summary(results)
    for line in missed:
        print("MISSED:", line)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
