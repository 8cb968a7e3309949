"""Deductive coding against a codebook: seed phrases, stems, TF-IDF, meaning, odd input."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from analysis.themes import semantic
from analysis.themes.coding import (
    LEXICAL_RANGE,
    LEXICAL_THRESHOLD,
    SEMANTIC_RANGE,
    SEMANTIC_THRESHOLD,
    Code,
    assign_codes,
    stems,
    thresholds,
)
from survey_app.demo_data import labelled_comments, synthetic_answers
from survey_app.domain.loading import load_directory
from survey_app.domain.model import Questionnaire

QUESTIONNAIRES = Path(__file__).resolve().parents[3] / "questionnaires"

# The five themes of a survey of Black male social workers, with seeds written for this test.
CODEBOOK = (
    Code(
        id="cultural-competence",
        label="Cultural competence",
        description=(
            "How well colleagues, managers and supervision understand Black clients' and "
            "workers' cultures, identities and needs."
        ),
        seeds=(
            "cultural competence",
            "culturally aware",
            "understand my culture",
            "stereotypes about black families",
            "assumptions about black families",
        ),
    ),
    Code(
        id="disproportionality",
        label="Disproportionality",
        description=(
            "Black staff being over-represented in disciplinary, capability and "
            "fitness-to-practise processes, or judged more harshly for the same things."
        ),
        seeds=(
            "disproportionate",
            "discipline",
            "investigated",
            "fitness to practise",
            "harsher",
            "held to a higher standard",
        ),
    ),
    Code(
        id="representation-progression",
        label="Representation and progression",
        description="Black men in senior roles, promotion, leadership and career development.",
        seeds=(
            "promotion",
            "progression",
            "senior leadership",
            "glass ceiling",
            "passed over",
            "career development",
        ),
    ),
    Code(
        id="psychological-safety",
        label="Psychological safety",
        description="Feeling able to speak up and raise concerns without fear of reprisal.",
        seeds=(
            "speak up",
            "not listened to",
            "never listened to",
            "raise concerns",
            "fear of reprisal",
            "angry black man",
            "walking on eggshells",
        ),
    ),
    Code(
        id="community-networking",
        label="Community and networking",
        description=(
            "Peer support, staff networks, mentoring and belonging with other Black "
            "male social workers."
        ),
        seeds=(
            "staff network",
            "peer support",
            "mentor",
            "isolated",
            "only black man",
            "sense of belonging",
        ),
    ),
)


def codes_for(text: str) -> tuple[str, ...]:
    return assign_codes([text], CODEBOOK)[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Supervisors make lazy assumptions about Black families and treat every "
            "household the same.",
            "cultural-competence",
        ),
        (
            "Black colleagues get put through discipline procedures for things white staff "
            "are let off for.",
            "disproportionality",
        ),
        (
            "I have been passed over twice while less experienced people moved up.",
            "representation-progression",
        ),
        (
            "Whenever I raise concerns in team meetings I am brushed aside.",
            "psychological-safety",
        ),
        (
            "Having a mentor who looks like me kept me in the profession.",
            "community-networking",
        ),
    ],
)
def test_seed_phrases_send_comments_to_their_code(text: str, expected: str) -> None:
    assert codes_for(text) == (expected,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I was not really listened to by my manager.", "psychological-safety"),  # a gap
        ("My team leader has never once listened to my point.", "psychological-safety"),
        ("Mentoring from older colleagues has been invaluable.", "community-networking"),
        ("I was mentored by a senior practitioner.", "community-networking"),
        ("Nobody gets promoted from our office.", "representation-progression"),
        ("I am always the one investigated first.", "disproportionality"),
    ],
)
def test_stems_and_small_gaps_still_match(text: str, expected: str) -> None:
    assert expected in codes_for(text)


def test_gaps_are_small_not_unlimited() -> None:
    # "not" and "listened" are too far apart here to be the seed "not listened to".
    far_apart = "I am not sure why the new rota was agreed, but I listened to the briefing."
    assert "psychological-safety" not in codes_for(far_apart)


def test_profile_words_match_without_any_seed_phrase() -> None:
    text = "Supervision rarely takes any account of my culture or my identity."
    assert codes_for(text) == ("cultural-competence",)


def test_a_comment_can_have_several_codes_in_codebook_order() -> None:
    text = (
        "I daren't speak up in case I'm labelled the angry Black man, and I've been passed "
        "over for promotion again. The staff network is the only place I feel I belong."
    )
    assert codes_for(text) == (
        "representation-progression",
        "psychological-safety",
        "community-networking",
    )


@pytest.mark.parametrize(
    "text",
    [
        "The car park is always full and the canteen shuts far too early.",
        "Please sort out the printers on the second floor.",
        "Overall a reasonable year.",
    ],
)
def test_unrelated_comments_are_other(text: str) -> None:
    assert codes_for(text) == ()


def test_awkward_input_never_raises() -> None:
    texts = [
        "",
        "   ",
        "🙂🙂🙂",
        "promotion " * 2_000,
        "x" * 10_000,
        "Je ne me sens pas écouté par la hiérarchie.",
        "我觉得很好",
        "Passed over again.",
        "Passed over again.",
    ]
    result = assign_codes(texts, CODEBOOK)
    assert len(result) == len(texts)
    assert result[:3] == [(), (), ()]
    assert result[3] == ("representation-progression",)
    assert result[7] == result[8] == ("representation-progression",)


def test_empty_inputs_and_odd_codebooks() -> None:
    assert assign_codes([], CODEBOOK) == []
    assert assign_codes(["Passed over again."], []) == [()]
    blank = Code(id="blank", label="")
    twice = (CODEBOOK[2], CODEBOOK[2], blank)
    assert assign_codes(["Passed over again.", ""], twice) == [
        ("representation-progression",),
        (),
    ]


def test_a_comment_is_coded_the_same_whatever_else_is_coded_with_it() -> None:
    text = "Supervision rarely takes any account of my culture or my identity."
    alone = assign_codes([text], CODEBOOK)
    together = assign_codes(["Passed over again.", text, "culture " * 50], CODEBOOK)
    assert together[1] == alone[0]


def test_a_lower_threshold_codes_more_and_a_higher_one_less() -> None:
    text = "Supervision rarely takes any account of my culture or my identity."
    assert assign_codes([text], CODEBOOK, threshold=1.01) == [()]
    assert len(assign_codes([text], CODEBOOK, threshold=0.0)[0]) == len(CODEBOOK)


def test_stems_fold_case_apostrophes_and_word_forms() -> None:
    assert stems("Mentoring MENTORED mentors") == ("mentor", "mentor", "mentor")
    assert stems("I didn’t") == stems("i didn't")
    assert stems("") == ()


def test_embeddings_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(ValueError, match="one row per text"):
        assign_codes(["one", "two"], CODEBOOK, embeddings=np.zeros((1, 384), np.float32))


needs_extra = pytest.mark.skipif(
    not semantic.available(), reason="the 'semantic' extra (torch, sentence-transformers) is absent"
)


@needs_extra
def test_meaning_finds_paraphrases_that_share_too_few_words() -> None:
    texts = [
        "Senior managers here are all white.",
        "There's a WhatsApp group of Black social workers that keeps me going.",
        "The car park is always full and the canteen shuts far too early.",
        "Pay is too low for the responsibility we carry.",
    ]
    lexical = assign_codes(texts, CODEBOOK)
    meaning = assign_codes(texts, CODEBOOK, embeddings=semantic.embed(texts))
    assert lexical[:2] == [(), ()]
    assert "representation-progression" in meaning[0]
    assert "community-networking" in meaning[1]
    assert meaning[2:] == [(), ()]


@needs_extra
def test_seed_phrases_still_count_with_embeddings() -> None:
    texts = ["I was not really listened to by my manager."]
    meaning = assign_codes(texts, CODEBOOK, embeddings=semantic.embed(texts), threshold=1.01)
    assert meaning == [("psychological-safety",)]


@needs_extra
def test_blank_comments_stay_other_with_embeddings() -> None:
    texts = ["", "   "]
    assert assign_codes(texts, CODEBOOK, embeddings=semantic.embed(texts)) == [(), ()]


# --------------------------------------------------------------------------------------------
# Thresholds chosen on the codebook's examples

# Examples that repeat the codes' own words, and examples that put the same things in other
# words: the threshold that best separates the codes sits higher for the first.
CLOSE_EXAMPLES = {
    "cultural-competence": (
        "My manager does not understand my culture or my identity.",
        "Colleagues make assumptions about Black families and their culture.",
    ),
    "disproportionality": (
        "Black staff are over-represented in disciplinary processes.",
        "We are judged more harshly in capability processes.",
    ),
    "representation-progression": (
        "There are no Black men in senior leadership roles.",
        "Career development and promotion are closed to us.",
    ),
    "psychological-safety": (
        "I do not feel able to speak up or raise concerns.",
        "Fear of reprisal stops me raising concerns.",
    ),
    "community-networking": (
        "The staff network and peer support keep me going.",
        "Mentoring from other Black male social workers.",
    ),
}
FAR_EXAMPLES = {
    "cultural-competence": (
        "Nobody asks how my faith shapes the way I work.",
        "They read our way of raising children as neglect.",
    ),
    "disproportionality": (
        "Every small slip of mine goes straight to HR.",
        "My notes are audited twice as often as anyone else's.",
    ),
    "representation-progression": (
        "Not one Black man above team manager here.",
        "I applied three times and never heard why I was turned down.",
    ),
    "psychological-safety": (
        "I keep my voice low so nobody calls me intimidating.",
        "I say nothing in meetings now because it comes back on me.",
    ),
    "community-networking": (
        "Meeting other Black men from across the region keeps me going.",
        "A regular get-together in person for Black men in social care.",
    ),
}


def with_examples(examples: Mapping[str, tuple[str, ...]]) -> tuple[Code, ...]:
    return tuple(dataclasses.replace(code, examples=examples[code.id]) for code in CODEBOOK)


def test_without_examples_the_thresholds_are_the_fixed_ones() -> None:
    cuts = thresholds(CODEBOOK)
    assert (cuts.lexical, cuts.semantic) == (LEXICAL_THRESHOLD, SEMANTIC_THRESHOLD)
    assert not cuts.calibrated and cuts.lexical_f1 is None


def test_the_threshold_moves_with_the_examples() -> None:
    close = thresholds(with_examples(CLOSE_EXAMPLES))
    far = thresholds(with_examples(FAR_EXAMPLES))
    assert close.calibrated and far.calibrated and close.examples == far.examples == 10
    assert LEXICAL_RANGE[0] <= far.lexical < LEXICAL_THRESHOLD < close.lexical
    assert close.lexical <= LEXICAL_RANGE[1]
    assert close.lexical_f1 is not None and far.lexical_f1 is not None
    assert close.lexical_f1 > far.lexical_f1


def test_each_example_is_held_out_of_its_own_code() -> None:
    # Each example shares words only with itself: held out of its code's profile, it can
    # match nothing, so the examples find no code at all (an example counted against a profile
    # made with it would match perfectly).
    codes = (
        Code("a", "Alpha", seeds=("alpha",), examples=("zebra crossing",)),
        Code("b", "Beta", seeds=("beta",), examples=("giraffe neck",)),
    )
    cuts = thresholds(codes)
    assert cuts.calibrated and cuts.lexical_f1 == 0.0
    assert LEXICAL_RANGE[0] <= cuts.lexical <= LEXICAL_RANGE[1]


def test_examples_code_comments_their_seeds_miss() -> None:
    text = "My notes are audited far more often than anyone else's."
    assert assign_codes([text], CODEBOOK) == [()]
    assert assign_codes([text], with_examples(FAR_EXAMPLES)) == [("disproportionality",)]


def test_with_examples_a_comment_is_coded_the_same_whatever_is_coded_with_it() -> None:
    codes = with_examples(FAR_EXAMPLES)
    text = "Nobody above team manager looks like me."
    alone = assign_codes([text], codes)
    together = assign_codes(["Passed over again.", text, "HR " * 50], codes)
    assert together[1] == alone[0]


def test_codes_built_with_lists_still_work() -> None:
    listed = Code("a", "Workload", seeds=["caseload"], examples=["Too many families."])  # type: ignore[arg-type]
    assert assign_codes(["My caseload is huge."], [listed]) == [("a",)]


# --------------------------------------------------------------------------------------------
# The demo's comments against the staff survey's codebook (the eight Pledge commitments)

# Which commitments a comment on each of the demo generator's topics may fairly be coded to
# (the same table as benchmarks/coding.py).
TOPIC_CODES = {
    "listening": {"safe_spaces", "accountability", "support_affected"},
    "progression": {"policies", "leadership", "support_affected"},
    "workload": {"policies"},
    "scrutiny": {"policies"},
    "abuse": {"support_affected", "accountability", "policies"},
}
MOST_OTHER = 0.15
LEAST_PRECISION = 0.9


@cache
def staff_survey() -> Questionnaire:
    return load_directory(QUESTIONNAIRES)["global-majority-staff-survey"]


@cache
def demo_comments() -> tuple[tuple[str, str], ...]:
    """Last year's demo staff survey (``flask demo setup``: seed 2025, 400 responses)."""
    return tuple(labelled_comments(staff_survey(), "biggest_difference", 400, seed=2025))


def pledge_codes() -> tuple[Code, ...]:
    return tuple(
        Code(c.id, c.label, c.description, c.seeds, c.examples)
        for c in staff_survey().codebooks["pledge_commitments"]
    )


def other_and_precision(
    pairs: Sequence[tuple[str, str]], coded: Sequence[tuple[str, ...]]
) -> tuple[float, float]:
    given = [(topic, code) for (topic, _), ids in zip(pairs, coded, strict=True) for code in ids]
    right = sum(1 for topic, code in given if code in TOPIC_CODES[topic])
    other = sum(1 for ids in coded if not ids) / len(coded)
    return other, right / len(given)


def test_the_demo_comments_come_with_the_topic_they_were_written_about() -> None:
    pairs = demo_comments()
    rng = random.Random(2025)
    replayed = [
        synthetic_answers(staff_survey(), rng).get("biggest_difference") for _ in range(400)
    ]
    assert [text for _, text in pairs] == [text for text in replayed if text is not None]
    assert len(pairs) > 150 and {topic for topic, _ in pairs} == set(TOPIC_CODES)


def test_the_staff_codebook_has_examples_that_set_its_thresholds() -> None:
    cuts = thresholds(pledge_codes())
    assert cuts.calibrated and cuts.examples >= 40
    assert LEXICAL_RANGE[0] <= cuts.lexical <= LEXICAL_RANGE[1]


def test_the_demo_comments_are_coded_lexically_with_little_other_and_few_wrong_codes() -> None:
    pairs = demo_comments()
    coded = assign_codes([text for _, text in pairs], pledge_codes())
    other, precision = other_and_precision(pairs, coded)
    assert other <= MOST_OTHER
    assert precision >= LEAST_PRECISION


@needs_extra
def test_the_demo_comments_are_coded_by_meaning_with_little_other_and_few_wrong_codes() -> None:
    pairs = demo_comments()
    texts = [text for _, text in pairs]
    codes = pledge_codes()
    cuts = thresholds(codes, meaning=True)
    assert cuts.calibrated and SEMANTIC_RANGE[0] <= cuts.semantic <= SEMANTIC_RANGE[1]
    coded = assign_codes(texts, codes, embeddings=semantic.embed(texts))
    other, precision = other_and_precision(pairs, coded)
    assert other <= MOST_OTHER
    assert precision >= LEAST_PRECISION


@needs_extra
def test_with_examples_meaning_codes_a_comment_the_same_whatever_is_coded_with_it() -> None:
    codes = pledge_codes()
    texts = ["Nobody at the top ever mentions racism.", "", "The canteen shuts too early."]
    together = assign_codes(texts, codes, embeddings=semantic.embed(texts))
    alone = [assign_codes([text], codes, embeddings=semantic.embed([text]))[0] for text in texts]
    assert together == alone
    assert together[1] == ()


UNRELATED = [
    "The car park is always full and the canteen shuts far too early.",
    "Please sort out the printers on the second floor.",  # "secondment" stems to "second"
    "Overall a reasonable year.",
    "Better laptops that do not crash.",
]
AWKWARD = ["", "   ", "🙂🙂🙂", "promotion " * 2_000, "x" * 10_000, "我觉得很好", "Pay."]


def test_with_the_pledge_codebook_unrelated_comments_stay_other() -> None:
    assert assign_codes(UNRELATED, pledge_codes()) == [()] * len(UNRELATED)


def test_with_the_pledge_codebook_awkward_input_never_raises() -> None:
    result = assign_codes(AWKWARD, pledge_codes())
    assert result[:3] == [(), (), ()] and result[3] == ("policies",)
    assert len(result) == len(AWKWARD)


@needs_extra
def test_by_meaning_unrelated_and_awkward_comments_are_handled() -> None:
    codes = pledge_codes()
    assert assign_codes(UNRELATED, codes, embeddings=semantic.embed(UNRELATED)) == [()] * len(
        UNRELATED
    )
    result = assign_codes(AWKWARD, codes, embeddings=semantic.embed(AWKWARD))
    assert result[:3] == [(), (), ()] and "policies" in result[3]
