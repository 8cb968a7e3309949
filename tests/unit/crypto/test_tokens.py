"""Single-use respondent tokens and the digests kept once they are spent."""

from __future__ import annotations

import hashlib
import hmac
import struct

import pytest

from survey_app.crypto import access_code_digest, new_respondent_token, spent_token_digest

SECRET = b"s" * 32


def _lp(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def test_tokens_are_32_random_bytes() -> None:
    tokens = {new_respondent_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert {len(token) for token in tokens} == {32}


def test_digest_follows_the_documented_format() -> None:
    token = bytes(range(32))
    message = _lp(b"candour/spent-token/v1") + _lp(b"survey-1") + _lp(token)
    expected = hmac.new(SECRET, message, hashlib.sha256).digest()
    assert spent_token_digest(token, SECRET, "survey-1") == expected


def test_digest_depends_on_token_survey_and_secret() -> None:
    token = new_respondent_token()
    digest = spent_token_digest(token, SECRET, "survey-1")
    assert len(digest) == 32
    assert digest != spent_token_digest(token, SECRET, "survey-2")
    assert digest != spent_token_digest(token, b"t" * 32, "survey-1")
    assert digest != spent_token_digest(new_respondent_token(), SECRET, "survey-1")
    assert token not in digest


def test_a_token_digest_never_looks_like_a_code_digest() -> None:
    """Domain separation: the two digests are made from different messages."""
    code = "K7QM3XPA9RTDHW2C"
    token = code.encode().ljust(32, b"\x00")
    assert spent_token_digest(token, SECRET, "s") != access_code_digest(code, SECRET)


@pytest.mark.parametrize("length", [0, 16, 31, 33])
def test_a_token_of_the_wrong_length_is_refused(length: int) -> None:
    with pytest.raises(ValueError, match="token must be 32 bytes"):
        spent_token_digest(bytes(length), SECRET, "survey-1")


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret"):
        spent_token_digest(new_respondent_token(), b"short", "survey-1")
