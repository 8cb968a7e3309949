"""Passphrase-wrapped key slots, in the manner of LUKS.

A survey's private key is only ever stored wrapped. Each key holder's passphrase gives one slot;
the slot is the private key encrypted with AES-256-GCM under a key derived by scrypt.

Slot blob layout (all lengths in bytes)::

    version (1, = 1) | log2_n (1) | r (1) | p (1) | salt (16) | nonce (12) | ciphertext + tag

The scrypt cost is n = 2**log2_n. The 32-byte header (everything before the ciphertext) followed
by the caller's `aad` is the associated data, so the cost cannot be lowered and a slot cannot be
moved to a context with different `aad` without the unwrap failing.

Passphrases are normalised to Unicode NFC and encoded as UTF-8, so the same passphrase typed on
different systems derives the same key.

Memory: scrypt needs about 128 * r * n bytes, which is 128 MiB at the default n = 2**17, r = 8,
and 1 GiB at the ceiling n = 2**20 that `unwrap_private_key` will accept from a blob.
"""

from __future__ import annotations

import os
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from survey_app.crypto.errors import CryptoError, WrongPassphraseError

__all__ = [
    "DEFAULT_LOG2_N",
    "MAX_LOG2_N",
    "MIN_LOG2_N",
    "SLOT_VERSION",
    "unwrap_private_key",
    "wrap_private_key",
    "wrapped_log2_n",
]

SLOT_VERSION = 1
MIN_LOG2_N = 17
"""The lowest cost production callers should accept (n = 2**17)."""
DEFAULT_LOG2_N = 17
LOWEST_LOG2_N = 10
"""The lowest cost this module will use at all; below MIN_LOG2_N is for tests only."""
MAX_LOG2_N = 20
"""The highest cost this module will use, so a crafted blob cannot demand unbounded memory."""

SCRYPT_R = 8
SCRYPT_P = 1
SALT_LEN = 16
NONCE_LEN = 12
TAG_LEN = 16
PRIVATE_KEY_LEN = 32
HEADER_LEN = 4 + SALT_LEN + NONCE_LEN
BLOB_LEN = HEADER_LEN + PRIVATE_KEY_LEN + TAG_LEN
_SLOT_REJECTED = "The passphrase is wrong or the key slot has been altered."
_MALFORMED = "The key slot is malformed."


def wrap_private_key(
    private_key: bytes,
    passphrase: str,
    *,
    aad: bytes = b"",
    log2_n: int = DEFAULT_LOG2_N,
) -> bytes:
    """Encrypt a raw 32-byte private key under `passphrase` and return the slot blob.

    `aad` is bound to the slot (for example a survey id and slot label) and must be given again
    to unwrap. Raises `ValueError` for an empty passphrase, a key that is not 32 bytes, or a cost
    outside LOWEST_LOG2_N..MAX_LOG2_N. Production callers should insist on log2_n >= MIN_LOG2_N.
    """
    if len(private_key) != PRIVATE_KEY_LEN:
        raise ValueError(f"private_key must be {PRIVATE_KEY_LEN} raw bytes")
    if not passphrase:
        raise ValueError("passphrase must not be empty")
    if isinstance(log2_n, bool) or not LOWEST_LOG2_N <= log2_n <= MAX_LOG2_N:
        raise ValueError(f"log2_n must be between {LOWEST_LOG2_N} and {MAX_LOG2_N}")
    salt = os.urandom(SALT_LEN)
    nonce = os.urandom(NONCE_LEN)
    header = bytes([SLOT_VERSION, log2_n, SCRYPT_R, SCRYPT_P]) + salt + nonce
    secret = _passphrase_bytes(passphrase)
    if secret is None:
        raise ValueError("passphrase must be encodable as UTF-8")
    wrapping_key = _derive(secret, salt, log2_n, SCRYPT_R, SCRYPT_P)
    return header + AESGCM(wrapping_key).encrypt(nonce, private_key, header + aad)


def unwrap_private_key(blob: bytes, passphrase: str, *, aad: bytes = b"") -> bytes:
    """Recover the raw private key from a slot blob made by `wrap_private_key`.

    Raises `CryptoError` if the blob is malformed (checked before any key derivation, so costs
    beyond MAX_LOG2_N are never attempted) and `WrongPassphraseError` if the passphrase or `aad`
    is wrong or the blob has been altered.
    """
    log2_n, r, p = _parse_header(blob)
    secret = _passphrase_bytes(passphrase)
    if not secret:
        raise WrongPassphraseError(_SLOT_REJECTED)
    header = blob[:HEADER_LEN]
    salt = blob[4 : 4 + SALT_LEN]
    nonce = blob[4 + SALT_LEN : HEADER_LEN]
    wrapping_key = _derive(secret, salt, log2_n, r, p)
    try:
        return AESGCM(wrapping_key).decrypt(nonce, blob[HEADER_LEN:], header + aad)
    except InvalidTag:
        raise WrongPassphraseError(_SLOT_REJECTED) from None


def wrapped_log2_n(blob: bytes) -> int:
    """Return the scrypt cost (log2 of n) recorded in a slot blob's header.

    Raises `CryptoError` if the blob is malformed.
    """
    log2_n, _, _ = _parse_header(blob)
    return log2_n


def _parse_header(blob: bytes) -> tuple[int, int, int]:
    if len(blob) != BLOB_LEN:
        raise CryptoError(_MALFORMED)
    version, log2_n, r, p = blob[0], blob[1], blob[2], blob[3]
    if version != SLOT_VERSION:
        raise CryptoError(_MALFORMED)
    if not LOWEST_LOG2_N <= log2_n <= MAX_LOG2_N or r != SCRYPT_R or p != SCRYPT_P:
        raise CryptoError(_MALFORMED)
    return log2_n, r, p


def _passphrase_bytes(passphrase: str) -> bytes | None:
    """NFC-normalise and UTF-8 encode; None if the text holds lone surrogates."""
    try:
        return unicodedata.normalize("NFC", passphrase).encode("utf-8")
    except UnicodeEncodeError:
        return None


def _derive(secret: bytes, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p).derive(secret)
