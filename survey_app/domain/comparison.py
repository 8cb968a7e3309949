"""Which questions of a questionnaire compare with which questions of an earlier version.

Year-on-year results set a question's figures beside an earlier cycle's only when the two ask
the same thing. A question compares with an earlier version's question when either:

* **it says so** — ``comparable_with: {version, question, option_map}`` names the earlier
  version and question, and, if the options changed, which earlier option each option counts
  as (the loader checks every part of the claim: :func:`claim_problems`); or
* **nothing changed** — the earlier version has a question with the same id, type family,
  wording and options (values and labels) and, for a grid, the same statements.

Anything else — a reworded question that does not say it compares, one marked
``comparable_with: false``, a free-text or number question — is not compared.
"""

from __future__ import annotations

from collections.abc import Iterator

from survey_app.domain.model import Comparison, Question, Questionnaire, QuestionType

_FAMILY = {
    QuestionType.SINGLE_CHOICE: "one answer",
    QuestionType.LIKERT: "one answer",
    QuestionType.MULTIPLE_CHOICE: "several answers",
    QuestionType.LIKERT_GRID: "a grid",
}


def family(question: Question) -> str | None:
    """What kind of figures a question has ("one answer", "several answers", "a grid"), or
    None for a question without options (free text, numbers), which is never compared."""
    return _FAMILY.get(question.type)


def comparison(question: Question, earlier: Questionnaire) -> Comparison | None:
    """How ``question`` compares with the ``earlier`` version of its questionnaire, or None."""
    claim = question.comparable_with
    if claim is not None:
        return claim if claim.version == earlier.version else None
    if family(question) is None or question.not_comparable:
        return None
    try:
        before = earlier.question(question.id)
    except KeyError:
        return None
    if _unchanged(question, before):
        return Comparison(earlier.version, question.id)
    return None


def comparisons(questionnaire: Questionnaire, earlier: Questionnaire) -> dict[str, Comparison]:
    """Every question of ``questionnaire`` that compares with ``earlier``, by question id."""
    found = {}
    for question in questionnaire.questions():
        compared = comparison(question, earlier)
        if compared is not None:
            found[question.id] = compared
    return found


def _unchanged(question: Question, before: Question) -> bool:
    return (
        family(question) == family(before)
        and question.text == before.text
        and _options(question) == _options(before)
        and [(s.id, s.text) for s in question.statements]
        == [(s.id, s.text) for s in before.statements]
    )


def _options(question: Question) -> list[tuple[str, str]]:
    return [(o.value, o.label) for o in question.options]


def claim_problems(question: Question, earlier: Questionnaire) -> Iterator[tuple[str, str]]:
    """What is wrong with ``question``'s ``comparable_with`` claim against the version it
    names, as (pointer below ``comparable_with``, reason) pairs."""
    claim = question.comparable_with
    assert claim is not None
    try:
        before = earlier.question(claim.question)
    except KeyError:
        yield "question", f"version {earlier.version} has no question '{claim.question}'"
        return
    if family(question) != family(before) or family(before) is None:
        yield (
            "question",
            f"'{before.id}' in version {earlier.version} is a {before.type.value} question, "
            f"which cannot be compared with a {question.type.value} question",
        )
        return
    ours = [o.value for o in question.options]
    theirs = {o.value for o in before.options}
    if not claim.option_map:
        if set(ours) != theirs:
            added = ", ".join(v for v in ours if v not in theirs) or "none"
            gone = ", ".join(sorted(theirs - set(ours))) or "none"
            yield (
                "",
                f"the options differ from '{before.id}' in version {earlier.version} (new: "
                f"{added}; gone: {gone}): add option_map, saying which earlier option each "
                "option of this question counts as",
            )
    else:
        for new, old in claim.option_map.items():
            if new not in ours:
                yield f"option_map/{new}", f"'{new}' is not an option of this question"
            elif old not in theirs:
                yield (
                    f"option_map/{new}",
                    f"'{old}' is not an option of '{before.id}' in version {earlier.version}",
                )
        missing = [v for v in ours if v not in claim.option_map]
        if missing:
            yield (
                "option_map",
                f"map every option of this question; missing: {', '.join(missing)}",
            )
    earlier_statements = {s.id for s in before.statements}
    for statement in question.statements:
        if statement.id not in earlier_statements:
            yield (
                "question",
                f"statement '{statement.id}' is not in '{before.id}' of version "
                f"{earlier.version}: a grid compares statement by statement, by id",
            )
