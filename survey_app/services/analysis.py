"""Analysis runs: unlock a survey, open its responses in memory, build and protect the
release, store it encrypted, and drop the plaintext and the keys.

Every figure that ever leaves the system is read from a release made here; nothing else
reads responses (DESIGN.md §6).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update

from analysis.comments import QuestionThemes
from analysis.counting import Breakdown, Item, release_input
from analysis.disclosure import DisclosureError, ProtectedRelease, ReleaseInput, protect_release
from analysis.frame import QuestionSpec, build_frame
from survey_app.crypto import CryptoError, DecryptError, Keyring, open_envelope
from survey_app.domain.model import Questionnaire, QuestionType
from survey_app.services import themes
from survey_app.services.errors import NotFoundError, ServiceError
from survey_app.services.keys import unlock
from survey_app.services.surveys import SurveyInfo, survey_row
from survey_app.storage.database import Database
from survey_app.storage.models import AnalysisRun, Release, Response, Survey

log = logging.getLogger(__name__)

RELEASE_FORMAT = 1
K_CELL = 3

Progress = Callable[[int, str], None]

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
    for q in questionnaire.questions():
        options = tuple(o.value for o in q.options)
        if q.demographic:
            continue
        if q.type in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT):
            items.append(Item(q.id, q.id, "exclusive", options, q.sensitive))
        elif q.type is QuestionType.MULTIPLE_CHOICE:
            items.append(Item(q.id, q.id, "multiple", options, q.sensitive))
        elif q.type is QuestionType.LIKERT_GRID:
            for s in q.statements:
                item_id = f"{q.id}__{s.id}"
                items.append(Item(item_id, item_id, "exclusive", options, q.sensitive))
    return items


def breakdowns(questionnaire: Questionnaire) -> list[Breakdown]:
    return [
        Breakdown(qid, tuple(o.value for o in questionnaire.question(qid).options))
        for qid in questionnaire.breakdowns
    ]


def permitted_views(questionnaire: Questionnaire) -> list[tuple[str, ...]]:
    """Overall, each one-way breakdown, then the approved two-way breakdowns."""
    return [(), *((b,) for b in questionnaire.breakdowns), *questionnaire.cross_breakdowns]


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
    try:
        return protect_release(build_release_input(questionnaire, answers), k=k, k_cell=k_cell)
    except DisclosureError as error:
        raise ServiceError(f"The release was refused by the disclosure check: {error}") from None


@dataclass(frozen=True)
class OpenedSurvey:
    survey_id: str
    min_group: int
    answers: list[dict[str, Any]]


def open_answers(
    db: Database,
    slug: str,
    passphrase: str,
    *,
    private_key: bytes | None = None,
    progress: Progress | None = None,
) -> OpenedSurvey:
    """Unlock the survey (unless a key is given) and open every response, in memory only."""
    report = progress or (lambda _percent, _message: None)
    report(2, "Unlocking the survey key")
    with db.session() as session:
        survey = survey_row(session, slug)
        if private_key is None:
            private_key, _slot = unlock(session, survey, passphrase)
        survey_id, k = survey.id, survey.min_group
        rows = session.execute(
            select(Response.envelope, Response.questionnaire_version).where(
                Response.survey_id == survey_id
            )
        ).all()
    total = len(rows)
    answers: list[dict[str, Any]] = []
    report(5, f"Opening {total:,} responses")
    for index, (envelope, version) in enumerate(rows, start=1):
        try:
            plaintext = open_envelope(
                envelope, private_key, survey_id=survey_id, questionnaire_version=version
            )
        except CryptoError:
            raise ServiceError("A stored response could not be opened; nothing was saved") from None
        answers.append(json.loads(plaintext)["answers"])
        if index % 2000 == 0:
            report(5 + int(60 * index / total), f"Opened {index:,} of {total:,} responses")
    return OpenedSurvey(survey_id, k, answers)


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
) -> str:
    """Open every response of ``slug`` with ``passphrase`` (or an already unlocked key),
    compute and store the release (as a draft). Returns the release id."""
    report = progress or (lambda _percent, _message: None)
    opened = open_answers(db, slug, passphrase, private_key=private_key, progress=report)
    del private_key
    frame = build_frame(question_specs(questionnaire), opened.answers)
    del opened.answers[:]
    split = breakdowns(questionnaire)
    base = release_input(frame, report_items(questionnaire), split, permitted_views(questionnaire))
    report(66, "Finding themes in the comments")
    workspace = themes.analyse(
        questionnaire,
        frame,
        base,
        split,
        theme_options,
        k_cell=K_CELL,
        progress=lambda message: report(70, message),
    )
    del frame
    report(85, "Protecting the tables")
    protected, summaries = themes.protect(
        questionnaire, workspace, split, k=opened.min_group, k_cell=K_CELL
    )
    report(95, "Saving the release")
    release_id = store_release(
        db,
        keyring,
        opened.survey_id,
        protected,
        permitted_views(questionnaire),
        actor=actor,
        summaries=summaries,
        workspace=workspace if workspace.reviews else None,
    )
    report(100, "Done")
    return release_id


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
) -> str:
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
        }
        payload = seal_document(
            keyring, survey_id, release_id, document, protected, summaries or {}, workspace
        )
        session.add(
            Release(
                id=release_id,
                survey_id=survey_id,
                status="draft",
                k=protected.k,
                k_cell=protected.k_cell,
                created_at=now,
                created_by=actor,
                payload=payload,
                workspace=None
                if workspace is None
                else themes.seal_workspace(keyring, workspace, survey_id, release_id),
            )
        )
    return release_id


def seal_document(
    keyring: Keyring,
    survey_id: str,
    release_id: str,
    document: Mapping[str, Any],
    protected: ProtectedRelease,
    summaries: Mapping[str, QuestionThemes],
    workspace: themes.Workspace | None,
) -> bytes:
    """The encrypted release payload: its header, the protected tables, the free-text
    summaries and the review decisions (no comment text)."""
    full = {
        **document,
        "release": protected.to_dict(),
        "themes": {qid: s.to_dict() for qid, s in summaries.items()},
        "decisions": {} if workspace is None else themes.decisions_of(workspace),
    }
    return keyring.encrypt(
        json.dumps(full, separators=(",", ":")).encode("utf-8"),
        aad=_release_aad(survey_id, release_id),
    )


def open_document(keyring: Keyring, survey_id: str, release_id: str, payload: bytes) -> Any:
    try:
        return json.loads(keyring.decrypt(payload, aad=_release_aad(survey_id, release_id)))
    except DecryptError:
        raise ServiceError("This release cannot be read with the server's keys") from None


def _release_aad(survey_id: str, release_id: str) -> bytes:
    return f"candour/release/{survey_id}/{release_id}".encode("ascii")


def load_release(
    db: Database, keyring: Keyring, survey: SurveyInfo, *, published_only: bool
) -> ReleaseData | None:
    """The newest published release of a survey (or newest of any status for analysts)."""
    with db.session() as session:
        query = select(Release).where(Release.survey_id == survey.id)
        if published_only:
            query = query.where(Release.status == "published")
        row = session.scalars(query.order_by(Release.created_at.desc()).limit(1)).first()
        if row is None:
            return None
        document = open_document(keyring, survey.id, row.id, row.payload)
        return ReleaseData(
            id=row.id,
            survey_slug=survey.slug,
            survey_title=document["survey"]["title"],
            questionnaire_id=document["survey"]["questionnaire"],
            questionnaire_version=document["survey"]["version"],
            status=row.status,
            as_at=dt.date.fromisoformat(document["as_at"]),
            views=tuple(tuple(v) for v in document["views"]),
            protected=ProtectedRelease.from_dict(document["release"]),
            themes={
                str(qid): QuestionThemes.from_dict(data)
                for qid, data in document.get("themes", {}).items()
            },
            decisions={
                str(qid): tuple(entries) for qid, entries in document.get("decisions", {}).items()
            },
            has_workspace=row.workspace is not None,
        )


def publish_release(db: Database, survey: SurveyInfo, release_id: str) -> None:
    with db.transaction() as session:
        result = session.execute(
            update(Release)
            .where(Release.id == release_id, Release.survey_id == survey.id)
            .values(status="published", published_at=dt.datetime.now(dt.UTC), workspace=None)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise NotFoundError(release_id)


def release_count(db: Database, survey_id: str) -> int:
    with db.session() as session:
        found = session.scalar(
            select(func.count()).select_from(Release).where(Release.survey_id == survey_id)
        )
        return int(found or 0)


# --- runs (progress for the web page) -----------------------------------------------------------


def start_run(db: Database, survey_id: str, actor: str | None) -> str:
    run_id = secrets.token_hex(16)
    with db.transaction() as session:
        session.add(
            AnalysisRun(
                id=run_id,
                survey_id=survey_id,
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


def get_run(db: Database, run_id: str) -> RunInfo | None:
    with db.session() as session:
        row = session.get(AnalysisRun, run_id)
        if row is None:
            return None
        return RunInfo(row.id, row.survey_id, row.status, row.progress, row.message, row.release_id)


def begin_analysis(
    db: Database,
    keyring: Keyring,
    questionnaire: Questionnaire,
    survey: SurveyInfo,
    passphrase: str,
    *,
    actor: str | None,
    theme_options: themes.ThemeOptions,
) -> str:
    """Check the passphrase now (a wrong one raises KeySlotError and stores nothing), then
    analyse in a background thread whose progress is kept in ``analysis_runs``."""
    with db.session() as session:
        private_key, _slot = unlock(session, survey_row(session, survey.slug), passphrase)
    run_id = start_run(db, survey.id, actor)
    worker = threading.Thread(
        target=_analyse_in_background,
        args=(db, keyring, questionnaire, survey.slug, private_key, run_id, actor, theme_options),
        name=f"analysis-{run_id[:8]}",
        daemon=True,
    )
    worker.start()
    return run_id


def _analyse_in_background(
    db: Database,
    keyring: Keyring,
    questionnaire: Questionnaire,
    slug: str,
    private_key: bytes,
    run_id: str,
    actor: str | None,
    theme_options: themes.ThemeOptions,
) -> None:
    from survey_app.services import audit

    def progress(percent: int, message: str) -> None:
        update_run(db, run_id, progress=percent, message=message)

    try:
        release_id = run_analysis(
            db,
            keyring,
            questionnaire,
            slug,
            "",
            actor=actor,
            progress=progress,
            private_key=private_key,
            theme_options=theme_options,
        )
    except ServiceError as error:
        update_run(db, run_id, status="failed", message=str(error)[:300])
        audit.record(db, actor, "analysis_run", slug, f"failed: {error}"[:200])
    except Exception:  # the page must say so rather than spin for ever
        log.exception("analysis run %s failed", run_id)
        update_run(db, run_id, status="failed", message="The analysis stopped unexpectedly")
        audit.record(db, actor, "analysis_run", slug, "failed unexpectedly")
    else:
        update_run(db, run_id, status="done", progress=100, message="Done", release_id=release_id)
        audit.record(db, actor, "analysis_run", slug, f"release {release_id}")
    finally:
        del private_key
