"""The audit log: which member of staff (or ``cli``) did what, to which survey, and when.

It is about staff only. It never holds respondent data, and callers never put a password,
passphrase, access code or second-factor code in ``detail``: counts, labels and roles only.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import func, select

from survey_app.storage.database import Database
from survey_app.storage.models import AuditEvent

CLI_ACTOR = "cli"
PER_PAGE = 50

# The fixed vocabulary. Add a word here (and to the audit page's wording) before using it.
ACTIONS = frozenset(
    {
        "login",
        "login_failed",
        "logout",
        "totp_enrolled",
        "totp_reset",
        "survey_created",
        "survey_opened",
        "survey_closed",
        "ceiling_changed",
        "retention_changed",
        "headcounts_set",
        "survey_shredded",
        "cycle_started",
        "key_invitation_accepted",
        "session_created",
        "session_started",
        "session_closed",
        "codes_issued",
        "key_slot_added",
        "key_slot_removed",
        "analysis_run",
        "release_published",
        "theme_review",
        "review_unlocked",
        "review_locked",
        "release_withdrawn",
        "export",
        "user_created",
        "user_assigned",
        "user_unassigned",
        "user_deactivated",
        "user_reactivated",
        "password_reset",
        "password_changed",
        "role_changed",
    }
)

ACTOR_MAX = 254
SLUG_MAX = 80
DETAIL_MAX = 500


@dataclass(frozen=True)
class Event:
    occurred_at: dt.datetime
    actor: str | None
    action: str
    survey_slug: str | None
    detail: str


@dataclass(frozen=True)
class EventPage:
    events: list[Event]
    page: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def record(
    db: Database,
    actor: str | None,
    action: str,
    survey_slug: str | None = None,
    detail: str = "",
    *,
    now: dt.datetime | None = None,
) -> None:
    """Add one event. ``action`` must be one of ACTIONS."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    occurred = now or dt.datetime.now(dt.UTC)
    if occurred.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    with db.transaction() as session:
        session.add(
            AuditEvent(
                occurred_at=occurred.astimezone(dt.UTC),
                actor=actor[:ACTOR_MAX] if actor is not None else None,
                action=action,
                survey_slug=survey_slug[:SLUG_MAX] if survey_slug is not None else None,
                detail=detail[:DETAIL_MAX],
            )
        )


def list_events(db: Database, page: int = 1, per_page: int = PER_PAGE) -> EventPage:
    """One page of events, newest first. A page past the end is the last page."""
    with db.session() as session:
        total = int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, page), pages)
        rows = session.scalars(
            select(AuditEvent)
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        events = [
            Event(
                occurred_at=_utc(row.occurred_at),
                actor=row.actor,
                action=row.action,
                survey_slug=row.survey_slug,
                detail=row.detail,
            )
            for row in rows
        ]
    return EventPage(events=events, page=page, pages=pages, total=total)


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite returns the stored UTC time without its zone; PostgreSQL returns it with one.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
