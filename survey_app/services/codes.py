"""Single-use access codes, stored only as HMACs with the server's code secret.

A code is used up when the respondent *starts*: `redeem_code` marks it used in a transaction
of its own and hands back a fresh respondent token, which lives only in the respondent's
encrypted draft. Nothing stored ties the token to the code, so the response sent later (in
another transaction, with the token's digest) cannot be tied to the code either: not by a
shared transaction, not by commit order in a log, not by row ids (DESIGN.md §5).
"""

from __future__ import annotations

import secrets

from sqlalchemy import select, update

from survey_app.crypto import (
    access_code_digest,
    generate_access_code,
    new_respondent_token,
    normalise_access_code,
)
from survey_app.services.errors import AccessCodeError, ServiceError
from survey_app.services.surveys import SurveyInfo, lock_open_survey, survey_row
from survey_app.storage.database import Database
from survey_app.storage.models import AccessCode

MAX_CODES_PER_BATCH = 100_000

MALFORMED = (
    "Enter the access code exactly as it appears on your invitation, like ABCD-EFGH-JKMN-PQRS"
)
# One message whether the code was never issued or has been used: the start page must not
# tell someone holding a colleague's code whether that colleague has taken part.
REFUSED = (
    "This access code cannot be used. Check you have typed it exactly as it is on your "
    "invitation. If you have, ask the programme team for a new code"
)


def issue_codes(db: Database, slug: str, count: int, secret: bytes) -> list[str]:
    """Make ``count`` new codes for a codes-mode survey. Only their HMACs are stored; the
    plain codes are returned once, for printing or mailing, and never kept.

    Rows are written in the order of their random ids, not the order of the returned list,
    so neither row order nor where a row sits in a database page follows a line of the CSV.
    """
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise ServiceError(f"Issue between 1 and {MAX_CODES_PER_BATCH:,} codes at a time")
    codes: list[str] = []
    digests: set[bytes] = set()
    while len(codes) < count:
        code = generate_access_code()
        normalised = normalise_access_code(code)
        assert normalised is not None
        digest = access_code_digest(normalised, secret)
        if digest in digests:
            continue
        digests.add(digest)
        codes.append(code)
    rows = sorted((secrets.token_hex(16), digest) for digest in digests)
    with db.transaction() as session:
        survey = survey_row(session, slug)
        if survey.access != "codes":
            raise ServiceError("This survey is open to anyone with the link; it uses no codes")
        if survey.status == "closed":
            raise ServiceError("This survey has closed")
        session.add_all(
            AccessCode(id=row_id, survey_id=survey.id, digest=digest, used=False)
            for row_id, digest in rows
        )
    return codes


def redeem_code(db: Database, survey: SurveyInfo, text: str, secret: bytes) -> bytes:
    """Use up a code as the respondent starts, and return a fresh respondent token.

    The code is marked used in a transaction of its own (one ``UPDATE``, whatever the code),
    and the token is made afterwards and stored nowhere. Raises AccessCodeError for a
    malformed code, and with one message for a code that is unknown or already used;
    SurveyClosedError if the survey is not open.
    """
    normalised = normalise_access_code(text)
    if normalised is None:
        raise AccessCodeError("malformed", MALFORMED)
    digest = access_code_digest(normalised, secret)
    with db.transaction() as session:
        # The survey must still be open when this commits: PostgreSQL locks its row shared
        # first (a close waits for us, or we wait for the close and see it); SQLite looks
        # after the write, which took the database's write lock.
        if not db.locks_whole_file:
            lock_open_survey(session, survey.id)
        result = session.execute(
            update(AccessCode)
            .where(
                AccessCode.survey_id == survey.id,
                AccessCode.digest == digest,
                AccessCode.used.is_(False),
            )
            .values(used=True)
        )
        if db.locks_whole_file:
            lock_open_survey(session, survey.id)
        if getattr(result, "rowcount", 0) != 1:
            raise AccessCodeError("refused", REFUSED)
    # SQLite: no copy of the live files may hold this redemption together with a response
    # sent after it; the next commit starts the log afresh (see Database.trim_log).
    db.trim_log()
    return new_respondent_token()


def check_code(db: Database, survey: SurveyInfo, text: str, secret: bytes) -> bytes:
    """Read-only: the digest of a valid, unused code, or AccessCodeError (reason
    ``malformed``, ``unknown`` or ``used``, with the respondent's message). For operators'
    checks and tests; respondents go through `redeem_code`."""
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
        raise AccessCodeError("unknown", REFUSED)
    if used:
        raise AccessCodeError("used", REFUSED)
    return digest
