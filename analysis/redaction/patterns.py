"""Compiled patterns for the things redaction replaces.

Each ``Step`` finds candidate spans with one regular expression and decides, match by match,
whether and what to replace. Patterns start with a look-behind so that they are only tried at
the start of a word or number, which keeps every pass linear in the length of the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from analysis.redaction.words import NAME_WORDS, PLACE_NOUNS, STOP_WORDS, TEAM_NOUNS

# A decision for one match: None keeps the text, a string replaces the whole match, and
# (start, end, replacement) replaces only that part of the string (absolute positions).
Decision = str | tuple[int, int, str] | None


@dataclass(frozen=True)
class Step:
    """One kind of replacement: a pattern and the decision taken on each of its matches."""

    pattern: re.Pattern[str]
    decide: Callable[[re.Match[str]], Decision]
    needs: str = ""  # a character class the text must contain for the step to be worth running

    def apply(self, text: str, found: list[tuple[str, str]] | None = None) -> tuple[str, int]:
        """Return the text with the step's replacements made, and how many were made.

        ``found``, if given, receives ``(marker, replaced text)`` for every replacement."""
        if self.needs and not _NEEDS[self.needs].search(text):
            return text, 0
        pieces: list[str] = []
        done = 0
        count = 0
        for match in self.pattern.finditer(text):
            decision = self.decide(match)
            if decision is None:
                continue
            if isinstance(decision, str):
                start, end, replacement = match.start(), match.end(), decision
            else:
                start, end, replacement = decision
            pieces.append(text[done:start])
            pieces.append(replacement)
            if found is not None:
                found.append((replacement, text[start:end]))
            done = end
            count += 1
        if not count:
            return text, 0
        pieces.append(text[done:])
        return "".join(pieces), count


_NEEDS = {"@": re.compile("@"), "digit": re.compile("[0-9]")}


def _always(marker: str) -> Callable[[re.Match[str]], Decision]:
    def decide(match: re.Match[str]) -> Decision:
        return marker

    return decide


MARKER_RE = re.compile(r"\[(?:name|email|phone|place|team|number)\]")

# --- e-mail addresses -------------------------------------------------------------------------

EMAIL = Step(
    re.compile(r"(?<![\w.+'\-])\w[\w.+'\-]*@[\w\-]+(?:\.[\w\-]+)+"),
    _always("[email]"),
    needs="@",
)

# --- titles followed by a name: "Mr Smith", "Dr. Okafor", "Cllr Jane Doe" --------------------

_TITLES = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Professor", "Cllr", "Councillor",
           "Sir", "Dame", "Rev", "Revd")  # fmt: skip
_TITLE_WORDS = frozenset(t.casefold() for t in _TITLES)
_LETTER = r"[^\W\d_]"
_NAME_WORD = rf"{_LETTER}+(?:['’\-]{_LETTER}+)*"
_TITLE_RE = re.compile(
    r"(?<![\w.])(?:"
    + "|".join(sorted({*_TITLES, *(t.lower() for t in _TITLES)}, key=len, reverse=True))
    + rf")\.?[ \t\u00a0]+(?P<first>{_NAME_WORD})(?:[ \t\u00a0]+(?P<second>{_NAME_WORD}))?"
)


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


# "MS Teams", "Ms Word": software, not a person.
_NOT_AFTER_TITLE = frozenset({"teams", "word", "excel", "outlook", "office", "forms", "access"})


def _decide_title(match: re.Match[str]) -> Decision:
    first = match.group("first")
    folded = first.casefold()
    if not _is_capitalised(first) or folded in _TITLE_WORDS or folded in _NOT_AFTER_TITLE:
        return None
    second = match.group("second")
    if (
        second is not None
        and _is_capitalised(second)
        and len(second) > 1
        and second.casefold() not in _TITLE_WORDS
        and second.casefold() not in STOP_WORDS
    ):
        return "[name]"
    return (match.start(), match.end("first"), "[name]")


TITLE = Step(_TITLE_RE, _decide_title)

# --- UK telephone numbers ----------------------------------------------------------------------

_GAP = r"[ \t\u00a0\-]"
PHONE = Step(
    re.compile(
        rf"""
        (?<![\w+(])
        (?:
            (?:\+|00){_GAP}?44{_GAP}?(?:\(0\){_GAP}?)?\(?   # +44, 0044, +44 (0)
          | \(?0                                        # 0 or (0
        )
        [1-9]
        (?:[ \t\u00a0\-)]{{0,2}}\d){{8,9}}              # 9 or 10 digits after the 0
        (?!\d)
        """,
        re.VERBOSE,
    ),
    _always("[phone]"),
    needs="digit",
)

# --- reference numbers -------------------------------------------------------------------------

# National Insurance numbers: "QQ 12 34 56 C", "qq123456c".
NI_NUMBER = Step(
    re.compile(r"(?<!\w)(?:[A-Z]{2}[ ]?\d{2}[ ]?\d{2}[ ]?\d{2}[ ]?[A-D]|[a-z]{2}\d{6}[a-d])(?!\w)"),
    _always("[number]"),
    needs="digit",
)

# A number introduced by words that say it is a reference: "case ref 2023/0456", "staff no. 4521".
_REF_KEYWORD = re.compile(
    r"""
    (?<!\w)
    (?:
        (?:case|staff|employee|payroll|personnel|ticket|incident|complaint|claim|file
          |tribunal|badge|service|customer|account|ni|national\ insurance)
        \s+(?:ref(?:erence)?|no|num(?:ber)?|id|code)\b
      | ref(?:erence)?(?:\s+(?:no|num(?:ber)?)\b)?
      | ID(?:\s+(?:no|num(?:ber)?)\b)?
    )
    \.?\s*[:#]?\s*
    (?P<ref>[A-Za-z]{0,4}[\-/]?\d(?:[\d/\-]*\d)?[A-Za-z]?)
    (?![\w/])
    """,
    re.VERBOSE | re.IGNORECASE,
)
_YEAR = re.compile(r"(?:19|20)\d\d")


def _decide_keyword_ref(match: re.Match[str]) -> Decision:
    ref = match.group("ref")
    digits = sum(c.isdigit() for c in ref)
    if digits < 3 or _YEAR.fullmatch(ref):
        return None
    return (match.start("ref"), match.end("ref"), "[number]")


KEYWORD_REF = Step(_REF_KEYWORD, _decide_keyword_ref, needs="digit")

# Letters then four or more digits: "EMP12345", "CR-88213", "AB/123456".
_ALPHANUMERIC_ID = re.compile(
    r"(?<![\w\-/])[A-Za-z]{1,4}[\-/]?(?P<digits>\d{4,})[A-Za-z]?(?![\w\-/])"
)


def _decide_alphanumeric_id(match: re.Match[str]) -> Decision:
    if _YEAR.fullmatch(match.group("digits")):  # "FY2024", "Q2023"
        return None
    return "[number]"


ALPHANUMERIC_ID = Step(_ALPHANUMERIC_ID, _decide_alphanumeric_id, needs="digit")

# Year/sequence references: "2023/0456" (but not "2023/24", "2023/2024" or a date).
_SLASH_REF = re.compile(r"(?<![\w/])(?P<a>\d{4})/(?P<b>\d{3,})(?![\w/])")


def _decide_slash_ref(match: re.Match[str]) -> Decision:
    if _YEAR.fullmatch(match.group("a")) and _YEAR.fullmatch(match.group("b")):
        return None
    return "[number]"


SLASH_REF = Step(_SLASH_REF, _decide_slash_ref, needs="digit")

# NHS numbers and other 3-3-4 groups: "943 476 5919".
GROUPED_NUMBER = Step(
    re.compile(r"(?<![\w£$€])\d{3}[ \-]\d{3}[ \-]\d{4}(?![\w])"),
    _always("[number]"),
    needs="digit",
)

# Any run of five or more digits, except amounts of money and decimals.
DIGIT_RUN = Step(
    re.compile(r"(?<![\w£$€])(?<!\d[.,])\d{5,}[A-Za-z]?(?![.,]\d)(?!\w)"),
    _always("[number]"),
    needs="digit",
)

# --- UK postcodes -----------------------------------------------------------------------------

_FULL_POSTCODE = re.compile(
    r"(?<![\w\-/])(?P<out>[A-Za-z]{1,2}\d[A-Za-z\d]?)[ \t\u00a0]*"
    r"(?P<in>\d[ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2})(?![\w\-/])"
)
# Endings that make a lower-case match more likely ordinary text ("b1 2nd floor", "m4 2gb").
_NOT_INWARD = frozenset({"st", "nd", "rd", "th", "gb", "tb", "ft", "hr", "yr", "yd", "lb"})


def _decide_full_postcode(match: re.Match[str]) -> Decision:
    text = match.group(0)
    if not text.isupper() and match.group("in")[1:].lower() in _NOT_INWARD:
        return None
    return "[place]"


FULL_POSTCODE = Step(_FULL_POSTCODE, _decide_full_postcode, needs="digit")

# Outward codes on their own ("NR1", "SW1A") only in capitals and only for two-letter postcode
# areas: one-letter areas clash with roads and grades ("M1", "A1", "B2").
_AREAS = frozenset(
    """
    AB AL BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY EC
    EH EN EX FK FY GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY LA LD LE LL LN LS
    LU ME MK ML NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM SA SE SG SK SL SM SN SO SP SR
    SS ST SW SY TA TD TF TN TQ TR TS TW UB WA WC WD WF WN WR WS WV YO ZE
    """.split()  # noqa: SIM905
)
_NOT_OUTWARD = frozenset({"CO2", "SO2", "SO3", "PM10", "PM25"})
_OUTWARD = re.compile(r"(?<![\w\-/])(?P<area>[A-Z]{2})(?:\d{1,2}|\d[A-Z])(?![\w\-/])")


def _decide_outward(match: re.Match[str]) -> Decision:
    if match.group("area") not in _AREAS or match.group(0) in _NOT_OUTWARD:
        return None
    return "[place]"


OUTWARD_POSTCODE = Step(_OUTWARD, _decide_outward, needs="digit")

# --- configured names, places and teams --------------------------------------------------------

_APOSTROPHES = "'’‘`´"
_SEPARATORS = r"[\s\-‐‑–]+"
_APOSTROPHE = "[" + _APOSTROPHES + "]?"
_KEY_APOSTROPHES = re.compile("[" + _APOSTROPHES + "]")
_KEY_SEPARATORS = re.compile(_SEPARATORS)


def entry_key(text: str) -> str:
    """How configured entries and the text they match are compared."""
    text = _KEY_APOSTROPHES.sub("", text.lower())
    return _KEY_SEPARATORS.sub(" ", text).strip()


def _units(entry: str) -> list[str]:
    """The entry as a list of regular-expression pieces, one per character or separator."""
    units: list[str] = []
    for char in entry:
        if char.isspace() or char in "-‐‑–":
            if units and units[-1] != _SEPARATORS:
                units.append(_SEPARATORS)
        elif char in _APOSTROPHES:
            units.append(_APOSTROPHE)
        else:
            units.append(re.escape(char.lower()))
    while units and units[-1] in (_SEPARATORS, _APOSTROPHE):
        units.pop()
    return units


_Trie = dict[str, "_Trie"]
_END = ""


def _render(node: _Trie) -> str:
    branches = [unit + _render(child) for unit, child in sorted(node.items()) if unit != _END]
    if not branches:
        return ""
    body = "(?:" + "|".join(branches) + ")" if len(branches) > 1 or _END in node else branches[0]
    if _END in node:
        body += "?"  # greedy: the longer entry is tried first
    return body


def entries_pattern(entries: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern matching any entry, longest first, or None if there are no usable entries.

    The entries are merged into a trie, so a list of thousands of names costs one pass over
    the text. A marker alternative comes first so that markers are never matched inside.
    """
    trie: _Trie = {}
    for entry in entries:
        units = _units(entry.strip())
        if not any(u not in (_SEPARATORS, _APOSTROPHE) and re.match(r"\w", u) for u in units):
            continue
        node = trie
        for unit in units:
            node = node.setdefault(unit, {})
        node[_END] = {}
    if not trie:
        return None
    body = _render(trie)
    return re.compile(
        r"(?P<marker>" + MARKER_RE.pattern + r")|(?<!\w)(?P<entry>" + body + r")(?!\w)",
        re.IGNORECASE,
    )


def entries_step(entries: Sequence[tuple[str, str]]) -> Step | None:
    """A step replacing each configured entry with its marker; the first marker given wins."""
    markers: dict[str, str] = {}
    for entry, marker in entries:
        markers.setdefault(entry_key(entry), marker)
    pattern = entries_pattern(entry for entry, _ in entries)
    if pattern is None:
        return None

    def decide(match: re.Match[str]) -> Decision:
        if match.group("marker") is not None:
            return None
        return markers.get(entry_key(match.group("entry")), "[name]")

    return Step(pattern, decide)


# --- places and teams named before "office", "depot", "team" ---------------------------------

# "in the Grays office", "from the Phoenix team", "at our gorleston depot": up to three words
# between a preposition or determiner and a workplace noun. Whether they are replaced is decided
# word by word (``place_step``).
_RUN_WORD = rf"{_LETTER}+(?:['’]{_LETTER}+)*"
_BLANK = r"[ \t\u00a0]+"
_LEADS = (
    *("in", "at", "from", "to", "into", "near", "outside", "inside", "within", "for", "with"),
    *("of", "around", "round", "across", "by"),
    *("the", "our", "my", "their", "your", "his", "her", "this", "that"),
)
_DETERMINERS = frozenset({"the", "our", "my", "their", "your", "his", "her", "this", "that"})
_WORKPLACE_NOUNS = PLACE_NOUNS | TEAM_NOUNS
# In lower case only these nouns count: "the coronary unit" or "the binding site" in lower
# case are ordinary words more often than a place.
_LOWER_CASE_NOUNS = frozenset(
    {"office", "offices", "depot", "depots", "hub", "branch", "team", "teams", "locality", "patch"}
)
_PLACE_RE = re.compile(
    rf"(?<![\w'’\-])(?P<lead>(?i:{'|'.join(_LEADS)})){_BLANK}"
    rf"(?:(?P<det>(?i:{'|'.join(sorted(_DETERMINERS))})){_BLANK})?"
    rf"(?P<run>{_RUN_WORD}(?:[ \t\u00a0\-]+{_RUN_WORD}){{0,2}}?){_BLANK}"
    rf"(?P<noun>(?i:{'|'.join(sorted(_WORKPLACE_NOUNS, key=len, reverse=True))}))"
    r"(?![\w\-])"
)
_RUN_SPLIT = re.compile(_RUN_WORD)


def place_step(is_common: Callable[[str], bool]) -> Step:
    """A step replacing the name of a place or team before a workplace noun.

    The words between the preposition or determiner and the noun are read from the noun
    backwards. Capitalised words are taken while they are capitalised; the run is replaced
    when one of them is not a common word (``is_common``, given the case-folded word without a
    possessive), is a given name that is also a word ("the Grace team"), and is not an acronym
    of up to four capitals ("the HR team"). Lower-case words are taken only after a determiner,
    before "office", "depot", "hub", "branch", "team" or "locality", while none of them is a
    common word. The run becomes ``[place]`` before an office-like noun and ``[team]`` before a
    team-like one; the noun stays: "in the [place] office".
    """

    def uncommon(word: str) -> bool:
        folded = word.casefold().replace("’", "'")
        if folded.endswith("'s"):
            folded = folded[:-2]
        return folded in NAME_WORDS or not is_common(folded)

    def decide(match: re.Match[str]) -> Decision:
        words = list(_RUN_SPLIT.finditer(match.group("run")))
        offset = match.start("run")
        noun = match.group("noun").casefold()
        taken: list[re.Match[str]] = []
        if words[-1].group()[:1].isupper():
            for word in reversed(words):
                if not word.group()[:1].isupper():
                    break
                taken.insert(0, word)
            acronym = [w.group().isupper() and len(w.group()) <= 4 for w in taken]
            if not any(
                uncommon(w.group()) and not is_acronym
                for w, is_acronym in zip(taken, acronym, strict=True)
            ):
                return None
        else:
            det = match.group("det") or match.group("lead")
            if det.casefold() not in _DETERMINERS or noun not in _LOWER_CASE_NOUNS:
                return None
            for word in reversed(words):
                if not word.group().islower() or not uncommon(word.group()):
                    break
                taken.insert(0, word)
            if not taken:
                return None
        marker = "[team]" if noun in TEAM_NOUNS else "[place]"
        return (offset + taken[0].start(), offset + taken[-1].end(), marker)

    return Step(_PLACE_RE, decide)
