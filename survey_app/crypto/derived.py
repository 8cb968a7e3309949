"""Keys derived from a survey's private key, for purposes other than opening responses.

``derive_key(secret, purpose)`` is HKDF-SHA256 with no salt and ``candour/<purpose>`` as info,
32 bytes long. The private key never leaves the process that unwrapped it; only keys derived
for one purpose do (for example the key that fingerprints a published release's raw tables,
so a later release can tell whether its tables changed without anyone storing those tables).
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["derive_key", "fingerprint"]

KEY_LEN = 32


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` from ``secret`` (e.g. a survey's private key)."""
    if not purpose:
        raise ValueError("a derived key needs a purpose")
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_LEN,
        salt=None,
        info=b"candour/" + purpose.encode("utf-8"),
    ).derive(secret)


def fingerprint(key: bytes, data: bytes) -> str:
    """HMAC-SHA256 of ``data`` under ``key``, in hex: equal data, equal fingerprints, and
    nothing about ``data`` can be guessed from it without the key."""
    return hmac.new(key, data, hashlib.sha256).hexdigest()
