"""Errors that services raise with a message fit to show an operator or respondent."""

from __future__ import annotations


class ServiceError(Exception):
    """Something the caller asked for cannot be done; ``str(error)`` says why, plainly."""


class NotFoundError(ServiceError):
    pass


class SurveyClosedError(ServiceError):
    """The survey is not accepting responses (it closed while someone was answering)."""


class AccessCodeError(ServiceError):
    """An access code was malformed, or refused: unknown or already used (one message for
    both, so a code says nothing about whether its holder has taken part)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class KeySlotError(ServiceError):
    """A passphrase did not open any key slot, or a slot change was refused."""
