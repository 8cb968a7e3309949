"""``flask analysis`` and ``flask report``: run an analysis, publish and export a release."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from survey_app.extensions import get_db, get_keyring, get_questionnaires, get_theme_options
from survey_app.services import analysis
from survey_app.services.errors import ServiceError
from survey_app.services.surveys import find_survey

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


@analysis_cli.command("run")
@click.option("--survey", "slug", required=True)
@click.option(
    "--passphrase-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Read the passphrase from the first line of this file instead of prompting.",
)
def analysis_run(slug: str, passphrase_file: Path | None) -> None:
    """Open the survey's responses in memory and store a protected (draft) release."""
    from survey_app.services import audit

    survey = find_survey(get_db(), slug)
    if survey is None:
        _fail(f"There is no survey with the slug '{slug}'")
        return
    questionnaire = get_questionnaires().get(survey.questionnaire_id)
    if questionnaire is None or questionnaire.version != survey.questionnaire_version:
        _fail("The survey's questionnaire version is no longer loaded")
        return
    passphrase = read_passphrase(passphrase_file)
    with click.progressbar(length=100, label="Analysing", show_percent=True) as bar:
        done = 0

        def progress(percent: int, _message: str) -> None:
            nonlocal done
            bar.update(max(0, percent - done))
            done = max(done, percent)

        try:
            release_id = analysis.run_analysis(
                get_db(),
                get_keyring(),
                questionnaire,
                slug,
                passphrase,
                actor="cli",
                progress=progress,
                theme_options=get_theme_options(),
            )
        except ServiceError as error:
            audit.record(get_db(), "cli", "analysis_run", slug, f"failed: {error}"[:200])
            _fail(str(error))
            return
    audit.record(get_db(), "cli", "analysis_run", slug, f"release {release_id}")
    click.echo(f"Stored draft release {release_id} for '{slug}'.")
    click.echo(f"Publish it with: flask analysis publish --survey {slug} --release {release_id}")


@analysis_cli.command("publish")
@click.option("--survey", "slug", required=True)
@click.option("--release", "release_id", required=True)
def analysis_publish(slug: str, release_id: str) -> None:
    """Make a release readable by viewers."""
    from survey_app.services import audit

    survey = find_survey(get_db(), slug)
    if survey is None:
        _fail(f"There is no survey with the slug '{slug}'")
        return
    try:
        analysis.publish_release(get_db(), survey, release_id)
    except ServiceError:
        _fail(f"Survey '{slug}' has no release {release_id}")
        return
    audit.record(get_db(), "cli", "release_published", slug, f"release {release_id}")
    click.echo(f"Published release {release_id} of '{slug}'.")
