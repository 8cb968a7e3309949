"""``flask report export``: write a release's report to a file, as CSV, XLSX or printable HTML.

The file is made from the newest stored release (draft or published), never from responses.
It is created readable by its owner only and never written over an existing file.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import AppGroup

from survey_app.extensions import get_db, get_keyring, get_questionnaires
from survey_app.services import reports
from survey_app.services.errors import ServiceError

report_cli = AppGroup("report", help="Export the protected results of an analysed survey.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(1)


def write_new_file(path: Path, content: bytes) -> None:
    """Create ``path`` (mode 0o600) and write ``content``; ``FileExistsError`` if it exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # whatever the umask
        handle.write(content)


@report_cli.command("export")
@click.option("--survey", "slug", required=True)
@click.option("--format", "file_format", type=click.Choice(reports.FORMATS), required=True)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option(
    "--view",
    "views",
    multiple=True,
    metavar="BREAKDOWN",
    help="A breakdown to include, as 'council' or 'council+ethnic_group' (repeat for more; "
    "'overall' alone gives everyone only). Default: everyone and each published breakdown "
    "by one group.",
)
def report_export(slug: str, file_format: str, out: Path, views: tuple[str, ...]) -> None:
    """Write the survey's newest release to OUT (which must not exist yet)."""
    from survey_app.web.staff.reports import print_page

    if out.exists() or out.is_symlink():
        _fail(f"{out} already exists; choose another file name")
    if not out.parent.is_dir():
        _fail(f"The folder {out.parent} does not exist")
    try:
        found = reports.export_report(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            None,
            slug,
            file_format,
            print_page,
            views,
        )
    except ServiceError as error:
        _fail(str(error))
        return
    try:
        write_new_file(out, found.content)
    except FileExistsError:
        _fail(f"{out} already exists; choose another file name")
    except OSError as error:
        _fail(f"Cannot write {out}: {error.strerror}")
    click.echo(
        f"Wrote the {file_format.upper()} report of '{slug}' to {out} (readable by you only)."
    )


@report_cli.command("annual")
@click.option("--survey", "slug", required=True)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option(
    "--format", "file_format", type=click.Choice(["html", "pdf"]), default="pdf", show_default=True
)
def report_annual(slug: str, out: Path, file_format: str) -> None:
    """Write the survey's annual report (from its newest published release) to OUT."""
    from survey_app.services import annual, audit, pdf, surveys
    from survey_app.web.staff.annual import annual_html

    if out.exists() or out.is_symlink():
        _fail(f"{out} already exists; choose another file name")
    try:
        info = surveys.get_survey(get_db(), slug)
        report = annual.annual_report(get_db(), get_keyring(), get_questionnaires(), info)
        html = annual_html(report)
        content = pdf.html_to_pdf(html) if file_format == "pdf" else html.encode("utf-8")
    except ServiceError as error:
        _fail(str(error))
        return
    try:
        write_new_file(out, content)
    except OSError as error:
        _fail(f"Cannot write {out}: {error.strerror}")
    audit.record(
        get_db(), audit.CLI_ACTOR, "export", slug, f"annual report ({file_format.upper()})"
    )
    click.echo(f"Wrote the annual report of '{slug}' to {out} (readable by you only).")
