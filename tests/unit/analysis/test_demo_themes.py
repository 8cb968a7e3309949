"""The demo's comments against the topics the synthetic generator wrote them about.

``survey_app.demo_data`` knows which topic each made-up comment came from, so the automatic
themes can be scored against the truth: a reader of the demo should see at most a dozen
themes per question, and they should be the generator's topics (NMI at least 0.8), with
either engine. The comments are the demo's own: the staff survey of last year (seed 2025, 300
responses) and of the year before (seed 2024, 225 responses, answers leaning negative), and
the reflective-space sessions' feedback (66 responses).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.metrics import normalized_mutual_info_score

from analysis.comments.summary import MAX_REPORTED_THEMES
from analysis.themes import ThemeModel, semantic
from survey_app.demo_data import labelled_comments
from survey_app.domain.loading import load_questionnaire
from survey_app.domain.model import QuestionType

QUESTIONNAIRES = Path(__file__).resolve().parents[3] / "questionnaires"

CASES = [
    ("global-majority-staff-survey.yaml", 300, 2025, 0.0),
    ("global-majority-staff-survey.yaml", 225, 2024, 0.25),
    ("reflective-space-feedback.yaml", 66, 2026, 0.0),
]
ENGINES = [
    "lexical",
    pytest.param(
        "semantic",
        marks=pytest.mark.skipif(not semantic.available(), reason="no semantic extra"),
    ),
]


def _comment_sets() -> list[tuple[str, list[tuple[str, str]]]]:
    found = []
    for file, responses, seed, lean in CASES:
        questionnaire = load_questionnaire(QUESTIONNAIRES / file)
        for question in questionnaire.questions():
            if question.type is QuestionType.FREE_TEXT:
                pairs = labelled_comments(
                    questionnaire, question.id, responses, seed=seed, lean=lean
                )
                if len(pairs) >= 20:
                    found.append((f"{file}:{question.id}:{seed}", pairs))
    return found


@pytest.mark.parametrize("engine", ENGINES)
def test_the_demos_themes_are_the_generators_topics(engine: str) -> None:
    sets = _comment_sets()
    assert len(sets) >= 3
    for name, pairs in sets:
        topics = [topic for topic, _text in pairs]
        assert all(topics), name  # every comment's topic is known
        model = ThemeModel(engine=engine).fit([text for _topic, text in pairs])
        score = normalized_mutual_info_score(topics, model.labels_)
        assert model.n_themes_ <= MAX_REPORTED_THEMES, (name, model.n_themes_)
        assert score >= 0.8, (name, round(score, 3), model.n_themes_, len(set(topics)))


def test_a_control_shows_the_score_can_fail() -> None:
    # The same comments with the topics shuffled among them: no engine could match those.
    name, pairs = _comment_sets()[0]
    topics = [topic for topic, _text in pairs]
    shuffled = topics[1:] + topics[:1]
    model = ThemeModel(engine="lexical").fit([text for _topic, text in pairs])
    assert normalized_mutual_info_score(shuffled, model.labels_) < 0.8, name
