"""The annual report: one document per cycle for senior leaders and the region's Directors of
Children's Services, built only from published releases.

It holds a one-page summary (responses, the response rate where headcounts were entered, the
headline figures the questionnaire names — the eight Pledge commitments for the staff survey —
and the largest changes since the cycle before), results section by section for everyone,
year-on-year changes and trends, free-text themes with their approved quotes, response rates
by council, and the methodology and disclosure rules in plain English. Every figure is one a
published release shows, or one worked out from such figures only (``analysis.yearly``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from analysis.comments import theme_item
from analysis.report import Table, TextResult, build_table, percent, text_result
from analysis.yearly import Line, Source, lines
from survey_app.crypto import Keyring
from survey_app.domain.loading import find_version
from survey_app.domain.model import Questionnaire, QuestionType
from survey_app.services import analysis, headcounts, reports, trends
from survey_app.services.analysis import ReleaseData
from survey_app.services.errors import NotFoundError
from survey_app.services.surveys import SurveyInfo
from survey_app.services.trends import Compared, YearOnYear
from survey_app.storage.database import Database

_COUNTED = {
    QuestionType.SINGLE_CHOICE,
    QuestionType.LIKERT,
    QuestionType.MULTIPLE_CHOICE,
    QuestionType.LIKERT_GRID,
}
HEADLINE = "headline"


@dataclass(frozen=True)
class SectionResults:
    """One section of the questionnaire: everyone's table for each counted item."""

    id: str
    title: str
    #: (the question a grid asks, before its first statement's table; else None, table)
    tables: tuple[tuple[str | None, Table], ...]


@dataclass(frozen=True)
class HeadlineRow:
    """One item of the headline question: the share giving the headline answers, this cycle
    and (where it compares) the one before."""

    label: str
    line: Line


@dataclass(frozen=True)
class AnnualReport:
    survey: SurveyInfo
    release: ReleaseData
    questionnaire: Questionnaire
    responses: int | None
    headcount: int | None
    rates: tuple[headcounts.Rate, ...]
    headline_title: str
    headline: tuple[HeadlineRow, ...]
    sections: tuple[SectionResults, ...]
    year: YearOnYear | None
    texts: tuple[tuple[str, TextResult], ...]
    k: int
    k_cell: int

    @property
    def cycle(self) -> str:
        return self.survey.cycle or str(self.release.as_at.year)

    @property
    def response_rate(self) -> int | None:
        """Responses over every council's headcount, when every council has one."""
        return percent(self.responses, self.headcount)

    @property
    def earlier(self) -> str | None:
        return self.year.pair[0] if self.year is not None else None


def annual_report(
    db: Database,
    keyring: Keyring,
    questionnaires: Mapping[str, Questionnaire],
    survey: SurveyInfo,
) -> AnnualReport:
    """The annual report of ``survey`` from its newest published release (NotFoundError when
    it has none)."""
    release = analysis.load_release(db, keyring, survey, published_only=True)
    if release is None or survey.is_series:
        raise NotFoundError(f"Survey '{survey.slug}' has no published report")
    questionnaire = find_version(
        questionnaires, release.questionnaire_id, release.questionnaire_version
    )
    if questionnaire is None:
        raise NotFoundError("The questionnaire of this report is not loaded")
    protected = release.protected
    labels = reports.report_labels(questionnaire, release)
    sections = []
    for section in questionnaire.sections:
        tables = []
        for question in section.questions:
            if question.demographic or question.type not in _COUNTED:
                continue
            items = (
                [f"{question.id}__{s.id}" for s in question.statements]
                if question.type is QuestionType.LIKERT_GRID
                else [question.id]
            )
            lead = question.text if question.type is QuestionType.LIKERT_GRID else None
            for item in items:
                if item in protected.items:
                    tables.append((lead, build_table(protected, (), item, labels)))
                    lead = None
        if tables:
            sections.append(SectionResults(section.id, section.title, tuple(tables)))
    chain = trends.cycle_chain(db, keyring, questionnaires, survey)
    year = trends.summarise(chain)
    compared = list(year.items) if year is not None else []
    shown = reports.group_sizes(protected, headcounts.COUNCIL)
    stored = headcounts.headcounts(db, survey.id)
    councils = headcounts.councils(questionnaire)
    every_council = bool(councils) and all(c.value in stored for c in councils)
    texts = tuple(
        (questionnaire.question(qid).text, text_result(protected, summary))
        for qid, summary in release.themes.items()
        if theme_item(qid) in protected.items
    )
    title, headline = _headline(questionnaire, chain, compared)
    return AnnualReport(
        survey=survey,
        release=release,
        questionnaire=questionnaire,
        responses=protected.size(()),
        headcount=sum(stored[c.value] for c in councils) if every_council else None,
        rates=tuple(headcounts.response_rates(questionnaire, stored, shown)),
        headline_title=title,
        headline=headline,
        sections=tuple(sections),
        year=year,
        texts=texts,
        k=release.k,
        k_cell=release.k_cell,
    )


def _headline(
    questionnaire: Questionnaire,
    chain: list[trends.CycleRelease],
    compared: list[Compared],
) -> tuple[str, tuple[HeadlineRow, ...]]:
    """The headline rows: each item of the headline question, the share giving its headline
    answers in this cycle and, where the item compares, the cycle before."""
    chosen = questionnaire.headline
    if chosen is None or not chain:
        return "", ()
    try:
        question = questionnaire.question(chosen.question)
    except KeyError:
        return "", ()
    newest = chain[-1]
    by_item = {c.sources[-1].item: c for c in compared if c.question_id == question.id}
    items = (
        [(f"{question.id}__{s.id}", s.text) for s in question.statements]
        if question.type is QuestionType.LIKERT_GRID
        else [(question.id, question.text)]
    )
    wanted = set(chosen.answers)
    rows = []
    for item, label in items:
        found = by_item.get(item)
        if found is not None:
            # Each cycle counts the options that stand for a headline answer of this cycle.
            keys = [key for key, _label in found.answers]
            newest_options = found.sources[-1].options
            chosen_keys = [k for k in keys if wanted & set(newest_options.get(k, ()))]
            sources = tuple(
                Source(
                    s.cycle,
                    s.release,
                    s.item,
                    {HEADLINE: tuple(o for k in chosen_keys for o in s.options.get(k, ()))},
                )
                for s in found.sources[-2:]
            )
        else:
            sources = (
                Source(
                    newest.label,
                    newest.release.protected,
                    item,
                    {HEADLINE: tuple(chosen.answers)},
                ),
            )
        (line,) = lines(sources, [(HEADLINE, chosen.title)])
        rows.append(HeadlineRow(label, line))
    return chosen.title, tuple(rows)
