"""Publishing a draft release: a key holder's act, and the only time theme and code counts
are broken down by group.

A draft shows free-text counts overall only, so an analyst who moves a comment from one theme
to another and compares the draft before and after learns nothing about who wrote it.
Publishing needs a key holder's passphrase: it opens the responses again, takes each
respondent's groups and the final themes, counts the themes in every permitted group, protects
them with everything else, stores the published release and drops the review workspace and
its key. Nothing about respondents' groups is kept anywhere between analysis and publishing.

Every release of a survey is protected together with the releases already published:

- The first publication protects the closed questions and the theme counts by group as one
  release, keeping hidden whatever the draft hid. If that would hide a figure the draft
  showed (people who saw the draft would know it), the theme counts are shown overall only
  and the closed questions exactly as in the draft.
- A later publication shows the closed questions exactly as the first one did (the responses
  of a closed survey never change, so the tables are the same tables). A question's theme
  counts are shown by group only if they are identical to counts an earlier release published
  by group — then they are shown exactly as published then. If the themes changed, they are
  shown overall only: set beside the earlier release, counts by group would show where the
  moved comments' writers belong.

To tell whether counts are identical without keeping them, each published release stores a
fingerprint (HMAC) of every table it broke down by group, under a key derived from the
survey's private key: only a key holder's unlocking can compare them.

Nothing unreviewed is published by accident. Before a key holder publishes, the publish page
lists what no analyst has reviewed (:func:`check_before_publishing`): themes whose names no
analyst confirmed (published only as "Automatic theme N (not reviewed)"), quotes still
waiting (never published) and comments with words redaction was unsure of. Publishing
refuses, with a sentence saying why, when the review changed after that list was made or
while publishing ran (another analyst still at work), and when the release was already
published or replaced by a newer analysis.

So that a later analysis can carry the review forward (``analysis.comments.carrying``), a
published release keeps a record of its review — comment digests, themes and quote
decisions, no comment text — sealed to the survey's public key: only a key holder's
passphrase opens it, like the responses themselves.

The draft is read whole, figures and audit, and publishing refuses an audit that was not
written with these figures; the published release is stored the same way, once its audit is
checked to account for exactly the hidden figures (``services.releases``). The fingerprints
and the review record are kept with the audit, never with the figures report pages read.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.comments import QuestionThemes
from analysis.comments.carrying import ReviewRecord, record_of
from analysis.counting import release_input
from analysis.disclosure import (
    ItemInput,
    ProtectedRelease,
    ReleaseInput,
    protect_release,
)
from analysis.frame import build_frame
from survey_app.crypto import CryptoError, Keyring, open_envelope, seal
from survey_app.crypto.derived import derive_key, fingerprint
from survey_app.domain.model import Questionnaire
from survey_app.services import analysis, releases, themes
from survey_app.services.analysis import CHANGED, K_CELL, Progress
from survey_app.services.errors import NotFoundError, ServiceError
from survey_app.services.keys import unlock
from survey_app.services.scope import Scope
from survey_app.services.surveys import survey_row
from survey_app.services.unlocking import UnlockStore
from survey_app.storage.database import Database
from survey_app.storage.models import AuditEvent, Release

#: Why theme counts are shown overall only, beside ``analysis.DRAFT`` and ``analysis.CHANGED``.
KEPT_AS_DRAFT = "kept"
#: What a release id looks like (``secrets.token_hex(16)``).
RELEASE_ID = re.compile(r"[0-9a-f]{32}")

ALREADY_PUBLISHED = (
    "This report has already been published. Nothing has changed since, so there is nothing "
    "new to publish"
)
REPLACED = "A newer analysis has replaced this draft. Check the new draft before you publish it"
REVIEW_CHANGED = (
    "The theme review changed after you checked it: someone is still reviewing. Check what "
    "has not been reviewed again, then publish"
)
REVIEW_CHANGED_MEANWHILE = (
    "Someone changed the theme review while the report was being published, so nothing was "
    "published and their change is kept. Check the review again, then publish"
)
#: How recent another analyst's review activity must be for the publish page to name them.
RECENT_MINUTES = 60


@dataclass(frozen=True)
class Earlier:
    """A published release of the same survey, as later releases need it."""

    protected: ProtectedRelease
    fingerprints: Mapping[str, str]


def publish(
    db: Database,
    keyring: Keyring,
    questionnaire: Questionnaire,
    slug: str,
    release_id: str,
    passphrase: str,
    *,
    actor: str | None,
    private_key: bytes | None = None,
    progress: Progress | None = None,
    store: UnlockStore | None = None,
    review: str | None = None,
) -> None:
    """Publish the draft ``release_id`` of the closed survey ``slug`` (see the module
    docstring). A wrong passphrase raises ``KeySlotError`` and changes nothing. ``review``:
    the digest of the review workspace the key holder checked (``PublishCheck.review``);
    publishing refuses if the review is no longer that one."""
    report = progress or (lambda _percent, _message: None)
    report(2, "Unlocking the survey key")
    with db.session() as session:
        survey = survey_row(session, slug)
        analysis.may_analyse(survey)
        row = analysis.newest_row(session, survey.id)
        if row is None or row.id != release_id:
            if session.get(Release, release_id) is not None:
                raise ServiceError(REPLACED)
            raise NotFoundError("That release is not the newest release of this survey")
        if row.status != "draft":
            raise ServiceError(ALREADY_PUBLISHED)
        if review is not None and review != workspace_digest(row.workspace):
            raise ServiceError(REVIEW_CHANGED)
        if private_key is None:
            private_key, _slot = unlock(session, survey, passphrase)
        survey_id, k, public_key = survey.id, row.k, survey.public_key
        document = releases.read_release(session, keyring, row)
        sealed, sealed_key = row.workspace, row.workspace_key
        # A series' reports cover different sessions: no earlier one has these people.
        earlier = [] if survey.access == "sessions" else _earlier(session, keyring, survey_id)
    scope = analysis.scope_of_document(db, survey_id, document)
    draft = ProtectedRelease.from_dict(document["release"])
    summaries = {
        str(q): QuestionThemes.from_dict(data) for q, data in document.get("themes", {}).items()
    }
    final, overall_only = draft, dict(document.get("overall_only", {}))
    prints: dict[str, str] = {}
    workspace = None
    if sealed is not None and sealed_key is not None:
        key = themes.open_workspace_key(sealed_key, private_key, survey_id, release_id)
        workspace = themes.open_workspace(key, sealed, survey_id, release_id)
        report(5, "Opening the responses again to count the themes by group")
        final, overall_only, prints = _with_groups(
            db,
            questionnaire,
            slug,
            workspace,
            draft,
            earlier,
            scope,
            private_key=private_key,
            fingerprint_key=derive_key(private_key, f"release-fingerprint/{survey_id}"),
            k=k,
            progress=report,
        )
        summaries = themes.summaries(workspace, final, k=k)
    del private_key
    report(95, "Publishing")
    header = {
        key: value
        for key, value in document.items()
        if key not in ("release", "themes", "decisions", "overall_only", "fingerprints", "carry")
    }
    header["overall_only"] = overall_only
    header["fingerprints"] = prints
    if workspace is not None:
        header["carry"] = seal_record(workspace, public_key, survey_id, release_id)
    parts = releases.seal_release(
        keyring,
        survey_id,
        release_id,
        analysis.release_document(header, final, summaries, workspace),
    )
    with db.transaction() as session:
        stored = session.scalars(
            select(Release).where(Release.id == release_id).with_for_update()
        ).first()
        if stored is None or stored.status != "draft":
            raise ServiceError(ALREADY_PUBLISHED)
        if workspace_digest(stored.workspace) != workspace_digest(sealed):
            raise ServiceError(REVIEW_CHANGED_MEANWHILE)
        releases.store_sealed(session, stored, parts)
        stored.status = "published"
        stored.published_at = dt.datetime.now(dt.UTC)
        stored.workspace = None
        stored.workspace_key = None
    if store is not None:
        store.drop(release_id)
    report(100, "Published")


def _earlier(session: Session, keyring: Keyring, survey_id: str) -> list[Earlier]:
    rows = session.scalars(
        select(Release)
        .where(Release.survey_id == survey_id, Release.status == "published")
        .order_by(Release.published_at, Release.created_at)
    ).all()
    found = []
    for row in rows:
        document = releases.read_release(session, keyring, row)
        found.append(
            Earlier(
                ProtectedRelease.from_dict(document["release"]),
                {str(i): str(f) for i, f in document.get("fingerprints", {}).items()},
            )
        )
    return found


def _with_groups(
    db: Database,
    questionnaire: Questionnaire,
    slug: str,
    workspace: themes.Workspace,
    draft: ProtectedRelease,
    earlier: list[Earlier],
    scope: Scope,
    *,
    private_key: bytes,
    fingerprint_key: bytes,
    k: int,
    progress: Progress,
) -> tuple[ProtectedRelease, dict[str, str], dict[str, str]]:
    """The published release: the draft's closed tables and the themes counted by group
    where that is safe; the items shown overall only (and why); the fingerprints."""
    opened = analysis.open_answers(
        db, slug, "", private_key=private_key, progress=progress, scope=scope
    )
    if opened.responses != workspace.responses:
        raise ServiceError("The responses no longer match the review: analyse the survey again")
    frame = build_frame([*analysis.question_specs(questionnaire), *scope.specs()], opened.answers)
    del opened.answers[:]
    split = scope.breakdowns(questionnaire)
    views = scope.views(questionnaire)
    items = themes.text_items(questionnaire, workspace)
    if not items:
        return draft, {}, {}
    text_ids = {item.id for item in items}
    closed = draft.without_items(text_ids)
    progress(70, "Counting the themes by group")
    by_group = themes.by_group_input(
        questionnaire, workspace, items, frame[[b.id for b in split]], split, views
    )
    prints = {item.id: fingerprint(fingerprint_key, _canonical(item)) for item in by_group.items}
    progress(80, "Protecting the tables")
    if not earlier:
        spec = scope.finish(
            release_input(frame, analysis.report_items(questionnaire), split, views)
        )
        final = _first_publication(spec.with_items(by_group.items), draft, closed, text_ids, k)
        if final is not None:
            return final, {}, prints
        kept = dict.fromkeys(text_ids, KEPT_AS_DRAFT)
        overall = themes.protect_overall(questionnaire, workspace, k=k, k_cell=K_CELL)
        return closed.with_overall_items(overall), kept, {}
    # Later publications: identical counts are shown exactly as before, changed ones overall.
    final, copied = closed, set()
    for item_id, printed in prints.items():
        source = next(
            (e for e in reversed(earlier) if e.fingerprints.get(item_id) == printed), None
        )
        if source is not None and item_id in source.protected.items:
            final = final.with_items_of(source.protected, {item_id})
            copied.add(item_id)
    changed = [item for item in items if item.id not in copied]
    if changed:
        overall = themes.protect_overall(questionnaire, workspace, changed, k=k, k_cell=K_CELL)
        final = final.with_overall_items(overall)
    return (
        final,
        {item.id: CHANGED for item in changed},
        {i: p for i, p in prints.items() if i in copied},
    )


def _first_publication(
    spec: ReleaseInput,
    draft: ProtectedRelease,
    closed: ProtectedRelease,
    text_ids: set[str],
    k: int,
) -> ProtectedRelease | None:
    """Closed questions and themes by group protected as one release, keeping hidden what the
    draft hid; None if that release would hide anything the draft showed."""
    final = protect_release(spec, k=k, k_cell=K_CELL, keep_hidden=draft.hidden_cells())
    if final.without_items(text_ids).hidden_cells() != closed.hidden_cells():
        return None
    # The draft's overall theme counts were seen: none of them may be hidden now.
    overall_draft = {c for c in draft.hidden_cells() if c[1] in text_ids}
    overall_final = {c for c in final.hidden_cells() if c[1] in text_ids and c[0] == ()}
    if not overall_final <= overall_draft:
        return None
    return final


def _canonical(item: ItemInput) -> bytes:
    rows = sorted(
        ([list(pair) for pair in pop], sorted(row.items())) for pop, row in item.counts.items()
    )
    document = {"id": item.id, "kind": item.kind, "options": list(item.options), "rows": rows}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")


# --- what a key holder checks before publishing --------------------------------------------------


def workspace_digest(sealed: bytes | None) -> str:
    """A digest of a sealed review workspace as stored ("" for none): any saved change to
    the review changes it."""
    return "" if sealed is None else hashlib.sha256(sealed).hexdigest()


State = Literal["draft", "published", "replaced"]


def release_state(db: Database, survey_id: str, release_id: str) -> State | None:
    """Whether ``release_id`` is the survey's newest release and a draft ("draft"), already
    published with nothing newer ("published"), or replaced by a newer analysis ("replaced");
    None if the survey has no such release."""
    if not RELEASE_ID.fullmatch(release_id):  # from a form or an address: any text at all
        return None
    with db.session() as session:
        row = session.get(Release, release_id)
        if row is None or row.survey_id != survey_id:
            return None
        newest = analysis.newest_row(session, survey_id)
        if newest is None or newest.id != release_id:
            return "replaced"
        return "draft" if row.status == "draft" else "published"


@dataclass(frozen=True)
class QuestionCheck:
    """What no analyst has reviewed in one free-text question."""

    question_id: str
    question_text: str
    automatic: tuple[str, ...]  # automatic names of reportable themes no analyst confirmed
    waiting: int  # quotes waiting for a decision (never published)
    flagged: int  # comments with words redaction was unsure of
    flagged_approved: int  # approved quotes whose comment has such words

    @property
    def unreviewed(self) -> bool:
        return bool(self.automatic or self.waiting or self.flagged)


@dataclass(frozen=True)
class PublishCheck:
    """What the publish page lists before a key holder confirms."""

    release_id: str
    has_review: bool  # the draft has free text under review
    locked: bool  # ... and it is locked, so nothing about it can be listed
    review: str  # digest of the sealed workspace checked (see ``publish(review=)``)
    questions: tuple[QuestionCheck, ...]
    others: tuple[str, ...]  # other staff who changed or unlocked the review lately

    @property
    def unreviewed(self) -> tuple[QuestionCheck, ...]:
        return tuple(q for q in self.questions if q.unreviewed)


def check_before_publishing(
    db: Database,
    keyring: Keyring,
    questionnaire: Questionnaire,
    slug: str,
    release_id: str,
    store: UnlockStore,
    *,
    actor: str | None,
) -> PublishCheck:
    """What has not been reviewed in the draft ``release_id``, read from its review while a
    key holder has it unlocked (``locked`` otherwise: the list cannot be made)."""
    with db.session() as session:
        survey = survey_row(session, slug)
        row = session.get(Release, release_id)
        if row is None or row.survey_id != survey.id or row.status != "draft":
            raise NotFoundError("That release is not a draft of this survey")
        sealed, survey_id = row.workspace, survey.id
    others = recent_reviewers(db, slug, besides=actor)
    if sealed is None:
        return PublishCheck(release_id, False, False, "", (), others)
    key = store.get(release_id)
    if key is None:
        return PublishCheck(release_id, True, True, workspace_digest(sealed), (), others)
    workspace = themes.open_workspace(key, sealed, survey_id, release_id)
    questions = []
    for question_id, found in workspace.reviews.items():
        try:
            text = questionnaire.question(question_id).text
        except KeyError:
            text = question_id
        flagged = {i for i, c in enumerate(found.comments) if c.flags}
        questions.append(
            QuestionCheck(
                question_id,
                text,
                tuple(
                    t.label
                    for t in found.themes
                    if t.reportable and not t.confirmed and found.status == "ready"
                ),
                len(found.pending_quotes),
                len(flagged),
                sum(1 for q in found.quotes if q.status == "approved" and q.comment in flagged),
            )
        )
    return PublishCheck(release_id, True, False, workspace_digest(sealed), tuple(questions), others)


def recent_reviewers(
    db: Database, slug: str, *, besides: str | None, minutes: int = RECENT_MINUTES
) -> tuple[str, ...]:
    """Who else changed or unlocked ``slug``'s theme review in the last ``minutes``, from the
    audit log (most recent first)."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)
    with db.session() as session:
        actors = session.scalars(
            select(AuditEvent.actor)
            .where(
                AuditEvent.survey_slug == slug,
                AuditEvent.action.in_(("theme_review", "review_unlocked")),
                AuditEvent.occurred_at >= since,
            )
            .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        ).all()
    return tuple(dict.fromkeys(a for a in actors if a and a != besides and a != "cli"))


# --- the review record a published release keeps, for carrying a review forward -----------------


def _record_context(release_id: str) -> str:
    return f"review-record/{release_id}"


def seal_record(
    workspace: themes.Workspace, public_key: bytes, survey_id: str, release_id: str
) -> str:
    """The review's record (no comment text) sealed to the survey's public key, as text."""
    document = {qid: record_of(r).to_dict() for qid, r in workspace.reviews.items()}
    sealed = seal(
        json.dumps(document, separators=(",", ":")).encode("utf-8"),
        public_key,
        survey_id=survey_id,
        questionnaire_version=_record_context(release_id),
    )
    return base64.b64encode(sealed).decode("ascii")


def open_record(
    text: str, private_key: bytes, survey_id: str, release_id: str
) -> dict[str, ReviewRecord]:
    """A published release's review record, opened with the survey's private key."""
    try:
        plain = open_envelope(
            base64.b64decode(text),
            private_key,
            survey_id=survey_id,
            questionnaire_version=_record_context(release_id),
        )
    except (CryptoError, ValueError):
        raise ServiceError("The published review's record cannot be opened") from None
    return {str(q): ReviewRecord.from_dict(r) for q, r in json.loads(plain).items()}
