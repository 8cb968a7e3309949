"""Redact free-text comments: replace what certainly identifies, flag what might.

Replacements are made in a fixed order -- e-mail addresses, titled names, telephone numbers,
reference numbers, postcodes, then the configured names, places and teams -- so that a longer,
more specific pattern is never cut up by a shorter one. Flags are computed last, on the
redacted text, so their positions index ``Redaction.text``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable

from analysis.redaction import patterns
from analysis.redaction.model import Flag, Redaction
from analysis.redaction.words import NAME_WORDS, NOT_NAMES, common_words

# A word: letters, possibly joined by apostrophes ("O'Neill", "don't"); markers are matched
# first so that the words inside them are skipped.
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_TOKEN = re.compile(f"(?P<marker>{patterns.MARKER_RE.pattern})|(?P<word>{_WORD.pattern})")
# Words that may start with a capital (any letter but a-z); ``isupper`` decides.
_CAPITALISED = re.compile(r"(?<![^\W\d_])(?<![^\W\d_]['’])[^\W\d_a-z][^\W\d_]*(?:['’][^\W\d_]+)*")
_POSSESSIVES = frozenset({"'s", "'S", "’s", "’S"})
_SENTENCE_END = ".!?…"
_BEFORE_SENTENCE = " \t\u00a0\"'“”‘’«(*•-–—"
_ABBREVIATIONS = frozenset({"e.g", "i.e", "eg", "ie", "vs", "cf", "incl", "approx", "etc"})
_CONTRACTION = re.compile(r"['’](?:m|re|ve|ll|d|s|t)$")
_MAX_ENTRY = 200

STEPS_BEFORE_LISTS: tuple[patterns.Step, ...] = (
    patterns.EMAIL,
    patterns.TITLE,
    patterns.PHONE,
    patterns.NI_NUMBER,
    patterns.KEYWORD_REF,
    patterns.ALPHANUMERIC_ID,
    patterns.SLASH_REF,
    patterns.GROUPED_NUMBER,
    patterns.FULL_POSTCODE,
    patterns.OUTWARD_POSTCODE,
    patterns.DIGIT_RUN,
)


def normalise(word: str) -> str:
    """The form in which words are counted and compared: case-folded, possessive removed."""
    word = word.casefold()
    if "’" in word:
        word = word.replace("’", "'")
    return word[:-2] if word.endswith("'s") else word


def _words(text: str) -> Iterable[tuple[str, int, int]]:
    """Each word of the text outside markers, without a possessive ending, with its span."""
    for match in _TOKEN.finditer(text):
        word = match.group("word")
        if word is None:
            continue
        start = match.start()
        if word[-2:] in _POSSESSIVES:
            word = word[:-2]
        yield word, start, start + len(word)


def rare_tokens(texts: Iterable[str], *, max_comments: int = 1) -> frozenset[str]:
    """Normalised words that appear in at most ``max_comments`` of the comments.

    Each comment counts once however often it uses a word. Common English words are not
    removed here; ``redact`` ignores them when it flags.
    """
    counts: Counter[str] = Counter()
    for text in texts:
        if not isinstance(text, str):
            continue
        counts.update({normalise(word) for word, _, _ in _words(text)})
    return frozenset(word for word, n in counts.items() if n <= max_comments)


def _inflections(word: str) -> Iterable[str]:
    """The word and the stems it may be an inflection of ("mentioned" -> "mention")."""
    yield word
    if _CONTRACTION.search(word):
        yield word.split("'", 1)[0]
    for suffix, replacements in (
        ("ies", ("y",)),
        ("ied", ("y",)),
        ("es", ("",)),
        ("s", ("",)),
        ("ed", ("", "e")),
        ("ing", ("", "e")),
        ("ly", ("",)),
        ("er", ("", "e")),
        ("est", ("", "e")),
        ("ness", ("",)),
    ):
        if not word.endswith(suffix) or len(word) - len(suffix) < 3:
            continue
        stem = word[: -len(suffix)]
        if suffix == "es" and not stem.endswith(("s", "x", "z", "ch", "sh")):
            continue
        if suffix == "s" and stem.endswith("s"):
            continue
        for replacement in replacements:
            yield stem + replacement
        if len(stem) > 3 and stem[-1] == stem[-2]:  # "stopped" -> "stop"
            yield stem[:-1]


class Redactor:
    """Redacts comments for one question or survey; build once, then call ``redact`` often.

    ``names``, ``places`` and ``teams`` are replaced wherever they appear as whole words, in
    any case. ``corpus`` is every comment given to the question: words used in only one of
    them are flagged. ``rare`` adds words to flag; ``known_words`` are never flagged as rare.
    """

    def __init__(
        self,
        *,
        names: Iterable[str] = (),
        places: Iterable[str] = (),
        teams: Iterable[str] = (),
        corpus: Iterable[str] = (),
        rare: Collection[str] = frozenset(),
        known_words: Collection[str] = frozenset(),
    ) -> None:
        entries = [
            (entry, marker)
            for values, marker in ((names, "[name]"), (teams, "[team]"), (places, "[place]"))
            for entry in _entries(values)
        ]
        lists = patterns.entries_step(entries)
        self.steps_: tuple[patterns.Step, ...] = STEPS_BEFORE_LISTS + (
            (lists,) if lists is not None else ()
        )
        self.rare_: frozenset[str] = rare_tokens(corpus) | {
            normalise(word) for word in rare if isinstance(word, str)
        }
        self.known_: frozenset[str] = common_words() | {
            normalise(word) for word in known_words if isinstance(word, str)
        }
        self.flag_rare_: frozenset[str] = frozenset(
            word for word in self.rare_ if len(word) > 1 and not self._is_known(word)
        )

    def redact(self, text: str) -> Redaction:
        """Replace what identifies; flag words a moderator should check. Never raises."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        replacements = 0
        for step in self.steps_:
            text, count = step.apply(text)
            replacements += count
        return Redaction(text=text, flags=self._flags(text), replacements=replacements)

    def _is_known(self, word: str) -> bool:
        return any(form in self.known_ for form in _inflections(word))

    def _looks_like_name(self, text: str, word: str, start: int, norm: str) -> bool:
        if len(word) < 2 or not word[0].isupper() or word.isupper():
            return False
        if norm not in NAME_WORDS and (norm in self.known_ or norm in NOT_NAMES):
            return False
        if _CONTRACTION.search(norm) and norm.split("'", 1)[0] in self.known_:
            return False
        return not _starts_sentence(text, start)

    def _flags(self, text: str) -> tuple[Flag, ...]:
        flags: list[Flag] = []
        for match in _CAPITALISED.finditer(text):
            word, start = match.group(), match.start()
            if word[-2:] in _POSSESSIVES:
                word = word[:-2]
            if self._looks_like_name(text, word, start, normalise(word)):
                flags.append(Flag("name", word, start, start + len(word)))
        if self.flag_rare_:
            found = {normalise(word) for word in _WORD.findall(text)} & self.flag_rare_
            for word, start, end in _words(text) if found else ():
                if normalise(word) in found:
                    flags.append(Flag("rare", word, start, end))
        flags.sort(key=lambda flag: (flag.start, flag.kind))
        return tuple(flags)


def _entries(values: Iterable[str]) -> Iterable[str]:
    if isinstance(values, str):  # one entry given as a bare string
        values = (values,)
    for value in values:
        if isinstance(value, str) and value.strip() and len(value) <= _MAX_ENTRY:
            yield value


def _starts_sentence(text: str, start: int) -> bool:
    """Whether the word at ``start`` begins the text, a line or a sentence."""
    i = start - 1
    while i >= 0 and text[i] in _BEFORE_SENTENCE:
        i -= 1
    if i < 0 or text[i] in "\n\r":
        return True
    if text[i] not in _SENTENCE_END:
        return False
    if text[i] == ".":  # "e.g. Priya" does not start a sentence
        j = i
        while j > 0 and (text[j - 1].isalpha() or text[j - 1] == "."):
            j -= 1
        if text[j:i].lower() in _ABBREVIATIONS:
            return False
    return True


def redact(
    text: str,
    *,
    names: Iterable[str] = (),
    places: Iterable[str] = (),
    teams: Iterable[str] = (),
    rare: Collection[str] = frozenset(),
    known_words: Collection[str] = frozenset(),
) -> Redaction:
    """Redact one comment. To redact many, build a ``Redactor`` once and reuse it."""
    redactor = Redactor(names=names, places=places, teams=teams, rare=rare, known_words=known_words)
    return redactor.redact(text)
