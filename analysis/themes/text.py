"""Words of a comment: tokens, stop words and stems, using only NLTK parts that need no data.

A token is a run of letters or digits, with an apostrophe inside a word kept (``don't``,
``manager's``), in lower case. Any script counts, so a comment in Welsh or Polish still has
tokens; emoji and punctuation do not. Stems come from NLTK's English Snowball stemmer, which
is pure code: nothing here calls ``nltk.download`` or needs a tokeniser model.

Stop words are scikit-learn's English list minus the words that turn a phrase around
("not", "no", "never", "nor", "without", "against"), so "not listened to" keeps its "not".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from nltk.stem import SnowballStemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Letters or digits of any script, with inner apostrophes (straight or curly) kept.
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

NEGATIONS: frozenset[str] = frozenset(
    {"not", "no", "never", "nor", "nothing", "nobody", "none", "without", "against", "cannot"}
)
STOP_WORDS: frozenset[str] = frozenset(ENGLISH_STOP_WORDS) - NEGATIONS | frozenset(
    {"s", "t", "d", "ll", "m", "re", "ve", "don", "didn", "doesn", "isn", "wasn", "aren"}
)

# Longest word kept; longer runs (pasted URLs, base64) are not words anyone reads.
MAX_WORD_LENGTH = 30

_stemmer = SnowballStemmer("english")


def tokens(text: str) -> list[str]:
    """The lower-case word tokens of ``text``, in order (an empty list for no words)."""
    if not isinstance(text, str):
        return []
    found = _TOKEN.findall(text.lower().replace("’", "'"))
    return [word for word in found if len(word) <= MAX_WORD_LENGTH]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of one lower-case token."""
    return str(_stemmer.stem(word))


def is_stop(word: str) -> bool:
    """Whether ``word`` carries too little meaning to be a feature or to end a phrase."""
    return word in STOP_WORDS or word.isdigit() or len(word) < 2


def content_stems(words: Iterable[str]) -> list[str]:
    """Stems of the words that are not stop words, in order."""
    return [stem(word) for word in words if not is_stop(word)]


def most_frequent(counts: dict[str, int]) -> str:
    """The key with the highest count; ties go to the alphabetically first key."""
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


def surface_forms(documents: Sequence[Sequence[str]]) -> dict[str, str]:
    """For every stem in ``documents`` (lists of tokens), its most frequent surface word."""
    counts: dict[str, dict[str, int]] = {}
    for words in documents:
        for word in words:
            forms = counts.setdefault(stem(word), {})
            forms[word] = forms.get(word, 0) + 1
    return {key: most_frequent(forms) for key, forms in counts.items()}
