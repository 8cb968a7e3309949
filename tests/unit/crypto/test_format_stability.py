"""Envelopes and key slots written by an earlier build must still open.

The fixtures were made once by `tests/fixtures/crypto/make_envelope_fixture.py` (plain
envelopes and key slots) and `make_layered_fixture.py` (envelopes re-sealed on close), and
committed. If these tests fail, the stored format has changed: fix the code, do not regenerate
the fixtures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from survey_app.crypto import (
    OpenError,
    key_id,
    open_envelope,
    unwrap_private_key,
    wrapped_log2_n,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crypto"
FIXTURE = FIXTURES / "envelope_v1.json"
LAYERED = FIXTURES / "envelope_v2.json"


@pytest.fixture(scope="module")
def fixture() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(FIXTURE.read_text("utf-8"))
    return document


@pytest.fixture(scope="module")
def layered() -> dict[str, Any]:
    """A version-1 envelope re-sealed once, as closing a survey stores it
    (made by `tests/fixtures/crypto/make_layered_fixture.py`)."""
    document: dict[str, Any] = json.loads(LAYERED.read_text("utf-8"))
    return document


def test_committed_envelope_still_opens(fixture: dict[str, Any]) -> None:
    opened = open_envelope(
        bytes.fromhex(fixture["envelope_hex"]),
        bytes.fromhex(fixture["private_key_hex"]),
        survey_id=fixture["survey_id"],
        questionnaire_version=fixture["questionnaire_version"],
    )
    assert opened.decode("utf-8") == fixture["plaintext"]
    assert json.loads(opened)["answers"]["q1"] == "agree"


def test_committed_envelope_header(fixture: dict[str, Any]) -> None:
    envelope = bytes.fromhex(fixture["envelope_hex"])
    assert envelope[0] == 1
    assert envelope[1:9] == key_id(bytes.fromhex(fixture["public_key_hex"]))


def test_committed_envelope_is_still_bound_to_its_survey(fixture: dict[str, Any]) -> None:
    with pytest.raises(OpenError):
        open_envelope(
            bytes.fromhex(fixture["envelope_hex"]),
            bytes.fromhex(fixture["private_key_hex"]),
            survey_id=fixture["survey_id"] + "-other",
            questionnaire_version=fixture["questionnaire_version"],
        )


def test_committed_slot_still_unwraps(fixture: dict[str, Any]) -> None:
    slot = fixture["slot"]
    blob = bytes.fromhex(slot["blob_hex"])
    assert wrapped_log2_n(blob) == slot["log2_n"]
    private = unwrap_private_key(blob, slot["passphrase"], aad=slot["aad"].encode("utf-8"))
    assert private == bytes.fromhex(fixture["private_key_hex"])


def test_committed_layered_envelope_still_opens(layered: dict[str, Any]) -> None:
    opened = open_envelope(
        bytes.fromhex(layered["envelope_hex"]),
        bytes.fromhex(layered["private_key_hex"]),
        survey_id=layered["survey_id"],
        questionnaire_version=layered["questionnaire_version"],
    )
    assert opened.decode("utf-8") == layered["plaintext"]


def test_committed_layered_envelope_header(
    fixture: dict[str, Any], layered: dict[str, Any]
) -> None:
    envelope = bytes.fromhex(layered["envelope_hex"])
    inner = bytes.fromhex(layered["inner_envelope_hex"])
    assert inner == bytes.fromhex(fixture["envelope_hex"])
    assert envelope[0] == 2
    assert envelope[1:9] == key_id(bytes.fromhex(layered["public_key_hex"]))
    # version, key id, ephemeral public key, nonce and tag: 69 bytes around the inner envelope.
    assert len(envelope) == len(inner) + 69


def test_committed_layered_envelope_is_still_bound_to_its_survey(layered: dict[str, Any]) -> None:
    for survey_id, version in (
        (layered["survey_id"] + "-other", layered["questionnaire_version"]),
        (layered["survey_id"], layered["questionnaire_version"] + ".1"),
    ):
        with pytest.raises(OpenError):
            open_envelope(
                bytes.fromhex(layered["envelope_hex"]),
                bytes.fromhex(layered["private_key_hex"]),
                survey_id=survey_id,
                questionnaire_version=version,
            )
