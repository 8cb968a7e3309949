"""Fair sign-in limits: a flood from one place, or of guesses at one account, does not lock
real staff out. Counts are per client address (an HMAC of it), per account and per known
device; every refused form costs the same password-hashing work. (The same promises across
two gunicorn workers sharing Redis: ``test_shared_limits.py``.)"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from survey_app.web.staff import devices, throttling
from tests.helpers.pages import check_page
from tests.integration.staff.support import (
    CODE,
    ENROL,
    HOME,
    LOGIN,
    Staff,
    account_id,
    make_user,
    post_form,
    read_secret,
    sign_in,
    submit_password,
)

DEVICE_PATH = "/staff/"


def browser(app: Flask, address: str = "192.0.2.10") -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def attempt(client: FlaskClient, email: str, password: str = "wrong password") -> int:
    token = check_page(client.get(LOGIN)).csrf_token()
    response = client.post(LOGIN, data={"email": email, "password": password, "csrf_token": token})
    return response.status_code


def exhaust(app: Flask, email: str) -> None:
    """Someone else uses up the account's count, each guess from a different address."""
    statuses = [attempt(browser(app, f"203.0.113.{i}"), email) for i in range(1, 7)]
    assert statuses[-1] == 429


def laptop_of(app: Flask, staff: Staff) -> FlaskClient:
    """The owner's usual browser: it has signed in before, and signed out since."""
    laptop = browser(app, "192.0.2.44")
    sign_in(laptop, staff)
    assert laptop.get_cookie(devices.COOKIE, path=DEVICE_PATH) is not None
    with laptop.session_transaction() as session:
        session.clear()  # signed out; the known-device note stays
    return laptop


def test_a_flood_of_empty_passwords_from_one_address_stops_only_that_address(
    app: Flask,
) -> None:
    app.config["SURVEY_LOGIN_LIMIT_PER_ADDRESS"] = "10 per minute"
    staff = make_user(app, "viewer")
    laptop = laptop_of(app, staff)
    flood = browser(app, "198.51.100.66")
    statuses = [attempt(flood, f"random{i}@example.net", "") for i in range(14)]
    assert statuses == [200] * 10 + [429] * 4
    # Somewhere else, a real user signs in on a browser they have never used before...
    assert attempt(browser(app, "192.0.2.80"), staff.email, staff.password) == 303
    # ...and so does one on their usual device behind the flooding address (an office NAT).
    laptop.environ_base["REMOTE_ADDR"] = "198.51.100.66"
    assert attempt(laptop, staff.email, staff.password) == 303
    # A browser there that has never signed in waits for the minute to pass.
    assert attempt(browser(app, "198.51.100.66"), staff.email, staff.password) == 429


def test_a_known_device_still_signs_in_when_the_account_is_under_attack(app: Flask) -> None:
    staff = make_user(app, "viewer")
    laptop = laptop_of(app, staff)
    exhaust(app, staff.email)
    # The right password from a browser that has not signed in before is not even tried.
    assert attempt(browser(app, "203.0.113.99"), staff.email, staff.password) == 429
    assert attempt(laptop, staff.email, staff.password) == 303
    assert laptop.get("/staff/releases").status_code == 200  # signed in


def test_a_known_device_has_a_limit_of_its_own(app: Flask) -> None:
    staff = make_user(app, "viewer")
    laptop = laptop_of(app, staff)
    assert [attempt(laptop, staff.email) for _ in range(5)] == [200] * 5
    assert attempt(laptop, staff.email, staff.password) == 429
    # Its count is its own: a new browser can still try.
    assert attempt(browser(app, "192.0.2.81"), staff.email, staff.password) == 303


def test_a_known_device_of_one_account_is_a_stranger_to_another(app: Flask) -> None:
    first, second = make_user(app, "viewer"), make_user(app, "facilitator")
    laptop = laptop_of(app, first)
    exhaust(app, second.email)
    assert attempt(laptop, second.email, second.password) == 429
    assert attempt(laptop, first.email, first.password) == 303


def test_the_note_is_set_only_when_signing_in_has_finished(app: Flask) -> None:
    staff = make_user(app, "admin")
    client = browser(app)
    assert submit_password(client, staff.email, staff.password).headers["Location"] == ENROL
    assert client.get_cookie(devices.COOKIE, path=DEVICE_PATH) is None
    page = check_page(client.get(ENROL))
    staff.secret = read_secret(page)
    response = post_form(client, ENROL, {"code": staff.code()})
    assert response.status_code == 303
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("candour_device=")]
    assert len(headers) == 1
    attributes = {part.strip().split("=")[0].lower() for part in headers[0].split(";")}
    assert {"httponly", "path", "max-age", "samesite"} <= attributes
    assert "Path=/staff/" in headers[0] and "SameSite=Strict" in headers[0]
    assert f"Max-Age={90 * 86400}" in headers[0]
    assert "secure" not in attributes  # tests run without TLS


def test_the_note_is_secure_where_the_session_cookie_is(app: Flask) -> None:
    app.config["SESSION_COOKIE_SECURE"] = True
    staff = make_user(app, "viewer")
    client = app.test_client()
    https = {"base_url": "https://localhost"}
    token = check_page(client.get(LOGIN, **https)).csrf_token()
    response = client.post(
        LOGIN,
        data={"email": staff.email, "password": staff.password, "csrf_token": token},
        headers={"Referer": "https://localhost/staff/login"},
        **https,
    )
    assert response.status_code == 303
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if "candour_device=" in h]
    assert "Secure" in header and "HttpOnly" in header


def note(secret_key: str, account: str, device: str = "a-device-id") -> str:
    """A note for ``account`` signed with ``secret_key``, made the way the app makes them."""
    serializer = URLSafeTimedSerializer(
        secret_key, salt="candour.known-device", signer_kwargs={"digest_method": hashlib.sha256}
    )
    return serializer.dumps([[account, device, int(time.time())]])


def test_an_altered_or_foreign_note_counts_for_nothing(app: Flask) -> None:
    staff = make_user(app, "viewer")
    laptop = laptop_of(app, staff)
    exhaust(app, staff.email)
    real = laptop.get_cookie(devices.COOKIE, path=DEVICE_PATH)
    assert real is not None
    body, signature = real.value.rsplit(".", 1)
    flipped = "A" if signature[0] != "A" else "B"
    altered = browser(app, "192.0.2.45")
    altered.set_cookie(devices.COOKIE, f"{body}.{flipped}{signature[1:]}", path=DEVICE_PATH)
    assert attempt(altered, staff.email, staff.password) == 429
    # Signed with another key (another deployment's, or a forger's guess): nothing.
    forged = browser(app, "192.0.2.46")
    user_id = account_id(app, staff.email)
    forged.set_cookie(devices.COOKIE, note("x" * 40, user_id), path=DEVICE_PATH)
    assert attempt(forged, staff.email, staff.password) == 429
    # Control: the same note signed with the app's key is a known device.
    made = browser(app, "192.0.2.47")
    made.set_cookie(devices.COOKIE, note(app.config["SECRET_KEY"], user_id), path=DEVICE_PATH)
    assert attempt(made, staff.email, staff.password) == 303


def test_a_note_lapses_after_the_configured_days(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = make_user(app, "viewer")
    laptop = laptop_of(app, staff)
    later = time.time() + 91 * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    exhaust(app, staff.email)
    assert attempt(laptop, staff.email, staff.password) == 429


def test_a_known_device_gets_past_guessed_codes(app: Flask) -> None:
    """Someone who has the password (not the authenticator) guesses codes until the account's
    code count runs out; the owner's usual browser still finishes signing in."""
    staff = make_user(app, "admin")
    laptop = laptop_of(app, staff)
    thief = browser(app, "203.0.113.50")
    assert submit_password(thief, staff.email, staff.password).headers["Location"] == CODE
    token = check_page(thief.get(CODE)).csrf_token()
    guesses = [
        thief.post(CODE, data={"code": "000000", "csrf_token": token}).status_code for _ in range(6)
    ]
    assert guesses == [200] * 5 + [429]
    sign_in(laptop, staff)
    assert laptop.get(HOME).status_code == 200


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every argon2 password check made (the hash's parameters), in order."""
    made: list[str] = []
    original = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        made.append(f"t={self.time_cost},m={self.memory_cost}")
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    yield made


@pytest.mark.parametrize(
    "form",
    [
        {"email": "nobody@example.org", "password": ""},
        {"email": "", "password": "some password"},
        {"email": "", "password": ""},
        {"email": "x" * 300 + "@example.org", "password": "some password"},
        {"email": "viewer@example.org", "password": "y" * 2000},
        {"email": "nobody@example.org", "password": "some password"},
        {"email": "viewer@example.org", "password": "wrong password"},
    ],
    ids=[
        "no password",
        "no email",
        "nothing",
        "email too long",
        "password too long",
        "unknown email",
        "wrong password",
    ],
)
def test_every_refused_sign_in_costs_one_password_check(
    app: Flask, verifications: list[str], form: dict[str, str]
) -> None:
    make_user(app, "viewer")
    client = browser(app)
    token = check_page(client.get(LOGIN)).csrf_token()
    verifications.clear()
    response = client.post(LOGIN, data={**form, "csrf_token": token})
    page = check_page(response)
    assert page.error_messages()
    cost = f"t={app.config['SURVEY_ARGON2_TIME_COST']},m={app.config['SURVEY_ARGON2_MEMORY_COST']}"
    assert verifications == [cost]


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "expected"),
    [
        ("192.0.2.1", None, 0, "192.0.2.1"),
        # No proxy: whatever a sender writes in X-Forwarded-For is ignored.
        ("192.0.2.1", "198.51.100.9", 0, "192.0.2.1"),
        # One proxy: the address it added (the last one), not what the sender wrote before it.
        ("127.0.0.1", "6.6.6.6, 198.51.100.9", 1, "198.51.100.9"),
        ("127.0.0.1", "198.51.100.9", 1, "198.51.100.9"),
        ("127.0.0.1", "10.0.0.1, 198.51.100.9", 2, "10.0.0.1"),
        # A proxy that added nothing: the connection's own address.
        ("127.0.0.1", None, 1, "127.0.0.1"),
        # An IPv6 sender counts as their /64; an IPv4 address written as IPv6 as itself.
        ("127.0.0.1", "2001:db8:1:2:aaaa::1", 1, "2001:db8:1:2::/64"),
        ("127.0.0.1", "2001:db8:1:2:ffff::9", 1, "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", None, 0, "192.0.2.7"),
    ],
)
def test_the_address_counted(
    app: Flask, remote: str, forwarded: str | None, proxies: int, expected: str
) -> None:
    app.config["SURVEY_PROXY_COUNT"] = proxies
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with app.test_request_context(
        LOGIN, method="POST", headers=headers, environ_base={"REMOTE_ADDR": remote}
    ):
        assert throttling.client_address() == expected


def test_a_forged_forwarded_header_does_not_escape_the_address_limit(app: Flask) -> None:
    app.config["SURVEY_LOGIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    client = browser(app, "198.51.100.70")
    statuses = []
    for i in range(5):
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{i}"
        statuses.append(attempt(client, f"person{i}@example.org"))
    assert statuses == [200] * 3 + [429] * 2


def test_the_cookies_page_lists_the_known_device_note(app: Flask) -> None:
    app.config["SURVEY_KNOWN_DEVICE_DAYS"] = 30
    staff = make_user(app, "viewer")
    client = browser(app)
    sent = sign_in(client, staff)
    names = {h.split("=", 1)[0] for h in sent.headers.getlist("Set-Cookie")}
    assert devices.COOKIE in names
    page = check_page(client.get("/cookies"))
    listed = [h.get_text(strip=True) for h in page.select("#cookie-list h2")]
    assert devices.COOKIE in listed
    assert "Lasts 30 days after you last signed in" in page.text()


def test_limit_settings(tmp_path: Path) -> None:
    from config import ConfigError, ProductionConfig, TestConfig
    from tests.integration.staff.test_settings import production_env

    production = ProductionConfig(production_env(tmp_path))
    assert production.SURVEY_PROXY_COUNT == 1  # its TLS proxy
    assert production.RATELIMIT_STORAGE_URI == production.REDIS_URL
    with pytest.raises(ConfigError, match="REDIS_URL must be set"):
        ProductionConfig(production_env(tmp_path, REDIS_URL=""))
    local = TestConfig({"SURVEY_INSTANCE_DIR": str(tmp_path)})
    assert (local.SURVEY_PROXY_COUNT, local.SURVEY_KNOWN_DEVICE_DAYS) == (0, 90)
    changed = TestConfig(
        {
            "SURVEY_LOGIN_LIMIT_PER_ADDRESS": "30 per minute;200 per hour",
            "SURVEY_LOGIN_LIMIT_PER_ACCOUNT": "3 per minute",
            "SURVEY_PROXY_COUNT": "2",
            "SURVEY_KNOWN_DEVICE_DAYS": "30",
        }
    )
    assert changed.SURVEY_LOGIN_LIMIT_PER_ADDRESS == "30 per minute;200 per hour"
    assert changed.SURVEY_LOGIN_LIMIT_PER_ACCOUNT == "3 per minute"
    assert (changed.SURVEY_PROXY_COUNT, changed.SURVEY_KNOWN_DEVICE_DAYS) == (2, 30)
    for name, value in [
        ("SURVEY_LOGIN_LIMIT_PER_ADDRESS", "lots"),
        ("SURVEY_LOGIN_LIMIT_PER_ACCOUNT", ""),
        ("SURVEY_PROXY_COUNT", "-1"),
        ("SURVEY_PROXY_COUNT", "one"),
        ("SURVEY_KNOWN_DEVICE_DAYS", "0"),
    ]:
        with pytest.raises(ConfigError, match=name):
            TestConfig({name: value})


def signed(secret_key: str, payload: object) -> str:
    serializer = URLSafeTimedSerializer(
        secret_key, salt="candour.known-device", signer_kwargs={"digest_method": hashlib.sha256}
    )
    return serializer.dumps(payload)


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "not a note",
        "a.b.c",
        "x" * 3000,
        {"account": "x"},
        [[1, 2, 3]],
        [["id", "device", "yesterday"]],
        [["id", "device"]],
        [["", "", 0]],
        "a list of entries",
    ],
)
def test_a_strange_note_is_ignored(app: Flask, payload: object) -> None:
    staff = make_user(app, "viewer")
    value = payload if isinstance(payload, str) else signed(app.config["SECRET_KEY"], payload)
    client = browser(app)
    client.set_cookie(devices.COOKIE, value, path=DEVICE_PATH)
    assert attempt(client, staff.email) == 200
    assert attempt(client, staff.email, staff.password) == 303
