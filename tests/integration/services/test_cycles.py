"""The annual cycle: ``next_cycle`` makes next year's survey with the same settings and a new
key, invites the same key holders (each must choose a new passphrase), carries last cycle's
named themes into the codebook, and refuses a questionnaire version that changes a question
without saying whether it compares.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from survey_app import create_app
from survey_app.cli import keys_cli, surveys_cli
from survey_app.crypto import normalise_invitation_code
from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_theme_options,
    get_unlock_store,
)
from survey_app.services import accounts, analysis, cycles, keys, review, surveys
from survey_app.services.errors import KeySlotError, ServiceError
from survey_app.services.submission import submit_response
from survey_app.storage.models import CarriedCodebook, KeySlot, Survey
from tests.conftest import FIXTURE_QUESTIONNAIRES, make_config
from tests.helpers.journey import PASSPHRASE
from tests.integration.reports.test_release_attacks import (
    SLUG,
    SUBMITTED_ON,
    answers,
    closed_with_comments,
    publish,
)
from tests.integration.staff.support import events, make_user

NEW_PASSPHRASE = "a different phrase for next year"


def start(app: Flask, slug: str = SLUG, **options: object) -> cycles.NewCycle:
    with app.app_context():
        return cycles.next_cycle(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            slug,
            cycle=str(options.pop("cycle", "2027-28")),
            actor="test",
            log2_n=app.config["SURVEY_SCRYPT_LOG2_N"],
            **options,  # type: ignore[arg-type]
        )


def accept(app: Flask, made: cycles.NewCycle, passphrase: str = NEW_PASSPHRASE) -> None:
    invitation = made.invitations[0]
    with app.app_context():
        cycles.accept_invitation(
            get_db(),
            made.survey.slug,
            label=invitation.label,
            code=invitation.code,
            passphrase=passphrase,
            log2_n=app.config["SURVEY_SCRYPT_LOG2_N"],
            actor="test",
        )


def name_first_theme(app: Flask, label: str) -> None:
    with app.app_context():
        context = review.open_review(
            get_db(), get_keyring(), get_questionnaires(), None, SLUG, get_unlock_store()
        )
        first = context.review("comments").themes[0]
        review.act(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            get_theme_options(),
            None,
            SLUG,
            context.release_id,
            "comments",
            "rename",
            {"theme": str(first.id), "label": label},
            get_unlock_store(),
        )


def test_next_cycle_keeps_the_settings_and_changes_the_key(sample_app: Flask) -> None:
    app = sample_app
    publish(app, closed_with_comments(app, count=40))
    analyst = make_user(app, "analyst", "analyst@example.org")
    with app.app_context():
        accounts.assign(get_db(), email=analyst.email, slug=SLUG, actor="test")
        surveys.set_responses_per_minute(get_db(), SLUG, 77)
        before = surveys.get_survey(get_db(), SLUG)
    made = start(app, title="Attacks survey 2027-28")
    new = made.survey
    assert (new.cycle, new.previous_id, new.status) == ("2027-28", before.id, "draft")
    assert new.title == "Attacks survey 2027-28"
    assert new.slug == "attacks-2027-28"
    kept = ("questionnaire_id", "questionnaire_version", "access", "min_group")
    assert [getattr(new, name) for name in kept] == [getattr(before, name) for name in kept]
    assert (new.responses_per_minute, new.retention_months) == (77, before.retention_months)
    assert new.public_key != before.public_key, "a new key pair"
    with app.app_context():
        account = accounts.find_account(get_db(), analyst.email)
        assert account is not None
        assert accounts.may_work_on(get_db(), account, new), "assigned staff carried over"
        # Last cycle's passphrase opens nothing of the new survey, and neither does the code
        # until it is accepted: an invitation is not a key slot a passphrase can use.
        with pytest.raises(KeySlotError):
            keys.unlock_survey(get_db(), new.slug, PASSPHRASE)
        code = normalise_invitation_code(made.invitations[0].code)
        assert code is not None
        with pytest.raises(KeySlotError):
            keys.unlock_survey(get_db(), new.slug, code)
        # Nobody could read its responses yet, so it cannot open.
        with pytest.raises(ServiceError, match="accepted their invitation"):
            surveys.open_survey(get_db(), new.slug)
    assert [i.label for i in made.invitations] == ["Lead analyst"]
    assert len(code) == 24
    assert [e.survey_slug for e in events(app, "cycle_started")] == [new.slug]


def test_an_invited_key_holder_chooses_a_new_passphrase(sample_app: Flask) -> None:
    app = sample_app
    closed_with_comments(app, count=20)
    made = start(app, carry_codebook=False)
    with pytest.raises(KeySlotError, match="opens last cycle"):
        accept(app, made, passphrase=PASSPHRASE)
    wrong = cycles.Invitation(made.invitations[0].label, "K7QM-3XPA-9RTD-HW2C-4N8B-Q2ZE")
    with pytest.raises(KeySlotError, match="does not match"):
        accept(app, cycles.NewCycle(made.survey, made.previous, (wrong,), {}))
    accept(app, made)
    with app.app_context():
        key = keys.unlock_survey(get_db(), made.survey.slug, NEW_PASSPHRASE)
        old = keys.unlock_survey(get_db(), SLUG, PASSPHRASE)
        assert key != old
        with pytest.raises(KeySlotError):
            keys.unlock_survey(get_db(), SLUG, NEW_PASSPHRASE)
        # The invitation is spent: the same code cannot be accepted twice.
        with pytest.raises(KeySlotError, match="already chosen"):
            accept(app, made, passphrase="yet another long passphrase")
        assert surveys.open_survey(get_db(), made.survey.slug).status == "open"
        with get_db().session() as session:
            slot = session.scalar(
                select(KeySlot).join(Survey).where(Survey.slug == made.survey.slug)
            )
            assert slot is not None and not slot.invitation
    assert [e.detail for e in events(app, "key_invitation_accepted")] == ["Lead analyst"]


def test_a_second_next_cycle_and_a_series_are_refused(sample_app: Flask) -> None:
    app = sample_app
    closed_with_comments(app, count=20)
    start(app, carry_codebook=False)
    with pytest.raises(ServiceError, match="already exists: 'attacks-2027-28'"):
        start(app, cycle="2028-29")
    with pytest.raises(ServiceError, match="cycle, such as"):
        start(app, "attacks-2027-28", cycle="   ")
    with pytest.raises(ServiceError, match="letters, digits"):
        start(app, "attacks-2027-28", cycle="2028/29 <b>")
    with pytest.raises(ServiceError, match="is not loaded"):
        start(app, "attacks-2027-28", cycle="2028-29", version="9999.1")


def test_last_cycles_named_themes_code_next_cycles_comments(sample_app: Flask) -> None:
    app = sample_app
    closed_with_comments(app, count=60)
    name_first_theme(app, "Workload and allocation")
    with app.app_context():
        draft = analysis.newest_release(get_db(), surveys.get_survey(get_db(), SLUG).id)
    assert draft is not None
    publish(app, draft.id)
    made = start(app)
    assert sum(made.carried.values()) >= 1
    with app.app_context():
        carried = cycles.carried_codebook(get_db(), get_keyring(), made.survey.id)
        with get_db().session() as session:
            stored = session.scalars(select(Survey.id)).all()
    assert "Workload and allocation" in [c.label for c in carried["comments"]]
    assert all(c.seeds for c in carried["comments"])
    assert len(stored) == 2
    with app.app_context(), get_db().session() as session:
        sealed = session.scalar(select(CarriedCodebook.sealed))
    assert sealed is not None and b"Workload" not in bytes(sealed), "sealed, not plain text"
    # Next cycle's comments are coded against the carried codes.
    accept(app, made)
    with app.app_context():
        info = surveys.open_survey(get_db(), made.survey.slug)
        questionnaire = get_questionnaires()[info.questionnaire_id]
        for index in range(30):
            submit_response(get_db(), info, questionnaire, answers(index), today=SUBMITTED_ON)
        surveys.close_survey(get_db(), info.slug)
        analysis.run_analysis(
            get_db(),
            get_keyring(),
            questionnaire,
            info.slug,
            NEW_PASSPHRASE,
            actor="test",
            theme_options=get_theme_options(),
        )
        release = analysis.load_release(get_db(), get_keyring(), info, published_only=False)
    assert release is not None
    assert "Workload and allocation" in release.themes["comments"].code_labels().values()


@pytest.fixture
def versioned_app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """The test questionnaires plus a newer version of ``report-survey`` that rewords
    ``witnessed`` without saying whether it compares."""
    folder = tmp_path / "questionnaires"
    shutil.copytree(FIXTURE_QUESTIONNAIRES, folder)
    source = folder / "report-survey.yaml"
    document = yaml.safe_load(source.read_text())
    (folder / "earlier").mkdir(exist_ok=True)
    old_version = document["version"]
    shutil.copy(source, folder / "earlier" / f"report-survey@{old_version}.yaml")
    document["version"] = "9000.1"
    for section in document["sections"]:
        for question in section["questions"]:
            if question["id"] == "witnessed":
                question["text"] = question["text"] + " (in the last year)"
    source.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    config = make_config(tmp_path, database_url, SURVEY_QUESTIONNAIRE_DIR=str(folder))
    application = create_app(config)
    yield application
    with application.app_context():
        get_db().dispose()  # close its connections now, not when they are collected


def test_a_version_that_breaks_comparability_silently_is_refused(versioned_app: Flask) -> None:
    app = versioned_app
    with app.app_context():
        old = get_questionnaires().version("report-survey", "9000.1")
        assert old is not None
    with app.app_context():
        versions = [q.version for q in get_questionnaires().versions() if q.id == "report-survey"]
        earliest = min(v for v in versions if v != "9000.1")
        questionnaire = get_questionnaires().version("report-survey", earliest)
        assert questionnaire is not None
        surveys.create_survey(
            get_db(),
            questionnaire,
            title="Report survey 2026-27",
            access="open",
            min_group=5,
            key_label="Lead analyst",
            passphrase=PASSPHRASE,
            log2_n=app.config["SURVEY_SCRYPT_LOG2_N"],
            slug="yearly",
            cycle="2026-27",
        )
    with pytest.raises(ServiceError, match="without saying whether they compare: witnessed"):
        start(app, "yearly", version="9000.1")
    made = start(app, "yearly", version=earliest, carry_codebook=False)
    assert made.survey.slug == "yearly-2027-28"
    assert made.survey.title == "Report survey 2027-28"


def test_the_cli_prints_each_invitation_once(sample_app: Flask) -> None:
    app = sample_app
    closed_with_comments(app, count=20)
    runner = CliRunner()

    with app.app_context():
        result = runner.invoke(
            surveys_cli, ["next-cycle", SLUG, "--cycle", "2027-28", "--no-carry-codebook"]
        )
    assert result.exit_code == 0, result.output
    assert "Lead analyst: " in result.output
    code = result.output.split("Lead analyst: ")[1].split()[0]

    with app.app_context():
        refused = runner.invoke(
            keys_cli,
            ["accept", "attacks-2027-28", "--label", "Lead analyst"],
            input=f"{code}\n{PASSPHRASE}\n{PASSPHRASE}\n",
        )
        accepted = runner.invoke(
            keys_cli,
            ["accept", "attacks-2027-28", "--label", "Lead analyst"],
            input=f"{code}\n{NEW_PASSPHRASE}\n{NEW_PASSPHRASE}\n",
        )
    assert refused.exit_code == 1 and "opens last cycle" in refused.output
    assert accepted.exit_code == 0, accepted.output
    with app.app_context():
        assert keys.unlock_survey(get_db(), "attacks-2027-28", NEW_PASSPHRASE)
