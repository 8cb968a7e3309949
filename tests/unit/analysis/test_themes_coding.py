"""Deductive coding against a codebook: seed phrases, stems, TF-IDF, meaning, odd input."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.themes import semantic
from analysis.themes.coding import Code, assign_codes, stems

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
