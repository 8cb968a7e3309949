"""Analyst review of a draft release's free text: themes, comments and quotes.

Only analysts assigned to the survey and admins may review, and only the newest release
while it is a draft (its encrypted workspace exists) and **unlocked**: its workspace is
sealed under a key that only a key holder's passphrase opens, and a key holder unlocks it for
a limited time (``services.unlocking``). Every action is checked, applied to the workspace,
the theme and code counts of the question it changed protected again (overall only: see
``services.publishing``; the other questions' counts cannot have changed and are kept as
stored), both saved in one transaction, and the action written to the audit log (without
any comment text). Publishing protects and audits the whole release again.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from analysis.comments import QuestionReview, QuestionThemes, ReviewError, reviewing
from analysis.comments.carrying import Carried, ReviewRecord, carry_forward, record_of
from analysis.disclosure import ProtectedRelease
from survey_app.crypto import Keyring
from survey_app.domain.model import Questionnaire
from survey_app.services import analysis, audit, publishing, releases, surveys, themes
from survey_app.services.accounts import StaffAccount, may_work_on
from survey_app.services.errors import NotFoundError, ServiceError
from survey_app.services.keys import unlock
from survey_app.services.surveys import SurveyInfo
from survey_app.services.themes import ThemeOptions, Workspace
from survey_app.services.unlocking import UnlockStore
from survey_app.storage.database import Database
from survey_app.storage.models import Release

__all__ = ["ReviewContext", "ReviewError", "act", "open_review"]

#: How long a review stays unlocked unless configured (``SURVEY_REVIEW_UNLOCK_HOURS``).
UNLOCK_HOURS = 8


class ReviewAccessError(ServiceError):
    """The signed-in member of staff may not review this survey (a 403)."""


class StaleReviewError(ServiceError):
    """The form was for a release that is no longer the draft under review."""


class ReviewClosedError(NotFoundError):
    """The survey's newest release is published: its review has ended."""


class ReviewLockedError(ServiceError):
    """The draft's review workspace is not unlocked (or its unlock has run out)."""

    def __init__(self, slug: str, release_id: str) -> None:
        super().__init__(
            "This review is locked. A key holder must unlock it with their passphrase "
            "before anyone can read or change the comments."
        )
        self.slug = slug
        self.release_id = release_id


@dataclass(frozen=True)
class ReviewContext:
    survey: SurveyInfo
    questionnaire: Questionnaire
    release_id: str
    k: int
    k_cell: int
    workspace: Workspace
    digest: str  # of the sealed workspace as read: a change saved since then is refused
    key: bytes = field(repr=False, default=b"")  # the workspace key, from the unlock store

    def review(self, question_id: str) -> QuestionReview:
        found = self.workspace.reviews.get(question_id)
        if found is None:
            raise NotFoundError(f"The release has no free-text question '{question_id}'")
        return found

    def question_text(self, question_id: str) -> str:
        try:
            return self.questionnaire.question(question_id).text
        except KeyError:
            return question_id

    @property
    def reviews(self) -> list[QuestionReview]:
        return list(self.workspace.reviews.values())


def _newest(session: Session, survey: SurveyInfo) -> Release | None:
    return analysis.newest_row(session, survey.id)


def open_review(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    account: StaffAccount | None,
    slug: str,
    store: UnlockStore,
) -> ReviewContext:
    """The review of ``slug``'s draft release (``account`` ``None``: the command line).
    Raises ``ReviewLockedError`` when no key holder has unlocked it (or the unlock expired)."""
    survey = surveys.find_survey(db, slug)
    if survey is None:
        raise NotFoundError(f"There is no survey with the slug '{slug}'")
    if account is not None and not may_work_on(db, account, survey):
        raise ReviewAccessError("Only analysts working on this survey and admins can review it")
    questionnaire = survey.questionnaire_in(questionnaires)
    if questionnaire is None:
        raise NotFoundError("The survey's questionnaire is no longer loaded")
    with db.session() as session:
        row = _newest(session, survey)
        if row is not None and row.status == "published":
            raise ReviewClosedError(
                f"Survey '{slug}' has been published: its theme review has ended"
            )
        if row is None or row.status != "draft" or row.workspace is None:
            raise NotFoundError(f"Survey '{slug}' has no draft release with comments to review")
        key = store.get(row.id)
        if key is None:
            raise ReviewLockedError(slug, row.id)
        workspace = themes.open_workspace(key, row.workspace, survey.id, row.id)
        return ReviewContext(
            survey,
            questionnaire,
            row.id,
            row.k,
            row.k_cell,
            workspace,
            _digest(row.workspace),
            key,
        )


def draft_under_review(db: Database, slug: str) -> str | None:
    """The id of ``slug``'s draft release that has a review workspace, if any."""
    survey = surveys.find_survey(db, slug)
    if survey is None:
        return None
    with db.session() as session:
        row = _newest(session, survey)
        if row is None or row.status != "draft" or row.workspace is None:
            return None
        return row.id


def workspace_key(db: Database, slug: str, release_id: str, private_key: bytes) -> bytes:
    """Open the workspace key of the draft ``release_id`` with the survey's private key."""
    with db.session() as session:
        survey = surveys.survey_row(session, slug)
        row = session.get(Release, release_id)
        if (
            row is None
            or row.survey_id != survey.id
            or row.status != "draft"
            or row.workspace_key is None
        ):
            raise NotFoundError(f"Survey '{slug}' has no draft release with comments to review")
        return themes.open_workspace_key(row.workspace_key, private_key, survey.id, release_id)


def unlock_review(
    db: Database, store: UnlockStore, slug: str, passphrase: str, *, hours: int = UNLOCK_HOURS
) -> str:
    """Unlock ``slug``'s draft review in this process (the command line). Returns the
    release id; a wrong passphrase raises ``KeySlotError``."""
    release_id = draft_under_review(db, slug)
    if release_id is None:
        raise NotFoundError(f"Survey '{slug}' has no draft release with comments to review")
    with db.session() as session:
        private_key, _slot = unlock(session, surveys.survey_row(session, slug), passphrase)
    store.put(release_id, workspace_key(db, slug, release_id, private_key), hours * 3600)
    return release_id


def _digest(sealed: bytes) -> str:
    return hashlib.sha256(sealed).hexdigest()


def act(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    options: ThemeOptions,
    account: StaffAccount | None,
    slug: str,
    release_id: str,
    question_id: str,
    action: str,
    values: Mapping[str, str],
    store: UnlockStore,
) -> ReviewContext:
    """Apply one review action, protect the counts of the question it changed again and
    return the review as saved. ``ReviewError`` (the action cannot be done),
    ``StaleReviewError`` and ``ReviewLockedError`` leave everything as it was."""
    context = open_review(db, keyring, questionnaires, account, slug, store)
    if release_id != context.release_id:
        raise StaleReviewError(
            "A newer analysis has replaced the release you were reviewing. Review it instead."
        )
    before = context.review(question_id)
    actor = audit.CLI_ACTOR if account is None else account.email
    after = themes.apply_action(
        context.questionnaire, before, action, values, options, actor=actor, k_cell=context.k_cell
    )
    if after is before:
        return context
    saved = save(db, keyring, context, context.workspace.replace_review(after), [question_id])
    detail = after.decisions[-1].detail if after.decisions else action
    audit.record(db, actor, "theme_review", slug, f"{question_id}: {detail}"[:200])
    return saved


def save(
    db: Database,
    keyring: Keyring,
    context: ReviewContext,
    workspace: Workspace,
    questions: Collection[str] | None = None,
) -> ReviewContext:
    """Store ``workspace``, if the release is still the draft ``context`` was read from, with
    the theme and code counts (overall only) of ``questions`` protected again from it: only
    what changed. ``None``: every free-text question. Returns the review as saved.

    The other questions' protected items and summaries are kept exactly as stored: an item's
    overall row depends on its own question's review only (``themes.protect_overall``). The
    release as a whole is protected and audited again when a key holder publishes it."""
    changed = list(workspace.reviews) if questions is None else list(questions)
    part = themes.protect_overall(
        context.questionnaire, workspace, k=context.k, k_cell=context.k_cell, questions=changed
    )
    summaries = themes.summaries(workspace, part, k=context.k, questions=changed)
    dropped = None  # every free-text item of the release
    if questions is not None:  # the items these questions had before go too
        reviews = [context.workspace.reviews.get(q) for q in changed]
        dropped = {
            item.id
            for review in reviews
            if review is not None
            for item in themes.question_items(context.questionnaire, review)
        }
    try:
        sealed = _store(db, keyring, context, workspace, part, summaries, dropped)
    except OperationalError:  # another analyst's change held the row for too long
        raise StaleReviewError(
            "Someone else was changing this review at the same moment. Try again."
        ) from None
    return replace(context, workspace=workspace, digest=_digest(sealed))


def _store(
    db: Database,
    keyring: Keyring,
    context: ReviewContext,
    workspace: Workspace,
    part: ProtectedRelease,
    summaries: Mapping[str, QuestionThemes],
    dropped: set[str] | None,
) -> bytes:
    """Replace the draft's items of ``part`` (and ``dropped``; ``None``: every free-text item)
    and their summaries, and store it with the sealed workspace. Returns the sealed workspace."""
    survey = context.survey
    with _no_cycle_collection(), db.transaction() as session:
        row = session.scalars(
            select(Release).where(Release.id == context.release_id).with_for_update()
        ).first()
        if row is None or row.status != "draft" or row.workspace is None:
            raise StaleReviewError("This release has been published or replaced")
        if _digest(row.workspace) != context.digest:
            raise StaleReviewError(
                "Someone else changed this review while you were looking at it. "
                "Look at it again and repeat your change."
            )
        document = releases.read_release(session, keyring, row)
        overall_only = dict(document.get("overall_only", {}))
        gone = set(overall_only) if dropped is None else dropped
        full = {k: v for k, v in document.items() if k not in ("release", "themes", "decisions")}
        full["overall_only"] = {
            **{item: why for item, why in overall_only.items() if item not in gone},
            **dict.fromkeys(part.items, analysis.DRAFT),
        }
        full["release"] = analysis.with_overall_items(document["release"], part, gone)
        kept = document.get("themes", {}) if dropped is not None else {}
        full["themes"] = {**kept, **{q: s.to_dict() for q, s in summaries.items()}}
        full["decisions"] = themes.decisions_of(workspace)
        releases.write_release(session, keyring, row, full)
        del document, full  # freed here, while the cycle collector is held off
        sealed = themes.seal_workspace(context.key, workspace, survey.id, row.id)
        row.workspace = sealed
    return sealed


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Hold off Python's cycle collector while a release document is rewritten.

    The rewrite parses and writes about a megabyte of JSON: some 100,000 lists and dicts that
    live for milliseconds, none in a reference cycle, all freed by reference counting when it
    ends. Left on, the collector promotes them while they live, and every third action or so
    runs a full collection over the whole process (theme models and all): 150-350 ms, most of
    an action's time at the 95th percentile (``benchmarks/review.py``). Held off for these
    milliseconds, nothing is promoted and nothing is left for it to do."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def approve_clean_quotes(
    db: Database,
    keyring: Keyring,
    questionnaire: Questionnaire,
    survey: SurveyInfo,
    release_id: str,
    store: UnlockStore,
    *,
    actor: str,
    per_theme: int = 2,
) -> int:
    """Approve up to ``per_theme`` candidate quotes per theme that redaction raised no flag
    on (the demo's stand-in for a moderator). Returns how many were approved."""
    context = open_review(db, keyring, {questionnaire.id: questionnaire}, None, survey.slug, store)
    if context.release_id != release_id:
        raise StaleReviewError("The release is no longer the draft")
    workspace = context.workspace
    approved = 0
    for review in context.reviews:
        taken: dict[int, int] = {}
        for quote in review.pending_quotes:
            theme = review.quote_theme(quote)
            if review.comments[quote.comment].flags or taken.get(theme, 0) >= per_theme:
                continue
            review = reviewing.approve(review, quote.id, actor=actor)
            taken[theme] = taken.get(theme, 0) + 1
            approved += 1
        workspace = workspace.replace_review(review)
    save(db, keyring, context, workspace)
    return approved


# --- what the review pages show ------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeRow:
    id: int
    label: str
    size: int
    key_phrases: tuple[str, ...]
    reportable: bool
    confirmed: bool  # an analyst named it; otherwise published as an automatic theme
    samples: tuple[str, ...]  # redacted, most typical first


@dataclass(frozen=True)
class CommentRow:
    index: int
    text: str  # redacted
    flags: tuple[str, ...]
    tone: str  # experimental: shown only when an analyst sorts by it, never published
    codes: tuple[str, ...]
    quoted: bool


@dataclass(frozen=True)
class QuoteRow:
    id: str
    text: str
    status: str
    flags: tuple[str, ...]
    theme: str


SAMPLES = 3
#: Comment orders on a theme's page: as found, or by the experimental tone (most negative
#: first), an analyst-only way to find comments; tone is never published.
ORDERS = ("found", "tone")
_TONE_ORDER = {"negative": 0, "mixed": 1, "positive": 2}


def theme_rows(review: QuestionReview) -> list[ThemeRow]:
    """Every theme, largest first, with its raw size (analysts only: never published)."""
    rows = []
    for theme in review.themes:
        members = review.members(theme.id)
        typical = [i for i in theme.representatives if review.comments[i].theme == theme.id]
        typical += [i for i in members if i not in typical]
        samples = tuple(review.comments[i].redacted for i in typical[:SAMPLES])
        rows.append(
            ThemeRow(
                theme.id,
                theme.label,
                len(members),
                theme.key_phrases,
                theme.reportable,
                theme.confirmed,
                samples,
            )
        )
    return sorted(rows, key=lambda r: (-r.size, r.id))


def comment_rows(review: QuestionReview, theme_id: int, order: str = "found") -> list[CommentRow]:
    quoted = {q.comment for q in review.quotes}
    rows = [
        CommentRow(
            i,
            c.redacted,
            tuple(dict.fromkeys(f.token for f in c.flags)),
            c.tone,
            c.codes,
            i in quoted,
        )
        for i, c in enumerate(review.comments)
        if c.theme == theme_id
    ]
    if order == "tone":
        rows.sort(key=lambda r: (_TONE_ORDER.get(r.tone, 3), r.index))
    return rows


def quote_rows(review: QuestionReview) -> list[QuoteRow]:
    """Candidate quotes: waiting first, then approved, then rejected."""
    order = {"pending": 0, "approved": 1, "rejected": 2}
    labels = {t.id: t.label for t in review.themes}
    rows = [
        QuoteRow(
            q.id,
            q.text,
            q.status,
            tuple(dict.fromkeys(f.token for f in review.comments[q.comment].flags)),
            labels.get(review.comments[q.comment].theme, "No clear theme"),
        )
        for q in review.quotes
    ]
    return sorted(rows, key=lambda r: (order.get(r.status, 3), int(r.id[1:] or 0)))


# --- analysing again without losing the review ---------------------------------------------


@dataclass(frozen=True)
class AtStake:
    """The review work on a survey's newest release that analysing again would replace,
    counted from the release's list of decisions (no passphrase needed, no comment text)."""

    status: str  # of the newest release: "draft" or "published"
    names: int  # themes named (or automatic names kept) by an analyst
    changes: int  # merges, moves and splits
    quotes: int  # quote decisions: nominated, approved, rejected, edited
    carryable: bool  # the work can be carried forward to the new analysis

    @property
    def any(self) -> bool:
        return bool(self.names or self.changes or self.quotes)


_NAMES = ("rename", "confirm")
_CHANGES = ("merge", "move", "split")
_QUOTES = ("nominate", "approve", "reject", "edit_quote")


def review_at_stake(db: Database, keyring: Keyring, slug: str) -> AtStake | None:
    """What analysing ``slug`` again would put at stake (None: no release yet)."""
    survey = surveys.find_survey(db, slug)
    if survey is None:
        return None
    with db.session() as session:
        row = _newest(session, survey)
        if row is None:
            return None
        try:
            document = releases.read_release(session, keyring, row)
        except ServiceError:  # an audit that cannot be read carries no record forward
            document = releases.open_figures(keyring, survey.id, row.id, row.payload)
        status, has_workspace = row.status, row.workspace is not None
    actions = [
        str(d.get("action", ""))
        for entries in document.get("decisions", {}).values()
        for d in entries
    ]
    carryable = has_workspace if status == "draft" else "carry" in document
    return AtStake(
        status,
        sum(1 for a in actions if a in _NAMES),
        sum(1 for a in actions if a in _CHANGES),
        sum(1 for a in actions if a in _QUOTES),
        carryable,
    )


def run_analysis_keeping_review(
    db: Database,
    keyring: Keyring,
    questionnaire: Questionnaire,
    slug: str,
    passphrase: str,
    *,
    actor: str | None,
    theme_options: ThemeOptions,
    progress: analysis.Progress | None = None,
    private_key: bytes | None = None,
    unlocked: analysis.Unlocked | None = None,
    keep: bool = True,
) -> str:
    """``services.analysis.run_analysis``, then (unless ``keep`` is False: the analyst chose
    to start the review again) the newest release's review carried forward to the new draft
    where the comments are the same (``analysis.comments.carrying``). ``unlocked`` is given
    the new review's key only once that is done, so nobody reviews the draft before it."""
    report = progress or (lambda _percent, _message: None)
    with db.session() as session:
        survey = surveys.survey_row(session, slug)
        if private_key is None:
            private_key, _slot = unlock(session, survey, passphrase)
        previous = analysis.newest_row(session, survey.id)
        previous_id = previous.id if previous is not None else None
    keys: dict[str, bytes] = {}
    release_id = analysis.run_analysis(
        db,
        keyring,
        questionnaire,
        slug,
        "",
        actor=actor,
        progress=lambda percent, message: report(min(percent, 96), message),
        private_key=private_key,
        theme_options=theme_options,
        unlocked=lambda release, key: keys.__setitem__(release, key),
    )
    key = keys.get(release_id)
    try:
        if not keep and previous_id is not None:
            who = audit.CLI_ACTOR if actor is None else actor
            detail = "review started again: the earlier review was not carried forward"
            audit.record(db, who, "theme_review", slug, detail)
        elif previous_id is not None and key is not None:
            report(98, "Carrying the review forward")
            carry_review(
                db,
                keyring,
                questionnaire,
                slug,
                previous_id,
                release_id,
                key,
                private_key,
                actor=actor,
            )
    finally:
        del private_key
        if key is not None and unlocked is not None:
            unlocked(release_id, key)
    return release_id


def previous_records(
    db: Database, keyring: Keyring, slug: str, release_id: str, private_key: bytes
) -> dict[str, ReviewRecord]:
    """The review records of an earlier release: from a draft's review workspace, or from
    the record a published release keeps (none for releases published before records)."""
    with db.session() as session:
        survey = surveys.survey_row(session, slug)
        row = session.get(Release, release_id)
        if row is None or row.survey_id != survey.id:
            return {}
        if row.workspace is not None and row.workspace_key is not None:
            key = themes.open_workspace_key(row.workspace_key, private_key, survey.id, row.id)
            workspace = themes.open_workspace(key, row.workspace, survey.id, row.id)
            return {qid: record_of(r) for qid, r in workspace.reviews.items()}
        document = releases.read_release(session, keyring, row)
    if "carry" not in document:
        return {}
    return publishing.open_record(str(document["carry"]), private_key, survey.id, release_id)


def carry_review(
    db: Database,
    keyring: Keyring,
    questionnaire: Questionnaire,
    slug: str,
    previous_id: str,
    release_id: str,
    key: bytes,
    private_key: bytes,
    *,
    actor: str | None,
) -> list[Carried]:
    """Carry the review of ``previous_id`` forward to the new draft ``release_id`` (whose
    workspace ``key`` opens) and save it; what was carried is audited and added to the new
    review's decisions. A record that cannot be read carries nothing, and says so."""
    who = audit.CLI_ACTOR if actor is None else actor
    try:
        records = previous_records(db, keyring, slug, previous_id, private_key)
    except ServiceError as error:
        audit.record(db, who, "theme_review", slug, f"review not carried forward: {error}"[:200])
        return []
    context = _context_for(db, questionnaire, slug, release_id, key)
    workspace = context.workspace
    today = dt.datetime.now(dt.UTC).date().isoformat()
    results: list[Carried] = []
    for question_id, record in records.items():
        fresh = workspace.reviews.get(question_id)
        if fresh is None or not record.has_work:
            continue
        carried, result = carry_forward(record, fresh, actor=who, on=today)
        workspace = workspace.replace_review(carried)
        results.append(result)
    if results:
        try:
            save(db, keyring, context, workspace)
        except ServiceError as error:  # e.g. someone changed the new draft meanwhile
            detail = f"review not carried forward: {error}"
            audit.record(db, who, "theme_review", slug, detail[:200])
            return []
        for result in results:
            detail = f"{result.question_id}: {result.summary()}"
            audit.record(db, who, "theme_review", slug, detail[:200])
    return results


def _context_for(
    db: Database, questionnaire: Questionnaire, slug: str, release_id: str, key: bytes
) -> ReviewContext:
    survey = surveys.find_survey(db, slug)
    if survey is None:
        raise NotFoundError(f"There is no survey with the slug '{slug}'")
    with db.session() as session:
        row = session.get(Release, release_id)
        if row is None or row.status != "draft" or row.workspace is None:
            raise StaleReviewError("This release has been published or replaced")
        workspace = themes.open_workspace(key, row.workspace, survey.id, row.id)
        return ReviewContext(
            survey,
            questionnaire,
            row.id,
            row.k,
            row.k_cell,
            workspace,
            _digest(row.workspace),
            key,
        )
