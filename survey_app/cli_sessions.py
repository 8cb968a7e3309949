"""``flask series`` and ``flask sessions``: feedback collected session by session."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from survey_app.cli import WHOLE_NUMBER, create_with_slot, fail
from survey_app.extensions import get_db, get_questionnaires
from survey_app.services import audit, sessions, surveys
from survey_app.services.errors import ServiceError

series_cli = AppGroup("series", help="Create and list series of feedback sessions.")
sessions_cli = AppGroup("sessions", help="Create, start, close and list a series' sessions.")


@series_cli.command("create")
@click.option("--questionnaire", "questionnaire_id", required=True, help="Questionnaire id.")
@click.option("--title", required=True, help='e.g. "Global Majority Reflective Space 2026-27".')
@click.option(
    "--min-group", type=WHOLE_NUMBER, default=None, help="Smallest group a report may show."
)
@click.option("--slug", default=None, help="The series' name in addresses (default: from title).")
@click.option("--key-label", prompt="Label for the first key holder (e.g. their role)")
@click.option(
    "--passphrase",
    prompt="Passphrase for that key holder (at least 12 characters)",
    hide_input=True,
    confirmation_prompt=True,
)
def series_create(
    questionnaire_id: str,
    title: str,
    min_group: int | None,
    slug: str | None,
    key_label: str,
    passphrase: str,
) -> None:
    """Create a series: one questionnaire and key pair for all of its sessions."""
    info = create_with_slot(
        questionnaire_id, title, "sessions", min_group, slug, key_label, passphrase
    )
    if info is None:
        return
    surveys.open_survey(get_db(), info.slug)
    audit.record(get_db(), audit.CLI_ACTOR, "survey_opened", info.slug)
    click.echo(f"Add its sessions with: flask sessions create --series {info.slug} ...")


@series_cli.command("list")
def series_list() -> None:
    """Every series, with its number of sessions."""
    for info in surveys.list_surveys(get_db()):
        if info.access == "sessions":
            count = len(sessions.list_sessions(get_db(), info.id))
            click.echo(f"{info.slug:40} {info.status:7} {count:>4} session(s)  {info.title}")


@sessions_cli.command("create")
@click.option("--series", "slug", required=True)
@click.option("--title", required=True)
@click.option("--date", "held_on", required=True, help="The day it is held: YYYY-MM-DD.")
@click.option("--format", "format_", type=click.Choice(list(sessions.FORMATS)), required=True)
@click.option("--council", default=None, help="The council it is for, if only one.")
@click.option("--facilitators", default="", help="Who runs it (shown to staff only).")
@click.option(
    "--minutes",
    type=WHOLE_NUMBER,
    default=sessions.DEFAULT_OPEN_MINUTES,
    show_default=True,
    help="How long it takes responses once started.",
)
@click.option("--opens-at", default=None, help="Start it at this time (YYYY-MM-DDTHH:MM, UTC).")
def sessions_create(
    slug: str,
    title: str,
    held_on: str,
    format_: str,
    council: str | None,
    facilitators: str,
    minutes: int,
    opens_at: str | None,
) -> None:
    """Add a session to a series, with its short link."""
    try:
        day = dt.date.fromisoformat(held_on)
        start = _utc(dt.datetime.fromisoformat(opens_at)) if opens_at else None
    except ValueError:
        fail("--date must be YYYY-MM-DD and --opens-at YYYY-MM-DDTHH:MM")
        return
    try:
        series = sessions.series_of(get_db(), slug)
        created = sessions.create_session(
            get_db(),
            series,
            get_questionnaires(),
            title=title,
            held_on=day,
            format=format_,
            council=council,
            facilitators=facilitators,
            open_minutes=minutes,
            opens_at=start,
        )
    except ServiceError as error:
        fail(str(error))
        return
    audit.record(get_db(), audit.CLI_ACTOR, "session_created", slug, created.title)
    click.echo(f"Created session '{created.title}' with short code {created.short_code}.")
    click.echo(f"Respondents answer at /f/{created.short_code} once it has started.")


@sessions_cli.command("start")
@click.argument("short_code")
def sessions_start(short_code: str) -> None:
    """Start taking responses now, for the session's number of minutes."""
    _change(short_code, sessions.start_session, "session_started", "is taking responses until")


@sessions_cli.command("close")
@click.argument("short_code")
def sessions_close(short_code: str) -> None:
    """Stop taking responses now."""
    _change(short_code, sessions.close_session, "session_closed", "closed at")


@sessions_cli.command("list")
@click.option("--series", "slug", required=True)
def sessions_list(slug: str) -> None:
    """The series' sessions: short code, date, format, state and responses."""
    try:
        series = sessions.series_of(get_db(), slug)
    except ServiceError as error:
        fail(str(error))
        return
    counts = sessions.response_counts(get_db(), series.id)
    now = sessions.utcnow()
    for found in sessions.list_sessions(get_db(), series.id):
        click.echo(
            f"{found.short_code:8} {found.held_on.isoformat()} {found.format:9} "
            f"{found.state(now):7} {counts.get(found.id, 0):>5}  {found.title}"
        )


def _change(short_code: str, action, event: str, verb: str) -> None:  # type: ignore[no-untyped-def]
    found = sessions.find_session(get_db(), short_code)
    if found is None:
        fail(f"There is no session with the short code '{short_code}'")
        return
    try:
        changed = action(get_db(), found.id)
    except ServiceError as error:
        fail(str(error))
        return
    series = surveys.get_survey_by_id(get_db(), changed.survey_id)
    audit.record(get_db(), audit.CLI_ACTOR, event, series.slug, changed.title)
    until = changed.closes_at.strftime("%H:%M UTC on %d %B %Y") if changed.closes_at else ""
    click.echo(f"Session '{changed.title}' {verb} {until}.")


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
