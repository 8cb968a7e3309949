"""A ceiling on how fast an open survey accepts responses.

An open survey takes answers from anyone with its link, so a script could send thousands. The
ceiling caps accepted responses per survey per minute. Its counter is keyed by the survey
alone -- never by anything about the sender -- and lives where the rate limits of the staff
pages live: Redis shared by every server process (``REDIS_URL``), or this process's memory
for ``make run``. A counter holds one number per survey for the current minute and forgets
it afterwards, so it records nothing about when any one response arrived.

A send over the ceiling stores nothing: the respondent keeps their draft and is asked to
send again in a minute. If the counter cannot be reached (Redis restarting, a network fault),
every send is accepted: the ceiling is there against scripts, and must never cost a person
their answers. The outage is logged once, when it starts, never per send (a line per send would
record when responses arrived). Each day's turned-away sends are counted per survey for staff
(``intake_refusals``), as a sign that someone may be sending answers by script.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from redis.exceptions import RedisError
from sqlalchemy import select, update

from survey_app.services.errors import ServiceError
from survey_app.storage.database import Database, insert_unless_present
from survey_app.storage.models import IntakeRefusal

log = logging.getLogger(__name__)

NAMESPACE = "candour-intake"
# Highest ceiling staff may set: about the Census 2021 peak for the whole of England and Wales.
MOST_PER_MINUTE = 10_000


class IntakeCeiling:
    """Counts accepted sends per survey and minute, in storage every server process shares."""

    def __init__(self, storage_uri: str) -> None:
        self._limiter = FixedWindowRateLimiter(storage_from_string(storage_uri))
        self._unreachable = threading.Event()  # set while the counter cannot be reached

    def admit(self, survey_id: str, per_minute: int) -> bool:
        """Count one send to ``survey_id``; False when the survey's minute is already full.
        True, uncounted, when the counter cannot be reached."""
        try:
            admitted = self._limiter.hit(RateLimitItemPerMinute(per_minute), NAMESPACE, survey_id)
        except (RedisError, OSError):
            if not self._unreachable.is_set():
                self._unreachable.set()
                log.warning("the ceiling on responses a minute is unreachable: sends are let in")
            return True
        if self._unreachable.is_set():
            self._unreachable.clear()
            log.warning("the ceiling on responses a minute is reachable again")
        return admitted


@dataclass(frozen=True)
class RefusedDay:
    day: dt.date
    refused: int


def validate_per_minute(value: int) -> int:
    if not 1 <= value <= MOST_PER_MINUTE:
        raise ServiceError(f"Enter a number of responses a minute from 1 to {MOST_PER_MINUTE:,}")
    return value


def record_refusal(db: Database, survey_id: str, today: dt.date | None = None) -> None:
    """Count one send turned away today (its own transaction: no response is stored)."""
    day = today or dt.date.today()
    with db.transaction() as session:
        if insert_unless_present(session, IntakeRefusal, survey_id=survey_id, day=day, refused=1):
            return
        session.execute(
            update(IntakeRefusal)
            .where(IntakeRefusal.survey_id == survey_id, IntakeRefusal.day == day)
            .values(refused=IntakeRefusal.refused + 1)
        )


def refused_days(db: Database, survey_id: str, limit: int = 7) -> list[RefusedDay]:
    """The latest days on which the survey turned sends away, newest first."""
    with db.session() as session:
        rows = session.execute(
            select(IntakeRefusal.day, IntakeRefusal.refused)
            .where(IntakeRefusal.survey_id == survey_id)
            .order_by(IntakeRefusal.day.desc())
            .limit(limit)
        )
        return [RefusedDay(day, refused) for day, refused in rows]
