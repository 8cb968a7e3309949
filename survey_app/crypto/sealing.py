"""Sealing one survey response to a survey's public key.

Each response is encrypted on its own with a fresh ephemeral X25519 key pair, so the server that
receives it cannot read it afterwards: only the holder of the survey's private key can.

Key derivation::

    shared = X25519(ephemeral private, survey public)
    aes_key = HKDF-SHA256(shared, length=32,
                          salt=ephemeral public || survey public,
                          info=b"candour/response/v1")

Envelope layout (all lengths in bytes)::

    version (1, = 1) | key id (8) | ephemeral public key (32) | nonce (12) | ciphertext + tag (16)

The key id is the first 8 bytes of SHA-256 of the survey's raw public key.

Associated data for AES-256-GCM binds the envelope to its context. Each field is written as a
4-byte big-endian length followed by its bytes, so no two contexts encode the same way::

    b"candour/response/v1" | version (1) | len | survey id (UTF-8) | len | questionnaire version
    (UTF-8) | len | key id

Before encryption the plaintext is padded: a 4-byte big-endian length, the plaintext, then zero
bytes up to the next multiple of `PAD_BUCKET`. Only the bucket count shows in the envelope length.

Re-sealed envelopes (version 2)
-------------------------------
When a survey closes, every stored envelope is sealed again, so that no stored byte is shared
with a copy of the database or its write-ahead log from before the close. Re-sealing needs only
the survey's public key: the whole stored envelope becomes the plaintext of an outer layer::

    version (1, = 2) | key id (8) | ephemeral public key (32) | nonce (12) | ciphertext + tag (16)

made exactly as above with a fresh ephemeral key and nonce, except that the HKDF ``info`` and the
first field of the associated data are ``b"candour/response/v2"``, the version byte in the
associated data is 2, and the plaintext (the inner envelope, whose length is already a whole
number of buckets plus a fixed header) is not padded again. A layer adds 69 bytes.

`open_envelope` peels version-2 layers until it reaches a version-1 envelope and opens that;
every layer must carry the same survey id, questionnaire version and key id. At most
`MAX_LAYERS` layers are accepted, so a crafted envelope cannot make it loop for long.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from survey_app.crypto.errors import OpenError

__all__ = [
    "ENVELOPE_VERSION",
    "LAYER_VERSION",
    "MAX_LAYERS",
    "PAD_BUCKET",
    "KeyPair",
    "generate_survey_keypair",
    "key_id",
    "open_envelope",
    "reseal",
    "seal",
]

ENVELOPE_VERSION = 1
LAYER_VERSION = 2
MAX_LAYERS = 4
PAD_BUCKET = 512

KEY_LEN = 32
KEY_ID_LEN = 8
NONCE_LEN = 12
TAG_LEN = 16
_LENGTH_PREFIX = 4
_MAX_PLAINTEXT = 2**32 - 1
_LABELS = {ENVELOPE_VERSION: b"candour/response/v1", LAYER_VERSION: b"candour/response/v2"}
_HEADER_LEN = 1 + KEY_ID_LEN + KEY_LEN + NONCE_LEN
_OPEN_FAILED = "The envelope could not be opened."


@dataclass(frozen=True)
class KeyPair:
    """A survey's X25519 key pair as raw 32-byte strings.

    The private key is left out of the repr so that it never reaches a log by accident.
    """

    private: bytes = field(repr=False)
    public: bytes


def generate_survey_keypair() -> KeyPair:
    """Make a new random X25519 key pair for a survey."""
    private = X25519PrivateKey.generate()
    return KeyPair(
        private=private.private_bytes_raw(),
        public=private.public_key().public_bytes_raw(),
    )


def key_id(public_key: bytes) -> bytes:
    """Return the 8-byte id of a raw public key: the first 8 bytes of its SHA-256."""
    _check_key_length(public_key, "public_key")
    return hashlib.sha256(public_key).digest()[:KEY_ID_LEN]


def seal(
    plaintext: bytes, public_key: bytes, *, survey_id: str, questionnaire_version: str
) -> bytes:
    """Encrypt `plaintext` so that only the holder of the matching private key can read it.

    `survey_id` and `questionnaire_version` are bound into the associated data: the envelope only
    opens when the same two values are given to `open_envelope`.
    """
    if len(plaintext) > _MAX_PLAINTEXT:
        raise ValueError("plaintext is too long to seal")
    return _seal_as(ENVELOPE_VERSION, _pad(plaintext), public_key, survey_id, questionnaire_version)


def reseal(
    envelope: bytes, public_key: bytes, *, survey_id: str, questionnaire_version: str
) -> bytes:
    """Wrap a stored envelope in a fresh outer layer (version 2) sealed to `public_key`.

    The result shares no bytes with `envelope` beyond the version byte and key id, and opens with
    `open_envelope` exactly as the original did. No private key is needed.
    """
    if len(envelope) > _MAX_PLAINTEXT:
        raise ValueError("envelope is too long to seal")
    return _seal_as(LAYER_VERSION, envelope, public_key, survey_id, questionnaire_version)


def open_envelope(
    envelope: bytes, private_key: bytes, *, survey_id: str, questionnaire_version: str
) -> bytes:
    """Decrypt an envelope made by `seal` (and perhaps re-sealed by `reseal`) and return the
    original plaintext.

    Raises `OpenError` with the same message whatever went wrong, so a caller cannot tell a
    wrong key from tampering or a response moved from another survey. Raises `ValueError` only if
    `private_key` itself is not 32 bytes (a programming error, not a property of the envelope).
    """
    _check_key_length(private_key, "private_key")
    private = X25519PrivateKey.from_private_bytes(private_key)
    own_public = private.public_key().public_bytes_raw()
    for _layer in range(MAX_LAYERS + 1):
        version = envelope[0] if envelope else 0
        if version not in _LABELS:
            break
        opened = _open_as(version, envelope, private, own_public, survey_id, questionnaire_version)
        if version == ENVELOPE_VERSION:
            return _unpad(opened)
        envelope = opened
    raise OpenError(_OPEN_FAILED)


def _seal_as(
    version: int, plaintext: bytes, public_key: bytes, survey_id: str, questionnaire_version: str
) -> bytes:
    _check_key_length(public_key, "public_key")
    recipient = X25519PublicKey.from_public_bytes(public_key)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(recipient)
    kid = key_id(public_key)
    nonce = os.urandom(NONCE_LEN)
    header = bytes([version]) + kid + ephemeral_public + nonce
    aead = AESGCM(_derive_key(version, shared, ephemeral_public, public_key))
    aad = _associated_data(version, survey_id, questionnaire_version, kid)
    return header + aead.encrypt(nonce, plaintext, aad)


def _open_as(
    version: int,
    envelope: bytes,
    private: X25519PrivateKey,
    own_public: bytes,
    survey_id: str,
    questionnaire_version: str,
) -> bytes:
    """Open one layer of the given version; the inner bytes (padded plaintext or an envelope)."""
    # A version-1 envelope holds at least one bucket; a layer holds at least a version-1 envelope.
    smallest = _HEADER_LEN + TAG_LEN + PAD_BUCKET
    if version == LAYER_VERSION:
        smallest += _HEADER_LEN + TAG_LEN
    if len(envelope) < smallest:
        raise OpenError(_OPEN_FAILED)
    kid = envelope[1 : 1 + KEY_ID_LEN]
    ephemeral_public = envelope[1 + KEY_ID_LEN : 1 + KEY_ID_LEN + KEY_LEN]
    nonce = envelope[1 + KEY_ID_LEN + KEY_LEN : _HEADER_LEN]
    ciphertext = envelope[_HEADER_LEN:]
    if version == ENVELOPE_VERSION and (len(ciphertext) - TAG_LEN) % PAD_BUCKET != 0:
        raise OpenError(_OPEN_FAILED)
    if not hmac.compare_digest(kid, key_id(own_public)):
        raise OpenError(_OPEN_FAILED)
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    except ValueError:
        # A low-order ephemeral point gives an all-zero shared secret, which OpenSSL refuses.
        raise OpenError(_OPEN_FAILED) from None
    aead = AESGCM(_derive_key(version, shared, ephemeral_public, own_public))
    aad = _associated_data(version, survey_id, questionnaire_version, kid)
    try:
        return aead.decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise OpenError(_OPEN_FAILED) from None


def _check_key_length(key: bytes, name: str) -> None:
    if len(key) != KEY_LEN:
        raise ValueError(f"{name} must be {KEY_LEN} raw bytes")


def _derive_key(
    version: int, shared: bytes, ephemeral_public: bytes, recipient_public: bytes
) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=ephemeral_public + recipient_public,
        info=_LABELS[version],
    )
    return hkdf.derive(shared)


def _length_prefixed(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def _associated_data(version: int, survey_id: str, questionnaire_version: str, kid: bytes) -> bytes:
    return (
        _LABELS[version]
        + bytes([version])
        + _length_prefixed(survey_id.encode("utf-8"))
        + _length_prefixed(questionnaire_version.encode("utf-8"))
        + _length_prefixed(kid)
    )


def _pad(plaintext: bytes) -> bytes:
    body = _length_prefixed(plaintext)
    return body + bytes(-len(body) % PAD_BUCKET)


def _unpad(padded: bytes) -> bytes:
    """Undo `_pad`, accepting only the exact padding `_pad` would produce."""
    if len(padded) < _LENGTH_PREFIX:
        raise OpenError(_OPEN_FAILED)
    (length,) = struct.unpack(">I", padded[:_LENGTH_PREFIX])
    end = _LENGTH_PREFIX + length
    expected_size = end + (-end % PAD_BUCKET)
    if expected_size != len(padded) or any(padded[end:]):
        raise OpenError(_OPEN_FAILED)
    return padded[_LENGTH_PREFIX:end]
