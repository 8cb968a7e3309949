"""Tests for the application data keyring."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_app.crypto import CryptoError, DecryptError, Keyring, generate_key_spec

KEY_A = bytes(range(32))
KEY_B = bytes(range(100, 132))
AAD = b"release:staff-2025"


def _b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


@pytest.fixture(scope="module")
def ring() -> Keyring:
    return Keyring({"k1": KEY_A}, primary="k1")


@pytest.fixture(scope="module")
def token(ring: Keyring) -> bytes:
    return ring.encrypt(b"published release", aad=AAD)


@settings(max_examples=25, deadline=None, database=None)
@given(plaintext=st.binary(max_size=300), aad=st.binary(max_size=40))
def test_round_trip(ring: Keyring, plaintext: bytes, aad: bytes) -> None:
    assert ring.decrypt(ring.encrypt(plaintext, aad=aad), aad=aad) == plaintext


def test_token_layout(token: bytes) -> None:
    assert token[:4] == b"\x01\x02k1"
    assert len(token) == 4 + 12 + len(b"published release") + 16
    assert b"published release" not in token


def test_each_encryption_uses_a_fresh_nonce(ring: Keyring) -> None:
    assert ring.encrypt(b"same", aad=AAD) != ring.encrypt(b"same", aad=AAD)


def test_wrong_aad_fails(ring: Keyring, token: bytes) -> None:
    with pytest.raises(DecryptError):
        ring.decrypt(token, aad=b"release:staff-2024")


def test_every_byte_flip_fails(ring: Keyring, token: bytes) -> None:
    accepted = []
    for index in range(len(token)):
        altered = bytearray(token)
        altered[index] ^= 0x01
        try:
            ring.decrypt(bytes(altered), aad=AAD)
        except DecryptError:
            continue
        accepted.append(index)
    assert accepted == []


def test_every_truncation_fails(ring: Keyring, token: bytes) -> None:
    for length in range(len(token)):
        with pytest.raises(DecryptError):
            ring.decrypt(token[:length], aad=AAD)


def test_unknown_key_id_fails(token: bytes) -> None:
    other = Keyring({"k2": KEY_A}, primary="k2")
    with pytest.raises(DecryptError, match="not in the keyring"):
        other.decrypt(token, aad=AAD)


def test_same_id_different_key_fails(token: bytes) -> None:
    other = Keyring({"k1": KEY_B}, primary="k1")
    with pytest.raises(DecryptError):
        other.decrypt(token, aad=AAD)


def test_key_id_is_bound_even_when_two_ids_share_a_key() -> None:
    ring = Keyring({"k1": KEY_A, "k2": KEY_A}, primary="k1")
    token = ring.encrypt(b"data", aad=AAD)
    relabelled = token[:2] + b"k2" + token[4:]
    with pytest.raises(DecryptError):
        ring.decrypt(relabelled, aad=AAD)


def test_rotation_old_tokens_still_decrypt() -> None:
    old = Keyring.parse(f"k1:{_b64(KEY_A)}")
    old_token = old.encrypt(b"old data", aad=AAD)
    rotated = Keyring.parse(f"k2:{_b64(KEY_B)},k1:{_b64(KEY_A)}")
    assert rotated.primary == "k2"
    assert rotated.key_ids == ("k2", "k1")
    assert rotated.decrypt(old_token, aad=AAD) == b"old data"
    new_token = rotated.encrypt(b"new data", aad=AAD)
    assert new_token[2:4] == b"k2"
    with pytest.raises(DecryptError):
        old.decrypt(new_token, aad=AAD)


def test_parse_accepts_padding_and_whitespace() -> None:
    padded = _b64(KEY_A)
    assert padded.endswith("=")
    ring = Keyring.parse(f" k1:{padded} , k-2_x:{padded.rstrip('=')} ")
    assert ring.key_ids == ("k1", "k-2_x")
    assert ring.decrypt(ring.encrypt(b"x", aad=b""), aad=b"") == b"x"


def test_generate_key_spec_parses() -> None:
    spec = generate_key_spec("main")
    ring = Keyring.parse(spec)
    assert ring.primary == "main"
    assert ring.decrypt(ring.encrypt(b"x", aad=AAD), aad=AAD) == b"x"
    assert generate_key_spec() != generate_key_spec()
    assert generate_key_spec().startswith("k1:")


def test_generate_key_spec_refuses_bad_id() -> None:
    with pytest.raises(ValueError, match="key id"):
        generate_key_spec("has space")


SECRET_TEXT = _b64(KEY_A).rstrip("=")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (SECRET_TEXT, "entry 1 must look like id:base64url-key"),
        (f"k1:{SECRET_TEXT},", "entry 2 must look like"),
        (f"k1:{SECRET_TEXT},{SECRET_TEXT}", "entry 2 must look like"),
        (f"{SECRET_TEXT}:k1", "key id in keyring entry 1"),
        (f":{SECRET_TEXT}", "key id in keyring entry 1"),
        (f"k 1:{SECRET_TEXT}", "key id in keyring entry 1"),
        (f"abcdefghijklmnopq:{SECRET_TEXT}", "key id in keyring entry 1"),
        (f"k1:{SECRET_TEXT},k1:{SECRET_TEXT}", "'k1' appears more than once"),
        (f"k1:{SECRET_TEXT[:-1]}+", "'k1' is not URL-safe base64"),
        (f"k1:{SECRET_TEXT[:-1]}/", "'k1' is not URL-safe base64"),
        ("k1:", "'k1' is not URL-safe base64"),
        (f"k1:{SECRET_TEXT[:41]}", "'k1' is not URL-safe base64"),
        (f"k1:{SECRET_TEXT[:20]}", "'k1' must decode to 32 bytes"),
        (f"k1:{_b64(KEY_A + b'x')}", "'k1' must decode to 32 bytes"),
        (f"k1:{SECRET_TEXT[:-1]}", "'k1'"),
    ],
)
def test_bad_spec_messages_never_echo_key_material(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        Keyring.parse(spec)
    text = str(caught.value)
    assert SECRET_TEXT[:8] not in text
    assert SECRET_TEXT[-8:] not in text


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="at least one key"):
        Keyring({}, primary="k1")
    with pytest.raises(ValueError, match="primary"):
        Keyring({"k1": KEY_A}, primary="k2")
    with pytest.raises(ValueError, match="32 bytes"):
        Keyring({"k1": KEY_A[:16]}, primary="k1")
    with pytest.raises(ValueError, match="key id"):
        Keyring({"bad id": KEY_A}, primary="bad id")


def test_repr_shows_ids_not_keys() -> None:
    ring = Keyring({"k1": KEY_A, "k0": KEY_B}, primary="k1")
    assert repr(ring) == "Keyring(key_ids=('k1', 'k0'))"
    assert KEY_A.hex() not in repr(ring)


def test_decrypt_error_is_a_crypto_error() -> None:
    assert issubclass(DecryptError, CryptoError)
