"""``flask users ...`` through Click's test runner, and the audit lines of the older commands
(surveys, keys, codes, responses), all with the actor ``cli``."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from survey_app.extensions import get_db, get_questionnaires
from survey_app.services import accounts
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.integration.staff.support import (
    CHANGE_PASSWORD,
    HOME,
    LOGIN,
    PASSWORD,
    events,
    make_user,
    session_rows,
    signed_in,
    submit_password,
)

EMAIL = "lead@example.org"


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def create(runner: FlaskCliRunner, email: str = EMAIL, role: str = "analyst") -> str:
    result = runner.invoke(
        args=["users", "create", "--email", email, "--role", role],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_create_prompts_twice_and_hashes(app: Flask, runner: FlaskCliRunner) -> None:
    output = create(runner, "Lead@Example.org", "admin")
    assert "Created admin account for lead@example.org." in output
    assert "authenticator app the first time they sign in" in output
    assert PASSWORD not in output
    with app.app_context():
        account = accounts.find_account(get_db(), EMAIL)
    assert account is not None and account.role == "admin" and account.active
    [created] = events(app, "user_created")
    assert (created.actor, created.detail) == ("cli", "lead@example.org as admin")
    assert submit_password(app.test_client(), EMAIL, PASSWORD).status_code == 303


def test_create_refuses_a_short_or_mismatched_password(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["users", "create", "--email", EMAIL, "--role", "viewer"],
        input="short one\nshort one\n",
    )
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    result = runner.invoke(
        args=["users", "create", "--email", EMAIL, "--role", "viewer"],
        input=f"{PASSWORD}\n{PASSWORD}x\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert "do not match" in result.output
    assert result.exit_code == 0  # asked again, then matched
    result = runner.invoke(
        args=["users", "create", "--email", EMAIL, "--role", "viewer"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 1
    assert "There is already a staff account for lead@example.org" in result.output


def test_create_refuses_an_unknown_role(runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["users", "create", "--email", EMAIL, "--role", "owner"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 2
    assert "'owner' is not one of" in result.output


def test_list(app: Flask, runner: FlaskCliRunner) -> None:
    assert "No staff accounts yet" in runner.invoke(args=["users", "list"]).output
    create(runner, "boss@example.org", "admin")
    create(runner)
    create_survey(app, "reflective-space-feedback", slug="feedback")
    runner.invoke(args=["users", "assign", "--email", EMAIL, "--survey", "feedback"])
    lines = runner.invoke(args=["users", "list"]).output.splitlines()
    assert lines[0].split() == ["email", "role", "2fa", "status", "surveys"]
    assert lines[1].split() == ["boss@example.org", "admin", "pending", "active", "all"]
    assert lines[2].split() == [EMAIL, "analyst", "pending", "active", "feedback"]


def test_assign_and_unassign(app: Flask, runner: FlaskCliRunner) -> None:
    create(runner)
    create_survey(app, "reflective-space-feedback", slug="feedback")
    args = ["--email", EMAIL, "--survey", "feedback"]
    result = runner.invoke(args=["users", "assign", *args])
    assert result.exit_code == 0
    assert f"{EMAIL} can now work on 'feedback'." in result.output
    assert "could already" in runner.invoke(args=["users", "assign", *args]).output
    result = runner.invoke(args=["users", "unassign", *args])
    assert f"{EMAIL} can no longer work on 'feedback'." in result.output
    assert "was not assigned" in runner.invoke(args=["users", "unassign", *args]).output
    assert [(e.action, e.actor, e.survey_slug) for e in events(app) if "assign" in e.action] == [
        ("user_unassigned", "cli", "feedback"),
        ("user_assigned", "cli", "feedback"),
    ]
    result = runner.invoke(args=["users", "assign", "--email", EMAIL, "--survey", "nope"])
    assert result.exit_code == 1
    assert "There is no survey with the slug 'nope'" in result.output


def test_deactivate(app: Flask, runner: FlaskCliRunner) -> None:
    client, staff = signed_in(app, "viewer")
    result = runner.invoke(args=["users", "deactivate", "--email", staff.email])
    assert result.exit_code == 0
    assert f"Deactivated {staff.email}." in result.output
    assert submit_password(app.test_client(), staff.email, staff.password).status_code == 200
    assert client.get("/staff/releases").headers["Location"].startswith(LOGIN)  # signed out
    assert session_rows(app) == []
    [event] = events(app, "user_deactivated")
    assert (event.actor, event.detail) == ("cli", staff.email)
    result = runner.invoke(args=["users", "deactivate", "--email", "nobody@example.org"])
    assert result.exit_code == 1
    assert "There is no staff account for nobody@example.org" in result.output


def test_reset_2fa(app: Flask, runner: FlaskCliRunner) -> None:
    client, staff = signed_in(app, "admin")
    result = runner.invoke(args=["users", "reset-2fa", "--email", staff.email])
    assert result.exit_code == 0
    assert "They set it up again at their next sign-in." in result.output
    assert [e.actor for e in events(app, "totp_reset")] == ["cli"]
    assert client.get(HOME).headers["Location"].startswith(LOGIN)  # signed out
    assert session_rows(app) == []


def test_reactivate(app: Flask, runner: FlaskCliRunner) -> None:
    staff = make_user(app, "viewer")
    runner.invoke(args=["users", "deactivate", "--email", staff.email])
    result = runner.invoke(args=["users", "reactivate", "--email", " Viewer@Example.org "])
    assert result.exit_code == 0, result.output
    assert f"Reactivated {staff.email}." in result.output
    assert submit_password(app.test_client(), staff.email, staff.password).status_code == 303
    [event] = events(app, "user_reactivated")
    assert (event.actor, event.detail) == ("cli", staff.email)
    result = runner.invoke(args=["users", "reactivate", "--email", staff.email])
    assert result.exit_code == 1
    assert f"The account for {staff.email} is already active" in result.output
    result = runner.invoke(args=["users", "reactivate", "--email", "nobody@example.org"])
    assert result.exit_code == 1
    assert "There is no staff account for nobody@example.org" in result.output
    assert len(events(app, "user_reactivated")) == 1


def test_reset_password(app: Flask, runner: FlaskCliRunner) -> None:
    client, staff = signed_in(app, "facilitator")
    result = runner.invoke(args=["users", "reset-password", "--email", staff.email])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Reset the password for {staff.email}. Their temporary password is:"
    temporary = lines[1].strip()
    assert len(temporary) >= 12
    assert "must choose a new password" in result.output
    assert client.get(HOME).headers["Location"].startswith(LOGIN)  # signed out everywhere
    assert submit_password(app.test_client(), staff.email, PASSWORD).status_code == 200
    response = submit_password(app.test_client(), staff.email, temporary)
    assert response.headers["Location"] == CHANGE_PASSWORD
    [event] = events(app, "password_reset")
    assert (event.actor, event.detail) == ("cli", staff.email)
    assert temporary not in repr(events(app))
    again = runner.invoke(args=["users", "reset-password", "--email", staff.email])
    assert temporary not in again.output  # a new one each time
    result = runner.invoke(args=["users", "reset-password", "--email", "nobody@example.org"])
    assert result.exit_code == 1
    assert "There is no staff account for nobody@example.org" in result.output


def test_older_commands_are_audited(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    second = "second holder passphrase"
    steps = [
        (
            [
                "surveys",
                "create",
                "--questionnaire",
                "reflective-space-feedback",
                "--title",
                "Audited",
                "--access",
                "codes",
                "--key-label",
                "Lead",
                "--passphrase",
                PASSPHRASE,
            ],
            None,
        ),
        (
            ["keys", "add-slot", "--survey", "audited", "--label", "Deputy"],
            f"{PASSPHRASE}\n{second}\n{second}\n",
        ),
        (
            [
                "codes",
                "issue",
                "--survey",
                "audited",
                "--count",
                "3",
                "--out",
                str(tmp_path / "c.csv"),
            ],
            None,
        ),
        (["surveys", "open", "audited"], None),
        (["keys", "remove-slot", "--survey", "audited", "--label", "Deputy"], f"{PASSPHRASE}\n"),
        (["surveys", "close", "audited"], None),
        (
            ["responses", "export", "--survey", "audited", "--out", str(tmp_path / "r.json")],
            f"{PASSPHRASE}\n",
        ),
    ]
    for args, typed in steps:
        result = runner.invoke(args=args, input=typed)
        assert result.exit_code == 0, (args, result.output)
    recorded = [(e.action, e.actor, e.survey_slug, e.detail) for e in reversed(events(app))]
    with app.app_context():
        version = get_questionnaires()["reflective-space-feedback"].version
    assert recorded == [
        (
            "survey_created",
            "cli",
            "audited",
            f"reflective-space-feedback {version}, codes access, minimum group 10",
        ),
        ("key_slot_added", "cli", "audited", "label Deputy"),
        ("codes_issued", "cli", "audited", "3 codes"),
        ("survey_opened", "cli", "audited", ""),
        ("key_slot_removed", "cli", "audited", "label Deputy"),
        ("survey_closed", "cli", "audited", ""),
        ("export", "cli", "audited", "0 responses"),
    ]
    codes = (tmp_path / "c.csv").read_text().split()[1:]
    dump = repr(recorded)
    for secret in (PASSPHRASE, second, *codes):
        assert secret not in dump


def test_a_failed_command_records_nothing(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["surveys", "open", "no-such-survey"])
    assert result.exit_code == 1
    assert events(app) == []
