"""Redaction of free-text comments before any of them is quoted.

``redact`` (or a ``Redactor`` reused across a question's comments) replaces e-mail addresses,
telephone numbers, postcodes, reference numbers and configured names, places and teams with
markers, and flags rare words and likely names for a moderator. See ``README.md`` beside this
file for what it does not catch: a person still reads every quote.
"""

from analysis.redaction.model import MARKERS, Flag, FlagKind, Redaction
from analysis.redaction.redacting import Redactor, rare_tokens, redact

__all__ = ["MARKERS", "Flag", "FlagKind", "Redaction", "Redactor", "rare_tokens", "redact"]
