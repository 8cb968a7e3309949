"""Key slots: the survey's private key wrapped under each key holder's passphrase."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from survey_app.crypto import (
    WrongPassphraseError,
    unwrap_private_key,
    wrap_private_key,
    wrapped_log2_n,
)
from survey_app.services.errors import KeySlotError, ServiceError
from survey_app.services.surveys import (
    slot_aad,
    survey_row,
    validate_passphrase,
    validate_slot_label,
)
from survey_app.storage.database import Database
from survey_app.storage.models import KeySlot, Survey

# A message, not a secret.
WRONG_PASSPHRASE = "That passphrase does not open any key slot of this survey"  # noqa: S105
LAST_SLOT = "This is the survey's last key slot. Add another key holder before removing it"
REMOVED_HOLDERS_PASSPHRASE = (
    "Enter the passphrase of a key holder who is staying, not of the one you are removing"  # noqa: S105
)


class PassphraseRefused(KeySlotError):
    """The passphrase opened no key slot (or not one it had to): the guess that a limit counts,
    as opposed to a refused change such as removing the last slot."""


@dataclass(frozen=True)
class SlotInfo:
    label: str
    created_on: dt.date
    log2_n: int
    #: an invited key holder of a new cycle who has not yet chosen a passphrase
    invitation: bool = False


def list_slots(db: Database, slug: str) -> list[SlotInfo]:
    with db.session() as session:
        survey = survey_row(session, slug)
        return [
            SlotInfo(slot.label, slot.created_on, wrapped_log2_n(slot.wrapped_key), slot.invitation)
            for slot in survey.key_slots
        ]


def accepted_slots(survey: Survey) -> list[KeySlot]:
    """The slots a passphrase opens (invitations not yet accepted are left out)."""
    return [slot for slot in survey.key_slots if not slot.invitation]


def unlock(session: Session, survey: Survey, passphrase: str) -> tuple[bytes, KeySlot]:
    """Return the survey's private key and the slot that opened it, or raise KeySlotError
    (a shredded survey, whose slots are gone: ServiceError, saying so)."""
    if survey.shredded_on is not None:
        raise ServiceError(
            f"This survey's responses and keys were deleted on {survey.shredded_on:%-d %B %Y}, "
            "at the end of its retention period: nothing can be unlocked. Its published "
            "reports are kept."
        )
    opened = _open_first(survey, accepted_slots(survey), passphrase)
    if opened is None:
        raise PassphraseRefused(WRONG_PASSPHRASE)
    return opened


def _open_first(
    survey: Survey, slots: list[KeySlot], passphrase: str
) -> tuple[bytes, KeySlot] | None:
    for slot in slots:
        try:
            key = unwrap_private_key(slot.wrapped_key, passphrase, aad=slot_aad(survey.id))
        except WrongPassphraseError:
            continue
        return key, slot
    return None


def unlock_survey(db: Database, slug: str, passphrase: str) -> bytes:
    with db.session() as session:
        key, _slot = unlock(session, survey_row(session, slug), passphrase)
        return key


def add_slot(
    db: Database,
    slug: str,
    *,
    passphrase: str,
    label: str,
    new_passphrase: str,
    log2_n: int,
    today: dt.date | None = None,
) -> SlotInfo:
    """Add a key holder. Needs an existing key holder's passphrase."""
    label = validate_slot_label(label)
    validate_passphrase(new_passphrase)
    with db.transaction() as session:
        survey = survey_row(session, slug)
        if any(slot.label == label for slot in survey.key_slots):
            raise KeySlotError(f"This survey already has a key slot labelled '{label}'")
        private_key, _ = unlock(session, survey, passphrase)
        slot = KeySlot(
            id=secrets.token_hex(16),
            survey_id=survey.id,
            label=label,
            wrapped_key=wrap_private_key(
                private_key, new_passphrase, aad=slot_aad(survey.id), log2_n=log2_n
            ),
            created_on=today or dt.date.today(),
        )
        session.add(slot)
        return SlotInfo(slot.label, slot.created_on, log2_n)


def remove_slot(
    db: Database, slug: str, *, passphrase: str, label: str, staying_holder: bool = False
) -> None:
    """Remove a key holder. Needs a passphrase that opens a slot; the last slot stays.

    ``staying_holder``: the passphrase must open a slot other than the one removed, so the
    change is made by someone who can still unlock the survey afterwards (the web pages ask
    this; the command line accepts any key holder's passphrase).
    """
    with db.transaction() as session:
        survey = survey_row(session, slug)
        target = next((slot for slot in survey.key_slots if slot.label == label), None)
        if target is None:
            raise KeySlotError(f"This survey has no key slot labelled '{label}'")
        if not target.invitation and len(accepted_slots(survey)) == 1:
            raise KeySlotError(LAST_SLOT)
        if not staying_holder:
            unlock(session, survey, passphrase)
        else:
            staying = [slot for slot in accepted_slots(survey) if slot is not target]
            if _open_first(survey, staying, passphrase) is None:
                own = [] if target.invitation else [target]
                opens_target = _open_first(survey, own, passphrase) is not None
                raise PassphraseRefused(
                    REMOVED_HOLDERS_PASSPHRASE if opens_target else WRONG_PASSPHRASE
                )
        survey.key_slots.remove(target)
        session.delete(target)
    # A removed key holder's passphrase must open nothing in a later copy of the files.
    db.purge_deleted_rows("key_slots")
