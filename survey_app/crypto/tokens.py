"""Single-use respondent tokens.

A respondent gets a token when they start answering (after their access code, if the survey
uses codes, has been marked used). The token lives only in their encrypted draft cookie: the
server keeps nothing when it is made, so nothing stored ties a token to the code it replaced.
When the answers are sent, the server stores the token's digest beside the response; the
digest's uniqueness stops the same draft from being sent twice.

A token is 32 bytes from `secrets`. Its digest is an HMAC-SHA256 under the server's code secret
over a domain-separation label, the survey id and the token, each written as a 4-byte big-endian
length followed by its bytes::

    HMAC-SHA256(secret, len | b"candour/spent-token/v1" | len | survey id (UTF-8) | len | token)

so a token's digest differs from survey to survey and never equals an access code's digest.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct

from survey_app.crypto.codes import MIN_DIGEST_SECRET_LEN

__all__ = ["TOKEN_LEN", "new_respondent_token", "spent_token_digest"]

TOKEN_LEN = 32
_LABEL = b"candour/spent-token/v1"


def new_respondent_token() -> bytes:
    """Return a fresh random 32-byte respondent token."""
    return secrets.token_bytes(TOKEN_LEN)


def spent_token_digest(token: bytes, secret: bytes, survey_id: str) -> bytes:
    """Return the 32-byte digest stored when `token` is used to send a response to a survey.

    Raises `ValueError` for a token that is not 32 bytes or a secret shorter than
    MIN_DIGEST_SECRET_LEN bytes.
    """
    if len(token) != TOKEN_LEN:
        raise ValueError(f"token must be {TOKEN_LEN} bytes")
    if len(secret) < MIN_DIGEST_SECRET_LEN:
        raise ValueError(f"secret must be at least {MIN_DIGEST_SECRET_LEN} bytes")
    message = b"".join(
        struct.pack(">I", len(part)) + part for part in (_LABEL, survey_id.encode("utf-8"), token)
    )
    return hmac.new(secret, message, hashlib.sha256).digest()
