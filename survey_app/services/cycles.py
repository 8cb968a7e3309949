"""The annual cycle: next year's survey made from this year's, and its key holders invited.

``next_cycle`` makes a draft survey that follows another: the same questionnaire (or a newer
version of it, refused when a changed question does not say whether it compares), the same
settings, access, smallest group, retention period and assigned staff, a cycle label, and a
**new key pair**. Last cycle's private key is never touched: the new survey's key is wrapped
once per key holder under a one-time *invitation code* (``invitation`` slots, which open
nothing), shown once to whoever started the cycle, who passes each to its key holder. The key
holder accepts with the code and a new passphrase (``accept_invitation``), which must not be
one that opens last cycle's survey.

Last cycle's reviewed, named themes can seed this cycle's codebook in the same step: they are
sealed under the server's key (``carried_codebooks``) and code the free-text questions that the
questionnaire gives no codebook of its own.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.crypto import (
    DecryptError,
    Keyring,
    WrongPassphraseError,
    generate_invitation_code,
    generate_survey_keypair,
    normalise_invitation_code,
    unwrap_private_key,
    wrap_private_key,
)
from survey_app.domain.comparison import comparison, family
from survey_app.domain.loading import Catalogue, find_version
from survey_app.domain.model import Code, Questionnaire
from survey_app.services import audit
from survey_app.services.errors import KeySlotError, NotFoundError, ServiceError
from survey_app.services.keys import accepted_slots
from survey_app.services.surveys import (
    SLUG_PATTERN,
    SurveyInfo,
    _info,
    insert_draft,
    slot_aad,
    slugify,
    survey_row,
    validate_cycle,
    validate_passphrase,
    validate_title,
)
from survey_app.services.themes import codes_from_themes
from survey_app.storage.database import Database
from survey_app.storage.models import CarriedCodebook, KeySlot, Survey, SurveyAssignment

# A message, not a secret.
WRONG_INVITATION = "That invitation code does not match this key holder’s invitation"


@dataclass(frozen=True)
class Invitation:
    """One key holder invited to the new cycle, with the code only this result ever holds."""

    label: str
    code: str


@dataclass(frozen=True)
class NewCycle:
    survey: SurveyInfo
    previous: SurveyInfo
    invitations: tuple[Invitation, ...]
    #: free-text question id -> how many codes were carried from last cycle's themes
    carried: Mapping[str, int]


def unmarked_changes(questionnaire: Questionnaire, earlier: Questionnaire) -> list[str]:
    """Question ids that ``earlier`` also asks, changed in ``questionnaire``, that neither
    claim to compare (``comparable_with``) nor say they do not (``comparable_with: false``)."""
    if questionnaire.version == earlier.version:
        return []
    found = []
    earlier_ids = {q.id for q in earlier.questions()}
    for question in questionnaire.questions():
        if question.id not in earlier_ids or question.not_comparable:
            continue
        if family(question) is None and family(earlier.question(question.id)) is None:
            continue  # free text and numbers are never compared
        if comparison(question, earlier) is None:
            found.append(question.id)
    return found


def next_cycle_defaults(previous: SurveyInfo, cycle: str) -> tuple[str, str]:
    """A title and slug for the cycle after ``previous``: its cycle label swapped for the new
    one where the title or slug names it, else the label added."""
    title, slug = previous.title, previous.slug
    if previous.cycle and previous.cycle in title:
        title = title.replace(previous.cycle, cycle)
    else:
        title = f"{title} {cycle}"
    old = slugify(previous.cycle) if previous.cycle else ""
    base = slug[: -len(old)].rstrip("-") if old and slug.endswith(old) else slug
    return title[:200], slugify(f"{base} {cycle}")[:80]


def next_cycle(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    slug: str,
    *,
    cycle: str,
    actor: str,
    log2_n: int,
    title: str | None = None,
    new_slug: str | None = None,
    version: str | None = None,
    carry_codebook: bool = True,
    today: dt.date | None = None,
) -> NewCycle:
    """Make the draft survey of the cycle after survey ``slug`` (see the module docstring)."""
    label = validate_cycle(cycle)
    if label is None:
        raise ServiceError("Enter the new cycle, such as 2027-28")
    today = today or dt.date.today()
    with db.session() as session:
        previous_row = survey_row(session, slug)
        previous = _info(previous_row)
        holders = [slot.label for slot in previous_row.key_slots]
        assigned = list(
            session.scalars(
                select(SurveyAssignment.user_id).where(SurveyAssignment.survey_id == previous.id)
            )
        )
        following = session.scalar(select(Survey.slug).where(Survey.previous_id == previous.id))
    if previous.is_series:
        raise ServiceError(
            "A series of sessions runs on from quarter to quarter; only a survey has cycles"
        )
    if following is not None:
        raise ServiceError(f"The next cycle of this survey already exists: '{following}'")
    if previous.cycle is not None and previous.cycle == label:
        raise ServiceError(f"This survey is already the {label} cycle: enter the next one")
    if not holders:
        raise ServiceError("This survey has no key holders to invite to the next cycle")
    questionnaire = _questionnaire(questionnaires, previous, version)
    earlier = previous.questionnaire_in(questionnaires)
    if earlier is not None:
        changed = unmarked_changes(questionnaire, earlier)
        if changed:
            raise ServiceError(
                f"Version {questionnaire.version} of '{questionnaire.id}' changes questions "
                f"that version {earlier.version} also asks without saying whether they "
                f"compare: {', '.join(changed)}. Give each 'comparable_with' (with an "
                "option_map if its options changed), or 'comparable_with: false' if it "
                "should not be compared"
            )
    default_title, default_slug = next_cycle_defaults(previous, label)
    title = validate_title((title or "").strip() or default_title)
    new_slug = (new_slug or "").strip() or default_slug
    if not SLUG_PATTERN.match(new_slug) or len(new_slug) > 80:
        raise ServiceError("A survey slug uses lowercase letters, digits and single hyphens")
    carried = _carried_codes(db, keyring, previous, questionnaire) if carry_codebook else {}
    keypair = generate_survey_keypair()
    survey_id = uuid.uuid4().hex
    invitations = tuple(Invitation(holder, generate_invitation_code()) for holder in holders)
    slots = [
        KeySlot(
            id=secrets.token_hex(16),
            survey_id=survey_id,
            label=invitation.label,
            wrapped_key=wrap_private_key(
                keypair.private,
                normalise_invitation_code(invitation.code) or "",
                aad=slot_aad(survey_id),
                log2_n=log2_n,
            ),
            created_on=today,
            invitation=True,
        )
        for invitation in invitations
    ]
    with db.transaction() as session:
        row = insert_draft(
            session,
            survey_id,
            new_slug,
            keypair.public,
            today,
            title=title,
            questionnaire_id=questionnaire.id,
            questionnaire_version=questionnaire.version,
            access=previous.access,
            min_group=previous.min_group,
            responses_per_minute=previous.responses_per_minute,
            retention_months=previous.retention_months,
            cycle=label,
            previous_id=previous.id,
        )
        session.flush()
        session.add_all(slots)
        session.add_all(SurveyAssignment(user_id=user, survey_id=survey_id) for user in assigned)
        if carried:
            session.add(
                CarriedCodebook(
                    survey_id=survey_id,
                    source_id=previous.id,
                    sealed=_seal_codes(keyring, survey_id, carried),
                )
            )
        made = _info(row)
    counted = {qid: len(codes) for qid, codes in carried.items()}
    detail = (
        f"cycle {label} after '{previous.slug}'; {len(invitations)} key holder(s) invited; "
        f"{sum(counted.values())} code(s) carried"
    )
    audit.record(db, actor, "cycle_started", made.slug, detail)
    return NewCycle(made, previous, invitations, counted)


def _questionnaire(
    questionnaires: Mapping[str, Questionnaire], previous: SurveyInfo, version: str | None
) -> Questionnaire:
    """The version asked for, else the newest loaded version of the survey's questionnaire."""
    if version:
        found = find_version(questionnaires, previous.questionnaire_id, version)
        if found is None:
            raise ServiceError(f"Version {version} of '{previous.questionnaire_id}' is not loaded")
    else:
        found = questionnaires.get(previous.questionnaire_id)
        if found is None:
            raise ServiceError(f"The questionnaire '{previous.questionnaire_id}' is not loaded")
    if _version_key(found.version) < _version_key(previous.questionnaire_version):
        raise ServiceError(
            f"Version {found.version} is older than the version last cycle used "
            f"({previous.questionnaire_version})"
        )
    return found


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Versions in order: "2026.10" after "2026.9"."""
    return tuple((int(p), "") if p.isdecimal() else (-1, p) for p in re.split(r"[.\-]", version))


# --- invitations -----------------------------------------------------------------------------


def accept_invitation(
    db: Database,
    slug: str,
    *,
    label: str,
    code: str,
    passphrase: str,
    log2_n: int,
    actor: str,
    today: dt.date | None = None,
) -> None:
    """An invited key holder chooses their passphrase: the new cycle's key, opened with the
    invitation code, is wrapped again under it and the invitation is gone. A passphrase that
    opens the previous cycle's survey is refused: each cycle has passphrases of its own."""
    validate_passphrase(passphrase)
    canonical = normalise_invitation_code(code)
    with db.session() as session:
        survey = survey_row(session, slug)
        slot = _invitation_slot(survey, label)
        if canonical is None:
            raise KeySlotError(
                "Enter the invitation code as it was given to you: six groups of four letters "
                "and digits"
            )
        try:
            private_key = unwrap_private_key(slot.wrapped_key, canonical, aad=slot_aad(survey.id))
        except WrongPassphraseError:
            raise KeySlotError(WRONG_INVITATION) from None
        previous = session.get(Survey, survey.previous_id) if survey.previous_id else None
        if previous is not None and _opens(session, previous, passphrase):
            raise KeySlotError(
                "That passphrase opens last cycle’s survey. Choose a new passphrase for this cycle"
            )
    wrapped = wrap_private_key(private_key, passphrase, aad=slot_aad(survey.id), log2_n=log2_n)
    with db.transaction() as session:
        survey = survey_row(session, slug)
        slot = _invitation_slot(survey, label)
        slot.wrapped_key = wrapped
        slot.invitation = False
        slot.created_on = today or dt.date.today()
    # The copy wrapped under the invitation code must not outlive it in the write-ahead log
    # or in dead rows: whoever saw the code could open it from a later copy of the files.
    db.purge_deleted_rows("key_slots")
    audit.record(db, actor, "key_invitation_accepted", slug, label)


def _invitation_slot(survey: Survey, label: str) -> KeySlot:
    for slot in survey.key_slots:
        if slot.label == label:
            if not slot.invitation:
                raise KeySlotError(f"The key holder '{label}' has already chosen a passphrase")
            return slot
    raise NotFoundError(f"This survey has no key holder labelled '{label}'")


def _opens(session: Session, survey: Survey, passphrase: str) -> bool:
    for slot in accepted_slots(survey):
        try:
            unwrap_private_key(slot.wrapped_key, passphrase, aad=slot_aad(survey.id))
        except WrongPassphraseError:
            continue
        return True
    return False


def waiting_holders(db: Database, survey_id: str) -> list[str]:
    """Labels of the key holders who have not yet accepted their invitation."""
    with db.session() as session:
        return list(
            session.scalars(
                select(KeySlot.label)
                .where(KeySlot.survey_id == survey_id, KeySlot.invitation.is_(True))
                .order_by(KeySlot.label)
            )
        )


# --- the chain of cycles ---------------------------------------------------------------------


def earlier_cycles(db: Database, survey: SurveyInfo, most: int = 10) -> list[SurveyInfo]:
    """The surveys of the cycles before ``survey``, newest first (at most ``most``)."""
    found: list[SurveyInfo] = []
    seen = {survey.id}
    previous_id = survey.previous_id
    with db.session() as session:
        while previous_id is not None and previous_id not in seen and len(found) < most:
            row = session.get(Survey, previous_id)
            if row is None:
                break
            found.append(_info(row))
            seen.add(row.id)
            previous_id = row.previous_id
    return found


def follow(db: Database, slug: str, previous_slug: str) -> SurveyInfo:
    """Say that survey ``slug`` is the cycle after ``previous_slug`` (surveys made before
    cycles existed, or made by hand): same questionnaire, neither a series, and no cycle
    followed twice or in a loop."""
    with db.transaction() as session:
        row = survey_row(session, slug)
        previous = survey_row(session, previous_slug)
        if row.id == previous.id:
            raise ServiceError("A survey cannot follow itself")
        if "sessions" in (row.access, previous.access):
            raise ServiceError("A series of sessions has no cycles")
        if row.questionnaire_id != previous.questionnaire_id:
            raise ServiceError(
                f"'{slug}' and '{previous_slug}' use different questionnaires, so their "
                "results cannot be compared year on year"
            )
        taken = session.scalar(
            select(Survey.slug).where(Survey.previous_id == previous.id, Survey.id != row.id)
        )
        if taken is not None:
            raise ServiceError(f"'{previous_slug}' is already followed by '{taken}'")
        step: Survey | None = previous
        while step is not None and step.previous_id is not None:
            if step.previous_id == row.id:
                raise ServiceError(f"'{previous_slug}' comes after '{slug}' already")
            step = session.get(Survey, step.previous_id)
        row.previous_id = previous.id
        return _info(row)


def next_of(db: Database, survey: SurveyInfo) -> SurveyInfo | None:
    """The survey of the cycle after ``survey``, if one was made."""
    with db.session() as session:
        row = session.scalar(select(Survey).where(Survey.previous_id == survey.id))
        return None if row is None else _info(row)


# --- the carried codebook --------------------------------------------------------------------


def _carried_codes(
    db: Database, keyring: Keyring, previous: SurveyInfo, questionnaire: Questionnaire
) -> dict[str, tuple[Code, ...]]:
    """Codes from the previous cycle's newest published release: each reviewed, named theme
    of a free-text question this questionnaire still asks and gives no codebook of its own."""
    from survey_app.services.analysis import load_release

    release = load_release(db, keyring, previous, published_only=True)
    if release is None:
        return {}
    asked = {q.id for q in questionnaire.questions()}
    note = f"Carried from the reviewed themes of {previous.cycle or release.as_at.year}."
    carried: dict[str, tuple[Code, ...]] = {}
    for question_id, summary in release.themes.items():
        if question_id not in asked or questionnaire.codes_for(question_id):
            continue
        codes = codes_from_themes(summary, note, prefix="carried")
        if codes:
            carried[question_id] = tuple(codes)
    return carried


def _codebook_aad(survey_id: str) -> bytes:
    return f"candour/carried-codebook/{survey_id}".encode("ascii")


def _seal_codes(keyring: Keyring, survey_id: str, carried: Mapping[str, tuple[Code, ...]]) -> bytes:
    document = {
        qid: [
            {"id": c.id, "label": c.label, "description": c.description, "seeds": list(c.seeds)}
            for c in codes
        ]
        for qid, codes in carried.items()
    }
    payload = json.dumps(document, separators=(",", ":")).encode("utf-8")
    return keyring.encrypt(payload, aad=_codebook_aad(survey_id))


def carried_codebook(db: Database, keyring: Keyring, survey_id: str) -> dict[str, tuple[Code, ...]]:
    """The codes carried into a survey from last cycle's themes, by free-text question."""
    with db.session() as session:
        row = session.get(CarriedCodebook, survey_id)
        sealed = None if row is None else bytes(row.sealed)
    if sealed is None:
        return {}
    try:
        document = json.loads(keyring.decrypt(sealed, aad=_codebook_aad(survey_id)))
    except DecryptError:
        raise ServiceError("The carried codebook cannot be read with the server's keys") from None
    return {
        qid: tuple(
            Code(c["id"], c["label"], c.get("description", ""), tuple(c.get("seeds", ())))
            for c in codes
        )
        for qid, codes in document.items()
    }


def version_choices(
    questionnaires: Mapping[str, Questionnaire], previous: SurveyInfo
) -> list[Questionnaire]:
    """The loaded versions a next cycle of ``previous`` may use: its own and newer, newest
    first."""
    if isinstance(questionnaires, Catalogue):
        loaded = [q for q in questionnaires.versions() if q.id == previous.questionnaire_id]
    else:
        current = questionnaires.get(previous.questionnaire_id)
        loaded = [current] if current is not None else []
    floor = _version_key(previous.questionnaire_version)
    usable = [q for q in loaded if _version_key(q.version) >= floor]
    return sorted(usable, key=lambda q: _version_key(q.version), reverse=True)
