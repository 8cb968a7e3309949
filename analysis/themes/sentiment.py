"""The tone of each comment — positive, negative or mixed — with VADER, offline.

**Experimental, and never published.** Tone has not been measured against people's own
reading of workplace-experience comments (it rated "I have been passed over for promotion
twice" positive), so no report, export or published summary carries it. It stays only as an
analyst-only way to sort a theme's comments on the review pages, marked experimental. Before
tone could be published again it would need at least 80 % agreement with a labelled set of
such comments.

VADER (``vaderSentiment``) scores text with a word list that ships inside the package, so
nothing is downloaded. Its lexicon was built for social media; a few workplace words it
lacks or underrates ("undervalued", "microaggressions", "sidelined", "listened" …) are added
to our own analyser's copy of the lexicon, never to the module-wide one.

The rule, applied to each comment:

1. Only the first :data:`MAX_CHARS` characters are read (VADER slows down sharply on very
   long texts). A blank comment or a non-answer such as "N/A", "none" or "no comment" is
   ``"mixed"``: it leans neither way.
2. "Nobody" and "no one" are read as "not anybody", so that VADER's negation applies to the
   words after them ("nobody listens" is a complaint, not praise); and "like" after "people",
   "staff", "someone" and similar words is read as "such as" ("people like me" is no praise).
3. The comment is cut into clauses at sentence ends, semicolons, commas, line breaks and the
   contrast words "but", "however", "although", "though" and "whereas". If one clause scores
   at least ``+STRONG`` and another at most ``-STRONG`` (VADER's compound score, −1 to 1), the
   comment is ``"mixed"``: it praises one thing and criticises another.
4. Otherwise the compound score of the whole comment decides: at least ``+0.05`` is
   ``"positive"``, at most ``-0.05`` is ``"negative"``, and anything between (no clear
   feeling, or feelings that cancel out) is ``"mixed"``.

VADER reads English. Other languages mostly score 0 and so come out ``"mixed"``; emoji are
scored through VADER's emoji descriptions.
"""

from __future__ import annotations

import re
import string
import threading
import warnings
from collections.abc import Sequence
from typing import Literal, get_args

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

Tone = Literal["positive", "mixed", "negative"]
TONES: tuple[Tone, ...] = get_args(Tone)

POSITIVE = 0.05  # whole-comment compound score at or above which a comment is positive
NEGATIVE = -0.05  # ... at or below which it is negative
STRONG = 0.25  # a clause at least this far from 0 counts as clearly for or against something
MAX_CHARS = 5_000

# Added to (or replacing) VADER's valences, on its scale of −4 to +4.
WORKPLACE_LEXICON: dict[str, float] = {
    "undervalued": -1.9,
    "overworked": -1.8,
    "understaffed": -1.5,
    "burnout": -2.0,
    "overlooked": -1.2,
    "sidelined": -1.6,
    "dismissed": -1.2,
    "dismissive": -1.6,
    "patronising": -1.6,
    "patronizing": -1.6,
    "unheard": -1.4,
    "microaggression": -2.2,
    "microaggressions": -2.2,
    "discrimination": -2.4,
    "discriminated": -2.4,
    "discriminatory": -2.4,
    "tokenism": -1.8,
    "tokenistic": -1.8,
    "gaslighting": -2.2,
    "gaslit": -2.2,
    "listened": 1.1,
    "listens": 1.1,
    "listen": 0.8,
    "inclusive": 1.6,
    "approachable": 1.5,
}

_NON_ANSWERS = frozenset(
    {"", "n/a", "na", "none", "nil", "no", "nothing", "no comment", "no comments"}
    | {"nothing to add", "nothing further", "not applicable", "nothing else"}
)
_NOBODY = re.compile(r"\b(?:nobody|no[\s-]+one)\b", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[.!?;,\n]+|\b(?:but|however|although|though|whereas)\b", re.IGNORECASE)
# "People like me" compares rather than likes; VADER would count it as praise.
_LIKE_AS_SUCH_AS = re.compile(
    r"\b(people|staff|colleagues|workers|someone|somebody|anyone|those|others|men|women)"
    r"\s+like\b",
    re.IGNORECASE,
)
_EDGE_PUNCTUATION = string.punctuation + string.whitespace

_lock = threading.Lock()
_analyser: SentimentIntensityAnalyzer | None = None


def _shared_analyser() -> SentimentIntensityAnalyzer:
    """One analyser per process, with the workplace words added to its own lexicon."""
    global _analyser
    with _lock:
        if _analyser is None:
            with warnings.catch_warnings():
                # vaderSentiment opens its word lists with codecs.open, which newer Pythons
                # deprecate; the lists are read correctly all the same.
                warnings.simplefilter("ignore", DeprecationWarning)
                analyser = SentimentIntensityAnalyzer()
            analyser.lexicon = {**analyser.lexicon, **WORKPLACE_LEXICON}
            _analyser = analyser
        return _analyser


def _compound(analyser: SentimentIntensityAnalyzer, text: str) -> float:
    return float(analyser.polarity_scores(text)["compound"])


def _tone(analyser: SentimentIntensityAnalyzer, text: object) -> Tone:
    if not isinstance(text, str):
        return "mixed"
    text = text[:MAX_CHARS]
    if text.strip(_EDGE_PUNCTUATION).lower() in _NON_ANSWERS:
        return "mixed"
    text = _NOBODY.sub("not anybody", text)
    text = _LIKE_AS_SUCH_AS.sub(r"\1 such as", text)
    clauses = [clause for clause in _CLAUSE_BREAK.split(text) if clause.strip()]
    if len(clauses) > 1:
        scores = [_compound(analyser, clause) for clause in clauses]
        if max(scores) >= STRONG and min(scores) <= -STRONG:
            return "mixed"
    overall = _compound(analyser, text)
    if overall >= POSITIVE:
        return "positive"
    if overall <= NEGATIVE:
        return "negative"
    return "mixed"


def tones(texts: Sequence[str]) -> list[Tone]:
    """The tone of each text, in input order, by the rule in this module's docstring.

    Never raises on awkward input: empty strings, emoji, very long or non-English texts all
    get a tone.
    """
    analyser = _shared_analyser()
    return [_tone(analyser, text) for text in texts]


def shares(tones: Sequence[Tone]) -> dict[Tone, int]:
    """How many comments have each tone; all three tones are always present as keys."""
    counts: dict[Tone, int] = dict.fromkeys(TONES, 0)
    for tone in tones:
        if tone in counts:
            counts[tone] += 1
    return counts
