"""Creating, opening, closing and listing surveys."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from survey_app.crypto import generate_survey_keypair, key_id, reseal, wrap_private_key
from survey_app.domain.characters import has_control_characters
from survey_app.domain.loading import find_version
from survey_app.domain.model import Questionnaire
from survey_app.services.errors import NotFoundError, ServiceError, SurveyClosedError
from survey_app.services.intake import validate_per_minute
from survey_app.storage.database import Database
from survey_app.storage.models import AccessCode, KeySlot, Response, SpentToken, Survey

ACCESS_MODES = ("open", "codes")
# A series ("sessions") is made with `flask series create`, never from the survey form.
ALL_ACCESS_MODES = (*ACCESS_MODES, "sessions")
MIN_GROUP_FLOOR = 5
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: A cycle label: "2026-27", "2027", "Spring 2027" (letters, digits, spaces, '-', '/', '.').
CYCLE_PATTERN = re.compile(r"^[0-9A-Za-z](?:[0-9A-Za-z./ -]{0,18}[0-9A-Za-z])?$")


#: How long raw responses are kept after a survey closes, unless it was given another period.
DEFAULT_RETENTION_MONTHS = 24
LONGEST_RETENTION_MONTHS = 120


@dataclass(frozen=True)
class SurveyInfo:
    """What the rest of the application may know about a survey."""

    id: str
    slug: str
    title: str
    questionnaire_id: str
    questionnaire_version: str
    access: str
    status: str
    min_group: int
    public_key: bytes
    created_on: dt.date
    opened_on: dt.date | None
    closed_on: dt.date | None
    # Open surveys: the most responses accepted in a minute (None: the deployment's default).
    responses_per_minute: int | None = None
    retention_months: int = DEFAULT_RETENTION_MONTHS
    #: the day its raw responses and key slots were deleted (None: still kept)
    shredded_on: dt.date | None = None
    #: the annual cycle it belongs to ("2026-27"), and the survey of the cycle before
    cycle: str | None = None
    previous_id: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def delete_on(self) -> dt.date | None:
        """The day its raw responses are due to be deleted (None until it closes)."""
        if self.closed_on is None:
            return None
        return add_months(self.closed_on, self.retention_months)

    def questionnaire_in(self, questionnaires: Mapping[str, Questionnaire]) -> Questionnaire | None:
        """The questionnaire this survey was made with (that version), if it is loaded."""
        return find_version(questionnaires, self.questionnaire_id, self.questionnaire_version)

    @property
    def is_series(self) -> bool:
        return self.access == "sessions"

    @property
    def has_results(self) -> bool:
        """Whether results may be worked out: a survey once closed; a series whenever one of
        its sessions has closed (each report covers sessions that closed, see
        ``analysis.series_scope``)."""
        return self.status == "closed" or self.is_series


def _info(row: Survey) -> SurveyInfo:
    return SurveyInfo(
        id=row.id,
        slug=row.slug,
        title=row.title,
        questionnaire_id=row.questionnaire_id,
        questionnaire_version=row.questionnaire_version,
        access=row.access,
        status=row.status,
        min_group=row.min_group,
        public_key=row.public_key,
        created_on=row.created_on,
        opened_on=row.opened_on,
        closed_on=row.closed_on,
        responses_per_minute=row.responses_per_minute,
        retention_months=row.retention_months,
        shredded_on=row.shredded_on,
        cycle=row.cycle,
        previous_id=row.previous_id,
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved on ``months`` calendar months (31 January + 1 month: 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("every month has at least 28 days")


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].strip("-") or "survey"


def validate_slot_label(label: str) -> str:
    label = label.strip()
    if not 1 <= len(label) <= 80:
        raise ServiceError("Enter a key holder label of 1 to 80 characters")
    return label


def validate_cycle(text: str | None) -> str | None:
    """A cycle label, tidied ("" or None: no cycle)."""
    if text is None or not text.strip():
        return None
    label = " ".join(text.split())
    if not CYCLE_PATTERN.match(label):
        raise ServiceError(
            "A cycle is 1 to 20 letters, digits, spaces, hyphens, full stops or slashes, "
            "starting and ending with a letter or digit, such as 2026-27"
        )
    return label


#: Tabs, line breaks, bidirectional overrides and other invisible characters (see
#: ``survey_app.domain.characters``) would break the report's files or hide part of a title.
TITLE_CONTROL_CHARACTERS = (
    "Title must not contain control characters, such as tabs or invisible formatting marks"
)


def validate_title(title: str) -> str:
    """A survey's title, trimmed: 1 to 200 characters, none of them a control character."""
    title = title.strip()
    if not 1 <= len(title) <= 200:
        raise ServiceError("Enter a title of 1 to 200 characters")
    if has_control_characters(title):
        raise ServiceError(TITLE_CONTROL_CHARACTERS)
    return title


def validate_passphrase(passphrase: str) -> str:
    if len(passphrase) < 12:
        raise ServiceError("A passphrase must be at least 12 characters long")
    return passphrase


def create_survey(
    db: Database,
    questionnaire: Questionnaire,
    *,
    title: str,
    access: str,
    min_group: int,
    key_label: str,
    passphrase: str,
    log2_n: int,
    slug: str | None = None,
    responses_per_minute: int | None = None,
    today: dt.date | None = None,
    cycle: str | None = None,
) -> SurveyInfo:
    """Create a survey in the draft state with a fresh key pair and its first key slot."""
    title = validate_title(title)
    if access not in ALL_ACCESS_MODES:
        raise ServiceError("Access must be 'open' or 'codes'")
    if min_group < MIN_GROUP_FLOOR:
        raise ServiceError(f"The minimum group size cannot be below {MIN_GROUP_FLOOR}")
    if responses_per_minute is not None:
        validate_per_minute(responses_per_minute)
    slug = slug or slugify(title)
    if not SLUG_PATTERN.match(slug) or len(slug) > 80:
        raise ServiceError("A survey slug uses lowercase letters, digits and single hyphens")
    label = validate_slot_label(key_label)
    validate_passphrase(passphrase)
    cycle = validate_cycle(cycle)
    today = today or dt.date.today()
    keypair = generate_survey_keypair()
    survey_id = uuid.uuid4().hex
    with db.transaction() as session:
        row = insert_draft(
            session,
            survey_id,
            slug,
            keypair.public,
            today,
            title=title,
            questionnaire_id=questionnaire.id,
            questionnaire_version=questionnaire.version,
            access=access,
            min_group=min_group,
            responses_per_minute=responses_per_minute,
            retention_months=DEFAULT_RETENTION_MONTHS,
            cycle=cycle,
        )
        session.add(
            KeySlot(
                id=secrets.token_hex(16),
                survey_id=survey_id,
                label=label,
                wrapped_key=wrap_private_key(
                    keypair.private, passphrase, aad=slot_aad(survey_id), log2_n=log2_n
                ),
                created_on=today,
            )
        )
        return _info(row)


def insert_draft(
    session: Session,
    survey_id: str,
    slug: str,
    public_key: bytes,
    today: dt.date,
    **settings: Any,
) -> Survey:
    """Add a draft survey's row (a slug already taken is refused); ``settings`` are the
    other columns: title, questionnaire, access, smallest group and so on."""
    if session.scalar(select(Survey.id).where(Survey.slug == slug)) is not None:
        raise ServiceError(f"A survey with the slug '{slug}' already exists")
    row = Survey(
        id=survey_id,
        slug=slug,
        status="draft",
        public_key=public_key,
        key_id=key_id(public_key),
        created_on=today,
        **settings,
    )
    session.add(row)
    return row


def set_responses_per_minute(db: Database, slug: str, value: int | None) -> SurveyInfo:
    """Change an open-access survey's ceiling on responses a minute (None: the default)."""
    if value is not None:
        validate_per_minute(value)
    with db.transaction() as session:
        row = survey_row(session, slug)
        if row.access != "open":
            raise ServiceError("Only open surveys have a ceiling on responses a minute")
        row.responses_per_minute = value
        return _info(row)


def set_cycle(db: Database, slug: str, cycle: str | None) -> SurveyInfo:
    """Name the annual cycle a survey belongs to (None: no cycle), e.g. one made before
    cycles existed, so reports and the annual report name its year."""
    label = validate_cycle(cycle)
    with db.transaction() as session:
        row = survey_row(session, slug)
        row.cycle = label
        return _info(row)


def envelope_scope(survey_id: str, session_id: str | None) -> str:
    """What a response's envelope is bound to: its survey, and in a series its session too."""
    return survey_id if session_id is None else f"{survey_id}/{session_id}"


def slot_aad(survey_id: str) -> bytes:
    """Binds a wrapped key to its survey, so a slot copied to another survey will not open."""
    return b"candour/key-slot/" + survey_id.encode("ascii")


# Every respondent page looks its survey up: the columns of SurveyInfo, read on a plain
# connection with a statement built once. Building the statement, opening an ORM session and
# loading a Survey object each cost more than the query itself on SQLite.
_SURVEYS: Table = cast(Table, Survey.__table__)  # Core: no ORM work on these paths
_SURVEY_BY_SLUG = select(*(_SURVEYS.c[item.name] for item in dataclasses.fields(SurveyInfo))).where(
    _SURVEYS.c.slug == bindparam("slug")
)


def get_survey(db: Database, slug: str) -> SurveyInfo:
    with db.connect() as connection:
        row = connection.execute(_SURVEY_BY_SLUG, {"slug": slug}).first()
    if row is None:
        raise NotFoundError(f"There is no survey with the slug '{slug}'")
    return SurveyInfo(**row._asdict())


def get_survey_by_id(db: Database, survey_id: str) -> SurveyInfo:
    with db.session() as session:
        row = session.get(Survey, survey_id)
        if row is None:
            raise NotFoundError("There is no such survey")
        return _info(row)


def find_survey(db: Database, slug: str) -> SurveyInfo | None:
    if len(slug) > 80 or not SLUG_PATTERN.match(slug):
        return None  # never a real survey; keeps odd bytes (such as NUL) away from the database
    try:
        return get_survey(db, slug)
    except NotFoundError:
        return None


def list_surveys(db: Database, status: str | None = None) -> list[SurveyInfo]:
    with db.session() as session:
        query = select(Survey).order_by(Survey.created_on, Survey.title)
        if status is not None:
            query = query.where(Survey.status == status)
        return [_info(row) for row in session.scalars(query)]


def response_count(db: Database, survey_id: str) -> int:
    with db.session() as session:
        count = session.scalar(
            select(func.count()).select_from(Response).where(Response.survey_id == survey_id)
        )
        return int(count or 0)


def open_survey(db: Database, slug: str, today: dt.date | None = None) -> SurveyInfo:
    """Start accepting responses. A closed survey is not reopened: run a new one instead."""
    with db.transaction() as session:
        row = survey_row(session, slug)
        if row.status == "closed":
            raise ServiceError("A closed survey cannot be reopened; create a new survey instead")
        if row.status == "draft":
            if all(slot.invitation for slot in row.key_slots):
                raise ServiceError(
                    "No key holder has accepted their invitation yet, so nobody could read "
                    "the responses. Ask a key holder to accept theirs and choose a passphrase "
                    "before you open the survey"
                )
            row.status = "open"
            row.opened_on = today or dt.date.today()
        return _info(row)


def close_survey(db: Database, slug: str, today: dt.date | None = None) -> SurveyInfo:
    """Stop accepting responses and make the stored rows say nothing about who answered when.

    In one transaction: the survey is marked closed; its responses are rewritten with fresh
    random ids, in the order of those ids, each envelope sealed again in a fresh outer layer
    (`reseal`, with the public key only) so that no stored byte matches a copy from before the
    close (a backup, a write-ahead log); its access codes and spent tokens are deleted (a
    closed survey needs neither). Then the deleted rows are purged from the database files.
    """
    with db.transaction() as session:
        row = survey_row(session, slug)
        if row.status != "open":
            raise ServiceError(f"Only an open survey can be closed (this one is {row.status})")
        # Conditional, and the first write: it takes the survey row's lock (PostgreSQL waits
        # for respondent transactions holding it shared) or SQLite's write lock, so no code
        # is redeemed and no response stored for this survey once the rows below are read.
        changed = session.execute(
            update(Survey)
            .where(Survey.id == row.id, Survey.status == "open")
            .values(status="closed", closed_on=today or dt.date.today())
        )
        if getattr(changed, "rowcount", 0) != 1:
            raise ServiceError("Only an open survey can be closed (this one is closed)")
        session.refresh(row)
        survey_id = row.id
        rewrite_responses(session, row.public_key, Response.survey_id == survey_id)
        for table in (AccessCode, SpentToken):
            session.execute(delete(table).where(table.survey_id == survey_id))
        closed = _info(row)
    db.purge_deleted_rows("responses", "access_codes", "spent_tokens")
    return closed


def rewrite_responses(session: Session, public_key: bytes, which: Any) -> int:
    """Rewrite the responses ``which`` selects so that nothing stored says in what order they
    arrived: fresh random ids, inserted in the order of those ids, each envelope sealed again
    in a fresh outer layer (`reseal`, public key only) so no stored byte matches a copy from
    before (a backup, a write-ahead log). Returns how many were rewritten."""
    stored = session.execute(
        select(
            Response.survey_id,
            Response.questionnaire_version,
            Response.submitted_on,
            Response.envelope,
            Response.session_id,
        ).where(which)
    ).all()
    session.execute(delete(Response).where(which))
    rewritten = sorted(
        (
            secrets.token_hex(16),
            survey_id,
            version,
            day,
            reseal(
                bytes(envelope),
                public_key,
                survey_id=envelope_scope(survey_id, session_id),
                questionnaire_version=version,
            ),
            session_id,
        )
        for survey_id, version, day, envelope, session_id in stored
    )
    if rewritten:
        session.execute(
            insert(Response),
            [
                {
                    "id": new_id,
                    "survey_id": survey_id,
                    "questionnaire_version": version,
                    "submitted_on": day,
                    "envelope": envelope,
                    "session_id": session_id,
                }
                for new_id, survey_id, version, day, envelope, session_id in rewritten
            ],
        )
    return len(rewritten)


_OPEN_SURVEY = (
    select(_SURVEYS.c.status, _SURVEYS.c.access)
    .where(_SURVEYS.c.id == bindparam("survey_id"))
    .with_for_update(read=True)
)


def lock_open_survey(session: Session, survey_id: str) -> str:
    """Inside a respondent's transaction: check the survey is still open and return its access
    mode. On PostgreSQL the survey row is locked shared until the transaction ends, so a close
    waits for it (and it waits for a close). Raises SurveyClosedError otherwise."""
    found = session.execute(_OPEN_SURVEY, {"survey_id": survey_id}).first()
    if found is None or found.status != "open":
        raise SurveyClosedError("This survey has closed")
    return str(found.access)


def survey_row(session: Session, slug: str) -> Survey:
    row = session.scalar(select(Survey).where(Survey.slug == slug))
    if row is None:
        raise NotFoundError(f"There is no survey with the slug '{slug}'")
    return row
