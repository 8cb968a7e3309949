"""``flask themes``: review the themes and quotes of a draft release from the command line.

The same actions as the web review pages, through the same service (``services.review``):
each change reprotects the draft release and is written to the audit log as ``cli``.

The comments are sealed under a key only a key holder's passphrase opens. A command finds the
review unlocked when someone unlocked it in the shared store (Redis, ``REDIS_URL``) — from the
web pages or with ``flask themes unlock`` —; otherwise it asks for a passphrase (or reads
``--passphrase-file``) and unlocks it for as long as the command runs.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from analysis.comments import NO_THEME, ReviewError
from survey_app.cli import SIGNED_NUMBER, WHOLE_NUMBER
from survey_app.cli_analysis import PASSPHRASE_FILE, read_passphrase
from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_theme_options,
    get_unlock_store,
    unlock_seconds,
)
from survey_app.services import audit, reports, review, themes
from survey_app.services.errors import KeySlotError, ServiceError

themes_cli = AppGroup("themes", help="Review the themes and quotes of a draft release.")

SURVEY = click.option("--survey", "slug", required=True, help="The survey's slug.")
QUESTION = click.option("--question", "question_id", required=True, help="A free-text question id.")
THEME = click.option(
    "--theme", "theme_id", type=SIGNED_NUMBER, required=True, help="A theme number."
)
QUOTE = click.option("--quote", "quote_id", required=True, help="A quote id, such as q3.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(1)


def _context(slug: str, passphrase_file: Path | None) -> review.ReviewContext:
    store = get_unlock_store()
    try:
        try:
            return review.open_review(
                get_db(), get_keyring(), get_questionnaires(), None, slug, store
            )
        except review.ReviewLockedError:
            _unlock(slug, passphrase_file)
            return review.open_review(
                get_db(), get_keyring(), get_questionnaires(), None, slug, store
            )
    except ServiceError as error:
        _fail(str(error))
        raise  # not reached


def _unlock(slug: str, passphrase_file: Path | None) -> str:
    passphrase = read_passphrase(passphrase_file)
    try:
        release_id = review.unlock_review(
            get_db(), get_unlock_store(), slug, passphrase, hours=unlock_seconds() // 3600
        )
    except KeySlotError as error:
        audit.record(
            get_db(), audit.CLI_ACTOR, "review_unlocked", slug, "refused: wrong passphrase"
        )
        _fail(str(error))
        raise  # not reached
    return release_id


def _act(
    slug: str, question_id: str, action: str, passphrase_file: Path | None, **values: object
) -> None:
    context = _context(slug, passphrase_file)
    try:
        after = review.act(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            get_theme_options(),
            None,
            slug,
            context.release_id,
            question_id,
            action,
            {k: str(v) for k, v in values.items()},
            get_unlock_store(),
        )
    except (ReviewError, ServiceError) as error:
        _fail(str(error))
        return
    decisions = after.review(question_id).decisions
    click.echo(f"Done: {decisions[-1].detail}." if decisions else "Nothing changed.")


@themes_cli.command("list")
@SURVEY
@PASSPHRASE_FILE
def themes_list(slug: str, passphrase_file: Path | None) -> None:
    """Each free-text question of the draft with its themes (exact sizes: for analysts)."""
    context = _context(slug, passphrase_file)
    for found in context.reviews:
        click.echo(f"{found.question_id}: {context.question_text(found.question_id)}")
        if found.status != "ready":
            state = (
                "too few comments to form themes" if found.status == "too_few" else "no comments"
            )
            click.echo(f"  {len(found.comments)} comments: {state}")
            continue
        click.echo(
            f"  {len(found.comments)} comments, engine {found.engine}, "
            f"{len(found.pending_quotes)} quotes waiting"
        )
        for row in review.theme_rows(found):
            flag = "" if row.reportable else "  [not reportable]"
            click.echo(f"  theme {row.id:>3}  {row.size:>5}  {row.label}{flag}")
            if row.key_phrases:
                click.echo(f"               key phrases: {', '.join(row.key_phrases)}")
        click.echo(f"  no clear theme: {found.unthemed}")


@themes_cli.command("comments")
@SURVEY
@QUESTION
@THEME
@PASSPHRASE_FILE
def themes_comments(
    slug: str, question_id: str, theme_id: int, passphrase_file: Path | None
) -> None:
    """The comments of one theme, redacted, with their numbers (-1: no clear theme)."""
    found = _context(slug, passphrase_file).review(question_id)
    if theme_id != NO_THEME and not found.has_theme(theme_id):
        _fail(f"There is no theme {theme_id}")
    for row in review.comment_rows(found, theme_id):
        unsure = f"  [check: {', '.join(row.flags)}]" if row.flags else ""
        click.echo(f"{row.index + 1:>5}. {row.text}{unsure}")


@themes_cli.command("rename")
@SURVEY
@QUESTION
@THEME
@click.option("--label", required=True, help="The theme's new name.")
@PASSPHRASE_FILE
def themes_rename(
    slug: str, question_id: str, theme_id: int, label: str, passphrase_file: Path | None
) -> None:
    """Name a theme."""
    _act(slug, question_id, "rename", passphrase_file, theme=theme_id, label=label)


@themes_cli.command("merge")
@SURVEY
@QUESTION
@THEME
@click.option("--into", "into", type=SIGNED_NUMBER, required=True, help="The theme to merge into.")
@PASSPHRASE_FILE
def themes_merge(
    slug: str, question_id: str, theme_id: int, into: int, passphrase_file: Path | None
) -> None:
    """Merge one theme into another."""
    _act(slug, question_id, "merge", passphrase_file, theme=theme_id, into=into)


@themes_cli.command("split")
@SURVEY
@QUESTION
@THEME
@PASSPHRASE_FILE
def themes_split(slug: str, question_id: str, theme_id: int, passphrase_file: Path | None) -> None:
    """Split off a sub-theme: the theme's comments are grouped again in two."""
    _act(slug, question_id, "split", passphrase_file, theme=theme_id)


@themes_cli.command("move")
@SURVEY
@QUESTION
@click.option(
    "--comment", type=WHOLE_NUMBER, required=True, help="The comment's number (from 'comments')."
)
@click.option(
    "--to", "to", type=SIGNED_NUMBER, required=True, help="The theme to move it to (-1: none)."
)
@PASSPHRASE_FILE
def themes_move(
    slug: str, question_id: str, comment: int, to: int, passphrase_file: Path | None
) -> None:
    """Move one comment to another theme."""
    _act(slug, question_id, "move", passphrase_file, comment=comment - 1, to=to)


@themes_cli.command("reportable")
@SURVEY
@QUESTION
@THEME
@click.option("--no", "not_reportable", is_flag=True, help="Mark the theme not reportable.")
@PASSPHRASE_FILE
def themes_reportable(
    slug: str, question_id: str, theme_id: int, not_reportable: bool, passphrase_file: Path | None
) -> None:
    """Mark a theme reportable (or, with --no, not reportable: its comments count as other)."""
    _act(
        slug,
        question_id,
        "not_reportable" if not_reportable else "reportable",
        passphrase_file,
        theme=theme_id,
    )


@themes_cli.command("quotes")
@SURVEY
@QUESTION
@PASSPHRASE_FILE
def themes_quotes(slug: str, question_id: str, passphrase_file: Path | None) -> None:
    """Candidate quotes, waiting first."""
    found = _context(slug, passphrase_file).review(question_id)
    for row in review.quote_rows(found):
        unsure = f"  [check: {', '.join(row.flags)}]" if row.flags else ""
        click.echo(f"{row.id:>5} {row.status:<9} {row.theme}: {row.text}{unsure}")


@themes_cli.command("approve")
@SURVEY
@QUESTION
@QUOTE
@PASSPHRASE_FILE
def themes_approve(
    slug: str, question_id: str, quote_id: str, passphrase_file: Path | None
) -> None:
    """Approve a quote as it is."""
    _act(slug, question_id, "approve", passphrase_file, quote=quote_id)


@themes_cli.command("reject")
@SURVEY
@QUESTION
@QUOTE
@PASSPHRASE_FILE
def themes_reject(slug: str, question_id: str, quote_id: str, passphrase_file: Path | None) -> None:
    """Reject a quote."""
    _act(slug, question_id, "reject", passphrase_file, quote=quote_id)


@themes_cli.command("edit")
@SURVEY
@QUESTION
@QUOTE
@click.option("--text", required=True, help="The quote's text after your edit.")
@PASSPHRASE_FILE
def themes_edit(
    slug: str, question_id: str, quote_id: str, text: str, passphrase_file: Path | None
) -> None:
    """Edit a quote's redaction and approve it (the edit is redacted again)."""
    _act(slug, question_id, "edit_quote", passphrase_file, quote=quote_id, text=text)


@themes_cli.command("unlock")
@SURVEY
@PASSPHRASE_FILE
def themes_unlock(slug: str, passphrase_file: Path | None) -> None:
    """Unlock the draft's review for other people and commands (needs REDIS_URL to outlast
    this command; the web pages' unlock does the same)."""
    release_id = _unlock(slug, passphrase_file)
    audit.record(get_db(), audit.CLI_ACTOR, "review_unlocked", slug, f"release {release_id}")
    hours = unlock_seconds() // 3600
    click.echo(f"Unlocked the review of release {release_id} for {hours} hours.")


@themes_cli.command("lock")
@SURVEY
def themes_lock(slug: str) -> None:
    """Lock the draft's review now: a key holder must unlock it again."""
    release_id = review.draft_under_review(get_db(), slug)
    if release_id is None:
        _fail(f"Survey '{slug}' has no draft release with comments to review")
        return
    get_unlock_store().drop(release_id)
    audit.record(get_db(), audit.CLI_ACTOR, "review_locked", slug, f"release {release_id}")
    click.echo(f"Locked the review of release {release_id}.")


@themes_cli.command("codebook")
@SURVEY
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), default=None)
def themes_codebook(slug: str, output: Path | None) -> None:
    """The newest release's named themes as a codebook for next year's questionnaire."""
    try:
        context = reports.open_report(get_db(), get_keyring(), get_questionnaires(), None, slug)
    except ServiceError as error:
        _fail(str(error))
        return
    if context.release is None:
        _fail(f"Survey '{slug}' has no release yet")
        return
    text = themes.carried_codebook(context.release.themes.values(), context.release.as_at.year)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}")
