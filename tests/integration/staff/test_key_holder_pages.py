"""A survey's key holders from the browser (once ``flask keys add-slot`` and ``remove-slot``):
list the slots, add one with an existing passphrase, remove one with the passphrase of a holder
who stays, never the last. Wrong passphrases are refused (400), audited and limited with the
analysis pages' passphrase limit; every change is audited like the command line's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from survey_app.extensions import get_db
from survey_app.services import accounts, keys, retention, surveys
from survey_app.services.errors import KeySlotError
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.helpers.pages import check_page
from tests.integration.services.test_sessions import make_series
from tests.integration.staff.support import (
    CHANGE_PASSWORD,
    LOGIN,
    Staff,
    events,
    form_token,
    signed_in,
)

SLUG = "feedback"
KEYS = f"/staff/surveys/{SLUG}/keys"
ADD = f"{KEYS}/add"
REMOVE = f"{KEYS}/remove"
DEPUTY = "a different deputy passphrase"
WRONG = "That passphrase does not open any key slot of this survey"
GOOD: dict[str, str] = {
    "passphrase": PASSPHRASE,
    "label": "Deputy lead",
    "new_passphrase": DEPUTY,
    "new_passphrase_confirm": DEPUTY,
}


@pytest.fixture
def admin(app: Flask) -> tuple[FlaskClient, Staff]:
    create_survey(app, "reflective-space-feedback", slug=SLUG)
    return signed_in(app, "admin", "lead@example.org")


def post(client: FlaskClient, url: str, data: dict[str, Any], page_url: str | None = None) -> Any:
    """Open the page (``page_url``, else ``url``), then send its form with its CSRF token."""
    page = check_page(client.get(page_url or url))
    return client.post(url, data={**data, "csrf_token": form_token(page)})


def labels(app: Flask, slug: str = SLUG) -> list[str]:
    with app.app_context():
        return sorted(slot.label for slot in keys.list_slots(get_db(), slug))


def opens(app: Flask, passphrase: str) -> bool:
    with app.app_context():
        try:
            keys.unlock_survey(get_db(), SLUG, passphrase)
        except KeySlotError:
            return False
        return True


def add_deputy(client: FlaskClient) -> None:
    assert post(client, ADD, GOOD).status_code == 303


def test_the_survey_page_links_to_its_key_holders_and_no_shell(
    app: Flask, admin: tuple[FlaskClient, Staff]
) -> None:
    client, _me = admin
    page = check_page(client.get(f"/staff/surveys/{SLUG}"))
    assert "flask" not in page.text()
    assert page.one("#manage-key-holders a")["href"] == KEYS
    assert page.one("#manage-key-holders a").get_text(strip=True) == "Add a second key holder"
    page = check_page(client.get(KEYS))
    assert page.h1 == "Key holders"
    assert [th.get_text(strip=True) for th in page.select("#key-holders tbody th")] == [
        "Lead analyst"
    ]
    assert page.select("#key-holders a") == []  # the only key holder cannot be removed
    assert page.one("main a[role=button]")["href"] == ADD


def test_a_key_holder_adds_another(app: Flask, admin: tuple[FlaskClient, Staff]) -> None:
    client, me = admin
    page = check_page(client.get(ADD))
    assert page.h1 == "Add a key holder"
    assert {str(i["name"]) for i in page.select("main input[type=password]")} == {
        "passphrase",
        "new_passphrase",
        "new_passphrase_confirm",
    }
    response = post(client, ADD, GOOD)
    assert response.headers["Location"] == f"{KEYS}?done=added"
    page = check_page(client.get(response.headers["Location"]))
    assert "new key holder is added" in page.one(".cd-notification-banner").get_text()
    assert labels(app) == ["Deputy lead", "Lead analyst"]
    assert opens(app, DEPUTY) and opens(app, PASSPHRASE)
    [event] = events(app, "key_slot_added")
    assert (event.actor, event.survey_slug, event.detail) == (me.email, SLUG, "label Deputy lead")
    # No passphrase is kept anywhere: audit log, sessions, the slots themselves.
    with app.app_context(), get_db().engine.connect() as connection:
        for table in ("audit_events", "staff_sessions", "key_slots"):
            rows = repr(connection.execute(text(f"SELECT * FROM {table}")).all())
            assert DEPUTY not in rows and PASSPHRASE not in rows, table


def test_a_wrong_passphrase_adds_nothing(app: Flask, admin: tuple[FlaskClient, Staff]) -> None:
    client, me = admin
    page = check_page(post(client, ADD, {**GOOD, "passphrase": "not the passphrase"}), 400)
    assert page.error_messages() == [WRONG]
    assert page.one(".cd-error-summary a")["href"] == "#passphrase"
    assert page.one("#label")["value"] == "Deputy lead"
    assert page.select("main input[type=password][value]") == []  # never shown back
    assert labels(app) == ["Lead analyst"]
    [event] = events(app, "key_slot_added")
    assert (event.actor, event.detail) == (me.email, "refused: wrong passphrase")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"passphrase": ""}, "#passphrase", "Enter your passphrase"),
        ({"label": ""}, "#label", "Enter a label for the new key holder, like their role"),
        ({"label": "   "}, "#label", "Enter a label for the new key holder, like their role"),
        ({"label": "x" * 81}, "#label", "The key holder label must be 80 characters or fewer"),
        ({"label": "Lead analyst"}, "#label",
         "This survey already has a key slot labelled 'Lead analyst'"),
        ({"new_passphrase": "short", "new_passphrase_confirm": "short"}, "#new_passphrase",
         "Enter a passphrase of at least 12 characters"),
        ({"new_passphrase_confirm": "something else entirely"}, "#new_passphrase_confirm",
         "Enter the same passphrase twice"),
        ({"new_passphrase": PASSPHRASE, "new_passphrase_confirm": PASSPHRASE}, "#new_passphrase",
         "Enter a passphrase for the new key holder that differs from yours"),
    ],
)  # fmt: skip
def test_bad_input_shows_the_form_again(
    app: Flask, admin: tuple[FlaskClient, Staff], changes: dict[str, str], field: str, message: str
) -> None:
    client, _me = admin
    page = check_page(post(client, ADD, {**GOOD, **changes}))
    assert page.error_messages() == [message]
    assert page.one(".cd-error-summary a")["href"] == field
    assert labels(app) == ["Lead analyst"]
    assert events(app, "key_slot_added") == []


def test_removing_needs_the_passphrase_of_a_holder_who_stays(
    app: Flask, admin: tuple[FlaskClient, Staff]
) -> None:
    client, me = admin
    add_deputy(client)
    page = check_page(client.get(KEYS))
    removes = [str(a["href"]) for a in page.select("#key-holders a")]
    assert removes == [f"{REMOVE}?label=Deputy+lead", f"{REMOVE}?label=Lead+analyst"]
    confirm = removes[0]
    page = check_page(client.get(confirm))
    assert page.h1 == "Are you sure you want to remove Deputy lead?"
    assert page.one("main input[name=label]")["value"] == "Deputy lead"
    data = {"label": "Deputy lead"}
    # The deputy's own passphrase, then a wrong one: refused, audited, nothing removed.
    page = check_page(post(client, REMOVE, {**data, "passphrase": DEPUTY}, confirm), 400)
    assert page.error_messages() == [keys.REMOVED_HOLDERS_PASSPHRASE]
    page = check_page(post(client, REMOVE, {**data, "passphrase": "wrong guess"}, confirm), 400)
    assert page.error_messages() == [WRONG]
    assert page.one(".cd-error-summary a")["href"] == "#passphrase"
    page = check_page(post(client, REMOVE, {**data, "passphrase": ""}, confirm))
    assert page.error_messages() == ["Enter the passphrase of a key holder who is staying"]
    assert labels(app) == ["Deputy lead", "Lead analyst"]
    response = post(client, REMOVE, {**data, "passphrase": PASSPHRASE}, confirm)
    assert response.headers["Location"] == f"{KEYS}?done=removed"
    assert labels(app) == ["Lead analyst"]
    assert not opens(app, DEPUTY)
    assert [(e.actor, e.detail) for e in events(app, "key_slot_removed")] == [
        (me.email, "label Deputy lead"),
        (me.email, "refused: wrong passphrase"),
        (me.email, "refused: wrong passphrase"),
    ]


def test_the_last_key_holder_stays(app: Flask, admin: tuple[FlaskClient, Staff]) -> None:
    client, _me = admin
    confirm = f"{REMOVE}?label=Lead+analyst"
    page = check_page(client.get(confirm))
    assert page.h1 == "Lead analyst cannot be removed"
    assert page.select("main form[method=post]") == []
    assert "only key holder" in page.one("#last-slot").get_text()
    token = str(page.one("form.staff-nav__sign-out input[name=csrf_token]")["value"])
    response = client.post(
        REMOVE, data={"label": "Lead analyst", "passphrase": PASSPHRASE, "csrf_token": token}
    )
    page = check_page(response, 409)
    assert page.error_messages() == [keys.LAST_SLOT]
    assert page.one(".cd-error-summary a")["href"] == "#last-slot"
    assert labels(app) == ["Lead analyst"]
    assert events(app, "key_slot_removed") == []


def test_unknown_key_holders_and_surveys_are_not_found(
    app: Flask, admin: tuple[FlaskClient, Staff]
) -> None:
    client, _me = admin
    token = form_token(check_page(client.get(ADD)))
    assert client.get(f"{REMOVE}?label=Nobody").status_code == 404
    assert client.get(REMOVE).status_code == 404
    data = {"label": "Nobody", "passphrase": PASSPHRASE, "csrf_token": token}
    assert client.post(REMOVE, data=data).status_code == 404
    for url in ("/staff/surveys/nope/keys", "/staff/surveys/nope/keys/add"):
        assert client.get(url).status_code == 404
        assert client.post(url, data={**GOOD, "csrf_token": token}).status_code in (404, 405)


def test_wrong_passphrases_count_towards_the_shared_limit(
    app: Flask, admin: tuple[FlaskClient, Staff]
) -> None:
    client, _me = admin
    # Form mistakes are not guesses: they never count.
    for _ in range(6):
        assert post(client, ADD, {**GOOD, "label": ""}).status_code == 200
    add_deputy(client)
    confirm = f"{REMOVE}?label=Deputy+lead"
    statuses = []
    for attempt in range(6):
        if attempt % 2:
            response = post(client, ADD, {**GOOD, "label": "Third", "passphrase": "guess"})
        else:
            data = {"label": "Deputy lead", "passphrase": "guess"}
            response = post(client, REMOVE, data, confirm)
        statuses.append(response.status_code)
    assert statuses == [400] * 5 + [429]
    assert labels(app) == ["Deputy lead", "Lead analyst"]


def test_a_series_has_key_holder_pages_too(app: Flask) -> None:
    series = make_series(app)
    client, _me = signed_in(app, "admin")
    page = check_page(client.get(f"/staff/series/{series.slug}"))
    url = f"/staff/surveys/{series.slug}/keys"
    assert page.one("#series-key-holders a")["href"] == url
    page = check_page(client.get(url))
    assert page.one("a.cd-back-link")["href"] == f"/staff/series/{series.slug}"
    assert post(client, f"{url}/add", GOOD).status_code == 303
    assert labels(app, series.slug) == ["Deputy lead", "Programme lead"]


def test_a_deleted_survey_has_no_key_holders(app: Flask, admin: tuple[FlaskClient, Staff]) -> None:
    client, _me = admin
    with app.app_context():
        surveys.close_survey(get_db(), SLUG)
        retention.apply(get_db(), dt.date(2100, 1, 1), actor="test")
    page = check_page(client.get(KEYS))
    assert "were deleted on" in page.one("#keys-deleted").get_text()
    assert page.select("main a[role=button]") == []
    assert client.get(ADD).headers["Location"] == KEYS
    assert check_page(client.get(f"/staff/surveys/{SLUG}")).select("#manage-key-holders") == []


def test_assigned_analysts_hold_keys_and_others_may_not(app: Flask) -> None:
    create_survey(app, "reflective-space-feedback", slug=SLUG)
    analyst_client, analyst = signed_in(app, "analyst")
    assert analyst_client.get(KEYS).status_code == 403
    with app.app_context():
        accounts.assign(get_db(), email=analyst.email, slug=SLUG, actor="test")
    assert check_page(analyst_client.get(KEYS)).h1 == "Key holders"
    assert post(analyst_client, ADD, GOOD).status_code == 303
    [event] = events(app, "key_slot_added")
    assert event.actor == analyst.email
    for role in ("facilitator", "viewer"):
        client, _staff = signed_in(app, role)
        token = form_token(check_page(client.get(CHANGE_PASSWORD)))
        for url in (KEYS, ADD, f"{REMOVE}?label=Deputy+lead"):
            assert client.get(url).status_code == 403, (role, url)
        assert client.post(ADD, data={**GOOD, "csrf_token": token}).status_code == 403
        data = {"label": "Deputy lead", "passphrase": PASSPHRASE, "csrf_token": token}
        assert client.post(REMOVE, data=data).status_code == 403
    assert labels(app) == ["Deputy lead", "Lead analyst"]


def test_changes_need_a_csrf_token_and_a_signed_in_key_holder(
    app: Flask, admin: tuple[FlaskClient, Staff]
) -> None:
    client, _me = admin
    add_deputy(client)
    remove = {"label": "Deputy lead", "passphrase": PASSPHRASE}
    for url, data in ((ADD, {**GOOD, "label": "Third"}), (REMOVE, remove)):
        assert client.post(url, data=data).status_code == 400
        assert client.post(url, data={**data, "csrf_token": "x"}).status_code == 400
        assert app.test_client().get(url).headers["Location"].startswith(LOGIN)
    assert labels(app) == ["Deputy lead", "Lead analyst"]
