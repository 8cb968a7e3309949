"""Staff accounts: roles, passwords (argon2id), two-factor codes (TOTP) and survey assignments.

Passwords are stored only as argon2id hashes and rehashed when the cost settings change. An
unknown email address still costs one hash check, so timing does not reveal which addresses
have accounts; so does a sign-in form refused for a missing field (``refuse_sign_in``). The
TOTP secret is stored encrypted with the application data keyring, bound to its account; it
travels together with the last time step used, so a code is never accepted twice (see
``_seal_totp``). Sign-in events go to the audit log from here.

Every change to what lets someone in — deactivation, a password reset or change, a two-factor
reset — ends the account's server-side sessions (``staff_sessions``) in the same transaction;
changing your own password keeps only the session that did it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from survey_app.crypto import DecryptError, Keyring
from survey_app.domain.characters import has_control_characters
from survey_app.domain.model import Questionnaire
from survey_app.services import audit, surveys
from survey_app.services.errors import NotFoundError, ServiceError
from survey_app.services.surveys import SurveyInfo
from survey_app.storage.database import Database
from survey_app.storage.models import StaffSession, StaffUser, Survey, SurveyAssignment

ROLES = ("admin", "analyst", "facilitator", "viewer")
TWO_FACTOR_ROLES = frozenset({"admin", "analyst"})
# Roles that work on particular surveys; admins work on every survey.
ASSIGNABLE_ROLES = frozenset({"analyst", "facilitator"})
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
TOTP_ISSUER = "Candour"
TOTP_INTERVAL = 30
TOTP_VALID_WINDOW = 1
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CODE = re.compile(r"^[0-9]{6}$")
# Temporary passwords: 4 groups of 4 from 31 characters that are hard to misread (79 bits).
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_GROUPS = 4


class AccountError(ServiceError):
    """An account change was refused; the message says why."""


class PasswordChangeError(AccountError):
    """A new password was refused. ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class StaffAccount:
    """What the rest of the application may know about a member of staff."""

    id: str
    email: str
    role: str
    active: bool
    totp_enabled: bool
    created_on: dt.date
    # Set by a password reset: no staff page but "Change your password" until it is done.
    must_change_password: bool = False

    @property
    def needs_two_factor(self) -> bool:
        return self.role in TWO_FACTOR_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class StaffSummary:
    account: StaffAccount
    surveys: tuple[str, ...]


@dataclass(frozen=True)
class SurveyRow:
    """A survey on the staff home page: the overall response count and nothing else."""

    info: SurveyInfo
    responses: int


@dataclass(frozen=True)
class Enrolment:
    """A new authenticator secret, shown once while its owner sets up their app."""

    secret: str
    uri: str

    @property
    def grouped(self) -> str:
        """The secret in groups of four, for typing."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def _account(row: StaffUser) -> StaffAccount:
    return StaffAccount(
        id=row.id,
        email=row.email,
        role=row.role,
        active=row.active,
        totp_enabled=row.totp_enabled,
        created_on=row.created_on,
        must_change_password=bool(row.must_change_password),
    )


def account_of(row: StaffUser) -> StaffAccount:
    """The account a ``staff_users`` row describes (for the session store)."""
    return _account(row)


def credentials_digest(row: StaffUser) -> str:
    """What a session was signed in with: any change to it ends the session.

    The password hash, role, whether two-factor is on, whether the account is active and
    whether the password must change. Not the sealed TOTP secret: it changes with every code.
    """
    parts = [
        row.id,
        row.password_hash,
        row.role,
        bool(row.totp_enabled),
        bool(row.active),
        bool(row.must_change_password),
    ]
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()


def _end_sessions(session: Session, user_id: str, keep: str | None = None) -> None:
    """End every session of an account (but ``keep``, a session id), inside a transaction."""
    query = delete(StaffSession).where(StaffSession.user_id == user_id)
    if keep is not None:
        query = query.where(StaffSession.id != keep)
    session.execute(query)


# --- passwords --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def password_hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    """argon2id with the configured costs (cheap ones only in tests)."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


@functools.lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher.hash(secrets.token_urlsafe(24))


def _verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _dummy_verify(hasher: PasswordHasher, password: str) -> None:
    """Spend the same time as a real check, for an address that has no account."""
    stored = _dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    _verify(hasher, stored, password)


def normalise_email(text: str) -> str:
    # Without NUL: it is invisible, never part of an address, and PostgreSQL cannot compare it.
    return text.replace("\x00", "").strip().lower()


def validate_email(text: str) -> str:
    email = normalise_email(text)
    # \s in the pattern already refuses tabs and line breaks; this refuses the other controls
    # and invisible format characters (escape, DEL, bidirectional overrides, zero-width space).
    if len(email) > 254 or not _EMAIL.match(email) or has_control_characters(email):
        raise AccountError("Enter an email address in the correct format, like name@example.com")
    return email


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"A password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"A password must be {MAX_PASSWORD_LENGTH:,} characters or fewer")
    return password


# --- accounts ---------------------------------------------------------------------------------


def create_user(
    db: Database,
    hasher: PasswordHasher,
    *,
    email: str,
    role: str,
    password: str,
    actor: str,
    today: dt.date | None = None,
    must_change_password: bool = False,
) -> StaffAccount:
    """A new, active account. ``must_change_password``: the password is a temporary one its
    owner replaces at their first sign-in."""
    email = validate_email(email)
    if role not in ROLES:
        raise AccountError(f"Choose a role from: {', '.join(ROLES)}")
    validate_password(password)
    with db.transaction() as session:
        if session.scalar(select(StaffUser.id).where(StaffUser.email == email)) is not None:
            raise AccountError(f"There is already a staff account for {email}")
        row = StaffUser(
            id=secrets.token_hex(16),
            email=email,
            role=role,
            password_hash=hasher.hash(password),
            totp_secret=None,
            totp_enabled=False,
            active=True,
            created_on=today or dt.date.today(),
            must_change_password=must_change_password,
        )
        session.add(row)
        account = _account(row)
    audit.record(db, actor, "user_created", detail=f"{email} as {role}")
    return account


def create_with_temporary_password(
    db: Database, hasher: PasswordHasher, *, email: str, role: str, actor: str
) -> tuple[StaffAccount, str]:
    """Create an account with a temporary password, as a reset makes one: returned to be shown
    once to whoever hands it over, stored only as a hash, never logged. At the first sign-in its
    owner must choose a password of their own before anything else."""
    password = temporary_password()
    account = create_user(
        db,
        hasher,
        email=email,
        role=role,
        password=password,
        actor=actor,
        must_change_password=True,
    )
    return account, password


def change_role(db: Database, *, email: str, role: str, actor: str) -> StaffAccount | None:
    """Give an account another role and end its sessions (its owner signs in again with the
    new role; an admin or analyst sets up two-factor then if they had none). None if it
    already had that role.

    The service always keeps an active admin: the last one's role cannot be changed. Survey
    assignments are kept only for roles that use them (analysts and facilitators).
    """
    if role not in ROLES:
        raise AccountError(f"Choose a role from: {', '.join(ROLES)}")
    with db.transaction() as session:
        row = _user_row(session, email)
        old = row.role
        if old == role:
            return None
        if old == "admin" and row.active:
            # Lock the admins' rows (PostgreSQL), so two admins cannot demote each other at once.
            admins = session.scalars(
                select(StaffUser.id)
                .where(StaffUser.role == "admin", StaffUser.active.is_(True))
                .with_for_update()
            ).all()
            if not [user_id for user_id in admins if user_id != row.id]:
                raise AccountError(
                    "This is the only active admin account. Make another account an admin "
                    "before changing this one"
                    if row.email != actor
                    else "You are the only active admin. Make another account an admin before "
                    "changing your own role"
                )
        row.role = role
        dropped = 0
        if role not in ASSIGNABLE_ROLES:
            result = session.execute(
                delete(SurveyAssignment).where(SurveyAssignment.user_id == row.id)
            )
            dropped = int(getattr(result, "rowcount", 0) or 0)
        _end_sessions(session, row.id)
        account = _account(row)
    detail = f"{account.email} from {old} to {role}"
    if dropped:
        detail += f"; {dropped} survey assignment{'s' if dropped != 1 else ''} removed"
    audit.record(db, actor, "role_changed", detail=detail)
    return account


def get_account(db: Database, user_id: str) -> StaffAccount | None:
    with db.session() as session:
        row = session.get(StaffUser, user_id)
        return _account(row) if row is not None else None


def find_account(db: Database, email: str) -> StaffAccount | None:
    with db.session() as session:
        row = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
        return _account(row) if row is not None else None


def list_users(db: Database) -> list[StaffSummary]:
    with db.session() as session:
        pairs = session.execute(
            select(SurveyAssignment.user_id, Survey.slug)
            .join(Survey, Survey.id == SurveyAssignment.survey_id)
            .order_by(Survey.slug)
        ).all()
        slugs: dict[str, list[str]] = {}
        for user_id, slug in pairs:
            slugs.setdefault(user_id, []).append(slug)
        rows = session.scalars(select(StaffUser).order_by(StaffUser.email))
        return [StaffSummary(_account(row), tuple(slugs.get(row.id, ()))) for row in rows]


def get_summary(db: Database, user_id: str) -> StaffSummary | None:
    """One account and the surveys it is assigned to, or None."""
    with db.session() as session:
        row = session.get(StaffUser, user_id)
        if row is None:
            return None
        slugs = session.scalars(
            select(Survey.slug)
            .join(SurveyAssignment, SurveyAssignment.survey_id == Survey.id)
            .where(SurveyAssignment.user_id == user_id)
            .order_by(Survey.slug)
        ).all()
        return StaffSummary(_account(row), tuple(slugs))


def deactivate(db: Database, *, email: str, actor: str) -> StaffAccount:
    """Stop an account signing in, and end every session it has. ``actor`` (an email address,
    or ``cli``) cannot deactivate their own account."""
    with db.transaction() as session:
        row = _user_row(session, email)
        if row.email == actor:
            raise AccountError("You cannot deactivate your own account")
        row.active = False
        _end_sessions(session, row.id)
        account = _account(row)
    audit.record(db, actor, "user_deactivated", detail=account.email)
    return account


def reactivate(db: Database, *, email: str, actor: str) -> StaffAccount:
    """Let a deactivated account sign in again, with its old password and authenticator."""
    with db.transaction() as session:
        row = _user_row(session, email)
        if row.active:
            raise AccountError(f"The account for {row.email} is already active")
        row.active = True
        account = _account(row)
    audit.record(db, actor, "user_reactivated", detail=account.email)
    return account


def reset_two_factor(db: Database, *, email: str, actor: str) -> StaffAccount:
    """Forget an account's authenticator and end its sessions; it must set one up again at
    its next sign-in. Nobody resets their own (``actor`` is an email address, or ``cli``)."""
    with db.transaction() as session:
        row = _user_row(session, email)
        if row.email == actor:
            raise AccountError(
                "You cannot reset your own two-factor authentication. Ask another admin"
            )
        row.totp_secret = None
        row.totp_enabled = False
        _end_sessions(session, row.id)
        account = _account(row)
    audit.record(db, actor, "totp_reset", detail=account.email)
    return account


def temporary_password() -> str:
    """A new random password to hand over, like ``k7mq-2xpd-ta9h-wn3c``."""
    groups = (
        "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(4))
        for _ in range(TEMPORARY_GROUPS)
    )
    return "-".join(groups)


def reset_password(
    db: Database, hasher: PasswordHasher, *, email: str, actor: str
) -> tuple[StaffAccount, str]:
    """Give an account a temporary password and end its sessions. Returns the password, to
    be shown once to whoever hands it over: it is stored only as a hash and never logged.
    At the next sign-in its owner must choose a new password before anything else.
    Nobody resets their own (``actor`` is an email address, or ``cli``)."""
    password = temporary_password()
    with db.transaction() as session:
        row = _user_row(session, email)
        if row.email == actor:
            raise AccountError("To change your own password, use Change your password")
        row.password_hash = hasher.hash(password)
        row.must_change_password = True
        _end_sessions(session, row.id)
        account = _account(row)
    audit.record(db, actor, "password_reset", detail=account.email)
    return account, password


def change_password(
    db: Database,
    hasher: PasswordHasher,
    user_id: str,
    *,
    current: str | None,
    new: str,
    keep_session: str | None = None,
) -> StaffAccount:
    """Change your own password and end your other sessions (``keep_session``, a session id,
    carries on with the new credentials).

    The current password is needed unless a reset made the change compulsory. Refusals are
    ``PasswordChangeError`` with the field they belong to.
    """
    try:
        validate_password(new)
    except AccountError as error:
        raise PasswordChangeError(str(error), "new_password") from None
    with db.session() as session:
        row = _active_row(session, user_id)
        stored, forced = row.password_hash, bool(row.must_change_password)
    if not forced and (not current or not _verify(hasher, stored, current)):
        raise PasswordChangeError("Enter your current password correctly", "current_password")
    if _verify(hasher, stored, new):
        raise PasswordChangeError(
            "Enter a new password that is different from your current one", "new_password"
        )
    with db.transaction() as session:
        # Compare-and-swap on the hash: of two changes made at once, one wins.
        result = session.execute(
            update(StaffUser)
            .where(StaffUser.id == user_id, StaffUser.password_hash == stored)
            .values(password_hash=hasher.hash(new), must_change_password=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            raise PasswordChangeError(
                "Your password was changed somewhere else. Sign in again", "current_password"
            )
        updated = session.get(StaffUser, user_id)
        assert updated is not None
        _end_sessions(session, user_id, keep=keep_session)
        if keep_session is not None:
            session.execute(
                update(StaffSession)
                .where(StaffSession.id == keep_session)
                .values(credentials=credentials_digest(updated))
            )
        account = _account(updated)
    audit.record(db, account.email, "password_changed", detail="after a reset" if forced else "")
    return account


def _user_row(session: Session, email: str) -> StaffUser:
    row = session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))
    if row is None:
        raise NotFoundError(f"There is no staff account for {normalise_email(email)}")
    return row


# --- survey assignments -----------------------------------------------------------------------


def assign(db: Database, *, email: str, slug: str, actor: str) -> bool:
    """Let an analyst or facilitator work on a survey. False if they already could."""
    with db.transaction() as session:
        user = _user_row(session, email)
        if user.role not in ASSIGNABLE_ROLES:
            raise AccountError(
                f"Only analysts and facilitators are assigned to surveys ({user.email} is "
                f"{'an' if user.role[0] in 'aeiou' else 'a'} {user.role})"
            )
        survey = surveys.survey_row(session, slug)
        if session.get(SurveyAssignment, (user.id, survey.id)) is not None:
            return False
        session.add(SurveyAssignment(user_id=user.id, survey_id=survey.id))
        user_email = user.email
    audit.record(db, actor, "user_assigned", slug, detail=user_email)
    return True


def unassign(db: Database, *, email: str, slug: str, actor: str) -> bool:
    """Stop someone working on a survey. False if they were not assigned to it."""
    with db.transaction() as session:
        user = _user_row(session, email)
        survey = surveys.survey_row(session, slug)
        result = session.execute(
            delete(SurveyAssignment).where(
                SurveyAssignment.user_id == user.id, SurveyAssignment.survey_id == survey.id
            )
        )
        user_email = user.email
    if getattr(result, "rowcount", 0) != 1:
        return False
    audit.record(db, actor, "user_unassigned", slug, detail=user_email)
    return True


def assignments(db: Database, user_id: str) -> list[SurveyInfo]:
    """The surveys and series an account is assigned to, by title."""
    with db.session() as session:
        ids = set(
            session.scalars(
                select(SurveyAssignment.survey_id).where(SurveyAssignment.user_id == user_id)
            )
        )
    found = [info for info in surveys.list_surveys(db) if info.id in ids]
    return sorted(found, key=lambda info: (info.title.lower(), info.slug))


def assignment_choices(db: Database, account: StaffAccount) -> list[SurveyInfo]:
    """What an account could be given to work on and has not been: every survey and series
    for an analyst, every series for a facilitator, nothing for other roles."""
    if account.role not in ASSIGNABLE_ROLES:
        return []
    taken = {info.id for info in assignments(db, account.id)}
    found = [
        info
        for info in surveys.list_surveys(db)
        if info.id not in taken and (account.role == "analyst" or info.access == "sessions")
    ]
    return sorted(found, key=lambda info: (info.title.lower(), info.slug))


def is_assigned(db: Database, user_id: str, survey_id: str) -> bool:
    with db.session() as session:
        return session.get(SurveyAssignment, (user_id, survey_id)) is not None


def may_work_on(db: Database, account: StaffAccount, survey: SurveyInfo) -> bool:
    """Admins work on every survey; analysts on the surveys they are assigned to, and
    facilitators on the series (surveys run in sessions) they are assigned to."""
    if account.is_admin:
        return True
    role_fits = account.role == "analyst" or (
        account.role == "facilitator" and survey.access == "sessions"
    )
    return role_fits and is_assigned(db, account.id, survey.id)


def surveys_for(db: Database, account: StaffAccount) -> list[SurveyRow]:
    """The surveys someone may work on, each with its overall response count only."""
    visible = [info for info in surveys.list_surveys(db) if may_work_on(db, account, info)]
    return [SurveyRow(info, surveys.response_count(db, info.id)) for info in visible]


def create_survey_as(
    db: Database,
    account: StaffAccount,
    questionnaire: Questionnaire,
    *,
    title: str,
    access: str,
    min_group: int,
    key_label: str,
    passphrase: str,
    log2_n: int,
) -> SurveyInfo:
    """Create a draft survey for a member of staff; an analyst is assigned to it."""
    info = surveys.create_survey(
        db,
        questionnaire,
        title=title,
        access=access,
        min_group=min_group,
        key_label=key_label,
        passphrase=passphrase,
        log2_n=log2_n,
    )
    if account.role == "analyst":
        with db.transaction() as session:
            session.add(SurveyAssignment(user_id=account.id, survey_id=info.id))
    audit.record(db, account.email, "survey_created", info.slug, detail=survey_detail(info))
    return info


def survey_detail(info: SurveyInfo) -> str:
    return (
        f"{info.questionnaire_id} {info.questionnaire_version}, {info.access} access, "
        f"minimum group {info.min_group}"
    )


# --- signing in -------------------------------------------------------------------------------


def sign_in(db: Database, hasher: PasswordHasher, email: str, password: str) -> StaffAccount | None:
    """Check an email address and password. Every failure is audited: with the account's
    address when there is such an account, and with no actor when there is not — what was
    typed is never recorded (people type passwords into the email field).

    Accounts without a second factor are signed in here; the others still need a code.
    """
    address = normalise_email(email)[: audit.ACTOR_MAX]
    with db.session() as session:
        row = session.scalar(select(StaffUser).where(StaffUser.email == address))
    if row is None:
        _dummy_verify(hasher, password)
        audit.record(db, None, "login_failed", detail="unknown email address")
        return None
    stored = row.password_hash
    if not _verify(hasher, stored, password):
        audit.record(db, address, "login_failed", detail="wrong password")
        return None
    if not row.active:
        audit.record(db, address, "login_failed", detail="account deactivated")
        return None
    if hasher.check_needs_rehash(stored):
        with db.transaction() as session:
            session.execute(
                update(StaffUser)
                .where(StaffUser.id == row.id)
                .values(password_hash=hasher.hash(password))
            )
    account = _account(row)
    if not account.needs_two_factor:
        audit.record(db, account.email, "login", detail="password")
    return account


def refuse_sign_in(hasher: PasswordHasher, password: str) -> None:
    """Refuse a sign-in form that was not filled in properly (no email address or password,
    or one too long) only after the work of one password check, as ``sign_in`` spends on
    every attempt: a refusal costs the sender no less, whatever was typed."""
    _dummy_verify(hasher, password[:MAX_PASSWORD_LENGTH])


def start_enrolment(db: Database, keyring: Keyring, user_id: str) -> Enrolment:
    """The authenticator secret to set up: a new one, or the one already shown and not yet
    confirmed (so reloading the page does not undo a scanned QR code)."""
    with db.transaction() as session:
        row = _active_row(session, user_id)
        if row.totp_enabled:
            raise AccountError("Two-factor authentication is already set up for this account")
        secret = _open_totp(keyring, row)[0] if row.totp_secret is not None else None
        if secret is None:
            secret = pyotp.random_base32()
            row.totp_secret = _seal_totp(keyring, row.id, secret, None)
        uri = pyotp.TOTP(secret, interval=TOTP_INTERVAL).provisioning_uri(
            name=row.email, issuer_name=TOTP_ISSUER
        )
    return Enrolment(secret=secret, uri=uri)


def confirm_enrolment(
    db: Database, keyring: Keyring, user_id: str, code: str, now: dt.datetime | None = None
) -> StaffAccount | None:
    """Turn on two-factor sign-in once a code from the new authenticator matches; this also
    completes the sign-in. None if the code does not match."""
    account = _use_code(db, keyring, user_id, code, now, enrolling=True)
    if account is not None:
        audit.record(db, account.email, "totp_enrolled")
        audit.record(db, account.email, "login", detail="password and new two-factor code")
    return account


def check_second_factor(
    db: Database, keyring: Keyring, user_id: str, code: str, now: dt.datetime | None = None
) -> StaffAccount | None:
    """Complete a sign-in with a code from the account's authenticator, used once only."""
    account = _use_code(db, keyring, user_id, code, now, enrolling=False)
    if account is not None:
        audit.record(db, account.email, "login", detail="password and two-factor code")
    return account


def record_logout(db: Database, account: StaffAccount) -> None:
    audit.record(db, account.email, "logout")


def _use_code(
    db: Database,
    keyring: Keyring,
    user_id: str,
    code: str,
    now: dt.datetime | None,
    *,
    enrolling: bool,
) -> StaffAccount | None:
    code = re.sub(r"[\s-]", "", code)
    with db.session() as session:
        row = _active_row(session, user_id)
        sealed = row.totp_secret
        email = row.email
    if sealed is None or row.totp_enabled == enrolling:
        raise AccountError("Your two-factor authentication was changed while you were signing in")
    secret, last_step = _open_totp(keyring, row)
    step = _matching_step(secret, code, now or dt.datetime.now(dt.UTC))
    if step is None or (last_step is not None and step <= last_step):
        audit.record(db, email, "login_failed", detail="wrong or reused two-factor code")
        return None
    # Compare-and-swap on the sealed value: of two requests with the same code, one wins.
    with db.transaction() as session:
        result = session.execute(
            update(StaffUser)
            .where(StaffUser.id == user_id, StaffUser.totp_secret == sealed)
            .values(totp_secret=_seal_totp(keyring, user_id, secret, step), totp_enabled=True)
        )
        if getattr(result, "rowcount", 0) != 1:
            return None
        updated = session.get(StaffUser, user_id)
        assert updated is not None
        return _account(updated)


def _active_row(session: Session, user_id: str) -> StaffUser:
    row = session.get(StaffUser, user_id)
    if row is None or not row.active:
        raise NotFoundError("There is no active staff account with that id")
    return row


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step (30 s) whose code matches, one step either side of now allowed."""
    if not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_INTERVAL)
    current = totp.timecode(now)
    for step in range(current - TOTP_VALID_WINDOW, current + TOTP_VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _totp_aad(user_id: str) -> bytes:
    return b"candour/totp/" + user_id.encode("ascii")


def _seal_totp(keyring: Keyring, user_id: str, secret: str, last_step: int | None) -> bytes:
    # The secret and the last step used are sealed together: the schema has no column for the
    # step yet, and keeping them in one value makes using a code an atomic compare-and-swap.
    plain = json.dumps({"secret": secret, "last_step": last_step}).encode("utf-8")
    return keyring.encrypt(plain, aad=_totp_aad(user_id))


def _open_totp(keyring: Keyring, row: StaffUser) -> tuple[str, int | None]:
    assert row.totp_secret is not None
    try:
        data = json.loads(keyring.decrypt(row.totp_secret, aad=_totp_aad(row.id)))
    except DecryptError:
        raise AccountError(
            "This account's two-factor secret cannot be read. Ask an admin to reset it"
        ) from None
    return str(data["secret"]), data.get("last_step")
