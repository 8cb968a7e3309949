"""Comment tone with VADER: clear cases, mixed cases, awkward input, and the counts."""

from __future__ import annotations

import pytest

from analysis.themes.sentiment import TONES, shares, tones


@pytest.mark.parametrize(
    "text",
    [
        "The mentoring scheme has been brilliant and I feel valued by my team.",
        "Everyone made me feel welcome in my first month.",
        "I feel listened to when I raise things with my supervisor.",
        "Great support from the staff network, thank you.",
    ],
)
def test_clear_praise_is_positive(text: str) -> None:
    assert tones([text]) == ["positive"]


@pytest.mark.parametrize(
    "text",
    [
        "I feel undervalued and sidelined in every meeting.",
        "Racism is tolerated here and nothing ever changes.",
        "Nobody listens when I say the caseload is unmanageable.",
        "I was not listened to.",
        "Constant microaggressions and no action from managers.",
        "Promotion is blocked for people like me.",
    ],
)
def test_clear_complaints_are_negative(text: str) -> None:
    assert tones([text]) == ["negative"]


@pytest.mark.parametrize(
    "text",
    [
        "My manager is great, but the workload is crushing.",
        "Good team, awful pay.",
        "My line manager is supportive; however senior leaders ignore racism.",
        "I love the flexible hours. The pay is unfair.",
    ],
)
def test_praise_and_criticism_together_are_mixed(text: str) -> None:
    assert tones([text]) == ["mixed"]


@pytest.mark.parametrize(
    "text",
    ["", "   ", "N/A", "n/a.", "No comment", "Nothing to add", "Meetings are on Tuesdays."],
)
def test_non_answers_and_plain_facts_are_mixed(text: str) -> None:
    assert tones([text]) == ["mixed"]


def test_awkward_input_gets_a_tone_without_failing() -> None:
    awkward = [
        "🙂🙂🙂",
        "😡",
        "x" * 10_000,
        "I love this place. " * 2_000,  # far past the length VADER reads quickly
        "Je ne me sens pas écouté par la direction.",
        "我觉得很好",
        "\x00\t\n",
        "!!!???",
    ]
    result = tones(awkward)
    assert len(result) == len(awkward)
    assert set(result) <= set(TONES)
    assert result[0] == "positive"  # VADER reads the smiling emoji


def test_order_and_duplicates_are_kept() -> None:
    texts = ["Awful, exhausting week.", "Wonderful colleagues.", "Awful, exhausting week."]
    assert tones(texts) == ["negative", "positive", "negative"]
    assert tones([]) == []


def test_shares_counts_every_tone_and_always_has_all_three_keys() -> None:
    assert shares([]) == {"positive": 0, "mixed": 0, "negative": 0}
    assert shares(["positive", "negative", "positive"]) == {
        "positive": 2,
        "mixed": 0,
        "negative": 1,
    }
    assert list(shares(["mixed"])) == list(TONES)
