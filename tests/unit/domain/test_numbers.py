"""Whole numbers from what people send: ASCII digits only, a bounded length, None otherwise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_app.domain.numbers import MAX_DIGITS, typed_number, whole_number

REFUSED = [
    "",
    "²",  # isdigit() is true, int() refuses it: the 500 this module exists for
    "¹²³",
    "①",
    "١٢",  # Arabic-Indic digits: int() reads them as 12
    "१२",  # Devanagari digits
    "１２",  # full-width digits
    " 12",
    "12 ",
    "\t12",
    "12\n",
    "+1",
    "-1",
    "1e3",
    "1.0",
    "1_000",
    "0x10",
    "1,000",
    "12a",
    "NaN",
    "∞",
    "1\x00",
    "9" * (MAX_DIGITS + 1),
    "9" * 5000,  # int() refuses more than 4,300 digits with a ValueError
]


@pytest.mark.parametrize("text", REFUSED)
def test_whole_number_refuses_anything_but_ascii_digits(text: str) -> None:
    assert whole_number(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("7", 7), ("0012", 12), ("9" * MAX_DIGITS, 10**MAX_DIGITS - 1)],
)
def test_whole_number_reads_ascii_digits(text: str, expected: int) -> None:
    assert whole_number(text) == expected


def test_missing_is_none() -> None:
    assert whole_number(None) is None
    assert typed_number(None) is None


def test_the_length_is_bounded() -> None:
    assert whole_number("123456", max_digits=6) == 123456
    assert whole_number("1234567", max_digits=6) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("-1", -1), ("+7", 7), ("-0", 0), ("12", 12), ("--1", None), ("-", None), ("+", None)],
)
def test_signed_numbers_allow_one_sign(text: str, expected: int | None) -> None:
    assert whole_number(text, signed=True) == expected


@pytest.mark.parametrize("text", ["-١", "-²", "- 1", "−1"])  # the last is a minus sign
def test_signed_numbers_are_still_ascii_only(text: str) -> None:
    assert whole_number(text, signed=True) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" 12 ", 12),
        ("\t12", 12),
        ("1,250", 1250),
        ("12,500,000", 12_500_000),
        ("100,000", 100_000),
        ("5,000", 5000),
    ],
)
def test_typed_numbers_allow_spaces_around_and_thousands_commas(text: str, expected: int) -> None:
    assert typed_number(text) == expected


@pytest.mark.parametrize(
    "text",
    ["²", "١٢", "+1", "1e3", "12,50", ",100", "100,", "1,,000", "1 000", "\u00a012", "1_000"],
)
def test_typed_numbers_refuse_everything_else(text: str) -> None:
    assert typed_number(text) is None


def test_typed_numbers_count_digits_not_commas() -> None:
    assert typed_number("999,999,999") == 999_999_999
    assert typed_number("1,000,000,000") is None


@settings(max_examples=300, derandomize=True, database=None)
@given(st.text(max_size=40))
def test_any_text_is_a_number_or_none_never_an_error(text: str) -> None:
    for read in (whole_number, typed_number):
        for signed in (False, True):
            found = read(text, signed=signed)
            assert found is None or isinstance(found, int)
            if found is not None and read is whole_number:
                assert str(abs(found)) == text.lstrip("+-").lstrip("0") or found == 0
