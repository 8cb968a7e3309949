"""Database tables. Storage is the only package that uses the ORM.

Anonymity is a property of these tables: a response row has a random id, its survey, the
questionnaire version, the submission *date* and one sealed envelope — no address, no
browser details, no time of day, no auto-increment number and no link to an access code.

The respondents' tables (responses, access codes, spent tokens) are ``WITHOUT ROWID`` on
SQLite: rows are stored in the order of their random keys, so neither a row id nor the
physical order says when a row was written (DESIGN.md §5).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Survey(Base):
    """One run of a questionnaire, with its own key pair and access mode."""

    __tablename__ = "surveys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    questionnaire_id: Mapped[str] = mapped_column(String(80))
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    access: Mapped[str] = mapped_column(String(10))  # "open", "codes" or "sessions" (a series)
    status: Mapped[str] = mapped_column(String(10))  # "draft", "open" or "closed"
    min_group: Mapped[int] = mapped_column(Integer)
    # Open surveys: the most responses accepted in any one minute (None: the deployment's).
    responses_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    key_id: Mapped[bytes] = mapped_column(LargeBinary(8))
    created_on: Mapped[dt.date] = mapped_column(Date)
    opened_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # Raw responses are kept this many months after the close, then crypto-shredded
    # (``services.retention``); published releases stay.
    retention_months: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    shredded_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # The annual cycle: a label ("2026-27") and the survey of the cycle before (no foreign
    # key: deleting a survey shortens the chain, never breaks it).
    cycle: Mapped[str | None] = mapped_column(String(20), nullable=True)
    previous_id: Mapped[str | None] = mapped_column(String(32), nullable=True)

    key_slots: Mapped[list[KeySlot]] = relationship(
        back_populates="survey", cascade="all, delete-orphan", order_by="KeySlot.label"
    )


class KeySlot(Base):
    """The survey's private key, wrapped under one key holder's passphrase."""

    __tablename__ = "key_slots"
    __table_args__ = (UniqueConstraint("survey_id", "label"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(80))
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_on: Mapped[dt.date] = mapped_column(Date)
    # Wrapped under a one-time invitation code (a new cycle's key holder who has not yet
    # chosen a passphrase): it opens nothing until accepted (``services.cycles``).
    invitation: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    survey: Mapped[Survey] = relationship(back_populates="key_slots")


# SQLite: store the table in the order of its (random) primary key, with no row id.
NO_ROWID = {"sqlite_with_rowid": False}


class Response(Base):
    """One sealed response. Readable only with a key holder's passphrase."""

    __tablename__ = "responses"
    __table_args__ = NO_ROWID

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    # A series' response: the session it was given in (bound into the envelope's associated
    # data). Never a time: the session's window is all that is known of when.
    session_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)


class FeedbackSession(Base):
    """One session of a series (a survey with ``access == "sessions"``): a Reflective Space
    meeting or a webinar. It takes responses through its short link between ``opens_at`` and
    ``closes_at``; these are times about a meeting, never about a response."""

    __tablename__ = "feedback_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[dt.date] = mapped_column(Date)
    format: Mapped[str] = mapped_column(String(10))  # "in_person" or "online"
    council: Mapped[str | None] = mapped_column(String(80), nullable=True)
    facilitators: Mapped[str] = mapped_column(String(300), default="")
    short_code: Mapped[str] = mapped_column(String(8), unique=True)
    open_minutes: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closes_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Once closed, its responses are sealed again in a fresh order (see sessions.settle).
    settled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_on: Mapped[dt.date] = mapped_column(Date)


class AccessCode(Base):
    """A single-use access code, kept only as an HMAC. It records *whether* it was used, never
    when, and nothing points from a code to a response or back."""

    __tablename__ = "access_codes"
    __table_args__ = NO_ROWID

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class SpentToken(Base):
    """A respondent token that has been used to send a response, kept as an HMAC so the same
    draft can never be sent twice. The token is made when the respondent starts (after an
    access code, if the survey uses codes) and lives only in their encrypted draft: nothing
    stored links a spent token to a code. Deleted when the survey closes."""

    __tablename__ = "spent_tokens"
    __table_args__ = NO_ROWID

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)


class Headcount(Base):
    """How many staff of one council could answer a survey (entered by an admin), for the
    response rates a report shows where that council's response count is published."""

    __tablename__ = "headcounts"

    survey_id: Mapped[str] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    group_value: Mapped[str] = mapped_column(String(80), primary_key=True)
    headcount: Mapped[int] = mapped_column(Integer)


class CarriedCodebook(Base):
    """Codes made from the previous cycle's named themes, sealed under the server's key: the
    free-text questions this cycle's questionnaire gives no codebook are coded against them."""

    __tablename__ = "carried_codebooks"

    survey_id: Mapped[str] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[str] = mapped_column(String(32))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class IntakeRefusal(Base):
    """How many sends an open survey turned away on one day because it had reached its
    responses-a-minute ceiling: a notice for staff. Nothing was stored for those sends, so
    nothing here is about a response."""

    __tablename__ = "intake_refusals"

    survey_id: Mapped[str] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    refused: Mapped[int] = mapped_column(Integer)


# --- Staff side: accounts, assignments, audit log, analysis runs and releases ----------------
# Staff actions may carry exact times: they are about staff, never about respondents.


class StaffUser(Base):
    """A member of the programme team. Roles: admin, analyst, facilitator, viewer."""

    __tablename__ = "staff_users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    # The TOTP secret, encrypted with the application data keyring (None until enrolled).
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_on: Mapped[dt.date] = mapped_column(Date)
    # Set when an admin resets the password: the next sign-in must choose a new one.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)


class StaffSession(Base):
    """A signed-in member of staff. The browser holds a random token; only its SHA-256 is
    kept here, so a copy of the database cannot be used to take over a session. A cookie
    without a live row here opens nothing (DESIGN.md §5)."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256(token), hex
    user_id: Mapped[str] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(String(10))  # enrol, code or done
    # A digest of the account's credentials when the session began: any change ends it.
    credentials: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SurveyAssignment(Base):
    """An analyst (or facilitator) may work on the surveys they are assigned to."""

    __tablename__ = "survey_assignments"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True
    )
    survey_id: Mapped[str] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )


class AuditEvent(Base):
    """Who did what, when: staff actions only, never respondent data."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str | None] = mapped_column(String(254), nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    survey_slug: Mapped[str | None] = mapped_column(String(80), nullable=True)
    detail: Mapped[str] = mapped_column(String(500), default="")


class AnalysisRun(Base):
    """One unlock-and-analyse of a survey, with its progress for the web page."""

    __tablename__ = "analysis_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="analysis")  # analysis, publish
    status: Mapped[str] = mapped_column(String(10))  # queued, running, done, failed
    progress: Mapped[int] = mapped_column(Integer, default=0)  # 0-100
    message: Mapped[str] = mapped_column(String(300), default="")
    requested_by: Mapped[str | None] = mapped_column(String(254), nullable=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    release_id: Mapped[str | None] = mapped_column(
        ForeignKey("releases.id", ondelete="SET NULL"), nullable=True
    )


class Release(Base):
    """A protected release: every figure that may leave the system, encrypted with the
    application data keyring. Draft until published.

    ``payload`` holds the published figures only (what report pages and downloads show);
    the disclosure audit and the publication's private records are in ``ReleaseAudit``,
    written in the same transaction (``services.releases``). ``revision`` grows by one at
    every write of the figures, so a web worker can tell by reading one small column
    whether the release it parsed earlier is still the stored one."""

    __tablename__ = "releases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # draft, published, withdrawn
    k: Mapped[int] = mapped_column(Integer)
    k_cell: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(254), nullable=True)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    # The free-text review of a draft (comments, themes, quotes), encrypted under a workspace
    # key that only a key holder's passphrase unlocks. It holds comment text, so it is
    # dropped when the release is published.
    workspace: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The workspace key, sealed to the survey's public key (opened with a key slot).
    workspace_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ReleaseAudit(Base):
    """What a release keeps that no reader is shown, encrypted with the application data
    keyring like the figures: the disclosure audit (which rule hid each hidden value, and
    the range it is certified to keep), the fingerprints of the tables published by group
    and the sealed record of the review. Read when a release is published or analysed
    again, never by a report page."""

    __tablename__ = "release_audits"

    release_id: Mapped[str] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True
    )
    payload: Mapped[bytes] = mapped_column(LargeBinary)
