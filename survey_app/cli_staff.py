"""``flask users``: staff accounts, their roles and the surveys they work on.

Thin wrappers over ``survey_app.services.accounts``; every change is in the audit log with
the actor ``cli``.
"""

from __future__ import annotations

import sys

import click
from argon2 import PasswordHasher
from flask import current_app
from flask.cli import AppGroup

from survey_app.extensions import get_db
from survey_app.services import accounts
from survey_app.services.audit import CLI_ACTOR
from survey_app.services.errors import ServiceError

users_cli = AppGroup("users", help="Create staff accounts, set roles and survey access.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _hasher() -> PasswordHasher:
    return accounts.password_hasher(
        int(current_app.config["SURVEY_ARGON2_TIME_COST"]),
        int(current_app.config["SURVEY_ARGON2_MEMORY_COST"]),
    )


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(accounts.ROLES), required=True)
@click.option(
    "--password",
    prompt=f"Password (at least {accounts.MIN_PASSWORD_LENGTH} characters)",
    hide_input=True,
    confirmation_prompt=True,
)
def users_create(email: str, role: str, password: str) -> None:
    """Create a staff account. Admins and analysts set up two-factor at their first sign-in."""
    try:
        account = accounts.create_user(
            get_db(), _hasher(), email=email, role=role, password=password, actor=CLI_ACTOR
        )
    except ServiceError as error:
        _fail(str(error))
        return
    click.echo(f"Created {account.role} account for {account.email}.")
    if account.needs_two_factor:
        click.echo("They set up an authenticator app the first time they sign in.")


@users_cli.command("list")
def users_list() -> None:
    """Every staff account, its role, two-factor state and surveys."""
    rows = accounts.list_users(get_db())
    if not rows:
        click.echo("No staff accounts yet. Create one with `flask users create`.")
        return
    click.echo(f"{'email':40} {'role':11} {'2fa':9} {'status':11} surveys")
    for row in rows:
        user = row.account
        two_factor = "on" if user.totp_enabled else "pending" if user.needs_two_factor else "-"
        status = "active" if user.active else "deactivated"
        surveys = "all" if user.is_admin else ", ".join(row.surveys) or "-"
        click.echo(f"{user.email:40} {user.role:11} {two_factor:9} {status:11} {surveys}")


@users_cli.command("assign")
@click.option("--email", required=True)
@click.option("--survey", "slug", required=True)
def users_assign(email: str, slug: str) -> None:
    """Let an analyst or facilitator work on a survey."""
    try:
        changed = accounts.assign(get_db(), email=email, slug=slug, actor=CLI_ACTOR)
    except ServiceError as error:
        _fail(str(error))
        return
    click.echo(
        f"{accounts.normalise_email(email)} {'can now' if changed else 'could already'} "
        f"work on '{slug}'."
    )


@users_cli.command("unassign")
@click.option("--email", required=True)
@click.option("--survey", "slug", required=True)
def users_unassign(email: str, slug: str) -> None:
    """Stop someone working on a survey."""
    try:
        changed = accounts.unassign(get_db(), email=email, slug=slug, actor=CLI_ACTOR)
    except ServiceError as error:
        _fail(str(error))
        return
    click.echo(
        f"{accounts.normalise_email(email)} "
        f"{'can no longer' if changed else 'was not assigned to, and cannot'} work on '{slug}'."
    )


@users_cli.command("deactivate")
@click.option("--email", required=True)
def users_deactivate(email: str) -> None:
    """Stop an account signing in, and sign it out everywhere."""
    try:
        account = accounts.deactivate(get_db(), email=email, actor=CLI_ACTOR)
    except ServiceError as error:
        _fail(str(error))
        return
    click.echo(f"Deactivated {account.email}.")


@users_cli.command("reset-2fa")
@click.option("--email", required=True)
def users_reset_2fa(email: str) -> None:
    """Forget an account's authenticator app (for a lost phone), and sign it out everywhere."""
    try:
        account = accounts.reset_two_factor(get_db(), email=email, actor=CLI_ACTOR)
    except ServiceError as error:
        _fail(str(error))
        return
    click.echo(f"Reset two-factor for {account.email}. They set it up again at their next sign-in.")


@users_cli.command("reactivate")
@click.option("--email", required=True)
def users_reactivate(email: str) -> None:
    """Let a deactivated account sign in again (with its old password and authenticator)."""
    try:
        account = accounts.reactivate(get_db(), email=email, actor=CLI_ACTOR)
    except ServiceError as error:
        _fail(str(error))
        return
    click.echo(f"Reactivated {account.email}. They can sign in again with their password.")


@users_cli.command("reset-password")
@click.option("--email", required=True)
def users_reset_password(email: str) -> None:
    """Give an account a temporary password (shown once) and sign it out everywhere."""
    try:
        account, password = accounts.reset_password(
            get_db(), _hasher(), email=email, actor=CLI_ACTOR
        )
    except ServiceError as error:
        _fail(str(error))
        return
    click.echo(f"Reset the password for {account.email}. Their temporary password is:")
    click.echo(f"    {password}")
    click.echo(
        "It is shown only this once and not kept. Give it to them in person or by phone. "
        "They must choose a new password when they sign in with it."
    )
