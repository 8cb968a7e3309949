"""Command-line numbers are read like the forms' (survey_app.domain.numbers): ASCII digits
only. Click's own ``int`` would take " 12", "1_000" and other scripts' digits ("١٢" is 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from survey_app.extensions import get_db
from survey_app.services import surveys
from tests.helpers.journey import PASSPHRASE, create_survey

ODD = ["²", "١٢", "１２", " 12", "+12", "1_000", "1e3", "12.0", "9" * 5000]


def invoke(app: Flask, *args: str, typed: str = ""):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=list(args), input=typed)


@pytest.mark.parametrize("value", ODD)
def test_a_survey_is_not_created_with_an_odd_smallest_group(app: Flask, value: str) -> None:
    result = invoke(
        app,
        *("surveys", "create", "--questionnaire", "reflective-space-feedback"),
        *("--title", "Team feedback", "--min-group", value),
        typed=f"Lead analyst\n{PASSPHRASE}\n{PASSPHRASE}\n",
    )
    assert result.exit_code == 2, result.output  # a usage error, before anything is asked
    assert "is not a whole number" in result.output
    assert "Traceback" not in result.output
    with app.app_context():
        assert surveys.list_surveys(get_db()) == []


def test_a_survey_is_created_with_a_plain_smallest_group(app: Flask) -> None:
    result = invoke(
        app,
        *("surveys", "create", "--questionnaire", "reflective-space-feedback"),
        *("--title", "Team feedback", "--min-group", "12"),
        typed=f"Lead analyst\n{PASSPHRASE}\n{PASSPHRASE}\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert surveys.get_survey(get_db(), "team-feedback").min_group == 12


@pytest.mark.parametrize("value", ["²", "١٢", "+5", "5 "])
def test_codes_are_not_issued_for_an_odd_count(app: Flask, tmp_path: Path, value: str) -> None:
    create_survey(app, "reflective-space-feedback", slug="coded", access="codes")
    out = tmp_path / "codes.csv"
    result = invoke(app, "codes", "issue", "--survey", "coded", "--count", value, "--out", str(out))
    assert result.exit_code == 2, result.output
    assert not out.exists()


@pytest.mark.parametrize("value", ["²", "١٢", " 60"])
def test_the_ceiling_takes_ascii_digits_only(app: Flask, value: str) -> None:
    create_survey(app, "reflective-space-feedback", slug="team")
    result = invoke(app, "surveys", "ceiling", "team", value)
    assert result.exit_code == 1
    assert "PER_MINUTE must be a whole number or 'default'" in result.output
    assert invoke(app, "surveys", "ceiling", "team", "60").exit_code == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("²", "'²' is not a whole number"),
        ("١٢", "'١٢' is not a whole number"),
        ("0", "'0' is not a whole number of 1 or more"),
    ],
)
def test_retention_months_are_ascii_digits_from_one(app: Flask, value: str, message: str) -> None:
    create_survey(app, "reflective-space-feedback", slug="team")
    result = invoke(app, "retention", "set", "team", value)
    assert result.exit_code == 2
    assert message in result.output
