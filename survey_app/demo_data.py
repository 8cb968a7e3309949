"""Synthetic answers for the demo: plausible, varied and entirely made up.

Used by ``flask demo setup`` to give the demo report something real to show. Answers follow
the questionnaire (show_if, exclusive options, limits), lean in believable directions (most
people answer most questions; some skip; views vary between groups), and free-text answers
are drawn from short comments written for this purpose — no real person wrote any of them.
"""

from __future__ import annotations

import random
from typing import Any

from survey_app.domain.model import Question, Questionnaire, QuestionType

# Short comments for free-text questions, by the kind of question they answer.
COMMENTS = {
    "change": [
        "Managers need to actually listen when we raise concerns about racism.",
        "When I reported a racist comment nothing happened and I was treated as the problem.",
        "Clear, fair routes to promotion. I keep being told I am not ready yet.",
        "Training for managers on how to respond when racism is reported.",
        "A reporting process that is independent of my line manager.",
        "Being allocated the same complex cases as white colleagues, not the hardest ones.",
        "More Global Majority leaders in senior roles so we can see a way up.",
        "Mentoring and sponsorship for staff who want to progress.",
        "Stop the extra scrutiny of my work compared with colleagues.",
        "Follow-up after someone reports racism, so they know what happened.",
        "Time in our working week for the staff network.",
        "Take racist abuse from families seriously instead of saying it comes with the job.",
        "Honest conversations in team meetings about race and culture.",
        "Exit interviews that ask about racism and are acted on.",
        "Being believed the first time I raise something.",
    ],
    "working": [
        "The staff network is a lifeline. It is where I feel heard.",
        "My current manager checks in and takes concerns seriously.",
        "The reflective space sessions help me feel less alone.",
        "Some senior leaders now talk openly about racism, which helps.",
        "Colleagues in my team challenge comments more than they used to.",
        "The mentoring scheme gave me confidence to apply for a senior post.",
        "Training on anti-racist practice has started conversations.",
        "Supervision now includes space to talk about identity and culture.",
        "Peer support from other Global Majority colleagues.",
        "Leadership has been honest that there is a problem.",
    ],
    "session": [
        "Hearing that others have had the same experiences.",
        "A safe space without managers present.",
        "The facilitator made it easy to speak.",
        "Practical ideas for handling difficult conversations.",
        "More time for discussion in small groups.",
        "Run it at a time that works for people on shifts.",
        "Talking about progression and how to get support.",
        "Wellbeing and how to look after ourselves.",
    ],
}


def _comment_bank(question: Question) -> list[str]:
    text = question.text.lower()
    if "working well" in text or "helped" in text or "positive" in text:
        return COMMENTS["working"] + COMMENTS["session"][:4]
    if "session" in text or "next time" in text or "talk about" in text:
        return COMMENTS["session"]
    return COMMENTS["change"]


def synthetic_answers(questionnaire: Questionnaire, rng: random.Random) -> dict[str, Any]:
    """One made-up response that the questionnaire accepts."""
    answers: dict[str, Any] = {}
    mood = rng.random()  # a respondent-level lean, so answers hang together
    for question in questionnaire.questions():
        if not question.is_visible(answers):
            continue
        if not question.required and rng.random() < 0.08:
            continue
        value = _answer(question, rng, mood)
        if value is not None:
            answers[question.id] = value
    return answers


def _answer(question: Question, rng: random.Random, mood: float) -> Any:
    options = [o for o in question.options if not o.exclusive]
    if question.demographic:
        # Groups of different sizes, a few "Prefer not to say".
        weights = [
            0.3 if "prefer" in o.value else 1 + (i * 7) % 5 for i, o in enumerate(question.options)
        ]
        return rng.choices([o.value for o in question.options], weights=weights)[0]
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT):
        return _leaning_choice(question, rng, mood)
    if question.type is QuestionType.MULTIPLE_CHOICE:
        exclusive = [o for o in question.options if o.exclusive]
        if exclusive and rng.random() < 0.2:
            return [rng.choice(exclusive).value]
        chosen = rng.sample(options, k=min(len(options), rng.choice([1, 1, 2, 3])))
        return [o.value for o in question.options if o in chosen]
    if question.type is QuestionType.LIKERT_GRID:
        return {
            s.id: _leaning_choice(question, rng, mood)
            for s in question.statements
            if rng.random() > 0.05
        } or None
    if question.type is QuestionType.NUMBER:
        low = question.minimum or 0
        high = question.maximum if question.maximum is not None else low
        return rng.randint(low, high)
    if rng.random() < 0.45:  # most people leave comment boxes empty
        return None
    text = rng.choice(_comment_bank(question))
    return text[: question.max_length or len(text)]


def _leaning_choice(question: Question, rng: random.Random, mood: float) -> str:
    """Earlier options are more likely for a positive respondent, later for a negative one;
    "Prefer not to say" and similar options stay rare."""
    values = [o.value for o in question.options]
    weights = []
    for index, value in enumerate(values):
        if "prefer" in value or "not_sure" in value or "dont_know" in value:
            weights.append(0.4)
            continue
        position = index / max(len(values) - 1, 1)
        weights.append(0.5 + 2.0 * (1 - abs(position - mood)))
    return rng.choices(values, weights=weights)[0]
