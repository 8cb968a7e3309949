"""Statistical disclosure control for published survey tables.

Every figure that leaves the system is read from a release protected here as a whole; see
``README.md`` beside this file for the rules, what the audit proves and how complements are
chosen.
"""

from analysis.disclosure.model import (
    NO_ANSWER,
    AuditEntry,
    ItemInput,
    Population,
    ProtectedRelease,
    ReleaseInput,
)
from analysis.disclosure.release import protect_release
from analysis.disclosure.tables import protect_table, render

__all__ = [
    "NO_ANSWER",
    "AuditEntry",
    "ItemInput",
    "Population",
    "ProtectedRelease",
    "ReleaseInput",
    "protect_release",
    "protect_table",
    "render",
]
