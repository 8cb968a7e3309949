"""``flask surveys next-cycle`` and ``flask keys accept``: the annual cycle from the shell."""

from __future__ import annotations

import click

from survey_app.cli import fail, keys_cli, scrypt_cost, surveys_cli
from survey_app.extensions import get_db, get_keyring, get_questionnaires
from survey_app.services import audit, cycles, surveys
from survey_app.services.errors import ServiceError

INVITATION_ADVICE = (
    "Give each key holder their own code, privately (in person, or by a channel other than the "
    "one you use for the address). Each accepts with `flask keys accept SLUG --label LABEL`, or "
    "on the survey's page, and chooses a new passphrase. The codes are shown only now: nobody "
    "can show them again. The survey cannot open until at least one key holder has accepted."
)


@surveys_cli.command("next-cycle")
@click.argument("slug")
@click.option("--cycle", required=True, help="The new cycle's label, such as 2027-28.")
@click.option("--title", default=None, help="Default: this survey's title with the new cycle.")
@click.option("--slug", "new_slug", default=None, help="Default: from the title's cycle.")
@click.option("--version", default=None, help="Questionnaire version (default: the newest).")
@click.option(
    "--carry-codebook/--no-carry-codebook",
    default=True,
    show_default=True,
    help="Code free text against last cycle's reviewed themes.",
)
def surveys_next_cycle(
    slug: str,
    cycle: str,
    title: str | None,
    new_slug: str | None,
    version: str | None,
    carry_codebook: bool,
) -> None:
    """Make the draft survey of the cycle after SLUG, with a new key pair and its key holders
    invited again."""
    try:
        made = cycles.next_cycle(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            slug,
            cycle=cycle,
            actor=audit.CLI_ACTOR,
            log2_n=scrypt_cost(),
            title=title,
            new_slug=new_slug,
            version=version,
            carry_codebook=carry_codebook,
        )
    except ServiceError as error:
        fail(str(error))
        return
    survey = made.survey
    click.echo(
        f"Created '{survey.slug}' ({survey.cycle}), following '{made.previous.slug}', with "
        f"questionnaire version {survey.questionnaire_version} and a new key pair."
    )
    carried = sum(made.carried.values())
    if carried:
        click.echo(f"{carried} code(s) carried from last cycle's reviewed themes.")
    click.echo("Invitation codes, one per key holder:")
    for invitation in made.invitations:
        click.echo(f"  {invitation.label}: {invitation.code}")
    click.echo(INVITATION_ADVICE)


@surveys_cli.command("cycle")
@click.argument("slug")
@click.argument("cycle")
@click.option("--follows", default=None, help="The survey of the cycle before, by slug.")
def surveys_cycle(slug: str, cycle: str, follows: str | None) -> None:
    """Name the annual cycle SLUG belongs to, such as 2025-26 ("" for none), and the survey
    it follows, for surveys made before cycles existed."""
    try:
        info = surveys.set_cycle(get_db(), slug, cycle)
        if follows:
            info = cycles.follow(get_db(), slug, follows)
    except ServiceError as error:
        fail(str(error))
        return
    after = f", after '{follows}'" if follows else ""
    click.echo(f"Survey '{info.slug}' is the {info.cycle or 'no'} cycle{after}.")


@keys_cli.command("accept")
@click.argument("slug")
@click.option("--label", required=True, help="Your key holder label, as on the invitation.")
@click.option("--code", prompt="Your invitation code", hide_input=True)
@click.option(
    "--passphrase",
    prompt="Your new passphrase for this cycle (at least 12 characters)",
    hide_input=True,
    confirmation_prompt=True,
)
def keys_accept(slug: str, label: str, code: str, passphrase: str) -> None:
    """Accept an invitation to hold a new cycle's key, choosing a new passphrase."""
    try:
        cycles.accept_invitation(
            get_db(),
            slug,
            label=label,
            code=code,
            passphrase=passphrase,
            log2_n=scrypt_cost(),
            actor=audit.CLI_ACTOR,
        )
    except ServiceError as error:
        fail(str(error))
        return
    click.echo(f"'{label}' now holds the key of '{slug}' with the new passphrase.")
