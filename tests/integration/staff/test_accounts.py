"""Staff accounts in the database: argon2id hashes, rehashing, sign-in checks, assignments and
the encrypted TOTP secret (services/accounts.py on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Literal

import pyotp
import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import select

from survey_app.extensions import get_db, get_keyring
from survey_app.services import accounts
from survey_app.services.accounts import AccountError
from survey_app.services.errors import NotFoundError
from survey_app.storage.models import StaffUser
from tests.helpers.journey import create_survey
from tests.integration.staff.support import PASSWORD, events, hasher, make_user


def stored_hash(app: Flask, email: str) -> str:
    with app.app_context(), get_db().session() as session:
        row = session.scalar(select(StaffUser).where(StaffUser.email == email))
        assert row is not None
        return row.password_hash


def test_password_is_stored_as_an_argon2id_hash(app: Flask) -> None:
    make_user(app, "viewer", "Viewer@Example.org")
    stored = stored_hash(app, "viewer@example.org")
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)


def test_hash_uses_the_configured_costs(app: Flask) -> None:
    make_user(app, "viewer")
    params = stored_hash(app, "viewer@example.org").split("$")[3]
    assert params == (
        f"m={app.config['SURVEY_ARGON2_MEMORY_COST']},t={app.config['SURVEY_ARGON2_TIME_COST']},p=4"
    )


def test_hash_is_renewed_when_the_costs_change(app: Flask) -> None:
    make_user(app, "viewer")
    before = stored_hash(app, "viewer@example.org")
    stronger = accounts.password_hasher(2, 128)
    with app.app_context():
        account = accounts.sign_in(get_db(), stronger, "viewer@example.org", PASSWORD)
    assert account is not None
    after = stored_hash(app, "viewer@example.org")
    assert after != before
    assert "m=128,t=2,p=4" in after
    assert not stronger.check_needs_rehash(after)
    with app.app_context():  # and the old costs still verify the new hash
        assert accounts.sign_in(get_db(), hasher(app), "viewer@example.org", PASSWORD)


def test_hash_is_kept_when_the_costs_are_unchanged(app: Flask) -> None:
    make_user(app, "viewer")
    before = stored_hash(app, "viewer@example.org")
    with app.app_context():
        assert accounts.sign_in(get_db(), hasher(app), "viewer@example.org", PASSWORD)
    assert stored_hash(app, "viewer@example.org") == before


@pytest.mark.parametrize(
    ("email", "role", "password", "message"),
    [
        ("not-an-email", "admin", PASSWORD, "Enter an email address in the correct format"),
        ("a@example.org", "owner", PASSWORD, "Choose a role from"),
        ("a@example.org", "admin", "eleven char", "at least 12 characters"),
    ],
)
def test_bad_account_details_are_refused(
    app: Flask, email: str, role: str, password: str, message: str
) -> None:
    with app.app_context(), pytest.raises(AccountError, match=message):
        accounts.create_user(
            get_db(), hasher(app), email=email, role=role, password=password, actor="test"
        )
    assert events(app, "user_created") == []


def test_an_email_address_has_one_account_whatever_its_case(app: Flask) -> None:
    make_user(app, "viewer", "someone@example.org")
    with app.app_context(), pytest.raises(AccountError, match="already a staff account"):
        accounts.create_user(
            get_db(),
            hasher(app),
            email=" SomeOne@Example.ORG ",
            role="admin",
            password=PASSWORD,
            actor="test",
        )


class CountingHasher(PasswordHasher):
    """Counts hash checks, to show an unknown address costs one too."""

    checks = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        type(self).checks += 1
        return super().verify(hash, password)


def test_unknown_email_still_costs_a_hash_check(app: Flask) -> None:
    counting = CountingHasher(time_cost=1, memory_cost=64)
    CountingHasher.checks = 0
    with app.app_context():
        assert accounts.sign_in(get_db(), counting, "nobody@example.org", PASSWORD) is None
    assert CountingHasher.checks == 1
    [failed] = events(app, "login_failed")
    # What was typed is never recorded: people type passwords into the email field.
    assert failed.actor is None
    assert failed.detail == "unknown email address"


def test_wrong_password_and_deactivated_account_are_refused_and_audited(app: Flask) -> None:
    make_user(app, "viewer")
    with app.app_context():
        db = get_db()
        assert accounts.sign_in(db, hasher(app), "viewer@example.org", PASSWORD + "x") is None
        accounts.deactivate(db, email="viewer@example.org", actor="test")
        assert accounts.sign_in(db, hasher(app), "viewer@example.org", PASSWORD) is None
    details = [e.detail for e in events(app, "login_failed")]
    assert details == ["account deactivated", "wrong password"]
    assert events(app, "login") == []


def test_password_only_roles_are_signed_in_at_once(app: Flask) -> None:
    make_user(app, "facilitator")
    make_user(app, "analyst")
    with app.app_context():
        facilitator = accounts.sign_in(get_db(), hasher(app), "facilitator@example.org", PASSWORD)
        analyst = accounts.sign_in(get_db(), hasher(app), "analyst@example.org", PASSWORD)
    assert facilitator is not None and not facilitator.needs_two_factor
    assert analyst is not None and analyst.needs_two_factor
    # Only the facilitator's sign-in is complete; the analyst still needs a code.
    assert [e.actor for e in events(app, "login")] == ["facilitator@example.org"]


def test_totp_secret_is_stored_encrypted_and_bound_to_its_account(app: Flask) -> None:
    make_user(app, "admin")
    with app.app_context():
        account = accounts.find_account(get_db(), "admin@example.org")
        assert account is not None
        enrolment = accounts.start_enrolment(get_db(), get_keyring(), account.id)
        with get_db().session() as session:
            row = session.get(StaffUser, account.id)
            assert row is not None and row.totp_secret is not None
            sealed = row.totp_secret
        opened = json.loads(
            get_keyring().decrypt(sealed, aad=b"candour/totp/" + account.id.encode())
        )
        with pytest.raises(Exception, match="could not be decrypted"):
            get_keyring().decrypt(sealed, aad=b"candour/totp/someone-else")
    assert enrolment.secret.encode() not in sealed
    assert opened["secret"] == enrolment.secret
    assert enrolment.uri.startswith("otpauth://totp/Candour:admin%40example.org?secret=")
    assert "issuer=Candour" in enrolment.uri


def test_reloading_the_enrolment_page_keeps_the_same_secret(app: Flask) -> None:
    make_user(app, "analyst")
    with app.app_context():
        account = accounts.find_account(get_db(), "analyst@example.org")
        assert account is not None
        first = accounts.start_enrolment(get_db(), get_keyring(), account.id)
        second = accounts.start_enrolment(get_db(), get_keyring(), account.id)
    assert first.secret == second.secret
    assert len(first.secret) == 32  # 160 bits


def test_a_code_is_accepted_once_and_never_an_older_one(app: Flask) -> None:
    make_user(app, "admin")
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        db, keyring = get_db(), get_keyring()
        account = accounts.find_account(db, "admin@example.org")
        assert account is not None
        totp = pyotp.TOTP(accounts.start_enrolment(db, keyring, account.id).secret)
        wrong = f"{(int(totp.at(now)) + 1) % 1_000_000:06d}"
        assert accounts.confirm_enrolment(db, keyring, account.id, wrong, now) is None
        assert accounts.confirm_enrolment(db, keyring, account.id, totp.at(now), now)
        later = now + dt.timedelta(seconds=30)
        assert accounts.check_second_factor(db, keyring, account.id, totp.at(now), later) is None
        assert accounts.check_second_factor(db, keyring, account.id, totp.at(later), later)
        assert accounts.check_second_factor(db, keyring, account.id, totp.at(later), later) is None
        # Two steps ahead of the clock is outside the window.
        ahead = later + dt.timedelta(seconds=60)
        assert accounts.check_second_factor(db, keyring, account.id, totp.at(ahead), later) is None
    assert len(events(app, "totp_enrolled")) == 1
    assert len(events(app, "login")) == 2  # enrolment, then the later code
    assert len(events(app, "login_failed")) == 4  # wrong, older, reused, too far ahead


def test_assignments(app: Flask) -> None:
    create_survey(app, "reflective-space-feedback", slug="one")
    create_survey(app, "reflective-space-feedback", slug="two")
    make_user(app, "analyst")
    make_user(app, "viewer")
    with app.app_context():
        db = get_db()
        assert accounts.assign(db, email="Analyst@example.org", slug="one", actor="test")
        assert not accounts.assign(db, email="analyst@example.org", slug="one", actor="test")
        with pytest.raises(AccountError, match="Only analysts and facilitators"):
            accounts.assign(db, email="viewer@example.org", slug="one", actor="test")
        with pytest.raises(NotFoundError):
            accounts.assign(db, email="analyst@example.org", slug="three", actor="test")
        with pytest.raises(NotFoundError):
            accounts.assign(db, email="nobody@example.org", slug="one", actor="test")
        analyst = accounts.find_account(db, "analyst@example.org")
        assert analyst is not None
        assert [row.info.slug for row in accounts.surveys_for(db, analyst)] == ["one"]
        listing = {row.account.email: row.surveys for row in accounts.list_users(db)}
        assert listing == {"analyst@example.org": ("one",), "viewer@example.org": ()}
        assert accounts.unassign(db, email="analyst@example.org", slug="one", actor="test")
        assert not accounts.unassign(db, email="analyst@example.org", slug="one", actor="test")
        assert accounts.surveys_for(db, analyst) == []
    assert [(e.action, e.survey_slug, e.detail) for e in events(app) if "assign" in e.action] == [
        ("user_unassigned", "one", "analyst@example.org"),
        ("user_assigned", "one", "analyst@example.org"),
    ]
