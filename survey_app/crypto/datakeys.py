"""The application data keyring: the server's own AES-256-GCM keys, from configuration.

These keys protect what the server must read without a key holder's passphrase (published
releases, moderated quotes, server-side drafts). Several keys can be configured so they can be
rotated: the primary key encrypts, and every key in the ring can decrypt.

Spec string (as held in configuration)::

    "id1:BASE64URLKEY,id2:BASE64URLKEY"

The first entry is the primary. Key ids match ``[A-Za-z0-9_-]{1,16}``; each key is 32 bytes in
URL-safe base64, with or without ``=`` padding.

Token layout (all lengths in bytes)::

    version (1, = 1) | len(key id) (1) | key id (ASCII) | nonce (12) | ciphertext + tag (16)

The header (everything before the ciphertext) followed by the caller's `aad` is the associated
data; the header is self-delimiting, so the concatenation is unambiguous.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from survey_app.crypto.errors import DecryptError

__all__ = ["TOKEN_VERSION", "Keyring", "generate_key_spec"]

TOKEN_VERSION = 1
KEY_LEN = 32
NONCE_LEN = 12
TAG_LEN = 16
_FIXED_PREFIX_LEN = 2  # version and key id length
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,16}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_DECRYPT_FAILED = "The token could not be decrypted."


class Keyring:
    """A set of named 32-byte AES keys, one of which (the primary) is used to encrypt.

    The repr names the key ids only, never the keys.
    """

    def __init__(self, keys: Mapping[str, bytes], primary: str) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        for kid, key in keys.items():
            _check_key_id(kid)
            if not isinstance(key, bytes) or len(key) != KEY_LEN:
                raise ValueError(f"key {kid!r} must be {KEY_LEN} bytes")
        if primary not in keys:
            raise ValueError(f"primary key id {primary!r} is not in the keyring")
        self._keys: dict[str, AESGCM] = {kid: AESGCM(key) for kid, key in keys.items()}
        self._primary = primary

    @classmethod
    def parse(cls, spec: str) -> Keyring:
        """Build a keyring from a spec string such as ``"k2:...,k1:..."``; the first is primary.

        Raises `ValueError` with a message that names the entry or key id at fault but never
        repeats any key material.
        """
        if not spec.strip():
            raise ValueError("keyring spec is empty")
        keys: dict[str, bytes] = {}
        for position, entry in enumerate(spec.split(","), start=1):
            kid, sep, encoded = entry.strip().partition(":")
            if not sep:
                raise ValueError(f"keyring entry {position} must look like id:base64url-key")
            _check_key_id(kid, f"the key id in keyring entry {position}")
            if kid in keys:
                raise ValueError(f"key id {kid!r} appears more than once")
            keys[kid] = _decode_key(kid, encoded.strip())
        primary = next(iter(keys))
        return cls(keys, primary)

    @property
    def primary(self) -> str:
        """The id of the key used by `encrypt`."""
        return self._primary

    @property
    def key_ids(self) -> tuple[str, ...]:
        """All key ids in the ring, primary first."""
        return (self._primary, *(kid for kid in self._keys if kid != self._primary))

    def encrypt(self, plaintext: bytes, *, aad: bytes) -> bytes:
        """Encrypt under the primary key; `aad` must be given again to decrypt."""
        kid = self._primary.encode("ascii")
        nonce = os.urandom(NONCE_LEN)
        header = bytes([TOKEN_VERSION, len(kid)]) + kid + nonce
        return header + self._keys[self._primary].encrypt(nonce, plaintext, header + aad)

    def decrypt(self, token: bytes, *, aad: bytes) -> bytes:
        """Decrypt a token made by `encrypt` with any key in the ring.

        Raises `DecryptError` for a truncated or altered token, a wrong `aad`, or a key id that
        is not in the ring (for example after a key was retired too early).
        """
        if len(token) < _FIXED_PREFIX_LEN or token[0] != TOKEN_VERSION:
            raise DecryptError(_DECRYPT_FAILED)
        id_len = token[1]
        header_len = _FIXED_PREFIX_LEN + id_len + NONCE_LEN
        if len(token) < header_len + TAG_LEN:
            raise DecryptError(_DECRYPT_FAILED)
        kid = token[_FIXED_PREFIX_LEN : _FIXED_PREFIX_LEN + id_len].decode("ascii", "replace")
        aead = self._keys.get(kid) if _KEY_ID.fullmatch(kid) else None
        if aead is None:
            raise DecryptError("The token was made with a key that is not in the keyring.")
        header = token[:header_len]
        nonce = token[_FIXED_PREFIX_LEN + id_len : header_len]
        try:
            return aead.decrypt(nonce, token[header_len:], header + aad)
        except InvalidTag:
            raise DecryptError(_DECRYPT_FAILED) from None

    def __repr__(self) -> str:
        return f"Keyring(key_ids={self.key_ids!r})"


def generate_key_spec(key_id: str = "k1") -> str:
    """Return a spec string holding one fresh random key, e.g. for a setup script."""
    _check_key_id(key_id)
    encoded = base64.urlsafe_b64encode(os.urandom(KEY_LEN)).rstrip(b"=").decode("ascii")
    return f"{key_id}:{encoded}"


def _check_key_id(kid: str, where: str = "key id") -> None:
    if not isinstance(kid, str) or not _KEY_ID.fullmatch(kid):
        raise ValueError(f"{where} must be 1 to 16 characters from A-Z, a-z, 0-9, '_' and '-'")


def _decode_key(kid: str, encoded: str) -> bytes:
    if not _BASE64URL.fullmatch(encoded):
        raise ValueError(f"key {kid!r} is not URL-safe base64")
    unpadded = encoded.rstrip("=")
    try:
        key = base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except (binascii.Error, ValueError):
        raise ValueError(f"key {kid!r} is not URL-safe base64") from None
    if len(key) != KEY_LEN:
        raise ValueError(f"key {kid!r} must decode to {KEY_LEN} bytes, not {len(key)}")
    return key
