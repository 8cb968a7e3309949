"""Single-use access codes, stored only as HMACs with the server's code secret."""

from __future__ import annotations

import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from survey_app.crypto import access_code_digest, generate_access_code, normalise_access_code
from survey_app.services.errors import AccessCodeError, ServiceError
from survey_app.services.surveys import SurveyInfo, survey_row
from survey_app.storage.database import Database
from survey_app.storage.models import AccessCode

MAX_CODES_PER_BATCH = 100_000

MALFORMED = (
    "Enter the access code exactly as it appears on your invitation, like ABCD-EFGH-JKMN-PQRS"
)
UNKNOWN = "That access code is not recognised for this survey. Check it and try again"
USED = "That access code has already been used. Each code can be used once"


def issue_codes(db: Database, slug: str, count: int, secret: bytes) -> list[str]:
    """Make ``count`` new codes for a codes-mode survey. Only their HMACs are stored; the
    plain codes are returned once, for printing or mailing, and never kept."""
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise ServiceError(f"Issue between 1 and {MAX_CODES_PER_BATCH:,} codes at a time")
    codes: list[str] = []
    with db.transaction() as session:
        survey = survey_row(session, slug)
        if survey.access != "codes":
            raise ServiceError("This survey is open to anyone with the link; it uses no codes")
        if survey.status == "closed":
            raise ServiceError("This survey has closed")
        seen: set[bytes] = set()
        while len(codes) < count:
            code = generate_access_code()
            normalised = normalise_access_code(code)
            assert normalised is not None
            digest = access_code_digest(normalised, secret)
            if digest in seen:
                continue
            seen.add(digest)
            codes.append(code)
            session.add(
                AccessCode(id=secrets.token_hex(16), survey_id=survey.id, digest=digest, used=False)
            )
    return codes


def check_code(db: Database, survey: SurveyInfo, text: str, secret: bytes) -> bytes:
    """Return the digest of a valid, unused code, or raise AccessCodeError."""
    normalised = normalise_access_code(text)
    if normalised is None:
        raise AccessCodeError("malformed", MALFORMED)
    digest = access_code_digest(normalised, secret)
    with db.session() as session:
        used = session.scalar(
            select(AccessCode.used).where(
                AccessCode.survey_id == survey.id, AccessCode.digest == digest
            )
        )
    if used is None:
        raise AccessCodeError("unknown", UNKNOWN)
    if used:
        raise AccessCodeError("used", USED)
    return digest


def consume_code(session: Session, survey_id: str, digest: bytes) -> None:
    """Mark a code used inside the caller's transaction; fails if it was used meanwhile."""
    result = session.execute(
        update(AccessCode)
        .where(
            AccessCode.survey_id == survey_id,
            AccessCode.digest == digest,
            AccessCode.used.is_(False),
        )
        .values(used=True)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise AccessCodeError("used", USED)
