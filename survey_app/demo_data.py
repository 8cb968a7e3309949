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

# Short comments for free-text questions, by the kind of question they answer. Each kind has a
# few experiences, each told in several ways, so the demo's themes have something to find.
COMMENTS: dict[str, dict[str, list[str]]] = {
    "change": {
        "listening": [
            "Managers need to actually listen when we raise concerns about racism.",
            "When I reported a racist comment nothing happened and I was treated as the problem.",
            "Being believed the first time I raise something about racism.",
            "Follow-up after someone reports racism, so they know what happened.",
            "A way of reporting racism that does not depend on my line manager.",
            "My manager did not listen when I raised racist remarks from a colleague.",
        ],
        "progression": [
            "Clear, fair routes to promotion. I keep being told I am not ready yet.",
            "More Global Majority leaders in senior roles so we can see a way up.",
            "Mentoring and sponsorship for staff who want to progress.",
            "Fair shortlisting for senior posts; I have been passed over for promotion twice.",
            "Acting-up chances shared fairly, not always given to the same people.",
        ],
        "workload": [
            "Being allocated the same complex cases as white colleagues, not the hardest ones.",
            "A fair allocation of cases; my caseload is always the heaviest in the team.",
            "Someone to look at how cases are allocated, because the complex ones land on us.",
            "Caseload allocation that is open, so we can see who gets the hardest cases.",
            "Less pressure from an unfair caseload compared with colleagues.",
        ],
        "scrutiny": [
            "Stop the extra scrutiny of my work compared with colleagues.",
            "My work is checked far more closely than my white colleagues' work.",
            "Being trusted to do my job without constant extra checks.",
            "Mistakes treated the same way for everyone, not more harshly for us.",
        ],
        "abuse": [
            "Take racist abuse from families seriously instead of saying it comes with the job.",
            "Support after racist abuse from service users, not just a shrug.",
            "A clear policy for racist abuse from the public, and managers who use it.",
            "Racist comments from families should be recorded and acted on.",
        ],
    },
    "working": {
        "network": [
            "The staff network is a lifeline. It is where I feel heard.",
            "Peer support from other Global Majority colleagues in the staff network.",
            "Time to go to staff network meetings, where I can be myself.",
            "The staff network gives me support I cannot find anywhere else.",
        ],
        "manager": [
            "My current manager checks in and takes concerns seriously.",
            "My manager listens and acts when I raise something.",
            "Supervision now includes space to talk about identity and culture.",
            "A supportive manager who backs me when things go wrong.",
        ],
        "reflective": [
            "The reflective space sessions help me feel less alone.",
            "Reflective space is somewhere safe to talk about what happens at work.",
            "Hearing others in the reflective space who have had the same experiences.",
        ],
        "learning": [
            "Training on anti-racist practice has started conversations.",
            "Colleagues in my team challenge comments more than they used to.",
            "Anti-racist training has made colleagues think about what they say.",
            "Some senior leaders now talk openly about racism, which helps.",
        ],
    },
    "session": {
        "space": [
            "Hearing that others have had the same experiences.",
            "A safe space without managers present.",
            "The facilitator made it easy to speak.",
            "Feeling safe to speak without managers in the room.",
        ],
        "format": [
            "More time for discussion in small groups.",
            "Run it at a time that works for people on shifts.",
            "Longer sessions with more time in small groups.",
        ],
        "topics": [
            "Practical ideas for handling difficult conversations.",
            "Talking about progression and how to get support.",
            "Wellbeing and how to look after ourselves.",
        ],
    },
}
OPENERS = ("", "", "", "Honestly, ", "For me, ", "Simply: ")
CLOSERS = ("", "", "", " It has been like this for years.", " Please act on this.", " Thank you.")


def _comment_bank(question: Question) -> dict[str, list[str]]:
    text = question.text.lower()
    if any(words in text for words in ("working well", "worked well", "helped", "positive")):
        return COMMENTS["working"]
    if "session" in text or "next time" in text or "talk about" in text:
        return COMMENTS["session"]
    return COMMENTS["change"]


def _comment(question: Question, rng: random.Random) -> str:
    bank = _comment_bank(question)
    theme = rng.choice(sorted(bank))
    core = rng.choice(bank[theme])
    opener = rng.choice(OPENERS)
    if opener:
        core = core[0].lower() + core[1:]
    return f"{opener}{core}{rng.choice(CLOSERS)}"


def synthetic_answers(
    questionnaire: Questionnaire, rng: random.Random, lean: float = 0.0
) -> dict[str, Any]:
    """One made-up response that the questionnaire accepts. ``lean`` moves everyone's mood
    towards the later (more negative) options, so two demo cycles differ."""
    answers: dict[str, Any] = {}
    mood = min(1.0, max(0.0, rng.random() + lean))  # a respondent-level lean
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
    text = _comment(question, rng)
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
