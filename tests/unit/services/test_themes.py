"""Free text in an analysis run: options, redaction lists, bad comments, carried codebooks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

import config
from analysis.comments import NO_THEME, build_review
from analysis.comments.summary import PublishedTheme, QuestionThemes
from config import ConfigError
from survey_app.domain.loading import load_questionnaire
from survey_app.services.themes import (
    RedactionFileError,
    carried_codebook,
    read_redaction_file,
    theme_options,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "questionnaires"

BAD_COMMENTS = [
    "",
    "   ",
    "ok",
    "🙂🙂🙂",
    "word " * 2000,
    "Je ne me sens pas écouté par ma hiérarchie.",
    "私は職場で差別を受けました",
    "<script>alert(1)</script>",
    "Same comment.",
    "Same comment.",
]


def test_redaction_file_is_read_and_checked(tmp_path: Path) -> None:
    good = tmp_path / "lists.yaml"
    good.write_text("names: [Priya Shah, ' Tom ']\nteams: [Duty Team]\n", encoding="utf-8")
    assert read_redaction_file(str(good)) == {
        "names": ("Priya Shah", "Tom"),
        "teams": ("Duty Team",),
    }
    assert read_redaction_file(None) == {}
    options = theme_options({"SURVEY_REDACTION_FILE": str(good), "SURVEY_THEME_ENGINE": "lexical"})
    assert options.names == ("Priya Shah", "Tom") and options.engine == "lexical"
    bad = tmp_path / "bad.yaml"
    bad.write_text("people: [x]\n", encoding="utf-8")
    with pytest.raises(RedactionFileError, match="/people: unknown key"):
        read_redaction_file(str(bad))
    bad.write_text("names: Priya\n", encoding="utf-8")
    with pytest.raises(RedactionFileError, match="/names: must be a list"):
        read_redaction_file(str(bad))
    with pytest.raises(RedactionFileError, match="cannot be read"):
        read_redaction_file(str(tmp_path / "missing.yaml"))


def test_the_theme_engine_setting_is_checked() -> None:
    assert config.TestConfig({}).SURVEY_THEME_ENGINE == "lexical"
    assert config.TestConfig({"SURVEY_THEME_ENGINE": "semantic"}).SURVEY_THEME_ENGINE == "semantic"
    with pytest.raises(ConfigError, match="SURVEY_THEME_ENGINE"):
        config.TestConfig({"SURVEY_THEME_ENGINE": "magic"})


@pytest.mark.parametrize("count", [0, 1, 9])
def test_too_few_comments_is_a_clear_state(count: int) -> None:
    comments = [(row, f"My manager does not listen, comment {row}") for row in range(count)]
    review = build_review("q", comments, engine="lexical")
    assert review.status == ("empty" if count == 0 else "too_few")
    assert review.themes == () and review.quotes == ()
    assert all(c.theme == NO_THEME for c in review.comments)


def test_bad_comments_never_stop_the_analysis() -> None:
    comments = list(enumerate(BAD_COMMENTS * 3))
    review = build_review("q", comments, engine="lexical", places=["Luton"])
    assert review.status in ("ready", "too_few")
    assert len(review.comments) == len(comments)
    assert all(c.tone in ("positive", "mixed", "negative") for c in review.comments)
    long = next(c for c in review.comments if c.text.startswith("word word"))
    assert len(long.redacted) >= 9000
    script = next(c for c in review.comments if "<script>" in c.text)
    assert script.redacted == "<script>alert(1)</script>"  # plain text: templates escape it


def test_identical_comments_are_too_few_to_form_themes() -> None:
    comments = [(row, "Nobody listens when we report racism.") for row in range(15)]
    review = build_review("q", comments, engine="lexical")
    assert review.status == "too_few"
    assert review.themes == ()
    assert {c.theme for c in review.comments} == {NO_THEME}


def test_the_review_is_deterministic() -> None:
    texts = [
        f"{start} {end}"
        for start in ("My caseload is too heavy", "Managers never listen", "The network helps")
        for end in ("this year.", "at all.", "every week.", "again.", "honestly.")
    ]
    comments = list(enumerate(texts))
    first = build_review("q", comments, engine="lexical", random_state=3)
    second = build_review("q", comments, engine="lexical", random_state=3)
    assert first == second


def test_key_phrases_that_could_identify_someone_are_dropped() -> None:
    texts = [f"Priya Shah in the duty team ignored my complaint {i}" for i in range(6)]
    texts += [f"the staff network supports me a great deal, week {i}" for i in range(6)]
    review = build_review(
        "q", list(enumerate(texts)), engine="lexical", names=["Priya Shah"], teams=["duty team"]
    )
    for theme in review.themes:
        for phrase in (*theme.key_phrases, theme.label):
            assert "priya" not in phrase.lower() and "duty team" not in phrase.lower()


def test_a_carried_codebook_loads_into_next_years_questionnaire(tmp_path: Path) -> None:
    summary = QuestionThemes(
        "comments",
        "ready",
        "lexical",
        (
            PublishedTheme(
                "t0",
                "Caseload allocation",
                ("caseload allocation", "complex cases"),
                (),
                reviewed=True,
            ),
            PublishedTheme("t1", "Not listened to", ("not listened to",), (), reviewed=True),
            PublishedTheme(
                "t2", "Automatic theme 1 (not reviewed)", ("sarah jones",), (), reviewed=False
            ),
            PublishedTheme("other", "Other comments", (), ()),
        ),
    )
    text = carried_codebook([summary], 2026)
    source = yaml.safe_load((FIXTURES / "report-survey.yaml").read_text(encoding="utf-8"))
    source.update(yaml.safe_load(text))
    for section in source["sections"]:
        for question in section["questions"]:
            if question["id"] == "comments":
                question["codebook"] = "comments_themes"
    path = tmp_path / "report-survey.yaml"
    path.write_text(yaml.safe_dump(source), encoding="utf-8")
    loaded = load_questionnaire(path)
    codes = loaded.codes_for("comments")
    assert [c.label for c in codes] == ["Caseload allocation", "Not listened to"]
    assert codes[0].seeds == ("caseload allocation", "complex cases")
    empty = dataclasses.replace(summary, themes=())
    assert carried_codebook([empty], 2026).startswith("# No reviewed themes")


def test_key_phrases_use_only_words_that_the_surveys_minimum_group_size_allows() -> None:
    """With a minimum group size of 20, every word of a key phrase is used by at least 20
    respondents (k_text = max(10, k)), not merely 10."""
    import csv
    import re

    import pandas as pd

    from survey_app.services.themes import analyse, free_text_questions

    questionnaire = load_questionnaire(
        Path(__file__).parents[3] / "questionnaires" / "global-majority-staff-survey.yaml"
    )
    question_id = free_text_questions(questionnaire)[0]
    with (Path(__file__).parents[2] / "fixtures" / "themes" / "labelled_comments.csv").open() as f:
        texts = [row["text"] for row in csv.DictReader(f)] * 3  # words now in 3x as many
    frame = pd.DataFrame({q: [None] * len(texts) for q in free_text_questions(questionnaire)})
    frame[question_id] = texts
    options = dataclasses.replace(theme_options({}), engine="lexical")
    workspace = analyse(questionnaire, frame, options, responses="r", k_cell=3, k=20)
    review = workspace.reviews[question_id]
    assert review.status == "ready"
    phrases = [p for theme in review.themes for p in theme.key_phrases]
    assert phrases, "no key phrases at all: the check below would prove nothing"
    from nltk.stem.snowball import SnowballStemmer

    stem = SnowballStemmer("english").stem
    stems = [{stem(w) for w in re.findall(r"[a-z']+", t.lower())} for t in texts]
    for phrase in phrases:
        for word in re.findall(r"[a-z']{4,}", phrase.lower()):
            users = sum(1 for found in stems if stem(word) in found)
            assert users >= 20, f"{word!r} in {phrase!r} is used by {users} respondents"
