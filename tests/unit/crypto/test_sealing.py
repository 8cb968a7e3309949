"""Tests for sealing survey responses to a survey's public key."""

from __future__ import annotations

import hashlib
import os
import struct

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_app.crypto import (
    PAD_BUCKET,
    CryptoError,
    KeyPair,
    OpenError,
    generate_survey_keypair,
    key_id,
    open_envelope,
    seal,
)

SURVEY = "staff-2025"
VERSION = "v3"
HEADER_LEN = 1 + 8 + 32 + 12
TAG_LEN = 16


@pytest.fixture(scope="module")
def keypair() -> KeyPair:
    return generate_survey_keypair()


@pytest.fixture(scope="module")
def envelope(keypair: KeyPair) -> bytes:
    return seal(b'{"q1": "yes"}', keypair.public, survey_id=SURVEY, questionnaire_version=VERSION)


def _open(envelope: bytes, private_key: bytes) -> bytes:
    return open_envelope(envelope, private_key, survey_id=SURVEY, questionnaire_version=VERSION)


def _lp(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def _seal_by_spec(padded: bytes, public_key: bytes, survey_id: str, version: str) -> bytes:
    """Build an envelope around already-padded bytes, written from the documented format."""
    ephemeral = X25519PrivateKey.generate()
    eph_pub = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public_key))
    aes_key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=eph_pub + public_key,
        info=b"candour/response/v1",
    ).derive(shared)
    kid = hashlib.sha256(public_key).digest()[:8]
    aad = (
        b"candour/response/v1"
        + b"\x01"
        + _lp(survey_id.encode())
        + _lp(version.encode())
        + _lp(kid)
    )
    nonce = os.urandom(12)
    return b"\x01" + kid + eph_pub + nonce + AESGCM(aes_key).encrypt(nonce, padded, aad)


def test_keypair_is_raw_x25519_and_repr_hides_private(keypair: KeyPair) -> None:
    assert len(keypair.private) == 32
    assert len(keypair.public) == 32
    derived = X25519PrivateKey.from_private_bytes(keypair.private).public_key().public_bytes_raw()
    assert derived == keypair.public
    assert keypair.private.hex() not in repr(keypair)
    assert repr(keypair.private) not in repr(keypair)


def test_generated_keypairs_differ() -> None:
    assert generate_survey_keypair().private != generate_survey_keypair().private


def test_key_id_is_sha256_prefix(keypair: KeyPair) -> None:
    assert key_id(keypair.public) == hashlib.sha256(keypair.public).digest()[:8]


def test_key_id_rejects_wrong_length() -> None:
    with pytest.raises(ValueError, match="32"):
        key_id(b"\x00" * 31)


@settings(max_examples=25, deadline=None, database=None)
@given(plaintext=st.binary(max_size=1200))
def test_round_trip(keypair: KeyPair, plaintext: bytes) -> None:
    sealed = seal(plaintext, keypair.public, survey_id=SURVEY, questionnaire_version=VERSION)
    assert _open(sealed, keypair.private) == plaintext


@settings(max_examples=15, deadline=None, database=None)
@given(survey_id=st.text(max_size=20), version=st.text(max_size=10))
def test_round_trip_with_any_context(keypair: KeyPair, survey_id: str, version: str) -> None:
    sealed = seal(b"answer", keypair.public, survey_id=survey_id, questionnaire_version=version)
    opened = open_envelope(
        sealed, keypair.private, survey_id=survey_id, questionnaire_version=version
    )
    assert opened == b"answer"


def test_envelope_layout(keypair: KeyPair, envelope: bytes) -> None:
    assert envelope[0] == 1
    assert envelope[1:9] == key_id(keypair.public)
    assert envelope[9:41] != keypair.public
    assert len(envelope) == HEADER_LEN + PAD_BUCKET + TAG_LEN


def test_seal_uses_fresh_ephemeral_key_and_nonce(keypair: KeyPair) -> None:
    first = seal(b"same", keypair.public, survey_id=SURVEY, questionnaire_version=VERSION)
    second = seal(b"same", keypair.public, survey_id=SURVEY, questionnaire_version=VERSION)
    assert first != second
    assert first[9:41] != second[9:41]
    assert first[41:53] != second[41:53]


def test_lengths_within_a_bucket_give_equal_envelopes(keypair: KeyPair) -> None:
    short = seal(b"x" * 10, keypair.public, survey_id=SURVEY, questionnaire_version=VERSION)
    long = seal(b"y" * 400, keypair.public, survey_id=SURVEY, questionnaire_version=VERSION)
    assert len(short) == len(long)
    assert (len(short) - HEADER_LEN - TAG_LEN) % PAD_BUCKET == 0


@pytest.mark.parametrize(
    ("length", "buckets"),
    [(0, 1), (PAD_BUCKET - 4, 1), (PAD_BUCKET - 3, 2), (2 * PAD_BUCKET - 4, 2)],
)
def test_padding_bucket_boundaries(keypair: KeyPair, length: int, buckets: int) -> None:
    sealed = seal(b"a" * length, keypair.public, survey_id=SURVEY, questionnaire_version=VERSION)
    assert len(sealed) == HEADER_LEN + buckets * PAD_BUCKET + TAG_LEN


@pytest.mark.parametrize(
    ("survey_id", "version"),
    [
        ("staff-2024", VERSION),
        (SURVEY, "v4"),
        ("staff-2024", "v4"),
        (SURVEY + "v3", ""),
    ],
)
def test_moved_envelope_does_not_open(
    envelope: bytes, keypair: KeyPair, survey_id: str, version: str
) -> None:
    with pytest.raises(OpenError):
        open_envelope(envelope, keypair.private, survey_id=survey_id, questionnaire_version=version)


def test_wrong_private_key_does_not_open(envelope: bytes) -> None:
    other = generate_survey_keypair()
    with pytest.raises(OpenError):
        _open(envelope, other.private)


def test_wrong_key_with_forged_key_id_does_not_open(envelope: bytes) -> None:
    other = generate_survey_keypair()
    forged = envelope[:1] + key_id(other.public) + envelope[9:]
    with pytest.raises(OpenError):
        _open(forged, other.private)


def test_every_single_bit_flip_is_rejected(envelope: bytes, keypair: KeyPair) -> None:
    accepted = []
    for index in range(len(envelope)):
        for bit in range(8):
            altered = bytearray(envelope)
            altered[index] ^= 1 << bit
            try:
                _open(bytes(altered), keypair.private)
            except OpenError:
                continue
            accepted.append((index, bit))
    assert accepted == []


def test_every_truncation_is_rejected(envelope: bytes, keypair: KeyPair) -> None:
    for length in range(len(envelope)):
        with pytest.raises(OpenError):
            _open(envelope[:length], keypair.private)


def test_extension_is_rejected(envelope: bytes, keypair: KeyPair) -> None:
    with pytest.raises(OpenError):
        _open(envelope + b"\x00", keypair.private)
    with pytest.raises(OpenError):
        _open(envelope + bytes(PAD_BUCKET), keypair.private)


def test_low_order_ephemeral_point_is_rejected(envelope: bytes, keypair: KeyPair) -> None:
    zero_point = envelope[:9] + bytes(32) + envelope[41:]
    with pytest.raises(OpenError):
        _open(zero_point, keypair.private)


def test_errors_do_not_say_why(envelope: bytes, keypair: KeyPair) -> None:
    messages = set()
    # The last byte is flipped, not set to 0: a random envelope ends in 0 one time in 256.
    flipped = envelope[:-1] + bytes([envelope[-1] ^ 0x01])
    for bad in (envelope[:20], b"\x02" + envelope[1:], flipped):
        with pytest.raises(OpenError) as caught:
            _open(bad, keypair.private)
        messages.add(str(caught.value))
    with pytest.raises(OpenError) as caught:
        _open(envelope, generate_survey_keypair().private)
    messages.add(str(caught.value))
    assert len(messages) == 1
    assert issubclass(OpenError, CryptoError)


def test_envelope_built_from_documented_format_opens(keypair: KeyPair) -> None:
    padded = struct.pack(">I", 5) + b"hello" + bytes(PAD_BUCKET - 9)
    built = _seal_by_spec(padded, keypair.public, SURVEY, VERSION)
    assert _open(built, keypair.private) == b"hello"


@pytest.mark.parametrize(
    "padded",
    [
        pytest.param(
            struct.pack(">I", 5) + b"hello" + b"\x01" + bytes(PAD_BUCKET - 10),
            id="non-zero-padding",
        ),
        pytest.param(struct.pack(">I", PAD_BUCKET) + bytes(PAD_BUCKET - 4), id="length-too-big"),
        pytest.param(
            struct.pack(">I", 5) + b"hello" + bytes(2 * PAD_BUCKET - 9), id="extra-bucket"
        ),
        pytest.param(struct.pack(">I", 2**32 - 1) + bytes(PAD_BUCKET - 4), id="huge-length"),
    ],
)
def test_bad_padding_is_rejected(keypair: KeyPair, padded: bytes) -> None:
    built = _seal_by_spec(padded, keypair.public, SURVEY, VERSION)
    with pytest.raises(OpenError):
        _open(built, keypair.private)


def test_malformed_key_arguments_raise_value_error(envelope: bytes, keypair: KeyPair) -> None:
    with pytest.raises(ValueError, match="public_key"):
        seal(b"x", keypair.public[:31], survey_id=SURVEY, questionnaire_version=VERSION)
    with pytest.raises(ValueError, match="private_key"):
        _open(envelope, keypair.private + b"\x00")
