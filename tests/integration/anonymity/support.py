"""Shared steps for the insider-attack tests: respondents who each hold a known code, the
ground truth of which response is whose, the old (linkable) way of storing a response as a
positive control, and the ways an attacker matches codes to responses.

The attacker of DESIGN.md §5 holds the code list (so knows which person had which code), a key
slot (so can open every response) and a copy of the database files. The tests give each
respondent a marker in their comment, so after an attack they can count how many of the
attacker's code→response pairs are right.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from survey_app.crypto import access_code_digest, normalise_access_code, open_envelope, seal
from survey_app.extensions import get_code_secret, get_db, get_questionnaires
from survey_app.services.codes import issue_codes
from survey_app.services.keys import unlock_survey
from survey_app.services.submission import answers_document
from survey_app.services.surveys import SurveyInfo
from survey_app.storage.models import AccessCode, Response
from tests.helpers.journey import PASSPHRASE, enter_code, post_page

SLUG = "sample-survey"

# Twelve respondents start in the order 0, 1, ..., 11 and send their answers interleaved with
# later starts, in an order of their own: a fixed, shuffled schedule. ("start", p) uses up
# person p's code; ("send", p) stores person p's response. Nobody sends in the same place in
# the send order as in the start order, and nobody sends straight after their own start.
PEOPLE = 12
SCHEDULE: tuple[tuple[str, int], ...] = (
    ("start", 0),
    ("start", 1),
    ("start", 2),
    ("start", 3),
    ("start", 4),
    ("send", 1),
    ("start", 5),
    ("send", 2),
    ("start", 6),
    ("send", 3),
    ("start", 7),
    ("send", 6),
    ("start", 8),
    ("start", 9),
    ("send", 5),
    ("start", 10),
    ("send", 7),
    ("start", 11),
    ("send", 9),
    ("send", 0),
    ("send", 4),
    ("send", 10),
    ("send", 11),
    ("send", 8),
)
# A random one-to-one matching of n codes to n responses gets 1 pair right on average, for
# any n (each response has a 1-in-n chance of meeting its own code; n of them).
CHANCE = 1


def marker(person: int) -> str:
    return f"respondent-{person:02d}"


def first_answers(person: int) -> dict[str, object]:
    return {"colour": "red", "pets": ["cat"]}


def second_answers(person: int) -> dict[str, object]:
    return {
        "statements__tea": "agree",
        "statements__rain": "disagree",
        "comment": f"Comment from {marker(person)}",
    }


def issue(app: Flask, count: int = PEOPLE) -> list[str]:
    """Codes from the service behind ``flask codes issue``: person i is handed codes[i]."""
    with app.app_context():
        return issue_codes(get_db(), SLUG, count, get_code_secret())


@dataclass
class Respondent:
    person: int
    code: str
    client: FlaskClient


def start(app: Flask, code: str, person: int) -> Respondent:
    client = app.test_client()
    response = enter_code(client, SLUG, code)
    assert response.status_code == 303, response.status_code
    return Respondent(person, code, client)


def send(respondent: Respondent) -> None:
    client = respondent.client
    first = post_page(client, f"/s/{SLUG}/q/first", first_answers(respondent.person))
    assert first.status_code == 303, first.status_code
    response = post_page(client, f"/s/{SLUG}/q/second", second_answers(respondent.person))
    assert response.headers["Location"].endswith("/check"), response.headers.get("Location")
    sent = post_page(client, f"/s/{SLUG}/check", {})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/done")


def run_schedule(
    app: Flask,
    codes: Sequence[str],
    events: Sequence[tuple[str, int]] = SCHEDULE,
    started: dict[int, Respondent] | None = None,
) -> dict[int, Respondent]:
    """Respondents start and send through the real pages, in SCHEDULE's order (or the given
    events, carrying on with respondents already ``started``). Returns who has started."""
    started = {} if started is None else started
    for action, person in events:
        if action == "start":
            started[person] = start(app, codes[person], person)
        else:
            send(started[person])
    return started


def old_style_send(app: Flask, info: SurveyInfo, code: str, person: int) -> None:
    """POSITIVE CONTROL ONLY: how responses used to be stored — the code marked used in the
    same transaction that inserts the response. The attacks below must link these."""
    with app.app_context():
        db = get_db()
        questionnaire = get_questionnaires()[info.questionnaire_id]
        answers = {
            "colour": "red",
            "pets": ["cat"],
            "statements": {"tea": "agree", "rain": "disagree"},
            "comment": f"Comment from {marker(person)}",
        }
        envelope = seal(
            answers_document(questionnaire, answers),
            info.public_key,
            survey_id=info.id,
            questionnaire_version=info.questionnaire_version,
        )
        normalised = normalise_access_code(code)
        assert normalised is not None
        digest = access_code_digest(normalised, get_code_secret())
        with db.transaction() as session:
            session.execute(update(AccessCode).where(AccessCode.digest == digest).values(used=True))
            session.add(
                Response(
                    id=secrets.token_hex(16),
                    survey_id=info.id,
                    questionnaire_version=info.questionnaire_version,
                    submitted_on=dt.date.today(),
                    envelope=envelope,
                )
            )


def digest_of(app: Flask, code: str) -> bytes:
    normalised = normalise_access_code(code)
    assert normalised is not None
    with app.app_context():
        return access_code_digest(normalised, get_code_secret())


def owners(
    app: Flask, info: SurveyInfo, envelopes: Iterable[tuple[str, bytes, str]]
) -> dict[str, int]:
    """Ground truth, as the attacker with a key slot also sees it: response id -> person."""
    with app.app_context():
        key = unlock_survey(get_db(), info.slug, PASSPHRASE)
    found = {}
    for response_id, envelope, version in envelopes:
        document = json.loads(
            open_envelope(envelope, key, survey_id=info.id, questionnaire_version=version)
        )
        comment = document["answers"]["comment"]
        found[response_id] = int(comment.rsplit("-", 1)[1])
    return found


def correct_links(pairs: Iterable[tuple[int, int]]) -> int:
    """How many (code's person, response's person) pairs an attack got right."""
    return sum(1 for code_person, response_person in pairs if code_person == response_person)


@dataclass(frozen=True)
class Commit:
    """What one commit in a log did, as the attacker reads it: the people whose codes it
    marked used and the people whose responses it added (known once a key slot opens them)."""

    codes: tuple[int, ...]
    responses: tuple[int, ...]


def same_commit(log: Sequence[Commit]) -> list[tuple[int, int]]:
    """Attack 1: a code used in the same commit that adds a response goes with it."""
    return [(c, r) for commit in log for c in commit.codes for r in commit.responses]


def in_order(log: Sequence[Commit]) -> list[tuple[int, int]]:
    """Attack 2: the k-th code used goes with the k-th response stored."""
    codes = [c for commit in log for c in commit.codes]
    responses = [r for commit in log for r in commit.responses]
    return list(zip(codes, responses, strict=False))


def nearest_before(log: Sequence[Commit]) -> list[tuple[int, int]]:
    """Attack 3: a response goes with the code used in the nearest commit before it (or in
    the same commit)."""
    pairs, last = [], None
    for commit in log:
        if commit.codes:
            last = commit.codes[-1]
        if last is not None:
            pairs.extend((last, r) for r in commit.responses)
    return pairs


def last_in_first_out(log: Sequence[Commit]) -> list[tuple[int, int]]:
    """Attack 4: a response goes with the most recent code not matched yet (a stack)."""
    pairs, waiting = [], []
    for commit in log:
        waiting.extend(commit.codes)
        for response in commit.responses:
            if waiting:
                pairs.append((waiting.pop(), response))
    return pairs


ATTACKS = {
    "same commit": same_commit,
    "commit order": in_order,
    "nearest code before": nearest_before,
    "last in, first out": last_in_first_out,
}


def attack_scores(log: Sequence[Commit]) -> dict[str, int]:
    """Correct links per attack. Chance is CHANCE for each (a random matching)."""
    return {name: correct_links(attack(log)) for name, attack in ATTACKS.items()}
