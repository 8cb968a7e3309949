"""Hold the disclosure engine to DESIGN.md section 6 against an attacker who knows the
questionnaire, on more seeds and larger surveys than the tests, and print what it finds.

The attacker is the test suite's independent one (``tests/unit/analysis/checking.py``): it
reads only what a release publishes plus what every respondent saw (routing, multiple choice
with exclusive options, items answered by the same people) and asks ``scipy``'s ``milp`` how
far each hidden value can move. ``tests/unit/analysis/test_disclosure_attacked.py`` runs the
same checks on 240 seeds and the staff survey at N=400.

    .venv/bin/python benchmarks/disclosure_attack.py                 # 40 random surveys + 2 tables
    .venv/bin/python benchmarks/disclosure_attack.py --seeds 240 --staff 400
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.disclosure import ReleaseInput, protect_release  # noqa: E402
from tests.unit.analysis.checking import attack, questionnaire_facts  # noqa: E402
from tests.unit.analysis.random_releases import random_survey  # noqa: E402
from tests.unit.analysis.test_disclosure_attacker import (  # noqa: E402
    pinned_survey,
    shared_margin_survey,
)

STAFF_SURVEY = ROOT / "questionnaires" / "global-majority-staff-survey.yaml"


def random_surveys(seeds: int) -> None:
    failed: list[int] = []
    kinds: Counter[str] = Counter()
    start = time.perf_counter()
    for seed in range(seeds):
        survey = random_survey(seed)
        try:
            release = protect_release(survey.spec, k=survey.k, k_cell=survey.k_cell)
        except Exception as error:  # a refusal of any kind counts as a failure
            failed.append(seed)
            kinds[f"refused: {type(error).__name__}"] += 1
            continue
        result = attack(survey.spec, release)
        if result.breaches:
            failed.append(seed)
            kinds.update(b.rule for b in result.breaches)
    took = time.perf_counter() - start
    print(f"random surveys: {len(failed)} of {seeds} break section 6 ({took:.1f} s)")
    print(f"  failing seeds: {' '.join(map(str, failed)) or 'none'}")
    for rule, count in kinds.most_common():
        print(f"  {count:5d}  {rule}")


def shared_margins() -> None:
    for name, spec, k in (
        ("shared margin [1, 2]", shared_margin_survey(), 5),
        ("shared margin [0, 1]", pinned_survey(), 10),
    ):
        release = protect_release(spec, k=k, k_cell=3)
        result = attack(spec, release, exact=True)
        print(f"{name}: {len(result.breaches)} breaches")


def staff_survey(n: int) -> None:
    from survey_app.demo_data import synthetic_answers
    from survey_app.domain.loading import load_questionnaire
    from survey_app.services.analysis import build_release_input

    questionnaire = load_questionnaire(STAFF_SURVEY)
    rng = random.Random(2025)
    spec: ReleaseInput = build_release_input(
        questionnaire, [synthetic_answers(questionnaire, rng) for _ in range(n)]
    )
    start = time.perf_counter()
    release = protect_release(spec, k=10, k_cell=3)
    facts = questionnaire_facts(STAFF_SURVEY, spec)
    result = attack(spec, release, facts)
    took = time.perf_counter() - start
    kinds = Counter(b.rule for b in result.breaches)
    print(f"staff survey N={n}: views {release.views}")
    print(f"  {len(result.breaches)} breaches ({took:.0f} s): {dict(kinds)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=40, help="random surveys (seeds 0..N-1)")
    parser.add_argument("--staff", type=int, default=0, help="also the staff survey at this N")
    args = parser.parse_args()
    random_surveys(args.seeds)
    shared_margins()
    if args.staff:
        staff_survey(args.staff)


if __name__ == "__main__":
    main()
