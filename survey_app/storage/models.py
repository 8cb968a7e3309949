"""Database tables. Storage is the only package that uses the ORM.

Anonymity is a property of these tables: a response row has a random id, its survey, the
questionnaire version, the submission *date* and one sealed envelope — no address, no
browser details, no time of day, no auto-increment number and no link to an access code.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
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
    access: Mapped[str] = mapped_column(String(10))  # "open" or "codes"
    status: Mapped[str] = mapped_column(String(10))  # "draft", "open" or "closed"
    min_group: Mapped[int] = mapped_column(Integer)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    key_id: Mapped[bytes] = mapped_column(LargeBinary(8))
    created_on: Mapped[dt.date] = mapped_column(Date)
    opened_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)

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

    survey: Mapped[Survey] = relationship(back_populates="key_slots")


class Response(Base):
    """One sealed response. Readable only with a key holder's passphrase."""

    __tablename__ = "responses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    questionnaire_version: Mapped[str] = mapped_column(String(20))
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)


class AccessCode(Base):
    """A single-use access code, kept only as an HMAC. It records *whether* it was used, never
    when, and nothing points from a code to a response or back."""

    __tablename__ = "access_codes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
