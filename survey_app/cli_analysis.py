"""``flask analysis``: run an analysis and publish a release, with a key holder's passphrase.

The command line is a short-lived process of its own: the passphrase, the survey key and the
opened responses go when the command ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from survey_app.domain.model import Questionnaire
from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_theme_options,
    get_unlock_store,
    unlock_seconds,
)
from survey_app.services import analysis, publishing, review
from survey_app.services.errors import KeySlotError, ServiceError
from survey_app.services.surveys import SurveyInfo, find_survey

analysis_cli = AppGroup("analysis", help="Unlock a survey and compute its protected release.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(1)


def read_passphrase(passphrase_file: Path | None) -> str:
    """From a file (first line, for scripts) or a hidden prompt."""
    if passphrase_file is not None:
        try:
            lines = passphrase_file.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            _fail(f"Cannot read {passphrase_file}: {error.strerror}")
        return lines[0] if lines else ""
    return str(click.prompt("A key holder's passphrase", hide_input=True))


PASSPHRASE_FILE = click.option(
    "--passphrase-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Read the passphrase from the first line of this file instead of prompting.",
)


def _survey(slug: str) -> tuple[SurveyInfo, Questionnaire]:
    survey = find_survey(get_db(), slug)
    if survey is None:
        _fail(f"There is no survey with the slug '{slug}'")
        raise AssertionError  # not reached
    if not survey.has_results:
        _fail(analysis.NOT_CLOSED)
    questionnaire = survey.questionnaire_in(get_questionnaires())
    if questionnaire is None:
        _fail("The survey's questionnaire version is no longer loaded")
        raise AssertionError  # not reached
    return survey, questionnaire


class _Bar:
    """A click progress bar fed with (percent, message) reports."""

    def __init__(self, bar: Any) -> None:
        self.bar, self.done = bar, 0

    def __call__(self, percent: int, _message: str) -> None:
        self.bar.update(max(0, percent - self.done))
        self.done = max(self.done, percent)


@analysis_cli.command("run")
@click.option("--survey", "slug", required=True)
@PASSPHRASE_FILE
def analysis_run(slug: str, passphrase_file: Path | None) -> None:
    """Open the closed survey's responses in memory and store a protected (draft) release."""
    from survey_app.services import audit

    _survey_info, questionnaire = _survey(slug)
    passphrase = read_passphrase(passphrase_file)
    store, seconds = get_unlock_store(), unlock_seconds()
    with click.progressbar(length=100, label="Analysing", show_percent=True) as bar:
        try:
            release_id = review.run_analysis_keeping_review(
                get_db(),
                get_keyring(),
                questionnaire,
                slug,
                passphrase,
                actor="cli",
                progress=_Bar(bar),
                theme_options=get_theme_options(),
                unlocked=lambda release, key: store.put(release, key, seconds),
            )
        except ServiceError as error:
            audit.record(get_db(), "cli", "analysis_run", slug, f"failed: {error}"[:200])
            _fail(str(error))
            return
    audit.record(get_db(), "cli", "analysis_run", slug, f"release {release_id}")
    click.echo(f"Stored draft release {release_id} for '{slug}'.")
    click.echo(f"Review its themes with: flask themes list --survey {slug}")
    click.echo(f"Publish it with: flask analysis publish --survey {slug} --release {release_id}")


@analysis_cli.command("publish")
@click.option("--survey", "slug", required=True)
@click.option("--release", "release_id", required=True)
@PASSPHRASE_FILE
def analysis_publish(slug: str, release_id: str, passphrase_file: Path | None) -> None:
    """Publish a draft release: count its themes by group (with a key holder's passphrase),
    protect them with everything else and make the report readable by viewers."""
    from survey_app.services import audit

    _survey_info, questionnaire = _survey(slug)
    passphrase = read_passphrase(passphrase_file)
    with click.progressbar(length=100, label="Publishing", show_percent=True) as bar:
        try:
            publishing.publish(
                get_db(),
                get_keyring(),
                questionnaire,
                slug,
                release_id,
                passphrase,
                actor="cli",
                progress=_Bar(bar),
                store=get_unlock_store(),
            )
        except ServiceError as error:
            if isinstance(error, KeySlotError):
                audit.record(
                    get_db(), "cli", "release_published", slug, "refused: wrong passphrase"
                )
            _fail(str(error))
            return
    audit.record(get_db(), "cli", "release_published", slug, f"release {release_id}")
    click.echo(f"Published release {release_id} of '{slug}'.")
