"""Exceptions raised by the crypto package.

Every failure that depends on secret material is reported with one fixed message per exception
type, so that callers (and logs) never learn *why* something failed to open or decrypt.
"""

from __future__ import annotations

__all__ = ["CryptoError", "DecryptError", "OpenError", "WrongPassphraseError"]


class CryptoError(Exception):
    """Base class for every error raised by `survey_app.crypto`.

    Raised directly for structurally malformed input, such as a key slot blob with an unknown
    version or impossible parameters.
    """


class OpenError(CryptoError):
    """A sealed response envelope could not be opened.

    Covers a wrong version, truncation, a key id mismatch, the wrong private key, tampering,
    a different survey id or questionnaire version, and bad padding, without saying which.
    """


class WrongPassphraseError(CryptoError):
    """A key slot could not be unwrapped: the passphrase is wrong or the slot was altered."""


class DecryptError(CryptoError):
    """An application-data token could not be decrypted with the keyring."""
