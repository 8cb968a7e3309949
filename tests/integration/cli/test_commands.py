"""The operator's ``flask`` commands, run through Click's test runner on a real database.

Prompted values (labels, passphrases) are given through ``input=``, as a person would type them.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import secrets
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskCliRunner

from config import ROOT, ProductionConfig
from survey_app import create_app, wsgi
from survey_app.cli import LOSS_WARNING, questionnaires_cli
from survey_app.crypto import generate_key_spec
from survey_app.demo import (
    DEMO_PASSPHRASE,
)
from survey_app.domain.errors import QuestionnaireError
from survey_app.extensions import get_code_secret, get_db, get_questionnaires
from survey_app.services import codes, keys, surveys
from survey_app.services.export import open_responses
from survey_app.services.submission import submit_response
from survey_app.storage import migrating
from tests.conftest import FIXTURE_QUESTIONNAIRES, make_config
from tests.helpers.journey import PASSPHRASE
from tests.helpers.notices import filled_notices

QUESTIONNAIRE = "reflective-space-feedback"
SECOND = "second holder passphrase"
HEAD = migrating.head_revision(ROOT / "migrations")

STRUCTURE_PROBLEMS = """\
id: structure
version: "1"
title: Structure problems
description: A file with problems of structure.
estimated_minutes: 2
privacy_notice: Groups of {min_group}.
colour: blue
sections:
  - id: first
    title: First
    questions:
      - id: a
        type: single_choice
        text: A?
        max_length: 10
        options:
          - {value: x, label: X}
          - {value: y, label: Y}
"""

MEANING_PROBLEMS = """\
id: meaning
version: "1"
title: Meaning problems
description: A file with problems of meaning.
estimated_minutes: 2
privacy_notice: Groups of {min_group}.
sections:
  - id: first
    title: First
    questions:
      - id: a
        type: single_choice
        text: A?
        options:
          - {value: x, label: X}
          - {value: y, label: Y}
  - id: second
    title: Second
    questions:
      - id: b
        type: free_text
        text: B?
        max_length: 10
        show_if: {question: nope, any_of: [x]}
      - id: c
        type: free_text
        text: C?
        max_length: 10
        show_if: {question: a, any_of: [z]}
"""


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def broken_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "questionnaires"
    folder.mkdir()
    (folder / "structure.yaml").write_text(STRUCTURE_PROBLEMS, encoding="utf-8")
    (folder / "meaning.yaml").write_text(MEANING_PROBLEMS, encoding="utf-8")
    return folder


def expected_problems(folder: Path) -> list[tuple[str, str, str]]:
    """(file, pointer, start of the reason) for every problem in ``broken_dir``."""
    structure, meaning = str(folder / "structure.yaml"), str(folder / "meaning.yaml")
    return [
        (structure, "/colour", "unknown key 'colour'"),
        (
            structure,
            "/sections/0/questions/0/max_length",
            "the key 'max_length' does not belong on a single_choice question",
        ),
        (
            meaning,
            "/sections/1/questions/0/show_if/question",
            "there is no question with the id 'nope'",
        ),
        (
            meaning,
            "/sections/1/questions/1/show_if/any_of/0",
            "'z' is not an option of the question 'a'",
        ),
    ]


def problem_lines(text: str) -> list[tuple[str, str, str]]:
    """Lines of the form ``file: /pointer: reason`` split into their three parts."""
    found = []
    for line in text.splitlines():
        file, sep, rest = line.partition(": /")
        if sep:
            pointer, _, reason = ("/" + rest).partition(": ")
            found.append((file, pointer, reason))
    return found


def assert_problems_reported(text: str, folder: Path) -> None:
    found = problem_lines(text)
    expected = expected_problems(folder)
    assert sorted((f, p) for f, p, _ in found) == sorted((f, p) for f, p, _ in expected), text
    reasons = {(f, p): r for f, p, r in found}
    for file, pointer, reason in expected:
        assert reasons[(file, pointer)].startswith(reason), reasons[(file, pointer)]


def create_command(
    runner: FlaskCliRunner,
    *options: str,
    slug: str = "team-feedback",
    label: str = "Lead analyst",
    passphrase: str = PASSPHRASE,
    confirmation: str | None = None,
    questionnaire: str = QUESTIONNAIRE,
) -> Result:
    typed = f"{label}\n{passphrase}\n{confirmation or passphrase}\n"
    return runner.invoke(
        args=[
            "surveys",
            "create",
            "--questionnaire",
            questionnaire,
            "--title",
            "Team feedback",
            "--slug",
            slug,
            *options,
        ],
        input=typed,
    )


def add_responses(app: Flask, slug: str, *texts: str) -> None:
    with app.app_context():
        info = surveys.get_survey(get_db(), slug)
        questionnaire = get_questionnaires()[info.questionnaire_id]
        for text in texts:
            submit_response(
                get_db(), info, questionnaire, {"usefulness": "very_useful", "what_helped": text}
            )


def survey(app: Flask, slug: str) -> surveys.SurveyInfo | None:
    with app.app_context():
        return surveys.find_survey(get_db(), slug)


def assert_failed(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert f"Error: {message}" in result.stderr
    assert "Traceback" not in result.output


# --- surveys ----------------------------------------------------------------------------------


def test_surveys_create_prompts_for_the_first_key_holder_and_warns(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = create_command(runner, "--access", "codes", "--min-group", "7")

    assert result.exit_code == 0, result.output
    assert "Label for the first key holder" in result.output
    assert "Passphrase for that key holder (at least 12 characters)" in result.output
    assert "Repeat for confirmation" in result.output
    assert PASSPHRASE not in result.output  # typed, never echoed
    assert "Created survey 'team-feedback' (codes access, minimum group 7)." in result.stdout
    assert LOSS_WARNING in result.stdout
    assert "if every key holder loses theirs, the responses are gone for good" in result.stdout
    assert "flask surveys open team-feedback" in result.stdout

    info = survey(app, "team-feedback")
    assert info is not None
    assert (info.status, info.access, info.min_group) == ("draft", "codes", 7)
    assert info.questionnaire_id == QUESTIONNAIRE
    with app.app_context():
        assert [s.label for s in keys.list_slots(get_db(), "team-feedback")] == ["Lead analyst"]
        assert len(keys.unlock_survey(get_db(), "team-feedback", PASSPHRASE)) == 32


def test_surveys_create_uses_the_default_minimum_group_and_a_slug_from_the_title(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(
        args=["surveys", "create", "--questionnaire", QUESTIONNAIRE, "--title", "Spring Webinar"],
        input=f"Lead analyst\n{PASSPHRASE}\n{PASSPHRASE}\n",
    )
    assert result.exit_code == 0, result.output
    info = survey(app, "spring-webinar")
    assert info is not None
    assert info.min_group == app.config["SURVEY_DEFAULT_MIN_GROUP"] == 10
    assert info.access == "open"


def test_surveys_create_asks_again_when_the_passphrases_differ(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = create_command(runner, confirmation="something else entirely")
    assert "The two entered values do not match" in result.output
    assert result.exit_code != 0  # the input ran out before a matching pair came
    assert survey(app, "team-feedback") is None


def test_surveys_create_refuses_an_unknown_questionnaire(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = create_command(runner, questionnaire="no-such-thing")
    assert_failed(result, "No questionnaire with the id 'no-such-thing'.")
    assert (
        "Known: black-male-social-workers, global-majority-staff-survey, reflective-space-feedback"
        in result.stderr
    )
    assert survey(app, "team-feedback") is None


@pytest.mark.parametrize("min_group", ["4", "0"])
def test_surveys_create_refuses_a_minimum_group_below_five(
    app: Flask, runner: FlaskCliRunner, min_group: str
) -> None:
    result = create_command(runner, "--min-group", min_group)
    assert_failed(result, "The minimum group size cannot be below 5")
    assert survey(app, "team-feedback") is None


def test_surveys_create_refuses_a_short_passphrase(app: Flask, runner: FlaskCliRunner) -> None:
    result = create_command(runner, passphrase="too short")
    assert_failed(result, "A passphrase must be at least 12 characters long")
    assert survey(app, "team-feedback") is None


def test_surveys_open_and_close(app: Flask, runner: FlaskCliRunner) -> None:
    assert create_command(runner).exit_code == 0

    opened = runner.invoke(args=["surveys", "open", "team-feedback"])
    assert opened.exit_code == 0, opened.output
    assert opened.stdout == "Survey 'team-feedback' is open.\n"
    assert survey(app, "team-feedback").status == "open"  # type: ignore[union-attr]

    add_responses(app, "team-feedback", "The slides", "The breakout rooms")
    closed = runner.invoke(args=["surveys", "close", "team-feedback"])
    assert closed.exit_code == 0, closed.output
    assert closed.stdout == "Survey 'team-feedback' is closed with 2 response(s).\n"
    assert survey(app, "team-feedback").status == "closed"  # type: ignore[union-attr]

    assert_failed(
        runner.invoke(args=["surveys", "open", "team-feedback"]),
        "A closed survey cannot be reopened",
    )
    assert_failed(
        runner.invoke(args=["surveys", "close", "team-feedback"]),
        "Only an open survey can be closed (this one is closed)",
    )
    assert_failed(
        runner.invoke(args=["surveys", "open", "nope"]), "There is no survey with the slug 'nope'"
    )


def test_surveys_ceiling(app: Flask, runner: FlaskCliRunner) -> None:
    assert create_command(runner).exit_code == 0
    set_to = runner.invoke(args=["surveys", "ceiling", "team-feedback", "250"])
    assert set_to.exit_code == 0, set_to.output
    assert set_to.stdout == "Survey 'team-feedback' accepts at most 250 responses a minute.\n"
    assert survey(app, "team-feedback").responses_per_minute == 250  # type: ignore[union-attr]
    back = runner.invoke(args=["surveys", "ceiling", "team-feedback", "default"])
    assert back.stdout == "Survey 'team-feedback' accepts at most 60 responses a minute.\n"
    assert survey(app, "team-feedback").responses_per_minute is None  # type: ignore[union-attr]
    assert_failed(
        runner.invoke(args=["surveys", "ceiling", "team-feedback", "²"]),
        "PER_MINUTE must be a whole number or 'default'",
    )
    assert_failed(
        runner.invoke(args=["surveys", "ceiling", "team-feedback", "0"]),
        "Enter a number of responses a minute from 1 to 10,000",
    )


def test_surveys_list(app: Flask, runner: FlaskCliRunner) -> None:
    empty = runner.invoke(args=["surveys", "list"])
    assert empty.exit_code == 0
    assert "No surveys yet" in empty.stdout

    assert create_command(runner, slug="first-one").exit_code == 0
    assert (
        create_command(runner, "--access", "codes", "--min-group", "12", slug="second").exit_code
        == 0
    )
    runner.invoke(args=["surveys", "open", "first-one"])
    add_responses(app, "first-one", "Good", "Better", "Best")

    result = runner.invoke(args=["surveys", "list"])
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["slug", "status", "access", "min", "responses", "questionnaire"]
    with app.app_context():
        version = get_questionnaires()[QUESTIONNAIRE].version
    assert sorted(row.split() for row in rows) == [
        ["first-one", "open", "open", "10", "3", QUESTIONNAIRE, version],
        ["second", "draft", "codes", "12", "0", QUESTIONNAIRE, version],
    ]


# --- keys -------------------------------------------------------------------------------------


def test_keys_list_add_slot_and_remove_slot(app: Flask, runner: FlaskCliRunner) -> None:
    assert create_command(runner).exit_code == 0
    listed = runner.invoke(args=["keys", "list", "--survey", "team-feedback"])
    assert listed.exit_code == 0
    log2_n = app.config["SURVEY_SCRYPT_LOG2_N"]
    assert listed.stdout.splitlines() == [
        f"Lead analyst  (added {survey(app, 'team-feedback').created_on.isoformat()}, "  # type: ignore[union-attr]
        f"scrypt n=2^{log2_n})"
    ]

    added = runner.invoke(
        args=["keys", "add-slot", "--survey", "team-feedback", "--label", "Deputy"],
        input=f"{PASSPHRASE}\n{SECOND}\n{SECOND}\n",
    )
    assert added.exit_code == 0, added.output
    assert "An existing key holder's passphrase" in added.output
    assert "Added key slot 'Deputy'." in added.stdout
    assert PASSPHRASE not in added.output and SECOND not in added.output
    labels = runner.invoke(args=["keys", "list", "--survey", "team-feedback"]).stdout
    assert [line.split("  ")[0] for line in labels.splitlines()] == ["Deputy", "Lead analyst"]
    with app.app_context():
        assert open_responses(get_db(), "team-feedback", SECOND) == []

    removed = runner.invoke(
        args=["keys", "remove-slot", "--survey", "team-feedback", "--label", "Lead analyst"],
        input=f"{SECOND}\n",
    )
    assert removed.exit_code == 0, removed.output
    assert "Removed key slot 'Lead analyst'." in removed.stdout
    with app.app_context():
        assert [s.label for s in keys.list_slots(get_db(), "team-feedback")] == ["Deputy"]

    last = runner.invoke(
        args=["keys", "remove-slot", "--survey", "team-feedback", "--label", "Deputy"],
        input=f"{SECOND}\n",
    )
    assert_failed(last, "This is the survey's last key slot")
    with app.app_context():
        assert [s.label for s in keys.list_slots(get_db(), "team-feedback")] == ["Deputy"]


def test_keys_add_slot_with_a_wrong_passphrase(app: Flask, runner: FlaskCliRunner) -> None:
    assert create_command(runner).exit_code == 0
    result = runner.invoke(
        args=["keys", "add-slot", "--survey", "team-feedback", "--label", "Deputy"],
        input=f"a wrong passphrase\n{SECOND}\n{SECOND}\n",
    )
    assert_failed(result, "That passphrase does not open any key slot of this survey")
    with app.app_context():
        assert len(keys.list_slots(get_db(), "team-feedback")) == 1


def test_keys_list_for_an_unknown_survey(runner: FlaskCliRunner) -> None:
    assert_failed(
        runner.invoke(args=["keys", "list", "--survey", "nope"]),
        "There is no survey with the slug 'nope'",
    )


# --- codes ------------------------------------------------------------------------------------


def test_codes_issue_writes_a_csv_file(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    assert create_command(runner, "--access", "codes").exit_code == 0
    out = tmp_path / "codes.csv"
    result = runner.invoke(
        args=["codes", "issue", "--survey", "team-feedback", "--count", "25", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote 25 code(s) to {out}." in result.stdout

    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "code"
    assert len(lines) == 26
    with out.open(encoding="utf-8", newline="") as handle:
        issued = [row["code"] for row in csv.DictReader(handle)]
    assert len(set(issued)) == 25
    # The codes are not shown on the terminal, only written to the file ...
    assert not any(code in result.output for code in issued)
    # ... and each one works for the survey.
    with app.app_context():
        info = surveys.get_survey(get_db(), "team-feedback")
        for code in issued:
            assert len(codes.check_code(get_db(), info, code, get_code_secret())) == 32


def test_codes_issue_refuses_an_existing_file(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    assert create_command(runner, "--access", "codes").exit_code == 0
    out = tmp_path / "codes.csv"
    out.write_text("precious\n", encoding="utf-8")
    result = runner.invoke(
        args=["codes", "issue", "--survey", "team-feedback", "--count", "5", "--out", str(out)]
    )
    assert_failed(result, f"{out} already exists; choose another file name")
    assert out.read_text(encoding="utf-8") == "precious\n"


def test_codes_issue_refuses_an_open_access_survey(runner: FlaskCliRunner, tmp_path: Path) -> None:
    assert create_command(runner, "--access", "open").exit_code == 0
    out = tmp_path / "codes.csv"
    result = runner.invoke(
        args=["codes", "issue", "--survey", "team-feedback", "--count", "5", "--out", str(out)]
    )
    assert_failed(result, "This survey is open to anyone with the link; it uses no codes")
    assert not out.exists()


# --- responses --------------------------------------------------------------------------------


def test_responses_export_writes_the_opened_answers(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    assert create_command(runner).exit_code == 0
    runner.invoke(args=["surveys", "open", "team-feedback"])
    add_responses(app, "team-feedback", "The breakout rooms", "Hearing from colleagues")
    out = tmp_path / "export.json"

    result = runner.invoke(
        args=["responses", "export", "--survey", "team-feedback", "--out", str(out)],
        input=f"{PASSPHRASE}\n",
    )

    assert result.exit_code == 0, result.output
    assert "A key holder's passphrase" in result.output
    assert PASSPHRASE not in result.output
    assert f"Wrote 2 response(s) to {out}" in result.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["survey"] == "team-feedback"
    assert document["questionnaire"] == QUESTIONNAIRE
    assert sorted(r["answers"]["what_helped"] for r in document["responses"]) == [
        "Hearing from colleagues",
        "The breakout rooms",
    ]
    assert all(r["answers"]["usefulness"] == "very_useful" for r in document["responses"])


def test_responses_export_with_a_wrong_passphrase_writes_nothing(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    assert create_command(runner).exit_code == 0
    runner.invoke(args=["surveys", "open", "team-feedback"])
    add_responses(app, "team-feedback", "Something")
    out = tmp_path / "export.json"
    result = runner.invoke(
        args=["responses", "export", "--survey", "team-feedback", "--out", str(out)],
        input="not the right passphrase\n",
    )
    assert_failed(result, "That passphrase does not open any key slot of this survey")
    assert not out.exists()


# --- db ---------------------------------------------------------------------------------------


@pytest.fixture
def empty_app(tmp_path: Path, empty_database_url: str) -> Iterator[Flask]:
    """An application on a database that has never been migrated."""
    application = create_app(make_config(tmp_path, empty_database_url))
    yield application
    with application.app_context():
        get_db().dispose()


def test_db_current_and_upgrade(empty_app: Flask) -> None:
    runner = empty_app.test_cli_runner()
    before = runner.invoke(args=["db", "current"])
    assert before.exit_code == 0
    assert before.stdout.strip() == "empty (no revision)"

    first = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == f"Database at revision {HEAD}."
    again = runner.invoke(args=["db", "upgrade"])
    assert again.exit_code == 0, again.output
    assert again.stdout.strip() == f"Database at revision {HEAD}."

    assert runner.invoke(args=["db", "current"]).stdout.strip() == HEAD
    with empty_app.app_context():
        assert migrating.head_revision(empty_app.config["SURVEY_MIGRATIONS_DIR"]) == HEAD
        assert migrating.schema_differences(get_db()) == []
        assert surveys.list_surveys(get_db()) == []


def test_db_current_on_a_migrated_database(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["db", "current"])
    assert result.exit_code == 0
    assert result.stdout.strip() == HEAD


# --- demo -------------------------------------------------------------------------------------


def test_demo_setup_is_refused_in_production(tmp_path: Path) -> None:
    config = ProductionConfig(production_environment(tmp_path))
    application = create_app(config)
    result = application.test_cli_runner().invoke(args=["demo", "setup"])
    assert result.exit_code == 1
    assert "Error: demo surveys are not created in production." in result.stderr
    assert DEMO_PASSPHRASE not in result.output


def production_environment(tmp_path: Path) -> dict[str, str]:
    return {
        "SURVEY_ENV": "production",
        "SURVEY_INSTANCE_DIR": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'instance' / 'prod.db'}",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SURVEY_DATA_KEYS": generate_key_spec("k1"),
        "SURVEY_CODE_SECRET": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "SURVEY_NOTICES_FILE": filled_notices(tmp_path),
    }


# --- questionnaires validate --------------------------------------------------------------------


def test_validate_a_valid_file() -> None:
    result = CliRunner().invoke(
        questionnaires_cli, ["validate", str(FIXTURE_QUESTIONNAIRES / "sample-survey.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 questionnaire file(s) valid.\n"


def test_validate_the_real_questionnaires_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SURVEY_ENV", "test")
    monkeypatch.setenv("SURVEY_INSTANCE_DIR", str(tmp_path))
    monkeypatch.delenv("SURVEY_QUESTIONNAIRE_DIR", raising=False)
    result = CliRunner().invoke(questionnaires_cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "4 questionnaire file(s) valid.\n"  # one an earlier version


def test_validate_an_invalid_file_prints_each_problem(broken_dir: Path) -> None:
    file = broken_dir / "meaning.yaml"
    result = CliRunner().invoke(questionnaires_cli, ["validate", str(file)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{file}: /sections/1/questions/0/show_if/question: "
        "there is no question with the id 'nope'",
        f"{file}: /sections/1/questions/1/show_if/any_of/0: 'z' is not an option of the question "
        "'a' (its options are: x, y)",
    ]
    assert result.stderr == "2 problem(s) found.\n"


def test_validate_several_files_reports_every_problem(broken_dir: Path) -> None:
    files = [
        broken_dir / "structure.yaml",
        FIXTURE_QUESTIONNAIRES / "sample-survey.yaml",
        broken_dir / "meaning.yaml",
    ]
    result = CliRunner().invoke(questionnaires_cli, ["validate", *map(str, files)])
    assert result.exit_code == 1
    assert_problems_reported(result.stdout, broken_dir)
    assert "sample-survey.yaml" not in result.stdout
    assert result.stderr == "4 problem(s) found.\n"


def test_validate_the_folder_from_the_environment(
    broken_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SURVEY_ENV", "test")
    monkeypatch.setenv("SURVEY_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("SURVEY_QUESTIONNAIRE_DIR", str(broken_dir))
    result = CliRunner().invoke(questionnaires_cli, ["validate"])
    assert result.exit_code == 1
    assert_problems_reported(result.stdout, broken_dir)


def test_validate_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.yaml"
    result = CliRunner().invoke(questionnaires_cli, ["validate", str(missing)])
    assert result.exit_code == 1
    assert result.stdout == f"{missing}: /: the file does not exist\n"


# --- start-up refusal -------------------------------------------------------------------------


def test_create_app_refuses_a_broken_questionnaire(broken_dir: Path, tmp_path: Path) -> None:
    config = make_config(
        tmp_path, f"sqlite:///{tmp_path / 'x.db'}", SURVEY_QUESTIONNAIRE_DIR=str(broken_dir)
    )
    with pytest.raises(QuestionnaireError) as caught:
        create_app(config)
    found = [(p.file, p.pointer, p.reason) for p in caught.value.problems]
    expected = expected_problems(broken_dir)
    assert sorted((f, p) for f, p, _ in found) == sorted((f, p) for f, p, _ in expected)
    for (file, pointer, reason), problem in zip(sorted(expected), sorted(found), strict=True):
        assert (problem[0], problem[1]) == (file, pointer)
        assert problem[2].startswith(reason)


def test_wsgi_build_exits_with_the_problems_on_stderr(
    broken_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SURVEY_ENV", "test")
    monkeypatch.setenv("SURVEY_QUESTIONNAIRE_DIR", str(broken_dir))
    monkeypatch.setenv("SURVEY_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'instance' / 'x.db'}")
    with pytest.raises(SystemExit) as caught:
        wsgi.build()
    assert caught.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_problems_reported(captured.err, broken_dir)
    assert "Candour did not start: fix the questionnaire problems above." in captured.err
    assert "Traceback" not in captured.err


def test_wsgi_build_exits_on_a_bad_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SECRET_KEY", "SURVEY_DATA_KEYS", "SURVEY_CODE_SECRET", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SURVEY_ENV", "production")
    monkeypatch.setenv("SURVEY_INSTANCE_DIR", str(tmp_path / "instance"))
    with pytest.raises(SystemExit) as caught:
        wsgi.build()
    assert caught.value.code == 1
    err = capsys.readouterr().err
    assert err == "Candour did not start: SECRET_KEY must be set to a real secret in production\n"


def run_flask(broken_dir: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flask = Path(sys.executable).parent / "flask"
    assert flask.exists(), flask
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SURVEY_", "FLASK_")) and name not in ("DATABASE_URL",)
    }
    env.update(
        FLASK_APP="survey_app.wsgi:build()",
        SURVEY_ENV="test",
        SURVEY_INSTANCE_DIR=str(tmp_path / "instance"),
        SURVEY_QUESTIONNAIRE_DIR=str(broken_dir),
    )
    return subprocess.run(
        [str(flask), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_flask_command_with_a_broken_questionnaire(broken_dir: Path, tmp_path: Path) -> None:
    validate = run_flask(broken_dir, tmp_path, "questionnaires", "validate")
    assert validate.returncode == 1, validate.stderr
    assert_problems_reported(validate.stdout, broken_dir)
    assert "4 problem(s) found." in validate.stderr

    listing = run_flask(broken_dir, tmp_path, "surveys", "list")
    assert listing.returncode == 1
    assert_problems_reported(listing.stderr, broken_dir)
    assert "Candour did not start" in listing.stderr
    assert "Traceback" not in listing.stderr + listing.stdout
    assert listing.stdout == ""
