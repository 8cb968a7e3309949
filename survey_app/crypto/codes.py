"""Single-use access codes.

A code is 16 characters from Crockford's base32 alphabet (digits and capital letters without
I, L, O and U), drawn with `secrets`. Each character carries 5 bits, so a code carries
16 * 5 = 80 bits of entropy. Codes are shown in four groups of four, for example
``K7QM-3XPA-9RTD-HW2C``.

What people type is normalised before use: spaces and hyphens are dropped, letters are
upper-cased, and the look-alikes O -> 0 and I, L -> 1 are mapped as Crockford's scheme says.
The canonical form is the 16 characters with no separators.

The server stores only `access_code_digest(code, secret)`, an HMAC-SHA256 under a server secret,
never the code itself.

An invitation code (a key holder invited to a new cycle of a survey) is written the same way
with 24 characters, 120 bits: the survey's private key is wrapped under it until the key holder
chooses a passphrase. It is never stored; only what it wraps is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = [
    "ACCESS_CODE_ALPHABET",
    "ACCESS_CODE_ENTROPY_BITS",
    "ACCESS_CODE_LENGTH",
    "MIN_DIGEST_SECRET_LEN",
    "access_code_digest",
    "generate_access_code",
    "generate_invitation_code",
    "normalise_access_code",
    "normalise_invitation_code",
]

ACCESS_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ACCESS_CODE_LENGTH = 16
ACCESS_CODE_ENTROPY_BITS = 80  # 16 characters * log2(32) bits each
INVITATION_CODE_LENGTH = 24
GROUP_SIZE = 4
MIN_DIGEST_SECRET_LEN = 16

_ALPHABET_SET = frozenset(ACCESS_CODE_ALPHABET)
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _generate(length: int) -> str:
    chars = "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(length))
    return "-".join(chars[i : i + GROUP_SIZE] for i in range(0, length, GROUP_SIZE))


def generate_access_code() -> str:
    """Return a fresh random access code for display, e.g. ``K7QM-3XPA-9RTD-HW2C``."""
    return _generate(ACCESS_CODE_LENGTH)


def generate_invitation_code() -> str:
    """Return a fresh random invitation code for display: six groups of four."""
    return _generate(INVITATION_CODE_LENGTH)


def normalise_invitation_code(text: str) -> str | None:
    """The canonical 24-character form of a typed invitation code, or None (as for codes)."""
    return _normalise(text, INVITATION_CODE_LENGTH)


def normalise_access_code(text: str) -> str | None:
    """Return the canonical 16-character form of a typed code, or None if it is not a code.

    Whitespace and hyphens are removed, letters upper-cased, O read as 0 and I or L read as 1.
    Anything else outside the alphabet (including U and any non-ASCII character) is rejected.
    """
    return _normalise(text, ACCESS_CODE_LENGTH)


def _normalise(text: str, length: int) -> str | None:
    compact = "".join(text.split()).replace("-", "")
    if len(compact) != length or not compact.isascii():
        return None
    canonical = compact.upper().translate(_LOOKALIKES)
    if not _ALPHABET_SET.issuperset(canonical):
        return None
    return canonical


def access_code_digest(normalised_code: str, secret: bytes) -> bytes:
    """Return the 32-byte HMAC-SHA256 of a canonical code under the server's `secret`.

    Raises `ValueError` if the code is not already in canonical form (pass it through
    `normalise_access_code` first) or the secret is shorter than MIN_DIGEST_SECRET_LEN bytes.
    """
    if normalise_access_code(normalised_code) != normalised_code:
        raise ValueError("access code must be normalised before digesting")
    if len(secret) < MIN_DIGEST_SECRET_LEN:
        raise ValueError(f"secret must be at least {MIN_DIGEST_SECRET_LEN} bytes")
    return hmac.new(secret, normalised_code.encode("ascii"), hashlib.sha256).digest()
