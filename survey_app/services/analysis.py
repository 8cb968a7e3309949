"""Analysis runs: unlock a closed survey, open its responses in memory, build and protect
the draft release, store it encrypted, and drop the plaintext and the keys.

Every figure that ever leaves the system is read from a release made here or at publishing
(``services.publishing``); nothing else reads responses (DESIGN.md §6). A draft shows the
closed questions' tables and the free text's theme and code counts **overall only**; counts by
group are worked out once, when a key holder publishes. Once a survey has a published
release, every later release shows its closed questions exactly as that release did, so no two
releases of a survey can be set side by side to work out what either hid.

Runs started from the web execute in a short-lived job process (``survey_app.jobs``), so the
passphrase, the private key and the plaintext never stay in a long-lived web worker.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from analysis.comments import QuestionThemes
from analysis.counting import Breakdown, Item, release_input
from analysis.disclosure import ProtectedRelease, ReleaseInput, protect_release
from analysis.frame import QuestionSpec, build_frame
from survey_app.crypto import CryptoError, Keyring, open_envelope
from survey_app.domain.model import Questionnaire, QuestionType
from survey_app.services import cycles, releases, sessions, themes
from survey_app.services.errors import NotFoundError, ServiceError
from survey_app.services.keys import unlock
from survey_app.services.scope import Scope, ScopeHeader, batch, scope_header
from survey_app.services.surveys import (
    SurveyInfo,
    envelope_scope,
    get_survey_by_id,
    survey_row,
)
from survey_app.storage.database import Database
from survey_app.storage.models import AnalysisRun, Release, Response, Survey

RELEASE_FORMAT = 1
K_CELL = 3

#: Why a free-text item is shown overall only (the reports say so in one sentence each).
DRAFT = "draft"  # drafts never show theme or code counts by group
CHANGED = "changed"  # the themes changed after an earlier release was published

NOT_CLOSED = (
    "Results are worked out only after a survey closes, so that nobody can compare one set "
    "of results with a later one. Close the survey first."
)
NO_NEW_SESSIONS = (
    "No session of this series has closed with answers since its last published report. "
    "A report covers sessions that have closed; each session is in one report only, so that "
    "no two reports can be set side by side to work out a small session's answers."
)

Progress = Callable[[int, str], None]
Unlocked = Callable[[str, bytes], None]

_KIND = {
    QuestionType.SINGLE_CHOICE: "single",
    QuestionType.LIKERT: "single",
    QuestionType.MULTIPLE_CHOICE: "multiple",
    QuestionType.LIKERT_GRID: "grid",
    QuestionType.NUMBER: "number",
    QuestionType.FREE_TEXT: "text",
}


# --- from the questionnaire to the analysis specs ---------------------------------------------


def question_specs(questionnaire: Questionnaire) -> list[QuestionSpec]:
    return [
        QuestionSpec(
            id=q.id,
            kind=_KIND[q.type],  # type: ignore[arg-type]
            options=tuple(o.value for o in q.options),
            statements=tuple(s.id for s in q.statements),
        )
        for q in questionnaire.questions()
    ]


def report_items(questionnaire: Questionnaire) -> list[Item]:
    """The closed answers a report counts, in questionnaire order. Demographic questions are
    breakdowns, not items; free text and numbers are not counted here."""
    items: list[Item] = []
    counted: set[str] = set()
    for q in questionnaire.questions():
        options = tuple(o.value for o in q.options)
        if q.demographic:
            continue
        # What every respondent saw is known to every reader: routing and exclusive options.
        routes: tuple[tuple[str, tuple[str, ...]], ...] = ()
        if q.show_if is not None and all(c.question in counted for c in q.show_if.conditions):
            routes = tuple((c.question, tuple(c.any_of)) for c in q.show_if.conditions)
        one = routes[0] if len(routes) == 1 else None
        several = routes if len(routes) > 1 else ()
        if q.type in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT):
            items.append(Item(q.id, q.id, "exclusive", options, q.sensitive, (), one, several))
        elif q.type is QuestionType.MULTIPLE_CHOICE:
            alone = tuple(o.value for o in q.options if o.exclusive)
            items.append(Item(q.id, q.id, "multiple", options, q.sensitive, alone, one, several))
        elif q.type is QuestionType.LIKERT_GRID:
            for s in q.statements:
                item_id = f"{q.id}__{s.id}"
                items.append(
                    Item(item_id, item_id, "exclusive", options, q.sensitive, (), one, several)
                )
        if q.type is not QuestionType.LIKERT_GRID:
            counted.add(q.id)
    return items


def breakdowns(questionnaire: Questionnaire) -> list[Breakdown]:
    return Scope().breakdowns(questionnaire)


def permitted_views(questionnaire: Questionnaire) -> list[tuple[str, ...]]:
    """Overall, each one-way breakdown, then the approved two-way breakdowns."""
    return Scope().views(questionnaire)


# --- the release ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseData:
    """A release as stored (decrypted): what every report page and export reads."""

    id: str
    survey_slug: str
    survey_title: str
    questionnaire_id: str
    questionnaire_version: str
    status: str
    as_at: dt.date
    views: tuple[tuple[str, ...], ...]
    protected: ProtectedRelease
    themes: Mapping[str, QuestionThemes] = field(default_factory=dict)
    decisions: Mapping[str, tuple[Mapping[str, str], ...]] = field(default_factory=dict)
    has_workspace: bool = False
    #: free-text items shown overall only, and why (DRAFT or CHANGED)
    overall_only: Mapping[str, str] = field(default_factory=dict)
    #: a series report's sessions and the labels of its session groups
    scope: ScopeHeader = field(default_factory=ScopeHeader)
    #: the stored revision these figures are (``Release.revision``)
    revision: int = 0

    @property
    def k(self) -> int:
        return self.protected.k

    @property
    def k_cell(self) -> int:
        return self.protected.k_cell


def build_release_input(
    questionnaire: Questionnaire, answers: list[dict[str, Any]]
) -> ReleaseInput:
    """The analysis table, then the raw counts of every permitted population and item."""
    frame = build_frame(question_specs(questionnaire), answers)
    return release_input(
        frame,
        report_items(questionnaire),
        breakdowns(questionnaire),
        permitted_views(questionnaire),
    )


def compute_release(
    questionnaire: Questionnaire, answers: list[dict[str, Any]], *, k: int, k_cell: int = K_CELL
) -> ProtectedRelease:
    """Build the analysis table and protect every permitted table of the release as a whole."""
    return protect_release(build_release_input(questionnaire, answers), k=k, k_cell=k_cell)


@dataclass(frozen=True)
class OpenedSurvey:
    survey_id: str
    min_group: int
    public_key: bytes
    answers: list[dict[str, Any]]
    #: a digest of the response ids in the order read (rows of the analysis table)
    responses: str


def may_analyse(survey: Survey) -> None:
    """A survey is analysed once closed; a series batch by batch (see :func:`series_scope`)."""
    if survey.status != "closed" and survey.access != "sessions":
        raise ServiceError(NOT_CLOSED)


def open_answers(
    db: Database,
    slug: str,
    passphrase: str,
    *,
    private_key: bytes | None = None,
    progress: Progress | None = None,
    scope: Scope | None = None,
) -> OpenedSurvey:
    """Unlock a closed survey (unless a key is given) and open every response in ``scope``
    (a series' batch of sessions; everything, for a survey), in memory only, in the order of
    their (random) ids, so every run reads them in the same order. A series' responses carry
    their session's facts as extra answers (``Scope.columns``)."""
    report = progress or (lambda _percent, _message: None)
    scope = scope or Scope()
    report(2, "Unlocking the survey key")
    with db.session() as session:
        survey = survey_row(session, slug)
        may_analyse(survey)
        if private_key is None:
            private_key, _slot = unlock(session, survey, passphrase)
        survey_id, k, public_key = survey.id, survey.min_group, survey.public_key
        query = select(
            Response.id, Response.envelope, Response.questionnaire_version, Response.session_id
        ).where(Response.survey_id == survey_id)
        if scope.series:
            query = query.where(Response.session_id.in_(scope.session_ids))
        rows = session.execute(query.order_by(Response.id)).all()
    total = len(rows)
    answers: list[dict[str, Any]] = []
    digest = hashlib.sha256()
    report(5, f"Opening {total:,} responses")
    for index, (response_id, envelope, version, session_id) in enumerate(rows, start=1):
        try:
            plaintext = open_envelope(
                envelope,
                private_key,
                survey_id=envelope_scope(survey_id, session_id),
                questionnaire_version=version,
            )
        except CryptoError:
            raise ServiceError("A stored response could not be opened; nothing was saved") from None
        answers.append({**json.loads(plaintext)["answers"], **scope.columns(session_id)})
        digest.update(response_id.encode("ascii") + b"\n")
        if index % 2000 == 0:
            report(5 + int(60 * index / total), f"Opened {index:,} of {total:,} responses")
    return OpenedSurvey(survey_id, k, public_key, answers, digest.hexdigest())


def series_scope(db: Database, keyring: Keyring, survey_id: str) -> Scope:
    """The sessions a series' next analysis covers. While its newest release is a draft,
    that draft's sessions (an analyst who saw it must not see another draft with one more
    session); otherwise every closed session that no published report covered. Closed
    sessions are settled first (their responses sealed again in a fresh order)."""
    sessions.settle_closed(db, get_survey_by_id(db, survey_id))
    stored = _series_releases(db, keyring, survey_id)
    if stored and stored[-1].status == "draft":
        return scope_of_sessions(db, survey_id, stored[-1].scope.sessions)
    covered = _published_sessions(stored)
    now = sessions.utcnow()
    closed = [
        s.id
        for s in sessions.list_sessions(db, survey_id)
        if s.state(now) == "closed" and s.id not in covered
    ]
    found = scope_of_sessions(db, survey_id, closed)
    if not found.sessions:
        raise ServiceError(NO_NEW_SESSIONS)
    return found


@dataclass(frozen=True)
class _SeriesRelease:
    id: str
    status: str
    published_at: dt.datetime | None
    scope: ScopeHeader


def _series_releases(db: Database, keyring: Keyring, survey_id: str) -> list[_SeriesRelease]:
    """Every release of a series with the sessions it covers, oldest first."""
    with db.session() as session:
        rows = session.execute(
            select(*_STAMP, Release.published_at)
            .where(Release.survey_id == survey_id)
            .order_by(Release.created_at)
        ).all()
    return [
        _SeriesRelease(r.id, r.status, r.published_at, _figures(db, keyring, _Stamp(*r[:5])).scope)
        for r in rows
    ]


def _published_sessions(stored: list[_SeriesRelease]) -> set[str]:
    return {sid for r in stored if r.status == "published" for sid in r.scope.sessions}


def scope_of_sessions(db: Database, survey_id: str, session_ids: Sequence[str]) -> Scope:
    """The scope of the given sessions of a series (as a release recorded them)."""
    wanted = set(session_ids)
    infos = [s for s in sessions.list_sessions(db, survey_id) if s.id in wanted]
    return batch(infos, sessions.response_counts(db, survey_id))


def scope_of_document(db: Database, survey_id: str, document: Mapping[str, Any]) -> Scope:
    """The scope a stored release was made from."""
    header = scope_header(document)
    if not header.is_series:
        return Scope()
    return scope_of_sessions(db, survey_id, header.sessions)


def run_analysis(
    db: Database,
    keyring: Keyring,
    questionnaire: Questionnaire,
    slug: str,
    passphrase: str,
    *,
    actor: str | None,
    progress: Progress | None = None,
    private_key: bytes | None = None,
    theme_options: themes.ThemeOptions,
    unlocked: Unlocked | None = None,
) -> str:
    """Open every response of the closed survey ``slug`` with ``passphrase`` (or an already
    unlocked key), compute and store the draft release. Returns the release id.

    The review workspace is sealed under a new key; ``unlocked(release_id, key)`` is given
    that key so the key holder who ran the analysis can review at once."""
    report = progress or (lambda _percent, _message: None)
    scope = Scope()
    with db.session() as session:
        survey = survey_row(session, slug)
        may_analyse(survey)
        if survey.access == "sessions":
            scope = series_scope(db, keyring, survey.id)
    opened = open_answers(
        db, slug, passphrase, private_key=private_key, progress=report, scope=scope
    )
    del private_key
    frame = build_frame([*question_specs(questionnaire), *scope.specs()], opened.answers)
    del opened.answers[:]
    split = scope.breakdowns(questionnaire)
    views = scope.views(questionnaire)
    report(50, "Protecting the tables")
    tables = closed_tables(db, keyring, questionnaire, opened.survey_id, frame, split, views, scope)
    closed = closed_protection(tables, opened.min_group)
    report(60, "Finding themes in the comments")
    workspace = themes.analyse(
        questionnaire,
        frame,
        theme_options,
        responses=opened.responses,
        k_cell=K_CELL,
        k=opened.min_group,
        progress=lambda message: report(70, message),
        carried=cycles.carried_codebook(db, keyring, opened.survey_id),
    )
    del frame
    report(85, "Protecting the theme counts")
    text = themes.protect_overall(questionnaire, workspace, k=opened.min_group, k_cell=K_CELL)
    protected = closed.with_overall_items(text)
    summaries = themes.summaries(workspace, protected, k=opened.min_group)
    report(95, "Saving the release")
    key = themes.new_workspace_key() if workspace.reviews else None
    release_id = store_release(
        db,
        keyring,
        opened.survey_id,
        protected,
        views,
        actor=actor,
        summaries=summaries,
        workspace=workspace if key is not None else None,
        workspace_key=key,
        overall_only=dict.fromkeys(text.items, DRAFT),
        scope=scope,
    )
    if key is not None and unlocked is not None:
        unlocked(release_id, key)
    report(100, "Done")
    return release_id


@dataclass(frozen=True)
class ClosedTables:
    """The closed questions of a release: raw counts to protect, or the tables an earlier
    published release already showed (which every later release shows unchanged)."""

    spec: ReleaseInput
    published: ProtectedRelease | None


def closed_tables(
    db: Database,
    keyring: Keyring,
    questionnaire: Questionnaire,
    survey_id: str,
    frame: Any,
    split: list[Breakdown],
    views: list[tuple[str, ...]],
    scope: Scope | None = None,
) -> ClosedTables:
    """A series' batches are different people: only a survey's releases are tied together."""
    scope = scope or Scope()
    spec = scope.finish(release_input(frame, report_items(questionnaire), split, views))
    if scope.series:
        return ClosedTables(spec, None)
    with db.session() as session:
        earlier = first_published(session, keyring, survey_id)
    if earlier is None:
        return ClosedTables(spec, None)
    shown = earlier.without_items(set(earlier.items) - {i.id for i in spec.items})
    # The published release may hold fewer groups than asked for: a breakdown it could not
    # show (too few responses) stays unshown, as every later release shows what it showed.
    if set(shown.items) != {i.id for i in spec.items} or not set(shown.sizes) <= set(spec.sizes):
        raise ServiceError(
            "This survey's report was published with other tables than its questionnaire "
            "now asks for. Restore the questionnaire's reports section to publish again."
        )
    return ClosedTables(spec, shown)


def closed_protection(closed: ClosedTables, k: int) -> ProtectedRelease:
    """The closed questions as protected: as published before, or protected now."""
    if closed.published is not None:
        return closed.published
    return protect_release(closed.spec, k=k, k_cell=K_CELL)


def first_published(session: Session, keyring: Keyring, survey_id: str) -> ProtectedRelease | None:
    """The protected tables of a survey's first published release, if it has one."""
    row = session.scalars(
        select(Release)
        .where(Release.survey_id == survey_id, Release.status == "published")
        .order_by(Release.published_at, Release.created_at)
        .limit(1)
    ).first()
    if row is None:
        return None
    return ProtectedRelease.from_dict(releases.read_release(session, keyring, row)["release"])


def store_release(
    db: Database,
    keyring: Keyring,
    survey_id: str,
    protected: ProtectedRelease,
    views: list[tuple[str, ...]],
    *,
    actor: str | None,
    summaries: Mapping[str, QuestionThemes] | None = None,
    workspace: themes.Workspace | None = None,
    workspace_key: bytes | None = None,
    overall_only: Mapping[str, str] | None = None,
    scope: Scope | None = None,
) -> str:
    """Store a draft release; its review workspace (if any) sealed under ``workspace_key``,
    and that key sealed to the survey's public key."""
    release_id = secrets.token_hex(16)
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as session:
        row = session.get(Survey, survey_id)
        if row is None:
            raise NotFoundError(survey_id)
        document = {
            "format": RELEASE_FORMAT,
            "survey": {
                "slug": row.slug,
                "title": row.title,
                "questionnaire": row.questionnaire_id,
                "version": row.questionnaire_version,
            },
            "as_at": now.date().isoformat(),
            "views": [list(v) for v in views],
            "overall_only": dict(overall_only or {}),
            **(scope or Scope()).header(),
        }
        full = release_document(document, protected, summaries or {}, workspace)
        sealed, sealed_key = None, None
        if workspace is not None and workspace_key is not None:
            sealed = themes.seal_workspace(workspace_key, workspace, survey_id, release_id)
            sealed_key = themes.seal_workspace_key(
                workspace_key, row.public_key, survey_id, release_id
            )
        stored = Release(
            id=release_id,
            survey_id=survey_id,
            status="draft",
            k=protected.k,
            k_cell=protected.k_cell,
            created_at=now,
            created_by=actor,
            workspace=sealed,
            workspace_key=sealed_key,
        )
        session.add(stored)
        releases.write_release(session, keyring, stored, full)
    return release_id


def release_document(
    document: Mapping[str, Any],
    protected: ProtectedRelease,
    summaries: Mapping[str, QuestionThemes],
    workspace: themes.Workspace | None,
) -> dict[str, Any]:
    """A whole release document (stored by ``releases.write_release``): its header, the
    protected tables and their audit, the free-text summaries and the review decisions (no
    comment text)."""
    return {
        **document,
        "release": protected.to_dict(),
        "themes": {qid: s.to_dict() for qid, s in summaries.items()},
        "decisions": {} if workspace is None else themes.decisions_of(workspace),
    }


def with_overall_items(
    release: Mapping[str, Any], part: ProtectedRelease, dropped: Collection[str] = ()
) -> dict[str, Any]:
    """A stored release (``ProtectedRelease.to_dict`` form) with the items ``dropped`` taken
    out and the items of ``part`` (a release of the overall row only) put in their place.

    The same as ``from_dict(release).without_items(dropped).with_overall_items(part)``, and
    the same checks, but only the changed items are converted: a review action replaces one
    question's items in a release whose closed questions fill most of a megabyte.
    """
    overall = [row["value"] for row in release["sizes"] if not row["population"]]
    if set(part.sizes) != {()} or overall != [part.sizes[()]]:
        raise ValueError("the added release must publish the same overall count only")
    added = part.to_dict()
    gone = set(dropped) | set(part.items)
    return {
        **release,
        "items": [i for i in release["items"] if i["id"] not in gone] + added["items"],
        "audit": [e for e in release["audit"] if e["item"] is None or e["item"] not in gone]
        + [e for e in added["audit"] if e["item"] is not None],
    }


class _Stamp(NamedTuple):
    """What a release's row says without decrypting anything: read on every request."""

    id: str
    survey_id: str
    status: str
    revision: int
    has_workspace: bool


_STAMP = (
    Release.id,
    Release.survey_id,
    Release.status,
    Release.revision,
    Release.workspace.is_not(None),
)


@dataclass(frozen=True)
class _Figures:
    """A release's figures as parsed: what the per-process cache keeps (no row state)."""

    survey_title: str
    questionnaire_id: str
    questionnaire_version: str
    as_at: dt.date
    views: tuple[tuple[str, ...], ...]
    protected: ProtectedRelease
    themes: Mapping[str, QuestionThemes]
    decisions: Mapping[str, tuple[Mapping[str, str], ...]]
    overall_only: Mapping[str, str]
    scope: ScopeHeader


def _parse_figures(document: Mapping[str, Any]) -> _Figures:
    return _Figures(
        survey_title=document["survey"]["title"],
        questionnaire_id=document["survey"]["questionnaire"],
        questionnaire_version=document["survey"]["version"],
        as_at=dt.date.fromisoformat(document["as_at"]),
        views=tuple(tuple(v) for v in document["views"]),
        protected=ProtectedRelease.from_dict({**document["release"], "audit": ()}),
        themes={
            str(qid): QuestionThemes.from_dict(data)
            for qid, data in document.get("themes", {}).items()
        },
        decisions={
            str(qid): tuple(entries) for qid, entries in document.get("decisions", {}).items()
        },
        overall_only={
            str(item): str(why) for item, why in document.get("overall_only", {}).items()
        },
        scope=scope_header(document),
    )


def _figures(db: Database, keyring: Keyring, stamp: _Stamp) -> _Figures:
    """A release's parsed figures: from this process's cache when it holds the stored
    revision, else decrypted and parsed (the figures only, never the audit) and kept."""

    def parse() -> tuple[int, _Figures]:
        with db.session() as session:
            stored = session.execute(
                select(Release.payload, Release.revision).where(Release.id == stamp.id)
            ).first()
        if stored is None:
            raise NotFoundError("That release no longer exists")
        payload, revision = stored
        document = releases.open_figures(keyring, stamp.survey_id, stamp.id, payload)
        return revision, _parse_figures(document)

    found: _Figures = releases.figures_cache(db).get_or_make(stamp.id, stamp.revision, parse)
    return found


def load_release(
    db: Database, keyring: Keyring, survey: SurveyInfo, *, published_only: bool
) -> ReleaseData | None:
    """The newest published release of a survey (or newest of any status for analysts)."""
    with db.session() as session:
        query = select(*_STAMP).where(Release.survey_id == survey.id)
        if published_only:
            query = query.where(Release.status == "published")
        row = session.execute(query.order_by(Release.created_at.desc()).limit(1)).first()
    if row is None:
        return None
    return _release_data(db, keyring, survey, _Stamp(*row))


def release_by_id(
    db: Database, keyring: Keyring, survey: SurveyInfo, release_id: str, *, published_only: bool
) -> ReleaseData | None:
    """One release of a survey (a series' earlier report), if it exists and may be read."""
    with db.session() as session:
        row = session.execute(select(*_STAMP).where(Release.id == release_id)).first()
    if row is None:
        return None
    stamp = _Stamp(*row)
    if stamp.survey_id != survey.id or (published_only and stamp.status != "published"):
        return None
    return _release_data(db, keyring, survey, stamp)


@dataclass(frozen=True)
class PublishedBatch:
    """One published report of a series: its release, when, and its sessions' dates."""

    release_id: str
    published_on: dt.date
    sessions: int
    first: dt.date
    last: dt.date


def covering_release(
    db: Database, keyring: Keyring, series: SurveyInfo, session_id: str
) -> ReleaseData | None:
    """The published report of a series that covers one of its sessions, if any."""
    with db.session() as session:
        rows = session.execute(
            select(*_STAMP).where(Release.survey_id == series.id, Release.status == "published")
        ).all()
    for row in rows:
        stamp = _Stamp(*row)
        if session_id in _figures(db, keyring, stamp).scope.sessions:
            return _release_data(db, keyring, series, stamp)
    return None


def _release_data(db: Database, keyring: Keyring, survey: SurveyInfo, stamp: _Stamp) -> ReleaseData:
    figures = _figures(db, keyring, stamp)
    return ReleaseData(
        id=stamp.id,
        survey_slug=survey.slug,
        survey_title=figures.survey_title,
        questionnaire_id=figures.questionnaire_id,
        questionnaire_version=figures.questionnaire_version,
        status=stamp.status,
        as_at=figures.as_at,
        views=figures.views,
        protected=figures.protected,
        themes=figures.themes,
        decisions=figures.decisions,
        has_workspace=bool(stamp.has_workspace),
        overall_only=figures.overall_only,
        scope=figures.scope,
        revision=stamp.revision,
    )


@dataclass(frozen=True)
class SeriesProgress:
    """Where a series' reports stand: sessions in published reports, in the draft under
    review, and closed but in no report yet."""

    published: int
    in_draft: int
    waiting: int
    has_draft: bool
    #: the published reports, newest first
    batches: tuple[PublishedBatch, ...] = ()


def series_progress(db: Database, keyring: Keyring, series: SurveyInfo) -> SeriesProgress:
    now = sessions.utcnow()
    found = sessions.list_sessions(db, series.id)
    closed = {s.id for s in found if s.state(now) == "closed"}
    held = {s.id: s.held_on for s in found}
    stored = _series_releases(db, keyring, series.id)
    published = _published_sessions(stored)
    draft: set[str] = set()
    if stored and stored[-1].status == "draft":
        draft = set(stored[-1].scope.sessions)
    batches = []
    for release in reversed(stored):  # newest first
        days = sorted(held[s] for s in release.scope.sessions if s in held)
        if release.status == "published" and release.published_at is not None and days:
            on = release.published_at.date()
            batches.append(PublishedBatch(release.id, on, len(days), days[0], days[-1]))
    return SeriesProgress(
        published=len(published),
        in_draft=len(draft),
        waiting=len(closed - published - draft),
        has_draft=bool(draft),
        batches=tuple(batches),
    )


def release_count(db: Database, survey_id: str, *, status: str | None = None) -> int:
    with db.session() as session:
        query = select(func.count()).select_from(Release).where(Release.survey_id == survey_id)
        if status is not None:
            query = query.where(Release.status == status)
        return int(session.scalar(query) or 0)


@dataclass(frozen=True)
class ReleaseState:
    id: str
    status: str
    has_workspace: bool


def newest_row(session: Session, survey_id: str) -> Release | None:
    """A survey's newest release row, draft or published."""
    return session.scalars(
        select(Release)
        .where(Release.survey_id == survey_id)
        .order_by(Release.created_at.desc())
        .limit(1)
    ).first()


def newest_release(db: Database, survey_id: str) -> ReleaseState | None:
    """The id and status of a survey's newest release (nothing decrypted)."""
    with db.session() as session:
        row = newest_row(session, survey_id)
        if row is None:
            return None
        return ReleaseState(row.id, row.status, row.workspace is not None)


# --- runs (progress for the web page) -----------------------------------------------------------


def start_run(db: Database, survey_id: str, actor: str | None, *, kind: str = "analysis") -> str:
    run_id = secrets.token_hex(16)
    with db.transaction() as session:
        session.add(
            AnalysisRun(
                id=run_id,
                survey_id=survey_id,
                kind=kind,
                status="running",
                progress=0,
                message="Starting",
                requested_by=actor,
                started_at=dt.datetime.now(dt.UTC),
            )
        )
    return run_id


def update_run(db: Database, run_id: str, **values: Any) -> None:
    if values.get("status") in ("done", "failed"):
        values["finished_at"] = dt.datetime.now(dt.UTC)
    with db.transaction() as session:
        session.execute(update(AnalysisRun).where(AnalysisRun.id == run_id).values(**values))


@dataclass(frozen=True)
class RunInfo:
    id: str
    survey_id: str
    status: str
    progress: int
    message: str
    release_id: str | None
    kind: str = "analysis"


def get_run(db: Database, run_id: str) -> RunInfo | None:
    with db.session() as session:
        row = session.get(AnalysisRun, run_id)
        if row is None:
            return None
        return RunInfo(
            row.id, row.survey_id, row.status, row.progress, row.message, row.release_id, row.kind
        )
