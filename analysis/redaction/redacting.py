"""Redact free-text comments: replace what certainly identifies, flag what might.

Replacements are made in a fixed order -- e-mail addresses, titled names, telephone numbers,
reference numbers, postcodes, the configured names, places and teams, then names of places
and teams before a workplace noun ("in the Grays office") -- so that a longer, more specific
pattern is never cut up by a shorter one. Flags are computed last, on the redacted text, so
their positions index ``Redaction.text``.

A ``Redactor`` built with the question's comments (``corpus``) learns two things from them
first: which words the comments themselves use as ordinary words (in lower case, mid-sentence,
in two or more comments, and never capitalised mid-sentence), so that a sentence may start with
them unflagged; and which words any comment shows to be a name or a place, so that the same
word is flagged in every comment, whatever its case.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence

from analysis.redaction import patterns
from analysis.redaction.model import Flag, FlagKind, Redaction
from analysis.redaction.words import (
    IDENTITY_WORDS,
    LOCATIVES,
    NAME_CUE_PAIRS,
    NAME_CUES,
    NAME_WORDS,
    NOT_INITIALS,
    NOT_NAMES,
    PERSON_WORDS,
    REPORTING_VERBS,
    SCOPE_WORDS,
    STOP_WORDS,
    common_words,
)

# A word: letters, possibly joined by apostrophes ("O'Neill", "don't"); markers are matched
# first so that the words inside them are skipped.
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_TOKEN = re.compile(f"(?P<marker>{patterns.MARKER_RE.pattern})|(?P<word>{_WORD.pattern})")
# Words that may start with a capital (any letter but a-z); ``isupper`` decides.
_POSSESSIVES = frozenset({"'s", "'S", "’s", "’S"})
_SENTENCE_END = ".!?…"
_BEFORE_SENTENCE = " \t\u00a0\"'“”‘’«(*•-–—"
_ABBREVIATIONS = frozenset({"e.g", "i.e", "eg", "ie", "vs", "cf", "incl", "approx", "etc"})
_CONTRACTION = re.compile(r"['’](?:m|re|ve|ll|d|s|t)$")
_MAX_ENTRY = 200
#: A word used in lower case mid-sentence in at least this many comments (and never capitalised
#: mid-sentence) is an ordinary word of the comments: it may start a sentence unflagged.
ORDINARY_IN = 2
#: A word flagged as a name or place in at least this share of the comments that use it is
#: flagged in every comment that uses it.
NAME_SHARE = 0.25

# --- initials: "J.O.", "(J.O.)", "j.o", "J. O." -------------------------------------------------
_INITIALS = re.compile(
    r"(?<![\w.])(?:[^\W\d_](?:\.[^\W\d_]){1,3}\.?|[A-Z]\.[ ][A-Z]\.(?:[ ][A-Z]\.)?)(?![\w])"
)

# --- descriptions that single someone out ---------------------------------------------------------
_W = r"[^\W\d_]+(?:['’\-][^\W\d_]+)*"
_S = r"[ \t\u00a0]+"


def _alternatives(words: Collection[str]) -> str:
    return "(?:" + "|".join(sorted(words, key=len, reverse=True)) + ")"


_ONLY = rf"(?:the|an?){_S}(?:only|sole)"
_IN_SCOPE = (
    rf"(?:in|on|at|within|across|of|for){_S}(?:the|my|our|this|that|his|her|their){_S}"
    rf"(?:(?:whole|entire){_S})?{_alternatives(SCOPE_WORDS)}"
)
_IDENTIFYING = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # "the only Black senior manager in the whole county", "the only one in my team"
        rf"\b{_ONLY}(?:{_S}{_W}){{0,5}}?{_S}{_IN_SCOPE}\b",
        # "the only Muslim", "the only female social worker"
        rf"\b{_ONLY}(?:{_S}{_W}){{0,3}}?{_S}{_alternatives(PERSON_WORDS | IDENTITY_WORDS)}"
        rf"(?:(?:{_S}{_W}){{0,2}}?{_S}{_alternatives(PERSON_WORDS)})?\b",
        # "I'm the only …", "being the only …": the writer describing themself
        rf"\b(?:being|i['’]?m|i{_S}am|i{_S}was|we{_S}are|we{_S}were){_S}the{_S}"
        rf"(?:only|sole)(?:{_S}{_W}){{1,3}}",
        # "the one Black …", "the first Asian woman"
        rf"\bthe{_S}(?:one|first|last){_S}{_alternatives(IDENTITY_WORDS)}\b",
    )
)

REASONS: dict[str, str] = {
    "rare": "Used in only one comment and not a common English word",
    "capitalised": "Capitalised mid-sentence and not a common English word: it may be a name",
    "sentence": "Starts a sentence and is not a common English word: it may be a name",
    "cue": "Follows ‘{cue}’ and is not a common English word: it may be a name",
    "reporting": "Comes before ‘{verb}’ and is not a common English word: it may be a name",
    "elsewhere": "Flagged as a possible name or place in another comment",
    "place": "Capitalised after ‘{word}’ and not a common English word: it may be a place",
    "initials": "Looks like someone’s initials",
    "identifying": (
        "Describes someone as the only one of a kind: this can identify the writer or a colleague"
    ),
}

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


# American spellings of British words: "organized" -> "organised", "color" -> "colour",
# "center" -> "centre".
_SPELLINGS = (
    (re.compile(r"iz(e|ed|es|ing|ation|ations)$"), r"is\1"),
    (re.compile(r"(?<=..)or$"), "our"),
    (re.compile(r"(?<=..)er$"), "re"),
)
# Endings that English given names and surnames (almost) never have: "standardisation",
# "cumulative", "enlargements", "hopeless". Words of at least seven letters only.
_NOT_NAME_ENDINGS = (
    *("tion", "tions", "sion", "sions", "ology", "ologies", "ological", "ologist", "ality"),
    *("ivity", "ness", "ism", "isms", "ically", "ative", "itive", "ible", "ous", "ful"),
    *("less", "ship", "ised", "ized", "ising", "izing", "ments"),
)


def _name_shaped(norm: str) -> bool:
    """Whether a word could be a name by its ending."""
    return len(norm) < 7 or not norm.endswith(_NOT_NAME_ENDINGS)


def _inflections(word: str) -> Iterable[str]:
    """The word, the stems it may be an inflection of and their British spellings
    ("mentioned" -> "mention", "organized" -> "organise", "colors" -> "colour")."""
    for form in _endings(word):
        yield form
        for pattern, british in _SPELLINGS:
            spelt = pattern.sub(british, form, count=1)
            if spelt != form:
                yield spelt


def _endings(word: str) -> Iterable[str]:
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


class _Token:
    """A word of the redacted text, or a marker (``word`` is None), with where it sits."""

    __slots__ = ("end", "joined", "norm", "start", "starts", "word")

    def __init__(self, word: str | None, start: int, end: int, joined: bool, starts: bool):
        self.word = word
        self.start = start
        self.end = end
        self.joined = joined  # only blanks between this token and the one before
        self.starts = starts  # begins the text, a line or a sentence
        self.norm = normalise(word) if word is not None else ""


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    previous_end = 0
    for match in _TOKEN.finditer(text):
        word = match.group("word")
        start = match.start()
        joined = bool(found) and text[previous_end:start].strip() == ""
        if word is not None and word[-2:] in _POSSESSIVES:
            word = word[:-2]
        end = start + len(word) if word is not None else match.end()
        starts = word is not None and _starts_sentence(text, start)
        found.append(_Token(word, start, end, joined, starts))
        previous_end = match.end()
    return found


class Redactor:
    """Redacts comments for one question or survey; build once, then call ``redact`` often.

    ``names``, ``places`` and ``teams`` are replaced wherever they appear as whole words, in
    any case. ``corpus`` is every comment given to the question: words used in only one of
    them are flagged, and the flags learn from it (see the module's notes). ``rare`` adds words
    to flag; ``known_words`` are never flagged as rare or as names.

    ``identifying_words_`` holds, case-folded, every word that redaction replaced as a name,
    place or team in the corpus (for places and teams, only the words that are not common
    words) or flagged there as a name, place or initials: a theme's name and key phrases must
    use none of them.
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
        self.known_: frozenset[str] = common_words() | {
            normalise(word) for word in known_words if isinstance(word, str)
        }
        self.steps_: tuple[patterns.Step, ...] = (
            STEPS_BEFORE_LISTS
            + ((lists,) if lists is not None else ())
            + (patterns.place_step(self._is_ordinary),)
        )
        texts = [text for text in corpus if isinstance(text, str)]
        self.rare_: frozenset[str] = rare_tokens(texts) | {
            normalise(word) for word in rare if isinstance(word, str)
        }
        self.flag_rare_: frozenset[str] = frozenset(
            word for word in self.rare_ if len(word) > 1 and not self._is_known(word)
        )
        self.ordinary_: frozenset[str] = frozenset()
        self.names_: frozenset[str] = frozenset()
        self.identifying_words_: frozenset[str] = frozenset()
        if texts:
            self._learn(texts)

    def redact(self, text: str) -> Redaction:
        """Replace what identifies; flag words a moderator should check. Never raises."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        text, replacements = self._replace(text)
        return Redaction(text=text, flags=self._flags(text), replacements=replacements)

    # --- learning from the corpus ----------------------------------------------------------

    def _replace(self, text: str, found: list[tuple[str, str]] | None = None) -> tuple[str, int]:
        replacements = 0
        for step in self.steps_:
            text, count = step.apply(text, found)
            replacements += count
        return text, replacements

    def _learn(self, texts: Sequence[str]) -> None:
        lower: Counter[str] = Counter()
        capitalised: set[str] = set()
        pointing: set[str] = set()
        redacted: list[list[_Token]] = []
        for text in texts:
            found: list[tuple[str, str]] = []
            text, _count = self._replace(text, found)
            for marker, original in found:
                words = {normalise(w) for w in _WORD.findall(original)}
                if marker == "[name]":
                    pointing.update(w for w in words if len(w) > 1)
                elif marker in ("[place]", "[team]", "[email]"):
                    pointing.update(w for w in words if len(w) > 1 and not self._is_known(w))
            tokens = _tokens(text)
            seen: set[str] = set()
            for token in tokens:
                if token.word is None or token.starts:
                    continue
                if token.word[:1].islower():
                    seen.add(token.norm)
                elif not token.word.isupper():
                    capitalised.add(token.norm)
            lower.update(seen)
            redacted.append(tokens)
        self.ordinary_ = frozenset(
            w for w, n in lower.items() if n >= ORDINARY_IN and w not in capitalised
        )
        flagged: Counter[str] = Counter()
        used: Counter[str] = Counter()
        for tokens in redacted:
            used.update({token.norm for token in tokens if token.word is not None})
            flagged.update(
                {
                    tokens[index].norm
                    for index in range(len(tokens))
                    if self._pointing(tokens, index) is not None
                }
            )
        pointing.update(flagged)
        self.names_ = frozenset(
            word
            for word, count in flagged.items()
            if count >= NAME_SHARE * used[word] and not self._is_known(word)
        )
        self.identifying_words_ = frozenset(pointing)

    # --- deciding ----------------------------------------------------------------------------

    def _is_known(self, word: str) -> bool:
        return any(form in self.known_ for form in _inflections(word))

    def _is_ordinary(self, word: str) -> bool:
        """A common word or a word for a group of people: not the name of a place or team."""
        return word in NOT_NAMES or self._is_known(word)

    def _could_be_name(self, token: _Token) -> bool:
        """Whether a word is shaped like a name and is not a common word in any case."""
        word, norm = token.word or "", token.norm
        if len(word) < 2 or word.isupper() or norm in NOT_NAMES or norm in STOP_WORDS:
            return False
        if _CONTRACTION.search(norm) and norm.split("'", 1)[0] in self.known_:
            return False
        return _name_shaped(norm) and not self._is_known(norm)

    def _pointing(self, tokens: Sequence[_Token], index: int) -> tuple[FlagKind, str] | None:
        """The kind and reason of a name or place flag for ``tokens[index]``, or None."""
        token = tokens[index]
        word, norm = token.word, token.norm
        if word is None or len(word) < 2 or word.isupper() or norm in NOT_NAMES:
            return None
        before = tokens[index - 1] if index > 0 and token.joined else None
        previous = before.norm if before is not None and before.word is not None else ""
        if word[0].isupper() and not token.starts:
            unknown = norm in NAME_WORDS or self._could_be_name(token)
            if unknown and previous in LOCATIVES:
                return "place", REASONS["place"].format(word=previous)
            if unknown:
                return "name", REASONS["capitalised"]
        if not self._could_be_name(token):
            return None
        if token.starts and word[0].isupper() and norm not in self.ordinary_:
            return "name", REASONS["sentence"]
        if previous in NAME_CUES:
            return "name", REASONS["cue"].format(cue=previous)
        if before is not None and index > 1 and tokens[index - 1].joined:
            pair = (tokens[index - 2].norm, previous)
            if pair in NAME_CUE_PAIRS:
                return "name", REASONS["cue"].format(cue=" ".join(pair))
            if tokens[index - 2].norm in NAME_CUES and self._could_be_name(before):
                return "name", REASONS["cue"].format(cue=tokens[index - 2].norm)  # a surname
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if after is not None and after.joined and after.norm in REPORTING_VERBS:
            return "name", REASONS["reporting"].format(verb=after.norm)
        return None

    def _flags(self, text: str) -> tuple[Flag, ...]:
        flags: list[Flag] = []
        tokens = _tokens(text)
        for index, token in enumerate(tokens):
            if token.word is None:
                continue
            found = self._pointing(tokens, index)
            if found is None and token.norm in self.names_:
                found = ("name", REASONS["elsewhere"])
            if found is not None:
                flags.append(Flag(found[0], token.word, token.start, token.end, found[1]))
            if token.norm in self.flag_rare_:
                flags.append(Flag("rare", token.word, token.start, token.end, REASONS["rare"]))
        for match in _INITIALS.finditer(text):
            letters = match.group().replace(".", "").replace(" ", "").casefold()
            if letters not in NOT_INITIALS:
                flags.append(
                    Flag("initials", match.group(), match.start(), match.end(), REASONS["initials"])
                )
        for start, end in _identifying_spans(text):
            flags.append(Flag("identifying", text[start:end], start, end, REASONS["identifying"]))
        flags.sort(key=lambda flag: (flag.start, flag.kind))
        return tuple(flags)


def _identifying_spans(text: str) -> list[tuple[int, int]]:
    """Spans of descriptions that single someone out, overlapping matches merged."""
    spans = sorted(
        (match.start(), match.end()) for pattern in _IDENTIFYING for match in pattern.finditer(text)
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def is_common_word(word: str) -> bool:
    """Whether ``word`` (any case, possessive allowed) is a common English word, counting
    regular endings ("listened", "managers")."""
    norm = normalise(word)
    known = common_words()
    return any(form in known for form in _inflections(norm))


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
