"""Series and their sessions: feedback collected in the last minutes of a meeting.

A *series* is a survey whose access mode is ``sessions``: one questionnaire, one key pair and
its key slots, one minimum group size. A *session* belongs to a series and takes responses
through its short link (``/f/<short code>``) only inside its window: from Start (or a
scheduled time) until it is closed by hand or its time runs out (two hours by default, so
that people on the train home can still answer). Every time here is about a meeting; a
response carries its session and date, never a time.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from survey_app.domain.characters import has_control_characters
from survey_app.domain.loading import find_version
from survey_app.domain.model import Questionnaire
from survey_app.services.errors import NotFoundError, ServiceError
from survey_app.services.surveys import SurveyInfo, find_survey, get_survey_by_id, rewrite_responses
from survey_app.storage.database import Database
from survey_app.storage.models import FeedbackSession, Response

FORMATS = {"in_person": "In person", "online": "Online"}
DEFAULT_OPEN_MINUTES = 120
MOST_OPEN_MINUTES = 7 * 24 * 60
SESSION_TITLE_CONTROL_CHARACTERS = (
    "Session title must not contain control characters, such as tabs or invisible formatting marks"
)
# Short links are typed from a screen: no 0/O, 1/I/L, U or V/W pairs to confuse.
SHORT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTXYZ"
SHORT_LENGTH = 6
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class SessionInfo:
    id: str
    survey_id: str
    title: str
    held_on: dt.date
    format: str
    council: str | None
    facilitators: str
    short_code: str
    open_minutes: int
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None

    def state(self, now: dt.datetime) -> str:
        """``waiting`` (not started, or scheduled later), ``open`` or ``closed``."""
        if self.opens_at is None or now < self.opens_at:
            return "waiting"
        if self.closes_at is not None and now >= self.closes_at:
            return "closed"
        return "open"

    @property
    def format_label(self) -> str:
        return FORMATS[self.format]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes; every stored time is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _info(row: FeedbackSession) -> SessionInfo:
    return SessionInfo(
        id=row.id,
        survey_id=row.survey_id,
        title=row.title,
        held_on=row.held_on,
        format=row.format,
        council=row.council,
        facilitators=row.facilitators,
        short_code=row.short_code,
        open_minutes=row.open_minutes,
        opens_at=_aware(row.opens_at),
        closes_at=_aware(row.closes_at),
    )


def normalise_short_code(text: str) -> str | None:
    """The canonical short code for what someone typed, or None if it cannot be one."""
    compact = "".join(text.split()).replace("-", "").upper().translate(_LOOKALIKES)
    if not 6 <= len(compact) <= 8 or not set(compact) <= set(SHORT_ALPHABET):
        return None
    return compact


def window_is_open(session: Session, session_id: str) -> bool:
    """Inside a sending transaction: whether the session takes responses now. On PostgreSQL
    its row is locked shared, so a close (or a settle) waits for this send to commit."""
    query = select(FeedbackSession).where(FeedbackSession.id == session_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    row = session.scalar(query)
    return row is not None and _info(row).state(utcnow()) == "open"


def series_of(db: Database, slug: str) -> SurveyInfo:
    info = find_survey(db, slug)
    if info is None or info.access != "sessions":
        raise NotFoundError(f"There is no series with the slug '{slug}'")
    return info


def create_session(
    db: Database,
    series: SurveyInfo,
    questionnaires: Mapping[str, Questionnaire],
    *,
    title: str,
    held_on: dt.date,
    format: str,
    council: str | None = None,
    facilitators: str = "",
    open_minutes: int = DEFAULT_OPEN_MINUTES,
    opens_at: dt.datetime | None = None,
    today: dt.date | None = None,
) -> SessionInfo:
    """Add a session to an open series, with a new short code. ``opens_at`` schedules it.
    Refused when the questionnaire version the series was made with is no longer loaded (its
    link would not work)."""
    if series.access != "sessions":
        raise ServiceError("Sessions belong to a series (a survey run in sessions)")
    found = find_version(questionnaires, series.questionnaire_id, series.questionnaire_version)
    if found is None:
        raise ServiceError(
            f"This series uses questionnaire {series.questionnaire_id} version "
            f"{series.questionnaire_version}, which is not loaded: its sessions could not be "
            f"answered. Keep that version as questionnaires/earlier/"
            f"{series.questionnaire_id}@{series.questionnaire_version}.yaml, or start a new "
            "series."
        )
    if series.status == "closed":
        raise ServiceError("This series has closed: it takes no new sessions")
    if has_control_characters(title.strip()):
        raise ServiceError(SESSION_TITLE_CONTROL_CHARACTERS)
    title = " ".join(title.split())
    if not 1 <= len(title) <= 200:
        raise ServiceError("Enter a session title of 1 to 200 characters")
    if format not in FORMATS:
        raise ServiceError("Choose whether the session is in person or online")
    if not 5 <= open_minutes <= MOST_OPEN_MINUTES:
        raise ServiceError("A session stays open for between 5 minutes and 7 days")
    council = (council or "").strip() or None
    facilitators = " ".join(facilitators.split())[:300]
    with db.transaction() as session:
        code = _new_short_code(session)
        row = FeedbackSession(
            id=secrets.token_hex(16),
            survey_id=series.id,
            title=title,
            held_on=held_on,
            format=format,
            council=council,
            facilitators=facilitators,
            short_code=code,
            open_minutes=open_minutes,
            opens_at=opens_at,
            closes_at=opens_at + dt.timedelta(minutes=open_minutes) if opens_at else None,
            settled=False,
            created_on=today or dt.date.today(),
        )
        session.add(row)
        return _info(row)


def _new_short_code(session: Session) -> str:
    """A random short code no session has (28^6, about 480 million, so a clash is rare)."""
    while True:
        code = "".join(secrets.choice(SHORT_ALPHABET) for _ in range(SHORT_LENGTH))
        taken = select(FeedbackSession.id).where(FeedbackSession.short_code == code)
        if session.scalar(taken) is None:
            return code


def find_session(db: Database, short_code: str) -> SessionInfo | None:
    code = normalise_short_code(short_code)
    if code is None:
        return None
    with db.session() as session:
        row = session.scalar(select(FeedbackSession).where(FeedbackSession.short_code == code))
        return None if row is None else _info(row)


def get_session(db: Database, session_id: str) -> SessionInfo:
    with db.session() as session:
        row = session.get(FeedbackSession, session_id)
        if row is None:
            raise NotFoundError("There is no such session")
        return _info(row)


def list_sessions(db: Database, series_id: str) -> list[SessionInfo]:
    with db.session() as session:
        rows = session.scalars(
            select(FeedbackSession)
            .where(FeedbackSession.survey_id == series_id)
            .order_by(FeedbackSession.held_on.desc(), FeedbackSession.title)
        )
        return [_info(row) for row in rows]


def start_session(db: Database, session_id: str, now: dt.datetime | None = None) -> SessionInfo:
    """Open the session's window now, for its ``open_minutes``."""
    now = now or utcnow()
    current = get_session(db, session_id)
    state = current.state(now)
    if state == "open":
        raise ServiceError("This session is already taking responses")
    if state == "closed":
        raise ServiceError("This session has closed: a closed session cannot be started again")
    closes = now + dt.timedelta(minutes=current.open_minutes)
    with db.transaction() as session:
        changed = session.execute(
            update(FeedbackSession)
            .where(FeedbackSession.id == session_id, _not_started(now))
            .values(opens_at=now, closes_at=closes)
        )
        if getattr(changed, "rowcount", 0) != 1:
            raise ServiceError("This session has just been started or closed by someone else")
    return get_session(db, session_id)


def close_session(db: Database, session_id: str, now: dt.datetime | None = None) -> SessionInfo:
    """End the session's window now."""
    now = now or utcnow()
    current = get_session(db, session_id)
    if current.state(now) != "open":
        state = "has not started" if current.state(now) == "waiting" else "has already closed"
        raise ServiceError(f"Only an open session can be closed (this one {state})")
    with db.transaction() as session:
        session.execute(
            update(FeedbackSession)
            .where(FeedbackSession.id == session_id, FeedbackSession.closes_at > now)
            .values(closes_at=now)
        )
    settle_closed(db, get_survey_by_id(db, current.survey_id), now)
    return get_session(db, session_id)


def settle_closed(db: Database, series: SurveyInfo, now: dt.datetime | None = None) -> int:
    """Rewrite the responses of each of the series' sessions whose window has ended (once per
    session): fresh ids, fresh order, envelopes sealed again, so that a backup or write-ahead
    log from while it was open cannot be matched to what is stored. Returns how many sessions
    were settled. Called when a session is closed and whenever staff look at the series."""
    now = now or utcnow()
    with db.session() as session:
        due = list(
            session.scalars(
                select(FeedbackSession.id).where(
                    FeedbackSession.survey_id == series.id,
                    FeedbackSession.settled.is_(False),
                    FeedbackSession.closes_at <= now,
                )
            )
        )
    settled = 0
    for session_id in due:
        with db.transaction() as session:
            # The first write: it waits for any send still holding the session (PostgreSQL's
            # row lock, SQLite's write lock), so every response of the window is rewritten.
            changed = session.execute(
                update(FeedbackSession)
                .where(FeedbackSession.id == session_id, FeedbackSession.settled.is_(False))
                .values(settled=True)
            )
            if getattr(changed, "rowcount", 0) != 1:
                continue  # another process settled it first
            rewrite_responses(session, series.public_key, Response.session_id == session_id)
        settled += 1
    if settled:
        db.purge_deleted_rows("responses")
    return settled


def _not_started(now: dt.datetime):  # type: ignore[no-untyped-def]
    return (FeedbackSession.opens_at.is_(None)) | (FeedbackSession.opens_at > now)


def response_counts(db: Database, series_id: str) -> dict[str, int]:
    """How many responses each session of the series has (the only figure shown while open)."""
    with db.session() as session:
        rows = session.execute(
            select(Response.session_id, func.count())
            .where(Response.survey_id == series_id, Response.session_id.is_not(None))
            .group_by(Response.session_id)
        )
        return {str(session_id): int(count) for session_id, count in rows}


def response_count(db: Database, session: SessionInfo) -> int:
    with db.session() as db_session:
        return int(
            db_session.scalar(
                select(func.count())
                .select_from(Response)
                .where(Response.survey_id == session.survey_id, Response.session_id == session.id)
            )
            or 0
        )
