"""The parts of services/accounts.py that need no database: hashing, checks on what is typed,
the TOTP window and the sealed TOTP secret."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from argon2 import Type

from survey_app.crypto import DecryptError, Keyring, generate_key_spec
from survey_app.services import accounts
from survey_app.services.accounts import AccountError, Enrolment, StaffAccount
from survey_app.storage.models import StaffUser

NOW = dt.datetime(2026, 5, 4, 10, 0, 15, tzinfo=dt.UTC)
SECRET = pyotp.random_base32()


def test_hasher_is_argon2id_with_the_given_costs() -> None:
    hasher = accounts.password_hasher(1, 64)
    assert hasher.type is Type.ID
    assert (hasher.time_cost, hasher.memory_cost) == (1, 64)
    assert hasher.hash("a long enough password").startswith("$argon2id$v=19$m=64,t=1,p=4$")
    assert accounts.password_hasher(1, 64) is hasher  # built once per setting


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("  Someone@Example.ORG ", "someone@example.org"), ("a.b+c@x.co.uk", "a.b+c@x.co.uk")],
)
def test_email_addresses_are_trimmed_and_lower_cased(typed: str, expected: str) -> None:
    assert accounts.validate_email(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "someone",
        "a@b",
        "a b@example.org",
        "@example.org",
        "a\x1b[2J@example.org",  # a terminal escape, for whoever reads the audit log
        "a\x7f@example.org",
        "adm\u202ein@example.org",  # right-to-left override: shows as another address
        "a\u200b@example.org",  # zero-width space: two accounts that look the same
    ],
)
def test_odd_email_addresses_are_refused(typed: str) -> None:
    with pytest.raises(AccountError, match="Enter an email address in the correct format"):
        accounts.validate_email(typed)


def test_password_length() -> None:
    assert accounts.validate_password("x" * 12) == "x" * 12
    for password in ("x" * 11, "x" * 1025):
        with pytest.raises(AccountError):
            accounts.validate_password(password)


def test_roles_needing_a_second_factor() -> None:
    def account(role: str) -> StaffAccount:
        return StaffAccount("id", "e@x.org", role, True, False, dt.date(2026, 1, 1))

    assert [r for r in accounts.ROLES if account(r).needs_two_factor] == ["admin", "analyst"]
    assert [r for r in accounts.ROLES if account(r).is_admin] == ["admin"]


def test_secret_is_shown_in_groups_of_four() -> None:
    enrolment = Enrolment(secret="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", uri="otpauth://totp/x")
    assert enrolment.grouped == "ABCD EFGH IJKL MNOP QRST UVWX YZ23 4567"


def test_codes_match_one_step_either_side_only() -> None:
    totp = pyotp.TOTP(SECRET)
    current = totp.timecode(NOW)
    for offset in (-1, 0, 1):
        code = totp.at(NOW + dt.timedelta(seconds=30 * offset))
        assert accounts._matching_step(SECRET, code, NOW) == current + offset
    for offset in (-2, 2):
        code = totp.at(NOW + dt.timedelta(seconds=30 * offset))
        if code not in {totp.at(NOW + dt.timedelta(seconds=30 * o)) for o in (-1, 0, 1)}:
            assert accounts._matching_step(SECRET, code, NOW) is None
    for typed in ("", "12345", "1234567", "abcdef", "１２３４５６"):
        assert accounts._matching_step(SECRET, typed, NOW) is None


def test_sealed_secret_opens_only_for_its_account() -> None:
    keyring = Keyring.parse(generate_key_spec("k1"))
    sealed = accounts._seal_totp(keyring, "user-1", SECRET, 1234)
    assert SECRET.encode() not in sealed
    row = StaffUser(id="user-1", totp_secret=sealed)
    assert accounts._open_totp(keyring, row) == (SECRET, 1234)
    moved = StaffUser(id="user-2", totp_secret=sealed)
    with pytest.raises(AccountError, match="cannot be read"):
        accounts._open_totp(keyring, moved)
    other = Keyring.parse(generate_key_spec("k1"))
    with pytest.raises(DecryptError):
        other.decrypt(sealed, aad=b"candour/totp/user-1")


def staff_row(**changes: object) -> StaffUser:
    values: dict[str, object] = {
        "id": "user-1",
        "email": "e@x.org",
        "role": "analyst",
        "password_hash": "$argon2id$v=19$m=64,t=1,p=4$c2FsdA$aGFzaA",
        "totp_secret": b"sealed once",
        "totp_enabled": True,
        "active": True,
        "must_change_password": False,
        "created_on": dt.date(2026, 1, 1),
    }
    return StaffUser(**{**values, **changes})


@pytest.mark.parametrize(
    "change",
    [
        {"id": "user-2"},
        {"role": "admin"},
        {"password_hash": "$argon2id$v=19$m=64,t=1,p=4$c2FsdA$b3RoZXI"},
        {"totp_enabled": False},
        {"active": False},
        {"must_change_password": True},
    ],
)
def test_any_credentials_change_changes_the_digest(change: dict[str, object]) -> None:
    digest = accounts.credentials_digest(staff_row())
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert accounts.credentials_digest(staff_row(**change)) != digest


def test_the_digest_ignores_the_sealed_totp_secret_and_the_email() -> None:
    """The sealed secret is re-sealed at every code used; that is not a credentials change."""
    digest = accounts.credentials_digest(staff_row())
    assert accounts.credentials_digest(staff_row(totp_secret=b"sealed again")) == digest
    assert accounts.credentials_digest(staff_row(totp_secret=None)) == digest


def test_temporary_passwords_are_long_random_and_easy_to_read() -> None:
    made = {accounts.temporary_password() for _ in range(200)}
    assert len(made) == 200
    for password in made:
        groups = password.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert set("".join(groups)) <= set(accounts.TEMPORARY_ALPHABET)
        assert accounts.validate_password(password) == password  # long enough to be accepted
    assert not set("01ilo") & set(accounts.TEMPORARY_ALPHABET)  # nothing easily misread
    assert len(accounts.TEMPORARY_ALPHABET) ** 16 >= 2**78
