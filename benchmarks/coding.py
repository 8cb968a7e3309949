"""Benchmark: deductive coding of the demo's comments against the staff survey's codebook.

The demo's comments are those of the staff survey of last year (``flask demo setup``: seed
2025, 400 responses) and of two years ago (seed 2024, 400 responses, answers leaning more
negative), read with their topic from the generator (:func:`survey_app.demo_data.
labelled_comments`). The staff survey's codebook (the eight Anti-Racist Practice Pledge
commitments, ``questionnaires/global-majority-staff-survey.yaml``) is meant to cover those
topics; :data:`TOPIC_CODES` says which commitments a comment on each topic may fairly be
coded to (the same table as in ``tests/unit/analysis/test_themes_coding.py``).

For each path — lexical (seed phrases and TF-IDF) and semantic (plus embeddings, when the
extra is installed) — and for the codebook with its examples and without them (fixed
thresholds), it prints the thresholds used with their leave-one-out F1 on the examples, the
share of commenters coded "Other", the precision of the codes given (a code counts as right
when the comment's topic belongs to it) and the precision per code, and the seconds taken
(noisy on a shared machine; the semantic figure includes loading the model once). It also
prints the thresholds chosen for the Black male social workers survey's codebook, whose
topics the demo's comments do not all cover.

Run with ``.venv/bin/python benchmarks/coding.py [--path lexical|semantic|both]``. It prints
a table and asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.themes import semantic  # noqa: E402
from analysis.themes.coding import Code, assign_codes, thresholds  # noqa: E402
from survey_app.demo_data import labelled_comments  # noqa: E402
from survey_app.domain.loading import load_directory  # noqa: E402

QUESTIONNAIRE = "global-majority-staff-survey"
QUESTION = "biggest_difference"
CODEBOOK = "pledge_commitments"
SAMPLES = (("last year (seed 2025)", 2025, 0.0), ("two years ago (seed 2024)", 2024, 0.25))
RESPONSES = 400

# Which Pledge commitments a comment on each of the generator's topics may be coded to.
TOPIC_CODES = {
    "listening": {"safe_spaces", "accountability", "support_affected"},
    "progression": {"policies", "leadership", "support_affected"},
    "workload": {"policies"},
    "scrutiny": {"policies"},
    "abuse": {"support_affected", "accountability", "policies"},
}


def measure(
    pairs: Sequence[tuple[str, str]], codes: Sequence[Code], *, meaning: bool
) -> tuple[float, float, dict[str, tuple[int, int]], float]:
    """Share coded Other, precision, (right, given) per code, and seconds."""
    texts = [text for _topic, text in pairs]
    started = time.perf_counter()
    embeddings = semantic.embed(texts) if meaning else None
    coded = assign_codes(texts, codes, embeddings=embeddings)
    seconds = time.perf_counter() - started
    given: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for (topic, _text), ids in zip(pairs, coded, strict=True):
        for code_id in ids:
            given[code_id] += 1
            right[code_id] += code_id in TOPIC_CODES[topic]
    other = sum(1 for ids in coded if not ids) / len(coded)
    precision = sum(right.values()) / max(1, sum(given.values()))
    per_code = {code.id: (right[code.id], given[code.id]) for code in codes}
    return other, precision, per_code, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--path", choices=("lexical", "semantic", "both"), default="both")
    args = parser.parse_args()
    paths = ["lexical", "semantic"] if args.path == "both" else [args.path]
    if "semantic" in paths and not semantic.available():
        print("semantic path skipped: the 'semantic' extra is not installed")
        paths.remove("semantic")

    catalogue = load_directory(ROOT / "questionnaires")
    questionnaire = catalogue[QUESTIONNAIRE]
    shipped = tuple(
        Code(c.id, c.label, c.description, c.seeds, c.examples)
        for c in questionnaire.codebooks[CODEBOOK]
    )
    bare = tuple(dataclasses.replace(code, examples=()) for code in shipped)

    for name, seed, lean in SAMPLES:
        pairs = labelled_comments(questionnaire, QUESTION, RESPONSES, seed=seed, lean=lean)
        topics = Counter(topic for topic, _ in pairs)
        print(f"\nDemo comments, {name}: {len(pairs)} commenters, topics {dict(topics)}")
        for path in paths:
            meaning = path == "semantic"
            for label, codes in (("with examples", shipped), ("without examples", bare)):
                cuts = thresholds(codes, meaning=meaning)
                other, precision, per_code, seconds = measure(pairs, codes, meaning=meaning)
                cut = f"lexical {cuts.lexical:.3f}"
                if meaning:
                    cut += f", semantic {cuts.semantic:.3f}"
                if cuts.calibrated:
                    f1 = cuts.semantic_f1 if meaning else cuts.lexical_f1
                    cut += f" (leave-one-out F1 {f1:.3f} on {cuts.examples} examples)"
                print(
                    f"  {path:8} {label:16} Other {other:6.1%}  precision {precision:6.1%}  "
                    f"{seconds:5.1f} s  thresholds {cut}"
                )
                print(
                    "      per code (right/given): "
                    + ", ".join(f"{key} {r}/{g}" for key, (r, g) in per_code.items() if g)
                )

    other_book = catalogue["black-male-social-workers"].codebooks["five_themes"]
    codes = tuple(Code(c.id, c.label, c.description, c.seeds, c.examples) for c in other_book)
    for path in paths:
        cuts = thresholds(codes, meaning=path == "semantic")
        print(
            f"\nfive_themes ({path}): thresholds lexical {cuts.lexical:.3f}, "
            f"semantic {cuts.semantic:.3f}; leave-one-out F1 lexical {cuts.lexical_f1:.3f}"
            + (f", semantic {cuts.semantic_f1:.3f}" if cuts.semantic_f1 is not None else "")
        )


if __name__ == "__main__":
    main()
