"""Free-text answers in a release: made during the analysis run, reviewed by an analyst.

The analysis run (``services.analysis.run_analysis``) calls :func:`analyse` with the
analysis table. Every free-text question gets a :class:`~analysis.comments.QuestionReview`
(themes, codes, redacted comments, candidate quotes, and an experimental tone that only
analysts see).

While the release is a draft, the reviews live in an encrypted **workspace** beside it,
sealed under a random key that is itself kept only sealed to the survey's public key: the
server's own keys cannot open it, only a key holder's passphrase can (see
``services.unlocking``). The workspace holds the comments and their themes, never
respondents' groups. A draft shows theme and code counts overall only
(:func:`protect_overall`); counts by group are worked out once, when a key holder publishes
(``services.publishing``), from the final themes and the responses opened again. Publishing
drops the workspace: after that only protected figures, labels, key phrases, approved quotes
and the list of decisions remain.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from analysis.comments import (
    CodeInfo,
    QuestionReview,
    QuestionThemes,
    ReviewError,
    build_review,
    reviewing,
    summarise,
    theme_columns,
    theme_items,
)
from analysis.counting import Breakdown, Item, release_input
from analysis.disclosure import ProtectedRelease, ReleaseInput, protect_release
from analysis.redaction import Redactor
from survey_app.crypto import CryptoError, DecryptError, Keyring, open_envelope, seal
from survey_app.domain.characters import has_control_characters
from survey_app.domain.model import Code, Questionnaire, QuestionType
from survey_app.domain.numbers import whole_number
from survey_app.services.errors import NotFoundError, ServiceError

log = logging.getLogger(__name__)

WORKSPACE_FORMAT = 2
WORKSPACE_KEY_LEN = 32
#: Quotes only from groups of at least this many respondents (DESIGN.md §6 ``k_text``).
K_TEXT = 10
THEME_NAME_CONTROL_CHARACTERS = (
    "Theme name must not contain control characters, such as tabs or invisible formatting marks"
)


class RedactionFileError(ServiceError):
    """The configured redaction file cannot be read."""


@dataclass(frozen=True)
class ThemeOptions:
    """How free text is analysed: the engine and the words redaction always replaces
    (besides those the questionnaire lists)."""

    engine: str = "auto"
    names: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    random_state: int = 0


def read_redaction_file(path: str | None) -> dict[str, tuple[str, ...]]:
    """``names``, ``places`` and ``teams`` from a YAML file (each a list of strings)."""
    if not path:
        return {}
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise RedactionFileError(f"{path}: cannot be read ({error.__class__.__name__})") from None
    if not isinstance(document, dict):
        raise RedactionFileError(f"{path}: expected keys names, places and teams")
    found: dict[str, tuple[str, ...]] = {}
    for key, words in document.items():
        if key not in ("names", "places", "teams"):
            raise RedactionFileError(f"{path}: /{key}: unknown key (names, places, teams)")
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise RedactionFileError(f"{path}: /{key}: must be a list of words")
        found[key] = tuple(w.strip() for w in words if w.strip())
    return found


def theme_options(config: Mapping[str, Any]) -> ThemeOptions:
    """The analysis settings of ``config``. Called once as a process starts (the app, or a
    job), it also sets the process's sentence-embedding runtime (``SURVEY_EMBEDDING_RUNTIME``)."""
    from analysis.themes import semantic  # light: torch and ONNX Runtime load only to embed

    semantic.use_runtime(str(config.get("SURVEY_EMBEDDING_RUNTIME", "auto")))
    lists = read_redaction_file(config.get("SURVEY_REDACTION_FILE"))
    return ThemeOptions(
        engine=str(config.get("SURVEY_THEME_ENGINE", "auto")),
        names=lists.get("names", ()),
        places=lists.get("places", ()),
        teams=lists.get("teams", ()),
    )


def _lists(questionnaire: Questionnaire, options: ThemeOptions) -> dict[str, tuple[str, ...]]:
    found = questionnaire.redaction
    return {
        "names": (*found.names, *options.names),
        "places": (*found.places, *options.places),
        "teams": (*found.teams, *options.teams),
    }


def redactor_for(
    questionnaire: Questionnaire, review: QuestionReview, options: ThemeOptions
) -> Redactor:
    return Redactor(**_lists(questionnaire, options), corpus=[c.text for c in review.comments])


def free_text_questions(questionnaire: Questionnaire) -> list[str]:
    return [
        q.id
        for q in questionnaire.questions()
        if q.type is QuestionType.FREE_TEXT and not q.demographic
    ]


# --- the workspace ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workspace:
    """The review of every free-text question of a draft release.

    ``rows`` is the number of responses and ``responses`` a digest of their ids in the order
    the analysis read them: a comment's ``row`` is its respondent's position in that order,
    and publishing checks it reads the same responses in the same order. No groups, no raw
    counts of anything else.
    """

    rows: int
    responses: str
    reviews: Mapping[str, QuestionReview] = field(default_factory=dict)

    def to_json(self) -> bytes:
        document = {
            "format": WORKSPACE_FORMAT,
            "rows": self.rows,
            "responses": self.responses,
            "reviews": {qid: r.to_dict() for qid, r in self.reviews.items()},
        }
        return json.dumps(document, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Workspace:
        document = json.loads(data)
        if document.get("format") != WORKSPACE_FORMAT:
            raise ServiceError("This review was made by an older version: analyse the survey again")
        return cls(
            rows=int(document["rows"]),
            responses=str(document["responses"]),
            reviews={
                str(qid): QuestionReview.from_dict(r) for qid, r in document["reviews"].items()
            },
        )

    def replace_review(self, review: QuestionReview) -> Workspace:
        return Workspace(self.rows, self.responses, {**self.reviews, review.question_id: review})


def analyse(
    questionnaire: Questionnaire,
    frame: pd.DataFrame,
    options: ThemeOptions,
    *,
    responses: str,
    k_cell: int,
    k: int = K_TEXT,
    progress: Callable[[str], None] | None = None,
    carried: Mapping[str, tuple[Code, ...]] | None = None,
) -> Workspace:
    """Make the review of every free-text question from the analysis table ``frame`` (one
    row per response, in the order that ``responses`` digests). ``k``: the survey's minimum
    group size; key phrases need words used by at least ``max(K_TEXT, k)`` respondents.
    ``carried``: codes carried from last cycle's themes, for the free-text questions the
    questionnaire gives no codebook of its own."""
    reviews: dict[str, QuestionReview] = {}
    lists = _lists(questionnaire, options)
    for question_id in free_text_questions(questionnaire):
        if progress is not None:
            progress(f"Finding themes in ‘{questionnaire.question(question_id).text}’")
        comments = [
            (row, str(text).strip())
            for row, text in enumerate(frame[question_id])
            if not pd.isna(text) and str(text).strip()
        ]
        codes = tuple(
            CodeInfo(c.id, c.label, c.description, c.seeds, c.examples)
            for c in questionnaire.codes_for(question_id) or (carried or {}).get(question_id, ())
        )
        try:
            reviews[question_id] = build_review(
                question_id,
                comments,
                codes=codes,
                engine=options.engine,
                random_state=options.random_state,
                k_cell=k_cell,
                k_text=max(K_TEXT, k),
                names=lists["names"],
                places=lists["places"],
                teams=lists["teams"],
            )
        except Exception as error:  # one question's themes must not stop the whole release
            # Only the error's type is logged: its message could quote a comment.
            log.error("themes failed for %s: %s", question_id, type(error).__name__)
            reviews[question_id] = QuestionReview(question_id, "failed", engine="none")
    return Workspace(len(frame), responses, reviews)


def _chosen(workspace: Workspace, questions: Collection[str] | None) -> dict[str, QuestionReview]:
    """The workspace's reviews, or only those of ``questions``, in the workspace's order."""
    if questions is None:
        return dict(workspace.reviews)
    return {q: r for q, r in workspace.reviews.items() if q in questions}


def question_items(questionnaire: Questionnaire, review: QuestionReview) -> list[Item]:
    """The release items of one reviewed question: its theme and code counts."""
    return theme_items(review, sensitive=_sensitive(questionnaire, review.question_id))


def text_items(
    questionnaire: Questionnaire, workspace: Workspace, questions: Collection[str] | None = None
) -> list[Item]:
    """The release items of the reviewed questions (``questions``: only these)."""
    reviews = _chosen(workspace, questions).values()
    return [item for r in reviews for item in question_items(questionnaire, r)]


def text_columns(workspace: Workspace, questions: Collection[str] | None = None) -> dict[str, Any]:
    """Analysis-table columns for :func:`text_items`, one value per response."""
    columns: dict[str, Any] = {}
    for review in _chosen(workspace, questions).values():
        columns.update(theme_columns(review, workspace.rows))
    return columns


def protect_overall(
    questionnaire: Questionnaire,
    workspace: Workspace,
    items: list[Item] | None = None,
    *,
    k: int,
    k_cell: int,
    questions: Collection[str] | None = None,
) -> ProtectedRelease:
    """Theme and code counts of everyone, and of nobody else, protected on their own.

    This is all a draft shows of the free text, so moving a comment from one theme to another
    changes overall counts only and says nothing about who wrote it. ``items``: only these;
    ``questions``: only the items of these questions (a review action reprotects the question
    it changed). Each item's overall row shares nothing with the others but the overall count,
    which is shown, so an item comes out the same whichever others are protected with it
    (``ProtectedRelease.with_overall_items``). One exception: should the engine fail to
    protect its input at all, it hides every item it was given, so then only these questions'
    counts are hidden, not every question's (each hidden set is safe on its own).
    """
    chosen = text_items(questionnaire, workspace, questions) if items is None else items
    frame = pd.DataFrame(text_columns(workspace, questions), index=range(workspace.rows))
    spec = release_input(frame, chosen, [], [()])
    return _protected(spec, k=k, k_cell=k_cell)


def by_group_input(
    questionnaire: Questionnaire,
    workspace: Workspace,
    items: list[Item],
    groups: pd.DataFrame,
    breakdowns: list[Breakdown],
    views: list[tuple[str, ...]],
) -> ReleaseInput:
    """Raw counts of ``items`` in every permitted population, from the final themes and each
    response's groups (``groups``: one column per breakdown, rows in the workspace's order)."""
    if len(groups) != workspace.rows:
        raise ServiceError("The responses no longer match the review: analyse the survey again")
    columns = {**{b.id: groups[b.id] for b in breakdowns}, **text_columns(workspace)}
    frame = pd.DataFrame(columns, index=range(workspace.rows))
    return release_input(frame, items, breakdowns, views)


def _protected(spec: ReleaseInput, *, k: int, k_cell: int, **options: Any) -> ProtectedRelease:
    return protect_release(spec, k=k, k_cell=k_cell, **options)


def summaries(
    workspace: Workspace,
    protected: ProtectedRelease,
    *,
    k: int,
    questions: Collection[str] | None = None,
) -> dict[str, QuestionThemes]:
    """What readers see of each free-text question (``questions``: only these), read from
    the protected figures. A question's summary reads its own items only."""
    return {
        qid: summarise(review, protected, k_text=max(K_TEXT, k))
        for qid, review in _chosen(workspace, questions).items()
    }


def _sensitive(questionnaire: Questionnaire, question_id: str) -> bool:
    try:
        return questionnaire.question(question_id).sensitive
    except KeyError:
        return False


def decisions_of(workspace: Workspace) -> dict[str, list[dict[str, str]]]:
    return {
        qid: [
            {"action": d.action, "detail": d.detail, "actor": d.actor, "on": d.on}
            for d in review.decisions
        ]
        for qid, review in workspace.reviews.items()
    }


def seal_workspace(key: bytes, workspace: Workspace, survey_id: str, release_id: str) -> bytes:
    """Encrypt the workspace under its own key (AES-256-GCM, bound to survey and release)."""
    return _cipher(key).encrypt(workspace.to_json(), aad=_aad(survey_id, release_id))


def open_workspace(key: bytes, sealed: bytes, survey_id: str, release_id: str) -> Workspace:
    try:
        return Workspace.from_json(_cipher(key).decrypt(sealed, aad=_aad(survey_id, release_id)))
    except DecryptError:
        raise ServiceError("This review cannot be opened with the key given") from None


def new_workspace_key() -> bytes:
    return os.urandom(WORKSPACE_KEY_LEN)


def seal_workspace_key(key: bytes, public_key: bytes, survey_id: str, release_id: str) -> bytes:
    """The workspace key sealed to the survey's public key: only a key slot's private key
    opens it, and the seal is bound to this survey and release."""
    return seal(
        key, public_key, survey_id=survey_id, questionnaire_version=_key_context(release_id)
    )


def open_workspace_key(sealed: bytes, private_key: bytes, survey_id: str, release_id: str) -> bytes:
    try:
        key = open_envelope(
            sealed, private_key, survey_id=survey_id, questionnaire_version=_key_context(release_id)
        )
    except CryptoError:
        raise ServiceError("The review's key cannot be opened with this survey's key") from None
    if len(key) != WORKSPACE_KEY_LEN:
        raise ServiceError("The review's key is damaged")
    return key


def _key_context(release_id: str) -> str:
    return f"review-key/{release_id}"


def _cipher(key: bytes) -> Keyring:
    return Keyring({"w": key}, "w")


def _aad(survey_id: str, release_id: str) -> bytes:
    return f"candour/workspace/{survey_id}/{release_id}".encode("ascii")


# --- review actions -----------------------------------------------------------------------------


def apply_action(
    questionnaire: Questionnaire,
    review: QuestionReview,
    action: str,
    values: Mapping[str, str],
    options: ThemeOptions,
    *,
    actor: str,
    k_cell: int,
) -> QuestionReview:
    """Do one review action named ``action`` with the form ``values``; ``ReviewError`` says
    why it cannot be done."""
    if action == "rename":
        label = values.get("label", "")
        if has_control_characters(label.strip()):
            raise ReviewError(THEME_NAME_CONTROL_CHARACTERS)
        return reviewing.rename(review, _int(values, "theme"), label, actor=actor)
    if action == "confirm":
        return reviewing.confirm_name(review, _int(values, "theme"), actor=actor)
    if action in ("reportable", "not_reportable"):
        return reviewing.set_reportable(
            review, _int(values, "theme"), action == "reportable", actor=actor
        )
    if action == "merge":
        return reviewing.merge(review, _int(values, "theme"), _int(values, "into"), actor=actor)
    if action == "move":
        return reviewing.move(review, _int(values, "comment"), _int(values, "to"), actor=actor)
    if action == "nominate":
        return reviewing.nominate(review, _int(values, "comment"), actor=actor)
    if action == "approve":
        return reviewing.approve(review, values.get("quote", ""), actor=actor)
    if action == "reject":
        return reviewing.reject(review, values.get("quote", ""), actor=actor)
    redactor = redactor_for(questionnaire, review, options)
    if action == "split":
        return reviewing.split(
            review,
            _int(values, "theme"),
            redactor,
            actor=actor,
            k_cell=k_cell,
            names=_lists(questionnaire, options)["names"],
        )
    if action == "edit_quote":
        return reviewing.edit_quote(
            review, values.get("quote", ""), values.get("text", ""), redactor, actor=actor
        )
    raise NotFoundError(f"There is no review action '{action}'")


def _int(values: Mapping[str, str], name: str) -> int:
    number = whole_number(values.get(name), signed=True)
    if number is None:
        raise ReviewError("Choose a theme or comment from the list")
    return number


def codes_from_themes(summary: QuestionThemes, note: str, prefix: str = "theme") -> list[Code]:
    """A code for each reviewed, named theme of a question, its key phrases as seeds, so next
    cycle's comments can be coded against this cycle's themes and stay comparable."""
    codes: list[Code] = []
    for theme in summary.named_themes:
        if theme.reviewed is False:  # published as found: no analyst named it
            continue
        seeds = tuple(dict.fromkeys(p for p in theme.key_phrases if len(p) >= 2))[:60]
        if seeds:
            codes.append(Code(f"{prefix}_{len(codes) + 1}", theme.label[:80], note, seeds))
    return codes


def carried_codebook(summaries: Iterable[QuestionThemes], year: int) -> str:
    """A questionnaire ``codebooks`` section (YAML) made from reviewed, named themes."""
    books: dict[str, list[dict[str, Any]]] = {}
    for summary in summaries:
        codes = codes_from_themes(summary, f"Carried from the reviewed themes of {year}.")
        if codes:
            books[f"{summary.question_id[:30]}_themes".replace("__", "_")] = [
                {"id": c.id, "label": c.label, "description": c.description, "seeds": list(c.seeds)}
                for c in codes
            ]
    if not books:
        return "# No reviewed themes to carry forward.\n"
    header = (
        "# Paste under 'codebooks:' in next year's questionnaire and add\n"
        "# 'codebook: <name>' to the free-text question it belongs to.\n"
    )
    return header + yaml.safe_dump({"codebooks": books}, sort_keys=False, allow_unicode=True)
