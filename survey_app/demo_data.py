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

# Statements for free-text questions, by the kind of question they answer and the topic they
# are about. A comment is one or two statements on the same topic (people often say the same
# thing twice in different words), with now and then an opener or closer as people write
# them. Topics are distinct experiences, each told in its own words, so the demo's themes have
# something real to find and the generator knows the answer (``topic_and_comment``).
COMMENTS: dict[str, dict[str, list[str]]] = {
    "change": {
        "listening": [
            "Managers need to actually listen when we raise concerns about racism.",
            "When I reported racism nothing happened and I was treated as the problem.",
            "Being believed the first time I report racism.",
            "Proper follow-up after someone reports racism, so they know what happened.",
            "A way of reporting racism that does not depend on my line manager.",
            "My concerns about racism were not listened to or taken seriously.",
            "Reports of racism investigated properly and not brushed aside.",
        ],
        "progression": [
            "Clear, fair routes to promotion. I keep being told I am not ready yet.",
            "More Global Majority leaders in senior roles so we can see a way up.",
            "Mentoring and sponsorship for staff who want to progress.",
            "Fair shortlisting for senior posts; I have been passed over for promotion twice.",
            "Acting-up chances shared fairly, not always given to the same people.",
            "Open promotion decisions, with feedback when you are turned down.",
            "Support to progress into management instead of staying stuck at the same grade.",
        ],
        "workload": [
            "Being allocated the same complex cases as white colleagues, not the hardest ones.",
            "A fair allocation of cases; my caseload is always the heaviest in the team.",
            "Someone to look at how cases are allocated, because the complex cases land on us.",
            "Caseload allocation that is open, so we can see who gets the hardest cases.",
            "Less pressure from an unfair caseload compared with colleagues.",
            "Complex cases shared out fairly across the team.",
        ],
        "scrutiny": [
            "Stop the extra scrutiny of my work compared with white colleagues.",
            "My work is checked far more closely than my white colleagues' work.",
            "Being trusted to do my job without constant checks on my work.",
            "Mistakes treated the same way for everyone, not more harshly for us.",
            "Less scrutiny and micromanagement of Global Majority staff.",
            "My work is questioned and checked when others' work is not.",
        ],
        "abuse": [
            "Take racist abuse from families seriously instead of saying it comes with the job.",
            "Support after racist abuse from service users, not just a shrug.",
            "A clear policy for racist abuse from the public, and managers who use it.",
            "Racist comments from families should be recorded and acted on.",
            "Protection from racist abuse on home visits.",
            "Service users who are racially abusive should be challenged every time.",
        ],
    },
    "working": {
        "network": [
            "The staff network is a lifeline. It is where I feel heard.",
            "Peer support from other Global Majority colleagues in the staff network.",
            "Time to go to staff network meetings, where I can be myself.",
            "The staff network gives me support I cannot find anywhere else.",
            "Meeting other Global Majority staff through the network.",
            "Network events where I meet people who understand.",
        ],
        "manager": [
            "My current manager checks in and takes concerns seriously.",
            "My manager listens and acts when I raise something.",
            "Supervision now includes space to talk about identity and culture.",
            "A supportive manager who backs me when things go wrong.",
            "My line manager makes time for me in supervision.",
            "Regular supervision with a manager who understands racism.",
        ],
        "reflective": [
            "The reflective space sessions help me feel less alone.",
            "Reflective space is somewhere safe to talk about what happens at work.",
            "Hearing others in the reflective space who have had the same experiences.",
            "The quarterly reflective space sessions are worth the time.",
            "Being able to speak openly in the reflective space sessions.",
            "The reflective space is the one place I can talk honestly about racism.",
        ],
        "learning": [
            "Training on anti-racist practice has started conversations.",
            "Colleagues in my team challenge comments more than they used to.",
            "Anti-racist training has made colleagues think about what they say.",
            "Some senior leaders now talk openly about racism, which helps.",
            "The anti-racist practice training was practical and honest.",
            "More colleagues now understand what anti-racist practice means.",
        ],
    },
    "session": {
        "space": [
            "Hearing that others have had the same experiences.",
            "A safe space without managers present.",
            "The facilitator made it easy to speak.",
            "Feeling safe to speak without managers in the room.",
            "It felt like a safe space to be honest.",
            "Speaking in a safe space with people who understand.",
        ],
        "format": [
            "More time for discussion in small groups.",
            "Run it at a time that works for people on shifts.",
            "Longer sessions with more time in small groups.",
            "Sessions at different times of day so shift workers can come.",
            "Shorter introductions and more time to talk in small groups.",
            "An evening session for people who cannot leave work in the day.",
        ],
        "topics": [
            "Practical ideas for handling difficult conversations.",
            "Talking about progression and how to get support.",
            "Wellbeing and how to look after ourselves.",
            "How to handle difficult conversations with managers about racism.",
            "Looking after our wellbeing when work is hard.",
            "Getting support to progress, and practical advice on applications.",
        ],
    },
    "future": {
        "progression": [
            "Career progression and how to get promoted.",
            "How to prepare for promotion interviews.",
            "Getting a mentor to help with career progression.",
            "Why so few of us are promoted into senior roles.",
        ],
        "wellbeing": [
            "Looking after our wellbeing and avoiding burnout.",
            "Coping with stress when racism wears you down.",
            "Rest, wellbeing and protecting our mental health.",
            "How to recover after a hard week without burning out.",
        ],
        "conversations": [
            "Having difficult conversations about racism with managers.",
            "How to challenge a racist comment from a colleague.",
            "What to say when a manager dismisses a concern about racism.",
            "Practising difficult conversations in supervision.",
        ],
        "allies": [
            "What good allyship from white colleagues looks like.",
            "How white allies can speak up in team meetings.",
            "Inviting white managers to learn about allyship.",
            "Allies who act, not just listen.",
        ],
    },
}
OPENERS = ("", "", "", "Honestly, ", "For me, ", "Simply: ")
CLOSERS = ("", "", "", " It has been like this for years.", " Please act on this.", " Thank you.")
#: How often a comment says two things about its topic rather than one.
TWO_STATEMENTS = 0.85
# How many random draws a comment took from the respondent's generator before the topics
# were rewritten (topics by kind of question, statements per topic, then one opener and one
# closer of six each). A comment still takes exactly these draws and is then written from a
# generator of its own seeded by them, so every other answer of the demo (and of each test
# seeded like it) is the same as before; only the words of the comments changed.
_DRAW_SHAPE: dict[str, tuple[int, ...]] = {
    "change": (4, 6, 5, 4, 5),
    "working": (4, 4, 4, 3),
    "session": (3, 4, 3),
}
_OPENINGS = 6


def _kind(question: Question) -> str:
    text = question.text.lower()
    if any(words in text for words in ("working well", "worked well", "helped", "positive")):
        return "working"
    if "talk about" in text:
        return "future"
    if "session" in text or "next time" in text:
        return "session"
    return "change"


def _own_generator(kind: str, rng: random.Random) -> random.Random:
    """A generator for one comment, seeded by the draws a comment has always taken from
    ``rng`` (see ``_DRAW_SHAPE``; "future" questions once drew as "session" ones did)."""
    shape = _DRAW_SHAPE["session" if kind == "future" else kind]
    topic = rng.choice(range(len(shape)))
    draws = (topic, rng.choice(range(shape[topic])), *(rng.choice(range(_OPENINGS)) for _ in "oc"))
    return random.Random(f"{kind}:{draws}")  # noqa: S311 - made-up demo answers, not secrets


def topic_and_comment(question: Question, rng: random.Random) -> tuple[str, str]:
    """A made-up comment for a free-text ``question`` and the topic it was written about."""
    kind = _kind(question)
    bank = COMMENTS[kind]
    rng = _own_generator(kind, rng)
    topic = rng.choice(sorted(bank))
    count = 2 if rng.random() < TWO_STATEMENTS else 1
    statements = rng.sample(bank[topic], min(count, len(bank[topic])))
    core = " ".join(statements)
    opener = rng.choice(OPENERS)
    if opener:
        core = core[0].lower() + core[1:]
    return topic, f"{opener}{core}{rng.choice(CLOSERS)}"


def _comment(question: Question, rng: random.Random) -> str:
    return topic_and_comment(question, rng)[1]


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


def labelled_comments(
    questionnaire: Questionnaire,
    question_id: str,
    responses: int,
    *,
    seed: int,
    lean: float = 0.0,
) -> list[tuple[str, str]]:
    """``(topic, text)`` for each comment that ``responses`` synthetic respondents give to one
    free-text question, in order: the topic is the key in :data:`COMMENTS` that the comment was
    drawn from.

    It replays :func:`synthetic_answers` with ``random.Random(seed)`` and ``lean``, so with the
    demo's settings (the staff survey of last year: seed 2025, 400 responses) these are the
    demo's very comments. The generator knows the truth that theme and coding measurements
    need; the topic is read back from the comment, so the demo's answers stay as they are.
    """
    topic_of = {
        sentence: topic
        for bank in COMMENTS.values()
        for topic, sentences in bank.items()
        for sentence in sentences
    }
    rng = random.Random(seed)  # noqa: S311 - made-up demo answers, not secrets
    found: list[tuple[str, str]] = []
    for _ in range(responses):
        text = synthetic_answers(questionnaire, rng, lean).get(question_id)
        if isinstance(text, str):
            found.append((_topic(text, topic_of), text))
    return found


def _topic(text: str, topic_of: dict[str, str]) -> str:
    """The topic of a generated comment: that of the first statement of :data:`COMMENTS` it
    contains, whether or not an opener lowered its first letter ("" for a comment the
    generator did not write)."""
    for statement, topic in topic_of.items():
        if statement in text or statement[:1].lower() + statement[1:] in text:
            return topic
    return ""
