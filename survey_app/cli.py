"""Operator commands. Each is a thin wrapper over a tested service function.

``flask questionnaires`` is also registered as a Flask plugin command (see pyproject.toml),
so it works even when a broken questionnaire stops the application from starting.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from config import load_config
from survey_app.crypto import CryptoError
from survey_app.domain.loading import check_files, questionnaire_files
from survey_app.domain.numbers import whole_number
from survey_app.extensions import get_code_secret, get_db, get_keyring, get_questionnaires
from survey_app.services import audit, export, keys, surveys
from survey_app.services import codes as code_service
from survey_app.services.accounts import survey_detail
from survey_app.services.errors import ServiceError
from survey_app.storage import migrating

db_cli = AppGroup("db", help="Create and upgrade the database schema (Alembic).")
surveys_cli = AppGroup("surveys", help="Create, open, close and list surveys.")
keys_cli = AppGroup("keys", help="Manage the key holders (key slots) of a survey.")
codes_cli = AppGroup("codes", help="Issue single-use access codes.")
responses_cli = AppGroup("responses", help="Open responses for a key holder.")


@click.group("questionnaires", help="Check questionnaire files.")
def questionnaires_cli() -> None:
    """Works without a running application."""


def init_app(app: Flask) -> None:
    for group in (db_cli, surveys_cli, keys_cli, codes_cli, responses_cli):
        app.cli.add_command(group)
    from survey_app.cli_staff import users_cli
    from survey_app.demo import demo_cli

    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    from survey_app.cli_analysis import analysis_cli
    from survey_app.cli_report import report_cli

    app.cli.add_command(analysis_cli)
    app.cli.add_command(report_cli)
    from survey_app.cli_themes import themes_cli

    app.cli.add_command(themes_cli)
    from survey_app.cli_sessions import series_cli, sessions_cli

    app.cli.add_command(series_cli)
    app.cli.add_command(sessions_cli)
    from survey_app.cli_headcounts import headcounts_cli
    from survey_app.cli_retention import retention_cli

    app.cli.add_command(retention_cli)
    app.cli.add_command(headcounts_cli)
    from survey_app.cli_jobs import jobs_cli

    app.cli.add_command(jobs_cli)
    import survey_app.cli_cycles  # noqa: F401  (adds next-cycle and keys accept to the groups)


def fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


# Newer Click makes ParamType generic; older versions take no subscript at run time.
if TYPE_CHECKING:
    _IntParamType = click.ParamType[int]
else:
    _IntParamType = click.ParamType


class WholeNumberParam(_IntParamType):
    """A whole number in ASCII digits (``survey_app.domain.numbers``). Click's own ``int``
    takes what ``int()`` takes: " 12", "1_000", other scripts' digits."""

    name = "integer"

    def __init__(
        self, *, signed: bool = False, minimum: int | None = None, maximum: int | None = None
    ) -> None:
        self.signed, self.minimum, self.maximum = signed, minimum, maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):  # a default
            return value
        number = whole_number(str(value), signed=self.signed)
        if number is None:
            self.fail(f"'{value}' is not a whole number", param, ctx)
        if (self.minimum is not None and number < self.minimum) or (
            self.maximum is not None and number > self.maximum
        ):
            if self.maximum is None:
                wanted = f"of {self.minimum:,} or more"
            elif self.minimum is None:
                wanted = f"of {self.maximum:,} or fewer"
            else:
                wanted = f"from {self.minimum:,} to {self.maximum:,}"
            self.fail(f"'{value}' is not a whole number {wanted}", param, ctx)
        return number


WHOLE_NUMBER = WholeNumberParam()
#: A whole number that may start with "-" (theme numbers: -1 is "no theme").
SIGNED_NUMBER = WholeNumberParam(signed=True)


def scrypt_cost() -> int:
    cost = int(current_app.config["SURVEY_SCRYPT_LOG2_N"])
    if current_app.config["SURVEY_ENV"] != "test" and cost < 17:
        fail("SURVEY_SCRYPT_LOG2_N must be at least 17")
    return cost


# --- questionnaires -------------------------------------------------------------------------


@questionnaires_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate_command(paths: tuple[Path, ...]) -> None:
    """Check questionnaire files (default: every file in the questionnaire folder).

    Prints each problem as ``file: /json/pointer: reason`` and exits 1 if there is any.
    """
    files = list(paths) or questionnaire_files(Path(load_config().SURVEY_QUESTIONNAIRE_DIR))
    problems = check_files(files)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        sys.exit(1)
    click.echo(f"{len(files)} questionnaire file(s) valid.")


# --- db -------------------------------------------------------------------------------------


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Bring the database up to REVISION (default: the newest)."""
    migrating.upgrade(
        get_db(), current_app.config["SURVEY_MIGRATIONS_DIR"], revision, keyring=get_keyring()
    )
    click.echo(f"Database at revision {migrating.current_revision(get_db())}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Step the database back to REVISION ("base" empties it)."""
    migrating.downgrade(
        get_db(), current_app.config["SURVEY_MIGRATIONS_DIR"], revision, keyring=get_keyring()
    )
    click.echo(f"Database at revision {migrating.current_revision(get_db())}.")


@db_cli.command("current")
def db_current() -> None:
    """Show the database's revision."""
    click.echo(migrating.current_revision(get_db()) or "empty (no revision)")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True, help="Compare models with the database.")
def db_revision(message: str, autogenerate: bool) -> None:
    """Create a new migration script."""
    migrating.revision(get_db(), current_app.config["SURVEY_MIGRATIONS_DIR"], message, autogenerate)


# --- surveys --------------------------------------------------------------------------------


LOSS_WARNING = (
    "Responses can only be read with a key holder's passphrase. Nobody can recover a lost "
    "passphrase: if every key holder loses theirs, the responses are gone for good. Add a "
    "second key holder with `flask keys add-slot`."
)


@surveys_cli.command("create")
@click.option("--questionnaire", "questionnaire_id", required=True, help="Questionnaire id.")
@click.option("--title", required=True)
@click.option("--access", type=click.Choice(["open", "codes"]), default="open", show_default=True)
@click.option("--min-group", type=WHOLE_NUMBER, default=None, help="Minimum group size in reports.")
@click.option("--slug", default=None, help="The survey's address (default: from the title).")
@click.option("--cycle", default=None, help="The annual cycle it belongs to, such as 2026-27.")
@click.option("--key-label", prompt="Label for the first key holder (e.g. their role)")
@click.option(
    "--passphrase",
    prompt="Passphrase for that key holder (at least 12 characters)",
    hide_input=True,
    confirmation_prompt=True,
)
def surveys_create(
    questionnaire_id: str,
    title: str,
    access: str,
    min_group: int | None,
    slug: str | None,
    cycle: str | None,
    key_label: str,
    passphrase: str,
) -> None:
    """Create a survey (closed to respondents until `flask surveys open`)."""
    info = create_with_slot(
        questionnaire_id, title, access, min_group, slug, key_label, passphrase, cycle=cycle
    )
    if info is not None:
        click.echo(f"Open it to respondents with: flask surveys open {info.slug}")


def create_with_slot(
    questionnaire_id: str,
    title: str,
    access: str,
    min_group: int | None,
    slug: str | None,
    key_label: str,
    passphrase: str,
    *,
    cycle: str | None = None,
) -> surveys.SurveyInfo | None:
    """Create a survey or series with its first key slot, audit it and say so (None: failed)."""
    questionnaire = get_questionnaires().get(questionnaire_id)
    if questionnaire is None:
        known = ", ".join(sorted(get_questionnaires()))
        fail(f"No questionnaire with the id '{questionnaire_id}'. Known: {known}")
        return None
    try:
        info = surveys.create_survey(
            get_db(),
            questionnaire,
            title=title,
            access=access,
            min_group=(
                min_group
                if min_group is not None
                else current_app.config["SURVEY_DEFAULT_MIN_GROUP"]
            ),
            key_label=key_label,
            passphrase=passphrase,
            log2_n=scrypt_cost(),
            slug=slug,
            cycle=cycle,
        )
    except ServiceError as error:
        fail(str(error))
        return None
    audit.record(get_db(), audit.CLI_ACTOR, "survey_created", info.slug, survey_detail(info))
    if access == "sessions":
        click.echo(f"Created series '{info.slug}' (minimum group {info.min_group}).")
    else:
        click.echo(
            f"Created survey '{info.slug}' ({info.access} access, minimum group {info.min_group})."
        )
    click.echo(LOSS_WARNING)
    return info


@surveys_cli.command("open")
@click.argument("slug")
def surveys_open(slug: str) -> None:
    """Start accepting responses."""
    try:
        info = surveys.open_survey(get_db(), slug)
    except ServiceError as error:
        fail(str(error))
        return
    audit.record(get_db(), audit.CLI_ACTOR, "survey_opened", info.slug)
    click.echo(f"Survey '{info.slug}' is open.")


@surveys_cli.command("close")
@click.argument("slug")
def surveys_close(slug: str) -> None:
    """Stop accepting responses (cannot be undone)."""
    try:
        info = surveys.close_survey(get_db(), slug)
    except ServiceError as error:
        fail(str(error))
        return
    audit.record(get_db(), audit.CLI_ACTOR, "survey_closed", info.slug)
    count = surveys.response_count(get_db(), info.id)
    click.echo(f"Survey '{info.slug}' is closed with {count} response(s).")


@surveys_cli.command("ceiling")
@click.argument("slug")
@click.argument("per_minute", metavar="PER_MINUTE|default")
def surveys_ceiling(slug: str, per_minute: str) -> None:
    """Set an open survey's ceiling on responses a minute ("default": the deployment's)."""
    default = int(current_app.config["SURVEY_OPEN_RESPONSES_PER_MINUTE"])
    if per_minute == "default":
        value = None
    elif (number := whole_number(per_minute)) is not None:
        value = number
    else:
        fail("PER_MINUTE must be a whole number or 'default'")
        return
    try:
        info = surveys.set_responses_per_minute(get_db(), slug, value)
    except ServiceError as error:
        fail(str(error))
        return
    applied = info.responses_per_minute or default
    audit.record(get_db(), audit.CLI_ACTOR, "ceiling_changed", info.slug, f"{applied} a minute")
    click.echo(f"Survey '{info.slug}' accepts at most {applied} responses a minute.")


@surveys_cli.command("list")
def surveys_list() -> None:
    """Every survey with its status and response count."""
    rows = surveys.list_surveys(get_db())
    if not rows:
        click.echo("No surveys yet. Create one with `flask surveys create`.")
        return
    click.echo(f"{'slug':40} {'status':7} {'access':6} {'min':>4} {'responses':>9}  questionnaire")
    for info in rows:
        count = surveys.response_count(get_db(), info.id)
        click.echo(
            f"{info.slug:40} {info.status:7} {info.access:6} {info.min_group:>4} {count:>9}  "
            f"{info.questionnaire_id} {info.questionnaire_version}"
        )


# --- keys -----------------------------------------------------------------------------------


@keys_cli.command("list")
@click.option("--survey", "slug", required=True)
def keys_list(slug: str) -> None:
    """The survey's key slots (labels only; nothing secret)."""
    try:
        slots = keys.list_slots(get_db(), slug)
    except ServiceError as error:
        fail(str(error))
        return
    for slot in slots:
        click.echo(f"{slot.label}  (added {slot.created_on.isoformat()}, scrypt n=2^{slot.log2_n})")


@keys_cli.command("add-slot")
@click.option("--survey", "slug", required=True)
@click.option("--label", required=True, help="Who holds the new passphrase (e.g. a role).")
@click.option("--passphrase", prompt="An existing key holder's passphrase", hide_input=True)
@click.option(
    "--new-passphrase",
    prompt="The new key holder's passphrase (at least 12 characters)",
    hide_input=True,
    confirmation_prompt=True,
)
def keys_add(slug: str, label: str, passphrase: str, new_passphrase: str) -> None:
    """Add a key holder. Needs an existing key holder's passphrase."""
    try:
        keys.add_slot(
            get_db(),
            slug,
            passphrase=passphrase,
            label=label,
            new_passphrase=new_passphrase,
            log2_n=scrypt_cost(),
        )
    except ServiceError as error:
        fail(str(error))
        return
    audit.record(get_db(), audit.CLI_ACTOR, "key_slot_added", slug, f"label {label.strip()}")
    click.echo(f"Added key slot '{label}'.")


@keys_cli.command("remove-slot")
@click.option("--survey", "slug", required=True)
@click.option("--label", required=True)
@click.option("--passphrase", prompt="A key holder's passphrase", hide_input=True)
def keys_remove(slug: str, label: str, passphrase: str) -> None:
    """Remove a key holder. The last slot cannot be removed."""
    try:
        keys.remove_slot(get_db(), slug, passphrase=passphrase, label=label)
    except ServiceError as error:
        fail(str(error))
        return
    audit.record(get_db(), audit.CLI_ACTOR, "key_slot_removed", slug, f"label {label}")
    click.echo(f"Removed key slot '{label}'.")


# --- codes ----------------------------------------------------------------------------------


@codes_cli.command("issue")
@click.option("--survey", "slug", required=True)
@click.option("--count", type=WHOLE_NUMBER, required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True, help="CSV file to write.")
def codes_issue(slug: str, count: int, out: Path) -> None:
    """Make COUNT single-use codes and write them to a CSV file (they are not kept)."""
    try:
        # Created before any code exists, readable by its owner only, never over another file.
        handle = os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w")
    except FileExistsError:
        fail(f"{out} already exists; choose another file name")
        return
    with handle:
        try:
            issued = code_service.issue_codes(get_db(), slug, count, get_code_secret())
        except ServiceError as error:
            handle.close()
            out.unlink()
            fail(str(error))
            return
        handle.write("code\n")
        handle.writelines(f"{code}\n" for code in issued)
    audit.record(get_db(), audit.CLI_ACTOR, "codes_issued", slug, f"{len(issued)} codes")
    click.echo(
        f"Wrote {len(issued)} code(s) to {out}. "
        "Hand them out at random; keep no list of who got which."
    )


# --- responses ------------------------------------------------------------------------------


@responses_cli.command("export")
@click.option("--survey", "slug", required=True)
@click.option("--out", type=click.Path(path_type=Path), required=True)
@click.option("--passphrase", prompt="A key holder's passphrase", hide_input=True)
def responses_export(slug: str, out: Path, passphrase: str) -> None:
    """Write the opened responses to a JSON file for the key holder. Keep it safe."""
    try:
        count = export.write_export(get_db(), slug, passphrase, out)
    except CryptoError:
        fail("A response could not be opened: it may have been altered or moved between surveys")
        return
    except ServiceError as error:
        fail(str(error))
        return
    audit.record(get_db(), audit.CLI_ACTOR, "export", slug, f"{count} responses")
    click.echo(f"Wrote {count} response(s) to {out} (readable by you only). Delete it when done.")
