"""Retention: a survey's raw responses are kept for its retention period after it closes
(24 months unless it was given another), then **crypto-shredded**.

Shredding a survey deletes, in one transaction:

* its key slots — the only copies of its private key, so nothing sealed to it can ever be
  opened again, in this database or in any backup of it;
* its response envelopes, and any access codes or spent tokens left;
* the review workspaces (and their sealed keys) of its releases, and its draft releases;

and keeps its published releases (protected figures, readable with the server's data key),
the survey's row (title, dates, ``shredded_on``) and the audit log. Afterwards the deleted
rows are purged from the database files (SQLite's log truncated; PostgreSQL's tables
rewritten). It is safe to run every night from cron: a survey is shredded once, and a second
run finds nothing to do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from survey_app.services import audit
from survey_app.services.errors import ServiceError
from survey_app.services.surveys import (
    LONGEST_RETENTION_MONTHS,
    SurveyInfo,
    get_survey,
    list_surveys,
)
from survey_app.storage.database import Database
from survey_app.storage.models import (
    AccessCode,
    KeySlot,
    Release,
    Response,
    SpentToken,
    Survey,
)


@dataclass(frozen=True)
class Shredded:
    """What shredding one survey removed (or, in a dry run, would remove)."""

    survey: SurveyInfo
    responses: int
    key_slots: int
    drafts: int


def due(db: Database, today: dt.date) -> list[SurveyInfo]:
    """Closed surveys whose retention period has ended and that still hold responses."""
    return [
        info
        for info in list_surveys(db)
        if info.shredded_on is None and info.delete_on is not None and info.delete_on <= today
    ]


def apply(db: Database, today: dt.date, *, actor: str, dry_run: bool = False) -> list[Shredded]:
    """Shred every survey that is due (see the module docstring); with ``dry_run``, only say
    what would go."""
    done = []
    for info in due(db, today):
        with db.transaction() as session:
            counts = Shredded(
                info,
                responses=_count(session, Response, info.id),
                key_slots=_count(session, KeySlot, info.id),
                drafts=int(
                    session.scalar(
                        select(func.count())
                        .select_from(Release)
                        .where(Release.survey_id == info.id, Release.status == "draft")
                    )
                    or 0
                ),
            )
            if not dry_run:
                _shred(session, info.id, today)
        if not dry_run:
            audit.record(
                db,
                actor,
                "survey_shredded",
                info.slug,
                f"{counts.responses} responses and {counts.key_slots} key slots deleted, "
                f"{info.retention_months} months after the close",
            )
        done.append(counts)
    if done and not dry_run:
        db.purge_deleted_rows("responses", "key_slots", "releases", "release_audits")
    return done


def _count(session: Session, model: type[KeySlot] | type[Response], survey_id: str) -> int:
    query = select(func.count()).select_from(model).where(model.survey_id == survey_id)
    return int(session.scalar(query) or 0)


def _shred(session: Session, survey_id: str, today: dt.date) -> None:
    session.execute(delete(KeySlot).where(KeySlot.survey_id == survey_id))
    session.execute(delete(Response).where(Response.survey_id == survey_id))
    session.execute(delete(AccessCode).where(AccessCode.survey_id == survey_id))
    session.execute(delete(SpentToken).where(SpentToken.survey_id == survey_id))
    session.execute(
        delete(Release).where(Release.survey_id == survey_id, Release.status == "draft")
    )
    session.execute(
        update(Release)
        .where(Release.survey_id == survey_id)
        .values(workspace=None, workspace_key=None)
    )
    session.execute(update(Survey).where(Survey.id == survey_id).values(shredded_on=today))


def set_retention(db: Database, slug: str, months: int, *, actor: str) -> SurveyInfo:
    """Give a survey another retention period (1 to 120 months after its close)."""
    info = get_survey(db, slug)
    if info.shredded_on is not None:
        raise ServiceError("This survey's responses have already been deleted")
    if not 1 <= months <= LONGEST_RETENTION_MONTHS:
        raise ServiceError(
            f"Keep responses for between 1 and {LONGEST_RETENTION_MONTHS} months after the close"
        )
    with db.transaction() as session:
        session.execute(update(Survey).where(Survey.id == info.id).values(retention_months=months))
    audit.record(db, actor, "retention_changed", slug, f"{months} months after the close")
    return get_survey(db, slug)
