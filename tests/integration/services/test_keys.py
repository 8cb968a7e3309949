"""Key slots: several key holders per survey, each with a passphrase (survey_app.services.keys).

Also the two bindings the design promises (DESIGN.md §4): a wrapped key only opens in its own
survey, and a response envelope only opens in its own survey.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from survey_app.crypto import OpenError, open_envelope
from survey_app.domain.model import Questionnaire
from survey_app.services import keys
from survey_app.services.errors import KeySlotError, ServiceError
from survey_app.services.export import open_responses, write_export
from survey_app.services.submission import submit_response
from survey_app.storage.database import Database
from tests.helpers.journey import PASSPHRASE

from .conftest import minimal_answers, new_survey, raw_rows

SECOND = "second holder passphrase"
THIRD = "third holder passphrase!"


def add_deputy(db: Database, slug: str = "keys", label: str = "Deputy") -> None:
    keys.add_slot(db, slug, passphrase=PASSPHRASE, label=label, new_passphrase=SECOND, log2_n=12)


def comments(db: Database, slug: str, passphrase: str) -> list[str]:
    return sorted(r.answers["comment"] for r in open_responses(db, slug, passphrase))


@pytest.fixture
def survey(db: Database, questionnaire: Questionnaire) -> str:
    info = new_survey(db, questionnaire, slug="keys")
    submit_response(db, info, questionnaire, minimal_answers("First answer"))
    submit_response(db, info, questionnaire, minimal_answers("Second answer"))
    return info.slug


def test_list_slots_shows_labels_dates_and_cost_only(db: Database, survey: str) -> None:
    keys.add_slot(
        db,
        survey,
        passphrase=PASSPHRASE,
        label="  Chair of the steering group ",
        new_passphrase=SECOND,
        log2_n=13,
        today=dt.date(2026, 1, 5),
    )
    slots = keys.list_slots(db, survey)
    assert [(s.label, s.log2_n) for s in slots] == [
        ("Chair of the steering group", 13),
        ("Lead analyst", 12),
    ]
    assert slots[0].created_on == dt.date(2026, 1, 5)
    assert slots[1].created_on == dt.date.today()
    assert set(vars(slots[0])) == {"label", "created_on", "log2_n", "invitation"}
    assert not slots[0].invitation


def test_add_slot_with_a_correct_passphrase_lets_both_holders_open(
    db: Database, survey: str
) -> None:
    info = keys.add_slot(
        db, survey, passphrase=PASSPHRASE, label="Deputy", new_passphrase=SECOND, log2_n=12
    )
    assert info.label == "Deputy" and info.log2_n == 12
    expected = ["First answer", "Second answer"]
    assert comments(db, survey, PASSPHRASE) == expected
    assert comments(db, survey, SECOND) == expected
    # The new holder can add a third one in turn.
    keys.add_slot(db, survey, passphrase=SECOND, label="Third", new_passphrase=THIRD, log2_n=12)
    assert comments(db, survey, THIRD) == expected
    # No slot row holds a passphrase.
    for row in raw_rows(db, "key_slots"):
        for value in row.values():
            blob = value if isinstance(value, bytes) else str(value).encode()
            for secret in (PASSPHRASE, SECOND, THIRD):
                assert secret.encode() not in blob


def test_add_slot_with_a_wrong_passphrase_is_refused(db: Database, survey: str) -> None:
    with pytest.raises(KeySlotError, match="does not open any key slot"):
        keys.add_slot(
            db,
            survey,
            passphrase="not the passphrase",
            label="Deputy",
            new_passphrase=SECOND,
            log2_n=12,
        )
    assert [s.label for s in keys.list_slots(db, survey)] == ["Lead analyst"]
    with pytest.raises(KeySlotError):
        open_responses(db, survey, SECOND)


@pytest.mark.parametrize("label", ["Lead analyst", "  Lead analyst  "])
def test_add_slot_refuses_a_duplicate_label(db: Database, survey: str, label: str) -> None:
    with pytest.raises(KeySlotError, match="already has a key slot labelled 'Lead analyst'"):
        keys.add_slot(
            db, survey, passphrase=PASSPHRASE, label=label, new_passphrase=SECOND, log2_n=12
        )
    assert len(keys.list_slots(db, survey)) == 1


def test_add_slot_refuses_a_short_new_passphrase_and_an_empty_label(
    db: Database, survey: str
) -> None:
    with pytest.raises(ServiceError, match="at least 12 characters"):
        keys.add_slot(
            db, survey, passphrase=PASSPHRASE, label="Deputy", new_passphrase="short", log2_n=12
        )
    with pytest.raises(ServiceError, match="label of 1 to 80 characters"):
        keys.add_slot(
            db, survey, passphrase=PASSPHRASE, label="   ", new_passphrase=SECOND, log2_n=12
        )
    assert len(keys.list_slots(db, survey)) == 1


def test_remove_slot_needs_a_passphrase_that_opens_a_slot(db: Database, survey: str) -> None:
    add_deputy(db, survey)
    with pytest.raises(KeySlotError, match="does not open any key slot"):
        keys.remove_slot(db, survey, passphrase="not the passphrase", label="Deputy")
    assert [s.label for s in keys.list_slots(db, survey)] == ["Deputy", "Lead analyst"]


def test_remove_slot_of_an_unknown_label(db: Database, survey: str) -> None:
    add_deputy(db, survey)
    with pytest.raises(KeySlotError, match="no key slot labelled 'Nobody'"):
        keys.remove_slot(db, survey, passphrase=PASSPHRASE, label="Nobody")
    assert len(keys.list_slots(db, survey)) == 2


def test_the_last_slot_cannot_be_removed(db: Database, survey: str) -> None:
    with pytest.raises(KeySlotError, match="last key slot"):
        keys.remove_slot(db, survey, passphrase=PASSPHRASE, label="Lead analyst")
    assert [s.label for s in keys.list_slots(db, survey)] == ["Lead analyst"]
    assert comments(db, survey, PASSPHRASE) == ["First answer", "Second answer"]

    # With two slots one can go; then the remaining one is the last again.
    add_deputy(db, survey)
    keys.remove_slot(db, survey, passphrase=SECOND, label="Lead analyst")
    with pytest.raises(KeySlotError, match="last key slot"):
        keys.remove_slot(db, survey, passphrase=SECOND, label="Deputy")
    assert [s.label for s in keys.list_slots(db, survey)] == ["Deputy"]


def test_a_removed_slots_passphrase_no_longer_opens(db: Database, survey: str) -> None:
    add_deputy(db, survey)
    keys.remove_slot(db, survey, passphrase=SECOND, label="Lead analyst")

    assert [s.label for s in keys.list_slots(db, survey)] == ["Deputy"]
    with pytest.raises(KeySlotError):
        open_responses(db, survey, PASSPHRASE)
    with pytest.raises(KeySlotError):
        keys.unlock_survey(db, survey, PASSPHRASE)
    assert comments(db, survey, SECOND) == ["First answer", "Second answer"]
    assert len(raw_rows(db, "key_slots")) == 1


def test_a_wrong_passphrase_cannot_export(db: Database, survey: str, tmp_path: Path) -> None:
    with pytest.raises(KeySlotError, match="does not open any key slot"):
        open_responses(db, survey, "correct horse battery stapler")
    with pytest.raises(KeySlotError):
        open_responses(db, survey, "")
    out = tmp_path / "export.json"
    with pytest.raises(KeySlotError):
        write_export(db, survey, "correct horse battery stapler", out)
    assert not out.exists()


def test_a_wrapped_key_copied_into_another_survey_does_not_open(
    db: Database, questionnaire: Questionnaire
) -> None:
    # Two surveys whose key holders use the very same passphrase.
    first = new_survey(db, questionnaire, slug="first")
    second = new_survey(db, questionnaire, slug="second")
    submit_response(db, second, questionnaire, minimal_answers("In the second survey"))
    assert comments(db, "second", PASSPHRASE) == ["In the second survey"]

    (first_slot,) = raw_rows(db, "key_slots", survey_id=first.id)
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE key_slots SET wrapped_key = :blob WHERE survey_id = :s"),
            {"blob": bytes(first_slot["wrapped_key"]), "s": second.id},
        )

    # The slot now holds a key that the passphrase does unwrap, but the slot's associated data
    # names the first survey, so in the second survey it is refused.
    with pytest.raises(KeySlotError):
        open_responses(db, "second", PASSPHRASE)
    with pytest.raises(KeySlotError):
        keys.unlock_survey(db, "second", PASSPHRASE)
    # In its own survey the same blob still opens.
    assert len(keys.unlock_survey(db, "first", PASSPHRASE)) == 32


def test_a_response_moved_to_another_survey_does_not_open(
    db: Database, questionnaire: Questionnaire
) -> None:
    """A ciphertext copied into another survey's response row fails to open.

    ``open_responses`` unlocks the second survey's key without trouble and then raises the
    crypto layer's ``OpenError`` for the moved envelope (it does not catch it). Two things would
    each stop it: the envelope's key id names the first survey's public key, and the associated
    data binds the first survey's id. The last assertions show the second on its own: with the
    *right* private key the envelope opens under the first survey's id and not under the second's.
    """
    first = new_survey(db, questionnaire, slug="first")
    second = new_survey(db, questionnaire, slug="second")
    submit_response(db, first, questionnaire, minimal_answers("Sent to the first survey"))
    submit_response(db, second, questionnaire, minimal_answers("Sent to the second survey"))
    (moved,) = raw_rows(db, "responses", survey_id=first.id)
    (target,) = raw_rows(db, "responses", survey_id=second.id)
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE responses SET envelope = :envelope WHERE id = :id"),
            {"envelope": bytes(moved["envelope"]), "id": target["id"]},
        )

    with pytest.raises(OpenError):
        open_responses(db, "second", PASSPHRASE)
    assert comments(db, "first", PASSPHRASE) == ["Sent to the first survey"]

    first_key = keys.unlock_survey(db, "first", PASSPHRASE)
    envelope = bytes(moved["envelope"])
    document = open_envelope(
        envelope, first_key, survey_id=first.id, questionnaire_version=questionnaire.version
    )
    assert json.loads(document)["answers"]["comment"] == "Sent to the first survey"
    with pytest.raises(OpenError):
        open_envelope(
            envelope, first_key, survey_id=second.id, questionnaire_version=questionnaire.version
        )


def test_a_response_with_an_altered_version_does_not_open(
    db: Database, questionnaire: Questionnaire
) -> None:
    info = new_survey(db, questionnaire, slug="altered")
    submit_response(db, info, questionnaire, minimal_answers("Kept as sent"))
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE responses SET questionnaire_version = 'v999' WHERE survey_id = :s"),
            {"s": info.id},
        )
    with pytest.raises(OpenError):
        open_responses(db, "altered", PASSPHRASE)
