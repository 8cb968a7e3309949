"""Report pages and exports: who may read which release, and its tables ready to render.

Everything here reads a stored release (``analysis.load_release``), never responses. Analysts
assigned to a survey and admins see its newest release, draft or published, and may publish
it; everyone else signed in sees published releases only. While a survey is not yet closed,
no release is read at all. Readers are offered the views the release publishes
(``ProtectedRelease.views``) and nothing else; a download holds everyone's results and the
breakdowns the reader chose (by default each published one-way breakdown).

Pages and downloads read a release's figures only, parsed once per process; a download is
built once per process for each release revision, format and set of breakdowns and handed to
everyone who may read it (``services.releases``). Who may read what is decided here first,
on every request: the cache only ever answers for a release the reader was given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select

from analysis.comments import QuestionThemes, code_item, theme_item
from analysis.counting import MISSING
from analysis.disclosure import NO_ANSWER, ProtectedRelease
from analysis.exports import write_csv, write_workbook
from analysis.report import (
    MISSING_LABEL,
    NO_ANSWER_LABEL,
    OVERALL_ONLY_NOTE,
    OVERALL_VIEW,
    Labels,
    Question,
    Report,
    ReportInfo,
    Row,
    Table,
    TextResult,
    View,
    build_report,
    build_table,
    footnote,
    parse_view,
    published_views,
    question_tables,
    report_views,
    respondent_table,
    text_result,
    view_key,
)
from survey_app.crypto import Keyring
from survey_app.domain.loading import find_version
from survey_app.domain.model import Question as AskedQuestion
from survey_app.domain.model import Questionnaire, QuestionType, Section
from survey_app.services import analysis, audit, headcounts, publishing, releases, surveys
from survey_app.services.accounts import StaffAccount, may_work_on
from survey_app.services.analysis import ReleaseData
from survey_app.services.errors import NotFoundError
from survey_app.services.scope import SESSION
from survey_app.services.scope import TITLES as SESSION_TITLES
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
    commented: set[str] = set()
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
        commented.update((theme_item(question_id), code_item(question_id)))
    scope = release.scope if release is not None else None
    if scope is not None and scope.is_series:
        groups.update({dim: dict(labels) for dim, labels in scope.labels.items()})
    return Labels(
        breakdowns={
            **SESSION_TITLES,
            **{b: breakdown_title(b) for b in questionnaire.breakdowns},
        },
        groups=groups,
        items=items,
        options=options,
        multiple=frozenset(multiple),
        overall_only=overall_only,
        commented=frozenset(commented),
    )


def report_questions(questionnaire: Questionnaire | None, release: ReleaseData) -> list[Question]:
    """The questions a report covers, in questionnaire order: each counted question with the
    items the release holds for it, and free-text questions (themes come later). Every title
    is unique (see :func:`question_titles`)."""
    published = set(release.protected.items)
    if questionnaire is None:
        return [Question(i, i, "counts", (i,)) for i in release.protected.items]
    asked: list[tuple[AskedQuestion, Section, tuple[str, ...]]] = []
    for section in questionnaire.sections:
        for q in section.questions:
            if q.demographic:
                continue
            if q.type is QuestionType.FREE_TEXT:
                counted = (theme_item(q.id), code_item(q.id))
                asked.append((q, section, tuple(i for i in counted if i in published)))
                continue
            ids = (
                tuple(f"{q.id}__{s.id}" for s in q.statements)
                if q.type is QuestionType.LIKERT_GRID
                else (q.id,)
            )
            items = tuple(i for i in ids if i in published)
            if items and q.type in (*_COUNTED, QuestionType.LIKERT_GRID):
                asked.append((q, section, items))
    titles = question_titles([(q, section) for q, section, _items in asked])
    found = [
        Question(
            q.id,
            title,
            "text" if q.type is QuestionType.FREE_TEXT else "counts",
            items,
            text=q.text if title != q.text else "",
        )
        for (q, _section, items), title in zip(asked, titles, strict=True)
    ]
    # Items the questionnaire no longer has (a newer version is loaded) are still reported.
    covered = {i for q in found for i in q.items}
    found += [Question(i, i, "counts", (i,)) for i in release.protected.items if i not in covered]
    return found


def _same(text: str) -> str:
    return " ".join(text.casefold().rstrip(" ?.:!").split())


def question_titles(questions: list[tuple[AskedQuestion, Section]]) -> list[str]:
    """A unique, meaningful title per question, for lists and headings.

    A question is named by its text. Where several share it — grids often all ask "How much
    do you agree or disagree with each statement?" — a grid is named by its section's title
    ("Feeling safe at work") and any other question by its section's title and its text.
    If titles still clash, each gets its question's number. The question as asked is shown
    under a title that differs from it.
    """
    titles = [q.text for q, _section in questions]
    for index in _clashing(titles):
        q, section = questions[index]
        grid = q.type is QuestionType.LIKERT_GRID
        titles[index] = section.title if grid else f"{section.title}: {q.text}"
    for index in _clashing(titles):
        titles[index] = f"{titles[index]} (question {index + 1})"
    return titles


def _clashing(titles: list[str]) -> set[int]:
    """The positions of titles that are the same as another (ignoring case, spacing and
    closing punctuation)."""
    seen: dict[str, list[int]] = {}
    for index, title in enumerate(titles):
        seen.setdefault(_same(title), []).append(index)
    return {i for group in seen.values() if len(group) > 1 for i in group}


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
        if not self.survey.has_results:
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
        """The views the release publishes, overall first: the only ones a reader is offered,
        in the order the questionnaire (or a series: pooled first, then sessions) gives them."""
        if self.release is None:
            return ()
        order = {view: n for n, view in enumerate(self.release.views)}
        found = published_views(self.release.protected)
        return tuple(sorted(found, key=lambda view: order.get(view, len(order))))

    @property
    def permitted(self) -> tuple[View, ...]:
        """Every view the questionnaire permits, published or not (a view that was not
        published has a page that says so in one sentence)."""
        if self.release is None:
            return ()
        return ((), *(tuple(v) for v in self.release.views if v))

    @property
    def unpublished(self) -> tuple[View, ...]:
        """Permitted views the release does not publish (too few responses)."""
        return tuple(v for v in self.permitted if v not in self.views)

    @property
    def unpublished_note(self) -> str:
        """One sentence naming the permitted views that are not published ("" if none)."""
        return self.labels.too_few_views(self.unpublished)

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
    release_id: str | None = None,
) -> ReportContext:
    """The report of ``slug`` for ``account`` (``None`` is an operator at the command line,
    who sees the newest release). ``release_id`` asks for an earlier report of a series (each
    of its reports covers other sessions). Raises ``NotFoundError`` when there is nothing they
    may see."""
    survey = surveys.find_survey(db, slug)
    if survey is None:
        raise NotFoundError(f"There is no survey with the slug '{slug}'")
    if account is not None and account.role == "facilitator":
        # a facilitator reads the published reports of the series they work on, nothing else
        if not may_work_on(db, account, survey):
            raise NotFoundError(f"Survey '{slug}' has no report you may read")
        worker = False
    else:
        worker = account is None or may_work_on(db, account, survey)
    release = None
    if release_id is not None:
        release = analysis.release_by_id(db, keyring, survey, release_id, published_only=not worker)
        if release is None or not survey.is_series:
            raise NotFoundError(f"Survey '{slug}' has no such report")
    elif survey.has_results:
        release = analysis.load_release(db, keyring, survey, published_only=not worker)
    if not worker and release is None:
        raise NotFoundError(f"Survey '{slug}' has no published report")
    questionnaire = (
        find_version(questionnaires, release.questionnaire_id, release.questionnaire_version)
        if release
        else survey.questionnaire_in(questionnaires)
    )
    questions = report_questions(questionnaire, release) if release else []
    labels = report_labels(questionnaire, release)
    return ReportContext(survey, release, labels, tuple(questions), worker)


# --- pages -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    context: ReportContext
    respondents: tuple[Table, ...]  # one per published one-way breakdown
    #: response rates by council, where a council's response count is published
    rates: tuple[headcounts.Rate, ...] = ()

    @property
    def has_hidden(self) -> bool:
        return any(t.has_hidden for t in self.respondents)


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

    @property
    def published(self) -> bool:
        """Whether any table of the question is published for this view."""
        return any(t.published for t in self.tables)

    @property
    def notes(self) -> tuple[str, ...]:
        """Why the tables are not published, each reason once (one sentence, as a rule)."""
        found: list[str] = []
        for table in self.tables:
            found += [n for n in table.notes if not table.published and n not in found]
        return tuple(found)

    @property
    def has_hidden(self) -> bool:
        themes = self.themes.themes if self.themes is not None else ()
        return any(t.has_hidden for t in self.tables) or any(t.count is None for t in themes)


def overview(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    account: StaffAccount,
    slug: str,
    release_id: str | None = None,
) -> Overview:
    context = open_report(db, keyring, questionnaires, account, slug, release_id)
    tables: tuple[Table, ...] = ()
    rates: tuple[headcounts.Rate, ...] = ()
    if context.release is not None and context.state == "ready":
        protected = context.release.protected
        one_way = [v for v in context.views if len(v) == 1]
        tables = tuple(respondent_table(protected, v, context.labels) for v in one_way)
        questionnaire = find_version(
            questionnaires, context.release.questionnaire_id, context.release.questionnaire_version
        )
        shown = group_sizes(protected, headcounts.COUNCIL)
        stored = headcounts.headcounts(db, context.survey.id)
        rates = tuple(headcounts.response_rates(questionnaire, stored, shown))
    return Overview(context, tables, rates)


def group_sizes(protected: ProtectedRelease, dimension: str) -> dict[str, int | None]:
    """Each group's published size in a one-way view of ``dimension`` (None: hidden); empty
    when the release does not publish that view."""
    if (dimension,) not in protected.views:
        return {}
    return {
        group: protected.sizes.get(((dimension, group),))
        for group in protected.dimensions.get(dimension, ())
    }


def published_group_sizes(
    db: Database, keyring: Keyring, survey: SurveyInfo, dimension: str
) -> dict[str, int | None]:
    """Group sizes in the survey's newest published release (nothing published: empty)."""
    release = analysis.load_release(db, keyring, survey, published_only=True)
    return {} if release is None else group_sizes(release.protected, dimension)


def question_page(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    account: StaffAccount,
    slug: str,
    question_id: str,
    view_text: str | None,
    release_id: str | None = None,
) -> QuestionPage:
    """One question broken down by a view. The choices are the published views only; a
    permitted view that was not published gives a page that says so in one sentence, and
    anything else is ``NotFoundError``."""
    context = open_report(db, keyring, questionnaires, account, slug, release_id)
    if context.release is None or context.state in ("not_closed", "no_release"):
        raise NotFoundError(f"Survey '{slug}' has no report yet")
    question = context.question(question_id)
    view = parse_view(view_text, context.permitted)
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
            .where(
                Release.status == "published",
                (Survey.status == "closed") | (Survey.access == "sessions"),
            )
            .group_by(Survey.slug, Survey.title)
            .order_by(newest.desc(), Survey.title)
        ).all()
    return [
        PublishedReport(slug, title, f"{at.day} {at:%B %Y}" if at is not None else "")
        for slug, title, at in rows
    ]


# --- a session's own results --------------------------------------------------------------------


@dataclass(frozen=True)
class SessionResults:
    """One session's figures, from the published series report that covers it.

    ``state``: ``none`` (in no published report yet), ``small`` (fewer than k answered: its
    answers count only in pooled figures) or ``shown`` (``tables`` holds, per closed
    question, the session's row of the by-session table)."""

    state: Literal["none", "small", "shown"]
    k: int
    #: per table: its heading, the by-session table and the session's row of it
    tables: tuple[tuple[str, Table, Row], ...] = ()
    footnote: str = ""


def session_results(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    series: SurveyInfo,
    session_id: str,
) -> SessionResults:
    release = analysis.covering_release(db, keyring, series, session_id)
    if release is None:
        return SessionResults("none", series.min_group)
    population = ((SESSION, session_id),)
    protected = release.protected
    size = protected.sizes.get(population)
    if (SESSION,) not in protected.views or size is None or size < release.k:
        return SessionResults("small", release.k)
    questionnaire = find_version(
        questionnaires, release.questionnaire_id, release.questionnaire_version
    )
    labels = report_labels(questionnaire, release)
    found = []
    for question in report_questions(questionnaire, release):
        for item in question.items:
            table = build_table(protected, (SESSION,), item, labels)
            row = next((r for r in table.rows if r.population == population), None)
            if row is not None:
                heading = question.title
                if len(question.items) > 1 or question.kind == "text":
                    heading = f"{question.title} ({table.title[:1].lower()}{table.title[1:]})"
                found.append((heading, table, row))
    note = footnote(release.k, release.k_cell)
    return SessionResults("shown", release.k, tuple(found), note)


# --- exports -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    mimetype: str
    filename: str


def default_views(views: tuple[View, ...]) -> tuple[View, ...]:
    """What a download holds unless the reader chooses: everyone, and each one-way breakdown
    the release publishes. A programme team reads a report to see how each council, ethnic
    group and role fared, so an overall-only default would hide the point of the survey;
    two-way breakdowns are long, mostly ``c``, and for analysts, so they are added by choice."""
    return tuple(v for v in views if len(v) <= 1)


def chosen_views(context: ReportContext, texts: Sequence[str] | None) -> tuple[View, ...]:
    """The views a reader asked for (as written in an address: ``council``,
    ``council+ethnic_group``; ``overall`` is always included), or the default when they
    asked for none. A view that is not published is ``NotFoundError``, with the ones that are."""
    published = context.views
    if not texts:
        return default_views(published)
    wanted: set[View] = {()}
    for text in texts:
        view = parse_view(text, published)
        if view is None:
            offered = ", ".join(view_key(v) for v in published)
            raise NotFoundError(
                f"'{text}' is not a breakdown this report publishes. Choose from: {offered}"
            )
        wanted.add(view)
    return tuple(v for v in published if v in wanted)


@dataclass(frozen=True)
class DownloadPage:
    """The choices of the download page: every published breakdown, the default ticked."""

    context: ReportContext
    choices: tuple[ViewChoice, ...]
    ticked: tuple[str, ...]
    overall_value: str = OVERALL_VIEW


def download_page(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    account: StaffAccount,
    slug: str,
    release_id: str | None = None,
) -> DownloadPage:
    context = open_report(db, keyring, questionnaires, account, slug, release_id)
    if context.release is None or context.state != "ready":
        raise NotFoundError(f"Survey '{slug}' has no results to download")
    labels = context.labels
    choices = tuple(ViewChoice(view_key(v), labels.view(v)) for v in context.views if v)
    ticked = tuple(view_key(v) for v in default_views(context.views) if v)
    return DownloadPage(context, choices, ticked)


def full_report(context: ReportContext, views: Sequence[View] | None = None) -> Report:
    """The tables of the release a context shows, for everyone and ``views`` (the default
    views when ``None``), for a download."""
    release, slug = context.release, context.survey.slug
    if context.state == "not_closed":
        raise NotFoundError(f"Survey '{slug}' has not closed: results come after it closes")
    if release is None:
        raise NotFoundError(f"Survey '{slug}' has not been analysed yet")
    info = ReportInfo(release.survey_title, release.survey_slug, release.as_at, release.status)
    return build_report(
        release.protected,
        default_views(context.views) if views is None else views,
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
    views: Sequence[str] | None = None,
    release_id: str | None = None,
) -> ExportFile:
    """A download of the release as CSV, XLSX or printable HTML, for everyone and the
    breakdowns named in ``views`` (see :func:`chosen_views`), audited as ``export``
    (``account`` ``None`` is the command line)."""
    if file_format not in FORMATS:
        raise NotFoundError(f"There is no '{file_format}' download")
    context = open_report(db, keyring, questionnaires, account, slug, release_id)
    if context.release is None:
        full_report(context)  # says why there is nothing to download
    release = context.release
    assert release is not None
    chosen = chosen_views(context, views)

    def build() -> tuple[int, bytes]:
        report = full_report(context, chosen)
        if file_format == "csv":
            return release.revision, write_csv(report)
        if file_format == "xlsx":
            return release.revision, write_workbook(report)
        return release.revision, render_html(report).encode("utf-8")

    # The same file for everyone who may read this revision of the release (the reader's
    # right to it was settled by open_report): built once per process, then handed out.
    shown = report_views(release.protected, chosen)
    key = (release.id, context.survey.slug, file_format, shown)
    content = releases.files_cache(db).get_or_make(key, release.revision, build, size=len)
    actor = audit.CLI_ACTOR if account is None else account.email
    detail = (
        f"report {file_format}, release {release.id} ({release.status}), "
        f"views {', '.join(view_key(v) for v in shown)}"
    )
    audit.record(db, actor, "export", slug, detail)
    name = f"{slug}-report-{release.as_at.isoformat()}.{file_format}"
    return ExportFile(content, MIMETYPES[file_format], name)


# --- how figures are protected --------------------------------------------------------------------


def protection_page(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    account: StaffAccount,
    slug: str,
    release_id: str | None = None,
) -> ReportContext:
    """The report whose protection the page explains (its k, k_cell and unpublished views)."""
    context = open_report(db, keyring, questionnaires, account, slug, release_id)
    if context.release is None:
        raise NotFoundError(f"Survey '{slug}' has no report yet")
    return context
