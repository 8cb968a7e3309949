"""Redaction of free-text comments before any of them is quoted.

``redact`` (or a ``Redactor`` reused across a question's comments) replaces e-mail addresses,
telephone numbers, postcodes, reference numbers, configured names, places and teams, and the
names of places and teams before "office", "depot" or "team", with markers; it flags, each with
a reason, possible names (capitalised, starting a sentence, after "manager" or "ask", before
"said"), possible places, initials, descriptions such as "the only Black manager in my team",
and rare words. See ``README.md`` beside this file for what it does not catch: a person still
reads every quote.
"""

from analysis.redaction.model import MARKERS, POINTING_KINDS, Flag, FlagKind, Redaction
from analysis.redaction.redacting import Redactor, is_common_word, rare_tokens, redact

__all__ = [
    "MARKERS",
    "POINTING_KINDS",
    "Flag",
    "FlagKind",
    "Redaction",
    "Redactor",
    "is_common_word",
    "rare_tokens",
    "redact",
]
