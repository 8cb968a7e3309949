"""Staff sessions kept on the server, so they can be ended (DESIGN.md §5).

The browser holds a random token (32 bytes, url-safe); the ``staff_sessions`` table holds only
its SHA-256, so a copy of the database cannot be used to take over a session, and a cookie
forged with the Flask secret key, or copied and then signed out, finds no row and opens
nothing. The row, never the cookie, says how far the sign-in has got (``enrol`` or ``code``
while a second factor is still needed, then ``done``), and it holds a digest of the account's
credentials (``accounts.credentials_digest``): any change to them ends the session.

Idle and absolute lifetimes are enforced from the row's ``seen_at`` and ``created_at``;
``seen_at`` is written at most once a minute, not on every request. Expired rows are deleted
when met, and all of them whenever someone signs in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from survey_app.services.accounts import StaffAccount, account_of, credentials_digest
from survey_app.storage.database import Database
from survey_app.storage.models import StaffSession, StaffUser

ENROL, CODE, DONE = "enrol", "code", "done"
STAGES = frozenset({ENROL, CODE, DONE})
TOKEN_BYTES = 32
# ``seen_at`` is written at most this often: idle timeouts are minutes long.
SEEN_EVERY = dt.timedelta(minutes=1)
IDLE, EXPIRED = "idle", "expired"


@dataclass(frozen=True)
class Limits:
    """How long a session may stay unused, and how long it may last in any case."""

    idle: dt.timedelta
    lifetime: dt.timedelta

    @classmethod
    def of(cls, idle_minutes: int, max_hours: int) -> Limits:
        return cls(dt.timedelta(minutes=idle_minutes), dt.timedelta(hours=max_hours))


@dataclass(frozen=True)
class LiveSession:
    """A session that checked out on this request."""

    id: str  # sha256(token), hex
    account: StaffAccount
    stage: str
    credentials: str


@dataclass(frozen=True)
class Lookup:
    """The session for a token, or why there is none: ``idle`` or ``expired`` when it has just
    timed out (the sign-in page says so), None when there never was one or it was ended."""

    session: LiveSession | None
    ended: str | None = None


def session_id(token: str) -> str:
    """The stored id of a session: the SHA-256 of its token, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def begin(
    db: Database,
    account: StaffAccount,
    stage: str,
    limits: Limits,
    *,
    replacing: str | None = None,
    now: dt.datetime | None = None,
) -> str:
    """A new session for an account whose password checked out; returns its token.

    ``replacing`` is the token the browser had before, if any: that session ends (a new token
    at every sign-in). Expired sessions of every account are deleted at the same time.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown sign-in stage {stage!r}")
    now = _aware(now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with db.transaction() as session:
        _purge(session, limits, now)
        if replacing is not None:
            session.execute(delete(StaffSession).where(StaffSession.id == session_id(replacing)))
        row = session.get(StaffUser, account.id)
        if row is None or not row.active:
            raise ValueError("only an active account can sign in")
        session.add(
            StaffSession(
                id=session_id(token),
                user_id=row.id,
                stage=stage,
                credentials=credentials_digest(row),
                created_at=now,
                seen_at=now,
            )
        )
    return token


def load(db: Database, token: str, limits: Limits, *, now: dt.datetime | None = None) -> Lookup:
    """The live session for a token. A session past its limits, or whose account changed or
    was deactivated since it began, is deleted and not returned."""
    now = _aware(now)
    key = session_id(token)
    with db.session() as session:
        found = session.execute(
            select(StaffSession, StaffUser)
            .join(StaffUser, StaffUser.id == StaffSession.user_id)
            .where(StaffSession.id == key)
        ).one_or_none()
        if found is None:
            return Lookup(None)
        row, user = found[0], found[1]
        created, seen = _utc(row.created_at), _utc(row.seen_at)
        stage, credentials = row.stage, row.credentials
        account = account_of(user)
        current = credentials_digest(user)
    ended: str | None = None
    if now - created > limits.lifetime:
        ended = EXPIRED
    elif now - seen > limits.idle:
        ended = IDLE
    if ended or not account.active or credentials != current or stage not in STAGES:
        end(db, token)
        return Lookup(None, ended)
    if now - seen >= SEEN_EVERY:
        with db.transaction() as session:
            session.execute(update(StaffSession).where(StaffSession.id == key).values(seen_at=now))
    return Lookup(LiveSession(key, account, stage, credentials))


def user_id(db: Database, token: str) -> str | None:
    """Whose session a token belongs to, unchecked (for keying sign-in rate limits)."""
    with db.session() as session:
        return session.scalar(
            select(StaffSession.user_id).where(StaffSession.id == session_id(token))
        )


def advance(db: Database, live: LiveSession, stage: str) -> bool:
    """Move a session on (``enrol`` or ``code`` to ``done``) once the second factor checked
    out, taking in the account's credentials as they are now (setting up two-factor changes
    them). Compare-and-swap on the stage and credentials the request began with: False if the
    session ended or changed meanwhile."""
    if stage not in STAGES:
        raise ValueError(f"unknown sign-in stage {stage!r}")
    with db.transaction() as session:
        user = session.get(StaffUser, live.account.id)
        if user is None or not user.active:
            return False
        result = session.execute(
            update(StaffSession)
            .where(
                StaffSession.id == live.id,
                StaffSession.stage == live.stage,
                StaffSession.credentials == live.credentials,
            )
            .values(stage=stage, credentials=credentials_digest(user))
        )
        return getattr(result, "rowcount", 0) == 1


def end(db: Database, token: str) -> None:
    """Sign out: the session's row goes, so its cookie opens nothing from now on."""
    with db.transaction() as session:
        session.execute(delete(StaffSession).where(StaffSession.id == session_id(token)))


def purge_expired(db: Database, limits: Limits, *, now: dt.datetime | None = None) -> None:
    """Delete every session past its idle or absolute limit."""
    with db.transaction() as session:
        _purge(session, limits, _aware(now))


def _purge(session: Session, limits: Limits, now: dt.datetime) -> None:
    session.execute(
        delete(StaffSession).where(
            or_(
                StaffSession.created_at < now - limits.lifetime,
                StaffSession.seen_at < now - limits.idle,
            )
        )
    )


def _aware(now: dt.datetime | None) -> dt.datetime:
    value = now or dt.datetime.now(dt.UTC)
    if value.tzinfo is None:
        raise ValueError("session times must be timezone-aware")
    return value.astimezone(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite returns the stored UTC time without its zone; PostgreSQL returns it with one.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
