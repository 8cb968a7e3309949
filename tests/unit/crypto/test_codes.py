"""Tests for single-use access codes."""

from __future__ import annotations

import hashlib
import hmac
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_app.crypto import access_code_digest, generate_access_code, normalise_access_code
from survey_app.crypto.codes import (
    ACCESS_CODE_ALPHABET,
    ACCESS_CODE_ENTROPY_BITS,
    ACCESS_CODE_LENGTH,
)

SECRET = b"s" * 32
CODE_SHAPE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}")


def test_alphabet_is_crockford_base32() -> None:
    assert len(ACCESS_CODE_ALPHABET) == 32
    assert len(set(ACCESS_CODE_ALPHABET)) == 32
    assert set(ACCESS_CODE_ALPHABET).isdisjoint("ILOU")
    assert set(ACCESS_CODE_ALPHABET) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def test_entropy_is_80_bits() -> None:
    assert ACCESS_CODE_LENGTH == 16
    assert ACCESS_CODE_LENGTH * math.log2(len(ACCESS_CODE_ALPHABET)) == ACCESS_CODE_ENTROPY_BITS
    assert ACCESS_CODE_ENTROPY_BITS == 80


def test_generated_codes_have_display_shape() -> None:
    for _ in range(50):
        code = generate_access_code()
        assert CODE_SHAPE.fullmatch(code), code


def test_generated_codes_use_whole_alphabet_and_do_not_repeat() -> None:
    codes = [generate_access_code() for _ in range(2000)]
    assert len(set(codes)) == len(codes)
    used = set("".join(codes).replace("-", ""))
    assert used == set(ACCESS_CODE_ALPHABET)


def test_generated_code_normalises_to_itself_without_hyphens() -> None:
    code = generate_access_code()
    assert normalise_access_code(code) == code.replace("-", "")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("K7QM-3XPA-9RTD-HW2C", "K7QM3XPA9RTDHW2C"),
        ("k7qm-3xpa-9rtd-hw2c", "K7QM3XPA9RTDHW2C"),
        ("  K7QM 3XPA\t9RTD HW2C\n", "K7QM3XPA9RTDHW2C"),
        ("K7QM--3XPA 9RTD-HW2C", "K7QM3XPA9RTDHW2C"),
        ("OOOO-oooo-0000-0000", "0000000000000000"),
        ("IIII-iiii-LLLL-llll", "1111111111111111"),
        ("K7QM3XPA9RTDHW2C", "K7QM3XPA9RTDHW2C"),
    ],
)
def test_normalisation(typed: str, expected: str) -> None:
    assert normalise_access_code(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "K7QM-3XPA-9RTD-HW2",  # 15 characters
        "K7QM-3XPA-9RTD-HW2CX",  # 17 characters
        "K7QM-3XPA-9RTD-HW2U",  # U is not in the alphabet
        "K7QM-3XPA-9RTD-HW2!",
        "K7QM_3XPA_9RTD_HW2C",
        "K7QM-3XPA-9RTD-HW2\u00c7",  # non-ASCII look-alike
        "K7QM-3XPA-9RTD-HW2\uff23",  # full-width C
        "\u0131" * 16,  # dotless i upper-cases to I
    ],
)
def test_rejects_malformed_codes(typed: str) -> None:
    assert normalise_access_code(typed) is None


TYPED_CHARS = ACCESS_CODE_ALPHABET + "abcxyzOoIiLl" + " -\t" + "Uu!_\u00e9"
SEPARATORS = frozenset(" -\t")
ACCEPTABLE = frozenset(ACCESS_CODE_ALPHABET + "abcxyzOoIiLl")


@settings(max_examples=200, deadline=None, database=None)
@given(text=st.text(alphabet=TYPED_CHARS, min_size=12, max_size=22))
def test_normalisation_accepts_exactly_the_well_formed(text: str) -> None:
    significant = [char for char in text if char not in SEPARATORS]
    well_formed = len(significant) == ACCESS_CODE_LENGTH and set(significant) <= ACCEPTABLE
    result = normalise_access_code(text)
    if well_formed:
        assert result is not None
        assert len(result) == ACCESS_CODE_LENGTH
        assert set(result) <= set(ACCESS_CODE_ALPHABET)
        assert normalise_access_code(result) == result
    else:
        assert result is None


def test_digest_is_hmac_sha256() -> None:
    code = "K7QM3XPA9RTDHW2C"
    digest = access_code_digest(code, SECRET)
    assert len(digest) == 32
    assert digest == hmac.new(SECRET, code.encode(), hashlib.sha256).digest()


def test_digest_differs_per_secret_and_per_code() -> None:
    code = "K7QM3XPA9RTDHW2C"
    assert access_code_digest(code, SECRET) != access_code_digest(code, b"t" * 32)
    assert access_code_digest(code, SECRET) != access_code_digest("K7QM3XPA9RTDHW2D", SECRET)


def test_equivalent_typings_give_the_same_digest() -> None:
    first = normalise_access_code("k7qm-3xpa-9rtd-hw2c")
    second = normalise_access_code("K7QM 3XPA 9RTD HW2C")
    assert first is not None
    assert second is not None
    assert access_code_digest(first, SECRET) == access_code_digest(second, SECRET)


@pytest.mark.parametrize("code", ["K7QM-3XPA-9RTD-HW2C", "k7qm3xpa9rtdhw2c", "", "SHORT"])
def test_digest_refuses_unnormalised_code(code: str) -> None:
    with pytest.raises(ValueError, match="normalised"):
        access_code_digest(code, SECRET)


def test_digest_refuses_short_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        access_code_digest("K7QM3XPA9RTDHW2C", b"short")
