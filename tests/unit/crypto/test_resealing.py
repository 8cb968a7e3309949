"""Re-sealing a stored envelope in a fresh outer layer (version 2), with the public key only.

A closed survey's envelopes are re-sealed so that no stored byte matches a copy taken before
the close; `open_envelope` must open plain and layered envelopes alike.
"""

from __future__ import annotations

import hashlib
import os
import struct

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from survey_app.crypto import (
    KeyPair,
    OpenError,
    generate_survey_keypair,
    key_id,
    open_envelope,
    reseal,
    seal,
)
from survey_app.crypto.sealing import LAYER_VERSION, MAX_LAYERS

SURVEY = "staff-2025"
VERSION = "v3"
LAYER_OVERHEAD = 1 + 8 + 32 + 12 + 16
RUN = 32


@pytest.fixture(scope="module")
def keypair() -> KeyPair:
    return generate_survey_keypair()


@pytest.fixture(scope="module")
def inner(keypair: KeyPair) -> bytes:
    return seal(b'{"q1": "yes"}', keypair.public, survey_id=SURVEY, questionnaire_version=VERSION)


@pytest.fixture(scope="module")
def layered(keypair: KeyPair, inner: bytes) -> bytes:
    return _reseal(inner, keypair.public)


def _reseal(envelope: bytes, public_key: bytes, survey_id: str = SURVEY) -> bytes:
    return reseal(envelope, public_key, survey_id=survey_id, questionnaire_version=VERSION)


def _open(envelope: bytes, private_key: bytes, survey_id: str = SURVEY) -> bytes:
    return open_envelope(envelope, private_key, survey_id=survey_id, questionnaire_version=VERSION)


def runs(data: bytes, length: int = RUN) -> set[bytes]:
    return {data[i : i + length] for i in range(len(data) - length + 1)}


def _lp(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def _layer_by_spec(plaintext: bytes, public_key: bytes) -> bytes:
    """An outer layer written from the module docstring, not from the code."""
    ephemeral = X25519PrivateKey.generate()
    eph_pub = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public_key))
    label = b"candour/response/v2"
    aes_key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=eph_pub + public_key, info=label
    ).derive(shared)
    kid = hashlib.sha256(public_key).digest()[:8]
    aad = label + b"\x02" + _lp(SURVEY.encode()) + _lp(VERSION.encode()) + _lp(kid)
    nonce = os.urandom(12)
    return b"\x02" + kid + eph_pub + nonce + AESGCM(aes_key).encrypt(nonce, plaintext, aad)


def test_a_resealed_envelope_opens_to_the_same_plaintext(
    keypair: KeyPair, inner: bytes, layered: bytes
) -> None:
    assert _open(layered, keypair.private) == _open(inner, keypair.private) == b'{"q1": "yes"}'


def test_the_layer_header_and_length(keypair: KeyPair, inner: bytes, layered: bytes) -> None:
    assert layered[0] == LAYER_VERSION == 2
    assert layered[1:9] == key_id(keypair.public)
    assert len(layered) == len(inner) + LAYER_OVERHEAD


def test_a_resealed_envelope_shares_no_run_of_bytes_with_the_original(
    keypair: KeyPair, inner: bytes, layered: bytes
) -> None:
    assert runs(inner).isdisjoint(runs(layered))
    # Sealing the same envelope twice gives unrelated bytes too (fresh key and nonce).
    again = _reseal(inner, keypair.public)
    assert runs(again).isdisjoint(runs(layered))
    # Shared: only the version byte's neighbour, the 8-byte key id, nothing longer.
    assert layered[1:9] == again[1:9] == inner[1:9]
    assert runs(layered, 9).isdisjoint(runs(inner, 9))


def test_layers_nest_up_to_the_limit(keypair: KeyPair, inner: bytes) -> None:
    envelope = inner
    for _depth in range(MAX_LAYERS):
        envelope = _reseal(envelope, keypair.public)
        assert _open(envelope, keypair.private) == b'{"q1": "yes"}'
    with pytest.raises(OpenError):
        _open(_reseal(envelope, keypair.public), keypair.private)


def test_a_layer_moved_to_another_survey_does_not_open(keypair: KeyPair, inner: bytes) -> None:
    moved = _reseal(inner, keypair.public, survey_id="another-survey")
    with pytest.raises(OpenError):
        _open(moved, keypair.private)
    with pytest.raises(OpenError):
        _open(moved, keypair.private, survey_id="another-survey")  # the inner layer says no
    with pytest.raises(OpenError):
        open_envelope(
            _reseal(inner, keypair.public),
            keypair.private,
            survey_id=SURVEY,
            questionnaire_version="v4",
        )


def test_a_layer_for_another_key_does_not_open(keypair: KeyPair, inner: bytes) -> None:
    other = generate_survey_keypair()
    with pytest.raises(OpenError):
        _open(_reseal(inner, other.public), keypair.private)
    with pytest.raises(OpenError):
        _open(_reseal(inner, keypair.public), other.private)


def test_every_single_bit_flip_of_the_outer_layer_is_rejected(
    keypair: KeyPair, layered: bytes
) -> None:
    accepted = []
    for index in range(len(layered)):
        for bit in range(8):
            altered = bytearray(layered)
            altered[index] ^= 1 << bit
            try:
                _open(bytes(altered), keypair.private)
            except OpenError:
                continue
            accepted.append((index, bit))
    assert accepted == []


def test_every_truncation_of_a_layer_is_rejected(keypair: KeyPair, layered: bytes) -> None:
    for length in range(len(layered)):
        with pytest.raises(OpenError):
            _open(layered[:length], keypair.private)
    with pytest.raises(OpenError):
        _open(layered + b"\x00", keypair.private)


def test_a_layer_built_from_the_documented_format_opens(keypair: KeyPair, inner: bytes) -> None:
    assert _open(_layer_by_spec(inner, keypair.public), keypair.private) == b'{"q1": "yes"}'


def test_a_layer_around_something_that_is_not_an_envelope_does_not_open(
    keypair: KeyPair, inner: bytes
) -> None:
    for plaintext in (bytes(len(inner)), b"\x03" + inner[1:], inner[:-1]):
        with pytest.raises(OpenError):
            _open(_layer_by_spec(plaintext, keypair.public), keypair.private)


def test_reseal_refuses_a_malformed_public_key(inner: bytes, keypair: KeyPair) -> None:
    with pytest.raises(ValueError, match="public_key"):
        _reseal(inner, keypair.public[:31])
