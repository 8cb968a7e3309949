"""How a release is stored, and the per-process cache of what report pages read from it.

A release is two encrypted parts, written together in one transaction:

- the **figures** (``Release.payload``): everything a report page or a download shows --
  the header (survey, date, views, series scope), the protected tables without their audit,
  the theme summaries and the review decisions;
- the **audit** (``ReleaseAudit.payload``): what no reader is shown -- the disclosure audit
  (which rule hid each hidden value and the range it is certified to keep), the fingerprints
  of the tables published by group, the sealed record of the review, and a digest of the
  figures it was written with.

Both are encrypted with the application data keyring under associated data naming the
survey, the release and the part, so neither part opens as the other, as another release's
or as the single payload releases had before. A report page decrypts and parses the figures
only. Publishing, a review action and a new analysis read the whole release
(:func:`read_release`), which refuses an audit written for other figures; every write checks
that the audit accounts for exactly the hidden values of the figures (:func:`check_audit`).

**The cache.** Parsing a large release's figures costs tens of milliseconds and building a
spreadsheet of it about a second, so each process keeps a few of each (:class:`ReleaseCache`),
keyed by release id and checked against ``Release.revision``, which every write raises. A
reader first reads the release's row (its status and revision: one small query, with the
same survey and status conditions as without the cache), and uses a cached value only if its
revision is the stored one; so a release published or changed by another process is never
shown stale. The cache sits below the permission checks: it is reached only with a row the
reader may see, and holds only what that row's figures give. One cache per ``Database``
(one per application), so two applications in one process do not share one.
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from survey_app.crypto import DecryptError, Keyring
from survey_app.services.errors import ServiceError
from survey_app.storage.database import Database
from survey_app.storage.models import Release, ReleaseAudit

#: Fields of a release document kept with the audit rather than with the figures.
PRIVATE_FIELDS = ("fingerprints", "carry")

UNREADABLE = "This release cannot be read with the server's keys"
MISMATCHED = (
    "This release's disclosure audit does not belong to its figures: it cannot be published "
    "or changed. Analyse the survey again"
)
UNACCOUNTED = (
    "The disclosure audit does not account for every hidden figure of this release, so it "
    "was not saved"
)

T = TypeVar("T")


# --- the two parts -----------------------------------------------------------------------------


def _aad(part: str, survey_id: str, release_id: str) -> bytes:
    return f"candour/release/{part}/{survey_id}/{release_id}".encode("ascii")


def split_document(document: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A whole release document as its figures and its audit part (without the digest)."""
    release = dict(document["release"])
    audit = release.pop("audit", [])
    figures = {key: value for key, value in document.items() if key not in PRIVATE_FIELDS}
    figures["release"] = release
    private = {"audit": audit}
    private.update({key: document[key] for key in PRIVATE_FIELDS if key in document})
    return figures, private


def join_document(figures: Mapping[str, Any], private: Mapping[str, Any]) -> dict[str, Any]:
    """The whole release document from its two parts (the inverse of :func:`split_document`)."""
    document = dict(figures)
    document["release"] = {**figures["release"], "audit": list(private["audit"])}
    document.update({key: private[key] for key in PRIVATE_FIELDS if key in private})
    return document


@dataclass(frozen=True)
class SealedRelease:
    """A release's two parts, encrypted and ready to store (:func:`store_sealed`)."""

    figures: bytes
    audit: bytes


def seal_release(
    keyring: Keyring, survey_id: str, release_id: str, document: Mapping[str, Any]
) -> SealedRelease:
    """Encrypt a whole release document as its figures and its audit, once the audit is
    checked to account for exactly the hidden figures (:func:`check_audit`)."""
    check_audit(document["release"])
    figures, private = split_document(document)
    plain = json.dumps(figures, separators=(",", ":")).encode("utf-8")
    private["figures"] = hashlib.sha256(plain).hexdigest()
    audit = json.dumps(private, separators=(",", ":")).encode("utf-8")
    return SealedRelease(
        keyring.encrypt(plain, aad=_aad("figures", survey_id, release_id)),
        keyring.encrypt(audit, aad=_aad("audit", survey_id, release_id)),
    )


def _decrypt(keyring: Keyring, token: bytes, aad: bytes) -> bytes:
    try:
        return keyring.decrypt(token, aad=aad)
    except DecryptError:
        raise ServiceError(UNREADABLE) from None


def open_figures(keyring: Keyring, survey_id: str, release_id: str, payload: bytes) -> Any:
    """A release's figures (``Release.payload``) as a document: no audit, no private fields."""
    return json.loads(_decrypt(keyring, payload, _aad("figures", survey_id, release_id)))


def read_release(session: Session, keyring: Keyring, row: Release) -> dict[str, Any]:
    """The whole document of a stored release: figures and audit, checked to belong together."""
    stored = session.get(ReleaseAudit, row.id)
    if stored is None:
        raise ServiceError(MISMATCHED)
    plain = _decrypt(keyring, row.payload, _aad("figures", row.survey_id, row.id))
    private = json.loads(_decrypt(keyring, stored.payload, _aad("audit", row.survey_id, row.id)))
    if private.get("figures") != hashlib.sha256(plain).hexdigest():
        raise ServiceError(MISMATCHED)
    return join_document(json.loads(plain), private)


def store_sealed(session: Session, row: Release, sealed: SealedRelease) -> None:
    """Store both parts of a release in ``row`` (added to ``session`` already) and its audit
    row, in the caller's transaction, and raise the revision: every process's cache then
    drops what it parsed of the release before."""
    row.payload = sealed.figures
    row.revision = (row.revision or 0) + 1
    session.flush()  # the release row exists before its audit row refers to it
    stored = session.get(ReleaseAudit, row.id)
    if stored is None:
        session.add(ReleaseAudit(release_id=row.id, payload=sealed.audit))
    else:
        stored.payload = sealed.audit


def write_release(
    session: Session, keyring: Keyring, row: Release, document: Mapping[str, Any]
) -> None:
    """Encrypt and store a whole release document in ``row`` (see :func:`store_sealed`)."""
    store_sealed(session, row, seal_release(keyring, row.survey_id, row.id, document))


def check_audit(release: Mapping[str, Any]) -> None:
    """Refuse a release (``ProtectedRelease.to_dict`` form) whose audit does not name exactly
    its hidden values: a hidden value without an entry was hidden by no rule the engine
    audited, and an entry for a shown value means the figures are not the audited ones."""
    hidden = {
        (_population(row["population"]), None, "Total")
        for row in release["sizes"]
        if row["value"] is None
    }
    for item in release["items"]:
        for row in item["rows"]:
            population = _population(row["population"])
            hidden.update(
                (population, item["id"], column) for column, value in row["values"] if value is None
            )
    audited = {
        (_population(entry["population"]), entry["item"], entry["column"])
        for entry in release["audit"]
    }
    if audited != hidden:
        raise ServiceError(UNACCOUNTED)


def _population(data: Any) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(dimension), str(group)) for dimension, group in data))


# --- the per-process cache -----------------------------------------------------------------------


class ReleaseCache:
    """Values worked out from stored releases (parsed figures, built downloads), least
    recently used first out, within ``entries`` values and ``budget`` bytes (as ``size`` says;
    one unit per value by default). Each value is kept with the release revision it came
    from and given out only for that revision. Safe to share between threads: a value is
    made by one thread at a time (:meth:`get_or_make`), and the others asking for it wait
    and take it, so several readers of one new release cost one parse or build."""

    def __init__(self, entries: int, budget: int | None = None) -> None:
        self.entries = entries
        self.budget = budget
        self._values: OrderedDict[Hashable, tuple[int, Any, int]] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()
        self._making = threading.Lock()

    def get(self, key: Hashable, revision: int) -> Any | None:
        with self._lock:
            found = self._values.get(key)
            if found is None:
                return None
            if found[0] != revision:
                self._drop(key)
                return None
            self._values.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, revision: int, value: Any, size: int = 1) -> None:
        if self.budget is not None and size > self.budget:
            return  # larger than the whole cache: not kept
        with self._lock:
            self._drop(key)
            self._values[key] = (revision, value, size)
            self._used += size
            while len(self._values) > self.entries or (
                self.budget is not None and self._used > self.budget
            ):
                self._drop(next(iter(self._values)))

    def get_or_make(
        self,
        key: Hashable,
        revision: int,
        make: Callable[[], tuple[int, T]],
        size: Callable[[T], int] = lambda _value: 1,
    ) -> T:
        """The value for ``key`` at ``revision``; if it is not kept, ``make()`` gives a value
        and the revision it was made from (a newer one if the release changed meanwhile),
        and it is kept under that revision. One value is made at a time in a process: a burst
        of heavy requests takes one thread's worth of processor time, and the rest of the
        process (respondents' pages) keeps the other."""
        found = self.get(key, revision)
        if found is not None:
            return found  # type: ignore[no-any-return]
        with self._making:
            found = self.get(key, revision)
            if found is not None:
                return found  # type: ignore[no-any-return]
            made, value = make()
            self.put(key, made, value, size(value))
            return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._used = 0

    def __len__(self) -> int:
        return len(self._values)

    def _drop(self, key: Hashable) -> None:
        found = self._values.pop(key, None)
        if found is not None:
            self._used -= found[2]


#: Parsed figures of this many releases per process (a large release's take some megabytes).
FIGURES_KEPT = 6
#: Built downloads per process: this many files, within this many bytes.
FILES_KEPT = 24
FILES_BUDGET = 32 * 1024 * 1024

_figures: weakref.WeakKeyDictionary[Database, ReleaseCache] = weakref.WeakKeyDictionary()
_files: weakref.WeakKeyDictionary[Database, ReleaseCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def figures_cache(db: Database) -> ReleaseCache:
    """This process's cache of parsed release figures for the database ``db``."""
    with _caches_lock:
        found = _figures.get(db)
        if found is None:
            found = _figures[db] = ReleaseCache(FIGURES_KEPT)
        return found


def files_cache(db: Database) -> ReleaseCache:
    """This process's cache of built report downloads for the database ``db``."""
    with _caches_lock:
        found = _files.get(db)
        if found is None:
            found = _files[db] = ReleaseCache(FILES_KEPT, FILES_BUDGET)
        return found
