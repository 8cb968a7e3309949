"""Tests for passphrase-wrapped key slots."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_app.crypto import (
    DEFAULT_LOG2_N,
    MIN_LOG2_N,
    CryptoError,
    WrongPassphraseError,
    generate_survey_keypair,
    unwrap_private_key,
    wrap_private_key,
    wrapped_log2_n,
)

FAST = 12  # n = 2**12 keeps tests quick; production uses at least MIN_LOG2_N
PRIVATE = bytes(range(32))
PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="module")
def blob() -> bytes:
    return wrap_private_key(PRIVATE, PASSPHRASE, aad=b"survey:staff-2025", log2_n=FAST)


def test_round_trip(blob: bytes) -> None:
    assert unwrap_private_key(blob, PASSPHRASE, aad=b"survey:staff-2025") == PRIVATE


@settings(max_examples=10, deadline=None, database=None)
@given(passphrase=st.text(min_size=1, max_size=40), aad=st.binary(max_size=40))
def test_round_trip_any_passphrase_and_aad(passphrase: str, aad: bytes) -> None:
    private = generate_survey_keypair().private
    wrapped = wrap_private_key(private, passphrase, aad=aad, log2_n=FAST)
    assert unwrap_private_key(wrapped, passphrase, aad=aad) == private


def test_blob_layout(blob: bytes) -> None:
    assert blob[:4] == bytes([1, FAST, 8, 1])
    assert len(blob) == 4 + 16 + 12 + 32 + 16
    assert PRIVATE not in blob


def test_fresh_salt_and_nonce_each_wrap() -> None:
    first = wrap_private_key(PRIVATE, PASSPHRASE, log2_n=FAST)
    second = wrap_private_key(PRIVATE, PASSPHRASE, log2_n=FAST)
    assert first[4:20] != second[4:20]
    assert first[20:32] != second[20:32]
    assert first != second


def test_wrong_passphrase_fails(blob: bytes) -> None:
    with pytest.raises(WrongPassphraseError):
        unwrap_private_key(blob, PASSPHRASE + "!", aad=b"survey:staff-2025")


def test_empty_passphrase_on_unwrap_is_wrong(blob: bytes) -> None:
    with pytest.raises(WrongPassphraseError):
        unwrap_private_key(blob, "", aad=b"survey:staff-2025")


def test_wrong_aad_fails(blob: bytes) -> None:
    with pytest.raises(WrongPassphraseError):
        unwrap_private_key(blob, PASSPHRASE, aad=b"survey:staff-2024")
    with pytest.raises(WrongPassphraseError):
        unwrap_private_key(blob, PASSPHRASE)


def test_passphrase_is_nfc_normalised() -> None:
    composed = "caf\u00e9 au lait"
    decomposed = "cafe\u0301 au lait"
    assert composed != decomposed
    wrapped = wrap_private_key(PRIVATE, composed, log2_n=FAST)
    assert unwrap_private_key(wrapped, decomposed) == PRIVATE


def test_every_byte_flip_is_rejected(blob: bytes) -> None:
    accepted = []
    for index in range(len(blob)):
        altered = bytearray(blob)
        altered[index] ^= 0x01
        try:
            unwrap_private_key(bytes(altered), PASSPHRASE, aad=b"survey:staff-2025")
        except CryptoError:
            continue
        accepted.append(index)
    assert accepted == []


def test_truncated_or_extended_blob_is_malformed(blob: bytes) -> None:
    for bad in (b"", blob[:4], blob[:-1], blob + b"\x00"):
        with pytest.raises(CryptoError) as caught:
            unwrap_private_key(bad, PASSPHRASE, aad=b"survey:staff-2025")
        assert not isinstance(caught.value, WrongPassphraseError)


def test_unknown_version_is_malformed(blob: bytes) -> None:
    with pytest.raises(CryptoError):
        unwrap_private_key(b"\x02" + blob[1:], PASSPHRASE, aad=b"survey:staff-2025")


@pytest.mark.parametrize(
    ("position", "value"),
    [(1, 40), (1, 23), (1, 255), (1, 9), (2, 255), (2, 16), (3, 255), (3, 0)],
)
def test_crafted_cost_parameters_are_refused_quickly(
    blob: bytes, position: int, value: int
) -> None:
    crafted = bytearray(blob)
    crafted[position] = value
    started = time.perf_counter()
    with pytest.raises(CryptoError) as caught:
        unwrap_private_key(bytes(crafted), PASSPHRASE, aad=b"survey:staff-2025")
    assert time.perf_counter() - started < 0.5
    assert not isinstance(caught.value, WrongPassphraseError)


def test_wrapped_log2_n_reads_header(blob: bytes) -> None:
    assert wrapped_log2_n(blob) == FAST
    crafted = bytearray(blob)
    crafted[1] = 40
    with pytest.raises(CryptoError):
        wrapped_log2_n(bytes(crafted))


def test_default_cost_is_at_least_2_to_the_17() -> None:
    assert MIN_LOG2_N >= 17
    assert DEFAULT_LOG2_N >= MIN_LOG2_N
    wrapped = wrap_private_key(PRIVATE, PASSPHRASE)
    assert wrapped_log2_n(wrapped) == DEFAULT_LOG2_N
    assert unwrap_private_key(wrapped, PASSPHRASE) == PRIVATE


@pytest.mark.parametrize("log2_n", [0, 9, 23, 40])
def test_wrap_refuses_out_of_range_cost(log2_n: int) -> None:
    with pytest.raises(ValueError, match="log2_n"):
        wrap_private_key(PRIVATE, PASSPHRASE, log2_n=log2_n)


def test_wrap_refuses_empty_passphrase() -> None:
    with pytest.raises(ValueError, match="passphrase"):
        wrap_private_key(PRIVATE, "", log2_n=FAST)


def test_wrap_refuses_unencodable_passphrase() -> None:
    with pytest.raises(ValueError, match="passphrase"):
        wrap_private_key(PRIVATE, "\ud800", log2_n=FAST)


def test_wrap_refuses_wrong_key_length() -> None:
    with pytest.raises(ValueError, match="private_key"):
        wrap_private_key(PRIVATE[:31], PASSPHRASE, log2_n=FAST)


def test_error_does_not_echo_passphrase(blob: bytes) -> None:
    with pytest.raises(WrongPassphraseError) as caught:
        unwrap_private_key(blob, "hunter2-secret", aad=b"survey:staff-2025")
    assert "hunter2" not in str(caught.value)
