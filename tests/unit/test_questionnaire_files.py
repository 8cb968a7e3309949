"""Every questionnaire in questionnaires/ loads, and holds what the programme asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_app.domain.loading import check_files, load_directory, questionnaire_files
from survey_app.domain.model import Question, Questionnaire, QuestionType

FOLDER = Path(__file__).resolve().parents[2] / "questionnaires"

STAFF = "global-majority-staff-survey"
FEEDBACK = "reflective-space-feedback"
BLACK_MALE = "black-male-social-workers"

COUNCILS = [
    "Bedford Borough",
    "Cambridgeshire",
    "Central Bedfordshire",
    "Essex",
    "Hertfordshire",
    "Luton",
    "Norfolk",
    "Peterborough",
    "Southend-on-Sea",
    "Suffolk",
    "Thurrock",
]

# The five high-level ethnic groups of the 2021 Census (England and Wales).
CENSUS_GROUPS = [
    "Asian, Asian British or Asian Welsh",
    "Black, Black British, Black Welsh, Caribbean or African",
    "Mixed or Multiple ethnic groups",
    "White",
    "Other ethnic group",
]


@pytest.fixture(scope="module")
def loaded() -> dict[str, Questionnaire]:
    return load_directory(FOLDER)


def all_questionnaires() -> list[Questionnaire]:
    return list(load_directory(FOLDER).values())


def is_prefer_not_to_say(question: Question) -> bool:
    return any(
        o.value == "prefer_not_to_say" and o.label == "Prefer not to say" for o in question.options
    )


def labels(question: Question) -> list[str]:
    return [option.label for option in question.options]


def test_every_file_loads(loaded: dict[str, Questionnaire]) -> None:
    files = questionnaire_files(FOLDER)
    current = [path.stem for path in files if path.parent == FOLDER]
    assert current == sorted(loaded)
    assert set(loaded) == {STAFF, FEEDBACK, BLACK_MALE}
    assert [path.name for path in files if path.parent != FOLDER] == [f"{FEEDBACK}@2026.1.yaml"]
    assert check_files(files) == []
    for questionnaire in loaded.values():
        assert Path(questionnaire.source).parent == FOLDER


@pytest.mark.parametrize("questionnaire_id", [STAFF, BLACK_MALE])
def test_the_council_question_lists_the_eleven_councils(
    loaded: dict[str, Questionnaire], questionnaire_id: str
) -> None:
    council = loaded[questionnaire_id].question("council")
    assert council.type is QuestionType.SINGLE_CHOICE
    assert labels(council) == [*COUNCILS, "Prefer not to say"]
    assert len(COUNCILS) == 11
    assert is_prefer_not_to_say(council)


def test_the_ethnic_group_question_uses_the_2021_census_groups(
    loaded: dict[str, Questionnaire],
) -> None:
    ethnic_group = loaded[STAFF].question("ethnic_group")
    assert ethnic_group.type is QuestionType.SINGLE_CHOICE
    assert labels(ethnic_group) == [*CENSUS_GROUPS, "Prefer not to say"]
    assert is_prefer_not_to_say(ethnic_group)


@pytest.mark.parametrize("questionnaire", all_questionnaires(), ids=lambda q: q.id)
def test_demographic_questions_are_optional_with_prefer_not_to_say(
    questionnaire: Questionnaire,
) -> None:
    demographic = [q for q in questionnaire.questions() if q.demographic]
    for question in demographic:
        assert question.required is False, question.id
        assert question.type is QuestionType.SINGLE_CHOICE, question.id
        assert is_prefer_not_to_say(question), question.id
        # It is the last option, and not hidden behind a condition.
        assert question.options[-1].value == "prefer_not_to_say", question.id
        assert question.show_if is None, question.id
    if questionnaire.id != FEEDBACK:
        assert demographic, "the staff surveys ask about the respondent"


def test_the_staff_survey_demographics(loaded: dict[str, Questionnaire]) -> None:
    staff = loaded[STAFF]
    assert [q.id for q in staff.questions() if q.demographic] == [
        "council",
        "ethnic_group",
        "role_group",
        "years_in_profession",
        "gender",
    ]


def test_the_pledge_grid_has_the_eight_commitments(loaded: dict[str, Questionnaire]) -> None:
    grids = [
        q for q in loaded[STAFF].section("pledge").questions if q.type is QuestionType.LIKERT_GRID
    ]
    assert len(grids) == 1
    (pledge,) = grids
    assert len(pledge.statements) == 8
    assert [s.text for s in pledge.statements] == [
        "Demonstrate anti-racist leadership",
        "Promote anti-racism",
        "Educate and raise awareness",
        "Create safe spaces",
        "Review and revise policies",
        "Engage with the community",
        "Hold ourselves and partners accountable",
        "Support individuals affected by racism",
    ]
    assert len({s.id for s in pledge.statements}) == 8


@pytest.mark.parametrize("questionnaire", all_questionnaires(), ids=lambda q: q.id)
def test_each_privacy_notice_says_what_matters(questionnaire: Questionnaire) -> None:
    notice = questionnaire.privacy_notice
    assert "{min_group}" in notice
    text = " ".join(notice.split()).lower()
    assert "anonymous" in text
    assert "encrypted" in text
    assert "cannot withdraw" in text
    # The placeholder is filled in, and the notice splits into several paragraphs.
    paragraphs = questionnaire.privacy_paragraphs(12)
    assert len(paragraphs) >= 4
    assert any("at least 12 people" in " ".join(p.split()) for p in paragraphs)
    assert not any("{" in p for p in paragraphs)


def test_reflective_space_feedback_is_two_short_pages(loaded: dict[str, Questionnaire]) -> None:
    """Made for sessions: the session says which meeting an answer is about, so nothing
    asks; one required question; council and role optional, on a page of their own."""
    feedback = loaded[FEEDBACK]
    assert [len(s.questions) for s in feedback.sections] == [6, 2]
    assert [q.id for q in feedback.questions() if q.required] == ["usefulness"]
    assert [q.id for q in feedback.questions() if q.demographic] == ["council", "role"]
    assert feedback.breakdowns == ("council", "role")
    assert all("prefer_not_to_say" in [o.value for o in q.options]
               for q in feedback.questions() if q.demographic)  # fmt: skip
    assert not any("session" in q.id for q in feedback.questions())


def test_surveys_made_with_the_first_version_keep_it() -> None:
    """The earlier version stays loaded for the surveys and series made with it."""
    catalogue = load_directory(FOLDER)
    earlier = catalogue.version(FEEDBACK, "2026.1")
    assert earlier is not None and earlier.version == "2026.1"
    assert [q.id for q in earlier.questions() if q.required] == ["session_type"]
    assert catalogue[FEEDBACK].version == "2026.2"
    assert FEEDBACK in catalogue and len(catalogue) == len(list(FOLDER.glob("*.yaml")))


def test_black_male_social_workers_has_five_themes_and_about_you(
    loaded: dict[str, Questionnaire],
) -> None:
    survey = loaded[BLACK_MALE]
    *themes, about_you = survey.sections
    assert len(themes) == 5
    assert [s.title for s in themes] == [
        "Cultural competence",
        "Disproportionality",
        "Representation and progression",
        "Feeling safe at work",
        "Community and networking",
    ]
    for section in themes:
        kinds = [q.type for q in section.questions]
        assert QuestionType.LIKERT_GRID in kinds, section.id
        assert QuestionType.FREE_TEXT in kinds, section.id
    assert [q.id for q in about_you.questions] == ["role_group", "council"]
    assert all(q.demographic for q in about_you.questions)


@pytest.mark.parametrize("questionnaire", all_questionnaires(), ids=lambda q: q.id)
def test_every_free_text_question_has_a_limit(questionnaire: Questionnaire) -> None:
    free_text = [q for q in questionnaire.questions() if q.type is QuestionType.FREE_TEXT]
    assert free_text
    for question in free_text:
        assert isinstance(question.max_length, int), question.id
        assert 1 <= question.max_length <= 5000, question.id


@pytest.mark.parametrize("name", [STAFF, BLACK_MALE, FEEDBACK])
def test_agree_disagree_statements_are_never_negative(
    loaded: dict[str, Questionnaire], name: str
) -> None:
    """ "Disagree" with "I am not judged more harshly" is a double negative that respondents
    misread: every statement of an agree/disagree grid is worded positively."""
    import re

    negative = re.compile(r"\b(not|never|no|nobody|nothing)\b|n't\b", re.IGNORECASE)
    found = [
        statement.text
        for question in loaded[name].questions()
        if question.type is QuestionType.LIKERT_GRID
        for statement in question.statements
        if negative.search(statement.text)
    ]
    assert found == []


@pytest.mark.parametrize("name", [STAFF, BLACK_MALE, FEEDBACK])
@pytest.mark.parametrize("seed", range(40))
def test_routing_keeps_only_answers_to_questions_that_were_shown(
    loaded: dict[str, Questionnaire], name: str, seed: int
) -> None:
    """Random answers to every question, follow-ups included whatever came before: what is
    kept (and so sealed) holds only questions whose conditions hold on what is kept."""
    import random

    from survey_app.domain.routing import prune_answers

    questionnaire = loaded[name]
    rng = random.Random(seed)
    answers = {}
    for question in questionnaire.questions():
        if question.options and rng.random() < 0.8:
            value = rng.choice(question.options).value
            multiple = question.type is QuestionType.MULTIPLE_CHOICE
            answers[question.id] = [value] if multiple else value
    kept = prune_answers(questionnaire, answers)
    for question_id in kept:
        question = questionnaire.question(question_id)
        assert question.show_if is None or question.show_if.holds(kept), question_id
    for question in questionnaire.questions():
        if question.id in answers and (question.show_if is None or question.show_if.holds(kept)):
            assert question.id in kept, question.id  # nothing shown is dropped


def test_racism_follow_ups_are_asked_only_after_yes_or_not_sure(
    loaded: dict[str, Questionnaire],
) -> None:
    from survey_app.domain.routing import prune_answers

    staff = loaded[STAFF]
    no_no = {
        "experienced_racism": "no",
        "witnessed_racism": "no",
        "racism_from_whom": ["colleagues"],
    }
    assert "racism_from_whom" not in prune_answers(staff, no_no)
    seen = {**no_no, "witnessed_racism": "not_sure"}
    assert prune_answers(staff, seen)["racism_from_whom"] == ["colleagues"]
