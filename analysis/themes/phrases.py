"""Key phrases: the short phrases, as people wrote them, that set one theme apart from the rest.

A key phrase is two to four words that appear one after the other inside one clause of a
comment: comments are cut at punctuation (full stops, commas, colons, brackets, dashes, quote
marks) before the words are read, so "Honestly, extra checks. Thank you" gives "extra checks"
and never "honestly extra checks thank". Candidates are the contiguous word n-grams of each
clause (:func:`nltk.util.ngrams`, no downloaded NLTK data) that a reader can take in:

* no **filler** (:data:`FILLERS`: discourse and politeness words such as "honestly",
  "simply", "really", "just", "thank", "please", "like") anywhere in the phrase;
* no word twice, compared by stem ("check" and "checks" are one word);
* neither the first nor the last word a **function word** (:func:`function_word`: the stop
  words of :mod:`analysis.themes.text` — articles, pronouns, prepositions, conjunctions,
  auxiliaries — with contractions such as "it's" or "I've"), though one may stand inside
  ("fair allocation of cases"). A phrase may *start* with a negation ("not ready",
  "no support", "never promoted", "didn't listen"), which turns its meaning around; it may
  not end with one;
* phrases of three or four words have at least two content words;
* no phrase cuts a hyphenated word ("proper follow" of "proper follow-up").

Only phrases that **several comments share** qualify: at least two of the theme's comments
and at least ``max(2, min_texts)`` comments of the whole corpus (``k_text`` respondents in a
release). Each is scored by how much more common it is in the theme than in all comments,
``p · log(p / q)`` (``p`` and ``q`` the shares of the theme's and of all comments containing
it, a term of the Kullback–Leibler divergence), times two weights for reading well:

* clean edges, ``0.5 + 0.5 ×`` the share of its uses where the word just before it and the
  word just after it are a clause boundary, a function word or a filler (but not an object
  pronoun after it: "staff network gives" me support). So "constant extra checks" outranks
  its fragments "extra checks" and "job without constant extra", which cut a phrase in two
  wherever they are written;
* ``(1 - CLAUSE_PENALTY)`` for each function word other than the links of a noun phrase
  (:data:`LINKS`: "of", "the", "my", "and", …) inside it or a negation leading it: "work is
  checked" or "cannot find" are pieces of a clause, "fair allocation of cases" names a thing.

The best candidates are taken in order. One inside a phrase already kept, with only words of
a kept phrase, or overlapping a kept phrase's edge (its last words are the other's first:
two pieces of one run of words) is skipped; one that contains a kept phrase replaces it when
it scores at least :data:`REPLACE_SHARE` of it, and is skipped otherwise. A phrase no more
common in the theme than anywhere (score 0: the theme is every comment) is taken only when
nothing scores more. **Single words** are offered only when no phrase of two or more words
qualifies (a theme of short or varied comments), under the same sharing rules.

Phrases are compared through stems and shown in the form most often written, in lower case
but for words that writers capitalise mid-sentence (acronyms, proper nouns, "I").

Two filters keep key phrases from pointing at anyone (issue 9): a candidate is dropped when
any of its words is in ``exclude`` (compared by stem: words that redaction replaced or flagged
as a name, place or team), and the ``min_texts`` rule above means no phrase rests on fewer
than ``k_text`` people's words. The filters run before the best candidates are chosen, so a
theme keeps as many phrases as it can.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from nltk.util import ngrams

from analysis.themes.text import NEGATIONS, STOP_WORDS, is_stop, most_frequent, stem, tokens

Gram = tuple[str, ...]  # a sequence of stems

MIN_WORDS = 2
MAX_WORDS = 4
#: A phrase containing a kept phrase replaces it when it scores at least this share of it.
REPLACE_SHARE = 0.75
#: The fewest comments, of the theme and of the corpus, that must share a key phrase.
MIN_SHARED = 2

#: Discourse fillers and politeness words: they pad a comment but never say what it is about
#: (the demo's comments open with "Honestly," or "Simply:" and close with "Thank you.").
FILLERS: frozenset[str] = frozenset(
    {
        "absolutely",
        "actually",
        "anyway",
        "anyways",
        "basically",
        "certainly",
        "definitely",
        "erm",
        "frankly",
        "genuinely",
        "hello",
        "hi",
        "honestly",
        "just",
        "like",
        "literally",
        "maybe",
        "obviously",
        "ok",
        "okay",
        "personally",
        "please",
        "probably",
        "really",
        "simply",
        "thank",
        "thanks",
        "thankyou",
        "totally",
        "truly",
        "um",
        "yeah",
        "yes",
    }
)
#: Words of scikit-learn's stop list that name things and may end a phrase ("health system",
#: "fire safety", "racist name").
CONTENT_STOP_WORDS: frozenset[str] = frozenset(
    {
        "amount",
        "bill",
        "bottom",
        "call",
        "describe",
        "detail",
        "empty",
        "find",
        "fire",
        "found",
        "front",
        "full",
        "interest",
        "move",
        "name",
        "part",
        "serious",
        "show",
        "side",
        "sincere",
        "system",
        "top",
    }
)
#: Negations a phrase may start with; "without", "against", "nor" and "none" may not.
LEADING_NEGATIONS: frozenset[str] = frozenset({"not", "no", "never", "nobody", "nothing", "cannot"})
#: Function words that scikit-learn's list lacks: prepositions, auxiliaries and the like.
EXTRA_FUNCTION_WORDS: frozenset[str] = frozenset(
    {
        "despite",
        "did",
        "does",
        "doing",
        "got",
        "gets",
        "getting",
        "having",
        "including",
        "instead",
        "let",
        "lot",
        "lots",
        "ones",
        "regarding",
        "shall",
        "till",
        "unless",
        "whilst",
    }
)
#: Function words that join the words of a noun phrase ("fair allocation of cases", "scrutiny
#: of my work"). Any other function word inside a phrase (a pronoun, an auxiliary: "work is
#: checked", "families should be recorded") or a negation leading it ("cannot find") makes it
#: a piece of a clause rather than a name for something, and costs it
#: :data:`CLAUSE_PENALTY` of its score.
LINKS: frozenset[str] = frozenset(
    {
        "a",
        "about",
        "against",
        "an",
        "and",
        "at",
        "between",
        "by",
        "for",
        "from",
        "her",
        "his",
        "in",
        "into",
        "my",
        "of",
        "on",
        "or",
        "our",
        "the",
        "their",
        "to",
        "with",
        "without",
        "your",
    }
)
CLAUSE_PENALTY = 0.2
OBJECT_PRONOUNS: frozenset[str] = frozenset(
    {"her", "him", "it", "me", "them", "us", "you", "myself", "ourselves", "themselves"}
)
# Pronouns and the like before "'s": "it's", "that's" are function words, "manager's" is not.
_CLITIC_HOSTS = frozenset({"he", "she", "it", "that", "there", "here", "what", "who", "let"})

# Where a clause ends: a phrase never runs across these. An apostrophe between letters is
# part of a word ("don't", "manager's") and so is a hyphen between letters; one at a word's
# edge is a quote mark or a dash.
_BREAK = re.compile(
    r"[.!?;:,()\[\]{}<>\"“”«»…/\\|•·–—\n\r\t]+|(?<![^\W_])['‘’]|['‘’](?![^\W_])|\s-+|-+\s"
)
_CASED_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


@functools.lru_cache(maxsize=1 << 16)  # a pure test of one word, asked ~100 times per comment
def function_word(word: str) -> bool:
    """Whether a lower-case token is a function word no key phrase may start or end with.

    Stop words (:mod:`analysis.themes.text`, less :data:`CONTENT_STOP_WORDS`), negations,
    numbers, one-letter tokens and contractions built on them ("it's", "I've", "don't")."""
    if word in CONTENT_STOP_WORDS:
        return False
    if is_stop(word) or word in NEGATIONS or word in EXTRA_FUNCTION_WORDS:
        return True
    if "'" in word:
        host, _, clitic = word.partition("'")
        if clitic == "t" or clitic in ("m", "re", "ve", "d", "ll"):
            return True
        if clitic == "s":
            return host in STOP_WORDS or host in _CLITIC_HOSTS
    return False


def _negation(word: str) -> bool:
    return word in LEADING_NEGATIONS or word.endswith("n't")


def _edge_ok(first: str, last: str, single: bool) -> bool:
    if function_word(last):
        return False
    return not function_word(first) or (not single and _negation(first))


def problems(phrase: str) -> list[str]:
    """What keeps ``phrase`` from reading as a key phrase (an empty list when nothing does).

    The rules of the module's notes that a phrase can be checked against on its own: at most
    four words, no word twice (by stem), no filler, no function word first or last (a
    negation may come first in a phrase of two or more words). Used by the tests on every
    theme the demo and the fixtures produce."""
    words = tokens(phrase)
    if not words:
        return ["has no words"]
    found: list[str] = []
    if len(words) > MAX_WORDS:
        found.append(f"has more than {MAX_WORDS} words")
    stems = [stem(word) for word in words]
    if len(set(stems)) < len(stems):
        found.append("repeats a word")
    fillers = [word for word in words if word in FILLERS]
    if fillers:
        found.append(f"contains the filler ‘{fillers[0]}’")
    if function_word(words[0]) and (len(words) == 1 or not _negation(words[0])):
        found.append(f"starts with the function word ‘{words[0]}’")
    if function_word(words[-1]):
        found.append(f"ends with the function word ‘{words[-1]}’")
    return found


def readable(phrase: str) -> bool:
    """Whether ``phrase`` breaks none of the rules :func:`problems` checks."""
    return not problems(phrase)


def sentence_case(phrase: str) -> str:
    """``phrase`` with a capital first letter and the rest as written: "Extra scrutiny of
    work", "Support from HR"."""
    return phrase[:1].upper() + phrase[1:]


def clauses(text: str) -> list[list[str]]:
    """The word tokens (as :func:`~analysis.themes.text.tokens`) of each clause of ``text``."""
    if not isinstance(text, str):
        return []
    parts = (tokens(part) for part in _BREAK.split(text.replace("’", "'")))
    return [words for words in parts if words]


def _cased_clauses(text: str) -> list[tuple[list[str], frozenset[int]]]:
    """The clauses of ``text`` with their words as written (capitals kept), aligned with
    :func:`clauses` (a clause whose words do not line up is given in lower case), and the
    positions ``i`` where words ``i`` and ``i + 1`` are one hyphenated word ("follow-up")."""
    found: list[tuple[list[str], frozenset[int]]] = []
    for part in _BREAK.split(text.replace("’", "'")):
        words = tokens(part)
        if not words:
            continue
        matches = list(_CASED_TOKEN.finditer(part))
        cased = [match.group() for match in matches]
        if [word.lower() for word in cased] != words:
            found.append((words, frozenset()))
            continue
        joined = frozenset(
            i
            for i, (left, right) in enumerate(itertools.pairwise(matches))
            if part[left.end() : right.start()] == "-"
        )
        found.append((cased, joined))
    return found


@dataclass(frozen=True)
class Candidate:
    """One key phrase candidate of a theme: its stems, its written form and its score."""

    gram: Gram
    text: str
    score: float
    share: float = 0.0  # of the theme's comments that hold it, weighted as the score is


@dataclass
class _Tally:
    """What a theme's comments say about one candidate."""

    comments: int = 0
    uses: int = 0
    clean: int = 0  # uses with a clause boundary, function word or filler on both sides
    forms: Counter[str] = field(default_factory=Counter)


class Corpus:
    """Every usable comment as tokens and stems, with document frequencies of stem sequences.

    Frequencies are counted on demand (through the comments that hold the rarest stem of a
    sequence) and cached, so a large corpus costs one pass to index and no table of every
    n-gram it holds."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.documents = [list(words) for words in documents]
        self.stems = [[stem(word) for word in words] for words in self.documents]
        self.size = max(1, len(self.documents))
        self._rows: dict[str, list[int]] = {}
        for row, stems in enumerate(self.stems):
            for key in dict.fromkeys(stems):
                self._rows.setdefault(key, []).append(row)
        self._counts: dict[Gram, int] = {}

    def count(self, gram: Gram) -> int:
        """How many comments contain the stems ``gram`` one after the other."""
        cached = self._counts.get(gram)
        if cached is not None:
            return cached
        lists = [self._rows.get(key, []) for key in gram]
        rows = min(lists, key=len)
        if len(gram) == 1:
            found = len(rows)
        else:
            size = len(gram)
            found = 0
            for row in rows:
                stems = self.stems[row]
                if any(tuple(stems[i : i + size]) == gram for i in range(len(stems) - size + 1)):
                    found += 1
        self._counts[gram] = found
        return found

    def share(self, gram: Gram) -> float:
        return self.count(gram) / self.size


def excluded_stems(words: Collection[str]) -> frozenset[str]:
    """Stems of ``words`` (any case, each perhaps several tokens) for ``candidates``' exclude."""
    return frozenset(stem(token) for word in words for token in tokens(word))


def _shape_ok(words: Sequence[str], stems: Sequence[str]) -> bool:
    """The rules a contiguous run of words must meet to be a candidate (module notes)."""
    if not _edge_ok(words[0], words[-1], len(words) == 1):
        return False
    if any(word in FILLERS for word in words) or len(set(stems)) < len(stems):
        return False
    if len(words) >= 3:
        content = sum(1 for word in words if not function_word(word))
        if content < 2:
            return False
    return True


def _soft_edge(word: str) -> bool:
    return function_word(word) or word in FILLERS


def _soft_end(word: str) -> bool:
    """Whether a phrase may end before ``word``: not before an object pronoun, which shows
    it cut a verb from its object ("staff network gives" me support)."""
    return _soft_edge(word) and word not in OBJECT_PRONOUNS


@dataclass(frozen=True)
class _Clause:
    words: list[str]
    stems: list[str]
    written: list[str]
    joined: frozenset[int] = frozenset()  # word i and i + 1 are one hyphenated word


def _member_clauses(row: int, corpus: Corpus, text: str | None) -> list[_Clause]:
    """The clauses of comment ``row``: from its text when given and when its words are the
    corpus's, else the whole comment as one clause."""
    words = corpus.documents[row]
    stems = corpus.stems[row]
    if text:
        parts = _cased_clauses(text)
        if [w.lower() for part, _joined in parts for w in part] == words:
            found = []
            start = 0
            for part, joined in parts:
                end = start + len(part)
                found.append(_Clause(words[start:end], stems[start:end], part, joined))
                start = end
            return found
    return [_Clause(words, stems, words)]


def _tally(
    members: Sequence[int],
    corpus: Corpus,
    texts: Sequence[str] | None,
    sizes: Iterable[int],
) -> tuple[dict[Gram, _Tally], Counter[str], Counter[str]]:
    """Every candidate of the given sizes in the theme's comments, with how each word is
    capitalised where it does not open a clause (``cased``) and how often it is seen there
    at all (``seen``)."""
    tallies: dict[Gram, _Tally] = {}
    cased: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    sizes = tuple(sizes)
    for position, row in enumerate(members):
        text = texts[position] if texts is not None else None
        in_comment: set[Gram] = set()
        for clause in _member_clauses(row, corpus, text):
            words, joined = clause.words, clause.joined
            for index, word in enumerate(clause.written):
                if index == 0 and not (len(word) > 1 and word.isupper()):
                    continue  # a clause's first word is capitalised whatever it is
                if word != word.lower():
                    cased[word] += 1
                seen[word.lower()] += 1
            last = len(words)
            for size in sizes:
                for start, gram in enumerate(ngrams(clause.stems, size)):
                    span = words[start : start + size]
                    if start - 1 in joined or start + size - 1 in joined:
                        continue  # it would cut a hyphenated word ("proper follow")
                    if not _shape_ok(span, gram):
                        continue
                    tally = tallies.setdefault(gram, _Tally())
                    tally.uses += 1
                    before = start == 0 or _soft_edge(words[start - 1])
                    after = start + size == last or _soft_end(words[start + size])
                    tally.clean += before and after
                    tally.forms[" ".join(span)] += 1
                    if gram not in in_comment:
                        in_comment.add(gram)
                        tally.comments += 1
    return tallies, cased, seen


def _written(phrase: str, cased: Counter[str], seen: Counter[str]) -> str:
    """``phrase`` (lower case) with each word capitalised as its writers mostly do mid-clause
    ("HR", "Black", "I"); words seen only at the start of a clause stay in lower case."""
    words = []
    for word in phrase.split():
        if word == "i" or word.startswith("i'"):
            words.append("I" + word[1:])
            continue
        forms = {form: count for form, count in cased.items() if form.lower() == word}
        best = most_frequent(forms) if forms else word
        words.append(best if forms and 2 * forms[best] > seen.get(word, 0) else word)
    return " ".join(words)


def candidates(
    members: Sequence[int],
    corpus: Corpus,
    *,
    exclude: frozenset[str] = frozenset(),
    min_texts: int = 1,
    texts: Sequence[str] | None = None,
    sizes: Iterable[int] = range(MIN_WORDS, MAX_WORDS + 1),
) -> list[Candidate]:
    """Scored candidates of ``sizes`` words for the theme of comments ``members`` (rows of
    ``corpus``), best first.

    ``exclude``: stems no candidate may contain. ``min_texts``: the fewest comments of the
    corpus that must contain a candidate (at least :data:`MIN_SHARED`). ``texts``: the
    members' comments as written, in the order of ``members``, so that phrases stop at
    punctuation and keep their capitals (without them each comment is one clause)."""
    size = len(members)
    if size == 0:
        return []
    shared = max(MIN_SHARED, min_texts)
    tallies, cased, seen = _tally(members, corpus, texts, sizes)
    found: list[Candidate] = []
    for gram, tally in tallies.items():
        if tally.comments < MIN_SHARED or any(key in exclude for key in gram):
            continue
        overall = corpus.count(gram)
        if overall < shared:
            continue
        inside = tally.comments / size
        outside = max(overall, tally.comments) / corpus.size
        if inside < outside:
            continue
        written = tally.forms.most_common(1)[0][0].split()
        clausal = sum(1 for word in written[:-1] if function_word(word) and word not in LINKS)
        weight = (0.5 + 0.5 * tally.clean / tally.uses) * (1 - CLAUSE_PENALTY) ** clausal
        # No more common in the theme than anywhere (the theme is every comment): score 0,
        # ranked by how common it is; :func:`choose` takes one only when nothing scores more.
        score = inside * math.log(inside / outside) * weight if inside > outside else 0.0
        text = _written(most_frequent(dict(tally.forms)), cased, seen)
        found.append(Candidate(gram, text, score, inside * weight))
    found.sort(key=lambda c: (-c.score, -c.share, -len(c.gram), c.text))
    return found


def _inside(short: Gram, long: Gram) -> bool:
    """Whether ``short`` is a contiguous run of ``long``."""
    size = len(short)
    return size <= len(long) and any(
        long[i : i + size] == short for i in range(len(long) - size + 1)
    )


def _overlap(first: Gram, second: Gram) -> bool:
    """Whether one ends with the words the other starts with ("white colleagues" and
    "closely than my white"): two pieces of one longer run of words."""
    for a, b in ((first, second), (second, first)):
        if any(a[-size:] == b[:size] for size in range(1, min(len(a), len(b)) + 1)):
            return True
    return False


def choose(found: Sequence[Candidate], limit: int) -> list[Candidate]:
    """Up to ``limit`` candidates, best first, none inside another or overlapping another's
    edge (module notes)."""
    chosen: list[Candidate] = []
    for candidate in found:
        if len(chosen) >= limit or (candidate.score <= 0 and chosen):
            break
        if any(_inside(candidate.gram, kept.gram) for kept in chosen):
            continue
        words = set(candidate.gram)
        if any(words < set(kept.gram) for kept in chosen):
            continue  # "anti racist training" beside "anti racist practice training"
        if any(
            _overlap(candidate.gram, kept.gram) and not _inside(kept.gram, candidate.gram)
            for kept in chosen
        ):
            continue
        within = [i for i, kept in enumerate(chosen) if _inside(kept.gram, candidate.gram)]
        if within:
            if all(candidate.score >= REPLACE_SHARE * chosen[i].score for i in within):
                chosen[within[0]] = candidate
                for i in reversed(within[1:]):
                    del chosen[i]
            continue
        if not any(words > set(kept.gram) for kept in chosen):
            chosen.append(candidate)
    return chosen


def key_phrases(
    members: Sequence[int],
    corpus: Corpus,
    limit: int,
    *,
    exclude: frozenset[str] = frozenset(),
    min_texts: int = 1,
    texts: Sequence[str] | None = None,
) -> tuple[str, ...]:
    """The key phrases of the theme of comments ``members``, best first (maybe none).

    Phrases of two to four words; single words only when no such phrase qualifies.
    ``exclude``, ``min_texts`` and ``texts`` as for :func:`candidates`."""
    if limit <= 0:
        return ()
    for sizes in (range(MIN_WORDS, MAX_WORDS + 1), (1,)):
        found = candidates(
            members, corpus, exclude=exclude, min_texts=min_texts, texts=texts, sizes=sizes
        )
        if found:
            return tuple(c.text for c in choose(found, limit))
    return ()
