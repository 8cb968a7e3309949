"""Report pages and exports: who may read which release, and its tables ready to render.

Everything here reads a stored release (``analysis.load_release``), never responses. Analysts
assigned to a survey and admins see its newest release, draft or published, and may publish
it; everyone else signed in sees published releases only. While a survey is not yet closed,
no release is read at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select

from analysis.comments import QuestionThemes, code_item, theme_item
from analysis.counting import MISSING
from analysis.disclosure import NO_ANSWER
from analysis.exports import write_csv, write_workbook
from analysis.report import (
    MISSING_LABEL,
    NO_ANSWER_LABEL,
    OVERALL_ONLY_NOTE,
    Labels,
    Question,
    Report,
    ReportInfo,
    Table,
    TextResult,
    View,
    build_report,
    footnote,
    parse_view,
    question_tables,
    respondent_table,
    text_result,
    view_key,
)
from survey_app.crypto import Keyring
from survey_app.domain.model import Questionnaire, QuestionType
from survey_app.services import analysis, audit, publishing, surveys
from survey_app.services.accounts import StaffAccount, may_work_on
from survey_app.services.analysis import ReleaseData
from survey_app.services.errors import NotFoundError
from survey_app.services.surveys import SurveyInfo
from survey_app.storage.database import Database
from survey_app.storage.models import Release, Survey

State = Literal["not_closed", "no_release", "no_responses", "too_few", "ready"]
Format = Literal["csv", "xlsx", "html"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "html")
MIMETYPES: Mapping[str, str] = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
}

#: Why a free-text question's counts are shown for everyone only (one sentence each).
OVERALL_ONLY_NOTES: Mapping[str, str] = {
    analysis.DRAFT: (
        "In a draft, theme counts are shown for everyone only. Counts by group are worked "
        "out once, when a key holder publishes the report."
    ),
    analysis.CHANGED: (
        "These themes changed after an earlier report of this survey was published, so they "
        "are shown for everyone only: counts by group set beside the earlier report could "
        "show who wrote the comments that moved."
    ),
    publishing.KEPT_AS_DRAFT: (
        "Theme counts by group could not be shown without hiding figures the draft showed, "
        "so they are shown for everyone only."
    ),
}

_COUNTED = {
    QuestionType.SINGLE_CHOICE,
    QuestionType.LIKERT,
    QuestionType.MULTIPLE_CHOICE,
}


# --- labels and questions from the questionnaire -----------------------------------------------


def breakdown_title(question_id: str) -> str:
    """A short name for a breakdown, from its question id: ``ethnic_group`` → "Ethnic group"."""
    return question_id.replace("_", " ").capitalize()


THEMES_TITLE = "Themes in the comments"
CODES_TITLE = "Comments against the codebook"
NO_COMMENT_LABEL = "No comment"


def report_labels(
    questionnaire: Questionnaire | None, release: ReleaseData | None = None
) -> Labels:
    """Every label a report shows, from the questionnaire (codes where it has none) and, for
    themes, from the release's reviewed theme names."""
    if questionnaire is None:
        return Labels()
    groups: dict[str, dict[str, str]] = {}
    items: dict[str, str] = {}
    options: dict[str, dict[str, str]] = {}
    for q in questionnaire.questions():
        labelled = {o.value: o.label for o in q.options}
        if q.demographic:
            groups[q.id] = {**labelled, MISSING: MISSING_LABEL}
        if q.type is QuestionType.LIKERT_GRID:
            for s in q.statements:
                items[f"{q.id}__{s.id}"] = s.text
                options[f"{q.id}__{s.id}"] = {**labelled, NO_ANSWER: NO_ANSWER_LABEL}
        elif q.type in _COUNTED:
            items[q.id] = q.text
            options[q.id] = {**labelled, NO_ANSWER: NO_ANSWER_LABEL}
    multiple = {q.id for q in questionnaire.questions() if q.type is QuestionType.MULTIPLE_CHOICE}
    overall_only = {
        item: OVERALL_ONLY_NOTES.get(why, OVERALL_ONLY_NOTE)
        for item, why in (release.overall_only if release is not None else {}).items()
    }
    for question_id, summary in (release.themes if release is not None else {}).items():
        items[theme_item(question_id)] = THEMES_TITLE
        options[theme_item(question_id)] = {**summary.theme_labels(), NO_ANSWER: NO_COMMENT_LABEL}
        items[code_item(question_id)] = CODES_TITLE
        options[code_item(question_id)] = {**summary.code_labels(), NO_ANSWER: NO_COMMENT_LABEL}
        multiple.add(code_item(question_id))
    return Labels(
        breakdowns={b: breakdown_title(b) for b in questionnaire.breakdowns},
        groups=groups,
        items=items,
        options=options,
        multiple=frozenset(multiple),
        overall_only=overall_only,
    )


def report_questions(questionnaire: Questionnaire | None, release: ReleaseData) -> list[Question]:
    """The questions a report covers, in questionnaire order: each counted question with the
    items the release holds for it, and free-text questions (themes come later)."""
    published = set(release.protected.items)
    if questionnaire is None:
        return [Question(i, i, "counts", (i,)) for i in release.protected.items]
    found: list[Question] = []
    for q in questionnaire.questions():
        if q.demographic:
            continue
        if q.type is QuestionType.FREE_TEXT:
            counted = (theme_item(q.id), code_item(q.id))
            found.append(
                Question(q.id, q.text, "text", tuple(i for i in counted if i in published))
            )
            continue
        ids = (
            tuple(f"{q.id}__{s.id}" for s in q.statements)
            if q.type is QuestionType.LIKERT_GRID
            else (q.id,)
        )
        items = tuple(i for i in ids if i in published)
        if items:
            found.append(Question(q.id, q.text, "counts", items))
    # Items the questionnaire no longer has (a newer version is loaded) are still reported.
    covered = {i for q in found for i in q.items}
    found += [Question(i, i, "counts", (i,)) for i in release.protected.items if i not in covered]
    return found


# --- who sees what -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportContext:
    """A survey's report as the signed-in member of staff may see it."""

    survey: SurveyInfo
    release: ReleaseData | None
    labels: Labels
    questions: tuple[Question, ...]
    is_worker: bool

    @property
    def state(self) -> State:
        if self.survey.status != "closed":
            return "not_closed"
        if self.release is None:
            return "no_release"
        responses = self.release.protected.size(())
        if not responses:
            return "no_responses"
        return "too_few" if responses < self.release.k else "ready"

    @property
    def may_publish(self) -> bool:
        return self.is_worker and self.release is not None and self.release.status == "draft"

    @property
    def may_review(self) -> bool:
        """An analyst or admin can still review the draft's themes and quotes."""
        return self.may_publish and self.release is not None and self.release.has_workspace

    def themes_for(self, question_id: str) -> QuestionThemes | None:
        if self.release is None:
            return None
        return self.release.themes.get(question_id)

    @property
    def views(self) -> tuple[View, ...]:
        return self.release.views if self.release is not None else ()

    @property
    def footnote(self) -> str:
        return footnote(self.release.k, self.release.k_cell) if self.release else ""

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise NotFoundError(f"The report has no question '{question_id}'")


def open_report(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    account: StaffAccount | None,
    slug: str,
) -> ReportContext:
    """The report of ``slug`` for ``account`` (``None`` is an operator at the command line,
    who sees the newest release). Raises ``NotFoundError`` when there is nothing they may see."""
    survey = surveys.find_survey(db, slug)
    if survey is None:
        raise NotFoundError(f"There is no survey with the slug '{slug}'")
    worker = account is None or may_work_on(db, account, survey)
    release = None
    if survey.status == "closed":
        release = analysis.load_release(db, keyring, survey, published_only=not worker)
    if not worker and release is None:
        raise NotFoundError(f"Survey '{slug}' has no published report")
    questionnaire = questionnaires.get(
        release.questionnaire_id if release else survey.questionnaire_id
    )
    questions = report_questions(questionnaire, release) if release else []
    labels = report_labels(questionnaire, release)
    return ReportContext(survey, release, labels, tuple(questions), worker)


# --- pages -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    context: ReportContext
    respondents: tuple[Table, ...]  # one per permitted one-way breakdown


@dataclass(frozen=True)
class ViewChoice:
    """A breakdown to choose on a question page (``value`` as written in the address)."""

    value: str
    label: str


@dataclass(frozen=True)
class QuestionPage:
    context: ReportContext
    question: Question
    view: View
    choices: tuple[ViewChoice, ...]
    tables: tuple[Table, ...]
    themes: TextResult | None = None

    @property
    def view_key(self) -> str:
        return view_key(self.view)


def overview(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    account: StaffAccount,
    slug: str,
) -> Overview:
    context = open_report(db, keyring, questionnaires, account, slug)
    tables: tuple[Table, ...] = ()
    if context.release is not None and context.state == "ready":
        protected = context.release.protected
        one_way = [v for v in context.views if len(v) == 1]
        tables = tuple(respondent_table(protected, v, context.labels) for v in one_way)
    return Overview(context, tables)


def question_page(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    account: StaffAccount,
    slug: str,
    question_id: str,
    view_text: str | None,
) -> QuestionPage:
    """One question broken down by a permitted view; anything else is ``NotFoundError``."""
    context = open_report(db, keyring, questionnaires, account, slug)
    if context.release is None or context.state in ("not_closed", "no_release"):
        raise NotFoundError(f"Survey '{slug}' has no report yet")
    question = context.question(question_id)
    view = parse_view(view_text, context.views)
    if view is None:
        raise NotFoundError("That breakdown is not one this report shows")
    labels = context.labels
    choices = tuple(ViewChoice(view_key(v), labels.view(v)) for v in context.views)
    tables = question_tables(context.release.protected, question, [view], labels)
    summary = context.themes_for(question.id)
    text = text_result(context.release.protected, summary) if summary is not None else None
    return QuestionPage(context, question, view, choices, tables, text)


# --- publishing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedReport:
    slug: str
    title: str
    published_at: str  # a date, as "7 March 2026"


def published_reports(db: Database) -> list[PublishedReport]:
    """Every survey with a published release, newest publication first."""
    with db.session() as session:
        newest = func.max(Release.published_at)
        rows = session.execute(
            select(Survey.slug, Survey.title, newest)
            .join(Release, Release.survey_id == Survey.id)
            .where(Release.status == "published", Survey.status == "closed")
            .group_by(Survey.slug, Survey.title)
            .order_by(newest.desc(), Survey.title)
        ).all()
    return [
        PublishedReport(slug, title, f"{at.day} {at:%B %Y}" if at is not None else "")
        for slug, title, at in rows
    ]


# --- exports -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    mimetype: str
    filename: str


def full_report(context: ReportContext) -> Report:
    """Every table of the release a context shows, for a download."""
    release, slug = context.release, context.survey.slug
    if context.state == "not_closed":
        raise NotFoundError(f"Survey '{slug}' has not closed: results come after it closes")
    if release is None:
        raise NotFoundError(f"Survey '{slug}' has not been analysed yet")
    info = ReportInfo(release.survey_title, release.survey_slug, release.as_at, release.status)
    return build_report(
        release.protected,
        release.views,
        context.questions,
        context.labels,
        info,
        themes=release.themes,
    )


def export_report(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    account: StaffAccount | None,
    slug: str,
    file_format: str,
    render_html: Callable[[Report], str],
) -> ExportFile:
    """A download of the release as CSV, XLSX or printable HTML, audited as ``export``
    (``account`` ``None`` is the command line)."""
    if file_format not in FORMATS:
        raise NotFoundError(f"There is no '{file_format}' download")
    context = open_report(db, keyring, questionnaires, account, slug)
    report = full_report(context)
    if file_format == "csv":
        content = write_csv(report)
    elif file_format == "xlsx":
        content = write_workbook(report)
    else:
        content = render_html(report).encode("utf-8")
    actor = audit.CLI_ACTOR if account is None else account.email
    assert context.release is not None
    detail = f"report {file_format}, release {context.release.id} ({context.release.status})"
    audit.record(db, actor, "export", slug, detail)
    name = f"{slug}-report-{context.release.as_at.isoformat()}.{file_format}"
    return ExportFile(content, MIMETYPES[file_format], name)
