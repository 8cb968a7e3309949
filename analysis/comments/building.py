"""Make the review state of a free-text question from its comments.

One pass per question during an analysis run: themes (``analysis.themes.ThemeModel``),
codes from the questionnaire's codebook, a tone per comment, a redacted copy of every comment
and candidate quotes (the most typical comments of each theme, redacted).

Key phrases and theme names never point at anyone. A key phrase is dropped when it contains a
word that redaction replaced or flagged as a name, place or team anywhere in the question's
comments (``Redactor.identifying_words_``, and every word of a configured name), a word other
than a stop word that fewer than ``k_text`` comments use, or when fewer than ``k_cell``
comments contain it. The theme model applies the first two while it chooses phrases, so a
theme keeps as many as it can; the name is made from what is left, and is a neutral "Theme N"
when nothing is. :func:`publication_check` checks again, with the release's ``k_text``, when
a report is made.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from analysis.comments.model import (
    NO_THEME,
    CodeInfo,
    Comment,
    Flag,
    QuestionReview,
    Quote,
    ThemeState,
)
from analysis.redaction import POINTING_KINDS, Redactor, is_common_word

#: Candidate quotes offered per theme for moderation.
CANDIDATES_PER_THEME = 5
#: The fewest comments that can form themes (below this: "too few comments").
MIN_COMMENTS = 10
#: The fewest respondents behind any word of a published key phrase or theme name, unless the
#: caller passes the release's own ``k_text = max(10, k)`` (DESIGN.md §6).
K_TEXT = 10

_SPACE = re.compile(r"\s+")

# Words a key phrase should neither start nor end with ("fair allocation of" → "fair
# allocation"), except the particle after a negation ("not listened to" stays whole).
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "he",
        "her",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "of",
        "on",
        "once",
        "only",
        "or",
        "our",
        "out",
        "own",
        "same",
        "she",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    ]
)
_NEGATIONS = frozenset({"not", "never", "no", "nobody", "nothing"})
_PARTICLES = frozenset({"to", "with", "about", "for", "up", "on", "in"})


def fallback_label(theme_id: int) -> str:
    return f"Theme {theme_id + 1}"


def label_from(phrases: Sequence[str], theme_id: int) -> str:
    """A theme's first name: the best phrase of two or more words among its top three key
    phrases (they say more than one word), else its best phrase. Analysts rename it anyway."""
    if not phrases:
        return fallback_label(theme_id)
    best = next((p for p in phrases[:3] if " " in p), phrases[0])
    return best[:1].upper() + best[1:]


def _embeddings(texts: Sequence[str], engine: str) -> Any:
    """Sentence embeddings of ``texts`` when the engine may use them and they are installed;
    ``None`` otherwise (the lexical engine, or no semantic extra)."""
    from analysis.themes import semantic

    if engine == "lexical" or not semantic.available():
        return None
    return semantic.embed(texts)


def build_review(
    question_id: str,
    comments: Sequence[tuple[int, str]],
    *,
    codes: Sequence[CodeInfo] = (),
    names: Sequence[str] = (),
    places: Iterable[str] = (),
    teams: Iterable[str] = (),
    engine: str = "auto",
    random_state: int = 0,
    k_cell: int = 3,
    k_text: int = K_TEXT,
    min_comments: int = MIN_COMMENTS,
) -> QuestionReview:
    """``comments`` are ``(row, text)`` pairs: the respondent's row and what they wrote
    (blank answers are not comments and should be left out). Each respondent gives one
    comment to a question, so "used in ``k_text`` comments" means ``k_text`` respondents."""
    # Imported here: scikit-learn and NLTK load only when an analysis runs, not with the app.
    from analysis.themes import ThemeModel
    from analysis.themes.coding import Code, assign_codes
    from analysis.themes.sentiment import tones

    rows = [row for row, _text in comments]
    texts = [text for _row, text in comments]
    if not texts:
        return QuestionReview(question_id, "empty", engine="none", codes=tuple(codes))
    redactor = Redactor(names=names, places=places, teams=teams, corpus=texts)
    redacted = [redactor.redact(text) for text in texts]
    blocked = redactor.identifying_words_ | name_words(names)
    moods = tones(texts)
    # One embedding of the comments serves both the codes and the themes (nothing is kept).
    embedded = _embeddings(texts, engine)
    book = [Code(c.id, c.label, c.description, c.seeds, c.examples) for c in codes]
    coded = assign_codes(texts, book, embeddings=embedded if book else None)
    model = ThemeModel(
        n_themes=None,
        engine=engine,
        random_state=random_state,
        min_texts=min_comments,
        exclude_words=blocked,
        min_word_texts=k_text,
    ).fit(texts, embeddings=embedded)
    labels = [int(label) for label in model.labels_]
    made = tuple(
        Comment(
            row=row,
            text=text,
            redacted=red.text,
            flags=tuple(Flag(f.kind, f.token, f.start, f.end, f.reason) for f in red.flags),
            tone=mood,
            codes=tuple(codes_of),
            theme=label,
        )
        for row, text, red, mood, codes_of, label in zip(
            rows, texts, redacted, moods, coded, labels, strict=True
        )
    )
    if model.too_few_:
        return QuestionReview(
            question_id,
            "too_few",
            engine=model.engine_,
            comments=tuple(_unthemed(c) for c in made),
            codes=tuple(codes),
            random_state=random_state,
        )
    check = PhraseCheck(texts, blocked, k_cell=k_cell, k_text=k_text, redactor=redactor)
    themes = []
    quotes: list[Quote] = []
    for theme in model.themes_:
        phrases = check.keep(theme.key_phrases)
        label = label_from(phrases, theme.id)
        members = [i for i in theme.representatives if labels[i] == theme.id]
        themes.append(ThemeState(theme.id, label, phrases, True, tuple(members)))
        for index in distinct_candidates(members, texts)[:CANDIDATES_PER_THEME]:
            quotes.append(Quote(f"q{len(quotes) + 1}", index, made[index].redacted))
    return QuestionReview(
        question_id,
        "ready",
        engine=model.engine_,
        comments=made,
        themes=tuple(themes),
        codes=tuple(codes),
        quotes=tuple(quotes),
        random_state=random_state,
    )


#: Two candidate quotes sharing more than this share of their words say the same thing.
NEAR_DUPLICATE = 0.5


def distinct_candidates(indices: Sequence[int], texts: Sequence[str]) -> list[int]:
    """``indices`` without near-duplicates (by the words they share), in order: a theme's
    candidate quotes should show different ways it was put, not one comment five times."""
    kept: list[int] = []
    seen: list[set[str]] = []
    for index in indices:
        words = set(fold_text(texts[index]).split())
        if not words:
            continue
        if any(len(words & other) / len(words | other) > NEAR_DUPLICATE for other in seen):
            continue
        kept.append(index)
        seen.append(words)
    return kept


def _unthemed(comment: Comment) -> Comment:
    if comment.theme == NO_THEME:
        return comment
    return Comment(
        comment.row,
        comment.text,
        comment.redacted,
        comment.flags,
        comment.tone,
        comment.codes,
        NO_THEME,
    )


def fold_text(text: str) -> str:
    return " " + _SPACE.sub(" ", re.sub(r"[^\w']+", " ", text.casefold())).strip() + " "


def name_words(names: Iterable[str]) -> frozenset[str]:
    """Every word of every configured name: "Priya" alone must not become a key phrase."""
    return frozenset(w for name in names for w in fold_text(name).split() if len(w) > 1)


def tidy_phrase(phrase: str) -> str:
    """A key phrase without dangling function words, with "I" as a capital; "" if nothing
    meaningful is left."""
    words = phrase.split()
    negated = bool(words) and words[0].casefold() in _NEGATIONS
    while len(words) > 1 and words[-1].casefold() in _FUNCTION_WORDS:
        if negated and len(words) > 2 and words[-1].casefold() in _PARTICLES:
            break
        words.pop()
    while len(words) > 1 and words[0].casefold() in _FUNCTION_WORDS - _NEGATIONS:
        if words[1].casefold() in _NEGATIONS:  # "did not listen" stays whole
            break
        words.pop(0)
    if not words or all(w.casefold() in _FUNCTION_WORDS for w in words):
        return ""
    return " ".join("I" if w == "i" else w for w in words)


class PhraseCheck:
    """Decides which key phrases of a question may be shown (see the module's notes).

    ``texts`` are all the question's comments (one per respondent), ``blocked`` the words no
    phrase may contain (any case; compared by stem as well). With a ``redactor``, a phrase is
    also redacted on its own and dropped if anything in it is replaced or flagged as a name,
    place or initials.
    """

    def __init__(
        self,
        texts: Sequence[str],
        blocked: Collection[str] = frozenset(),
        *,
        k_cell: int = 3,
        k_text: int = K_TEXT,
        redactor: Redactor | None = None,
    ) -> None:
        from analysis.themes.phrases import excluded_stems
        from analysis.themes.text import stem, tokens

        self._stem = stem
        self._tokens = tokens
        self.folded = [fold_text(text) for text in texts]
        self.blocked = frozenset(word.casefold() for word in blocked)
        self.blocked_stems = excluded_stems(self.blocked)
        self.k_cell = k_cell
        self.k_text = k_text
        self.redactor = redactor
        self.uses: Counter[str] = Counter()
        for text in texts:
            self.uses.update({stem(word) for word in tokens(text)})

    def reason(self, phrase: str) -> str | None:
        """Why ``phrase`` (already tidied) may not be shown, or None if it may."""
        from analysis.themes.text import is_stop

        words = self._tokens(phrase)
        if not words:
            return "empty"
        for word in words:
            key = self._stem(word)
            if word in self.blocked or key in self.blocked_stems:
                return "names a person, place or team"
            if not is_stop(word) and self.uses[key] < self.k_text:
                return f"a word used in fewer than {self.k_text} comments"
        needle = fold_text(phrase)
        if sum(1 for text in self.folded if needle in text) < self.k_cell:
            return f"used in fewer than {self.k_cell} comments"
        if self.redactor is not None:
            check = self.redactor.redact(phrase)
            if check.replacements or any(f.kind in POINTING_KINDS for f in check.flags):
                return "redaction changes or flags it"
        return None

    def label_is_safe(self, label: str) -> bool:
        """Whether a theme name uses no blocked word (an analyst's own words need not be used
        by ``k_text`` people, so only that is checked)."""
        return not any(
            word in self.blocked or self._stem(word) in self.blocked_stems
            for word in self._tokens(label)
        )

    def keep(self, phrases: Iterable[str]) -> tuple[str, ...]:
        """The phrases that may be shown, tidied, in order, without repeats."""
        kept: list[str] = []
        for phrase in (tidy_phrase(p) for p in phrases):
            if phrase and phrase not in kept and self.reason(phrase) is None:
                kept.append(phrase)
        return tuple(kept)


def safe_phrases(
    phrases: Iterable[str],
    folded_texts: Sequence[str],
    redactor: Redactor,
    k_cell: int,
    blocked: frozenset[str] = frozenset(),
    *,
    k_text: int = K_TEXT,
) -> tuple[str, ...]:
    """The phrases that no one could be singled out by (:class:`PhraseCheck`), for comments
    already folded with :func:`fold_text`; the redactor's ``identifying_words_`` are blocked
    as well as ``blocked``."""
    check = PhraseCheck(
        folded_texts,
        blocked | redactor.identifying_words_,
        k_cell=k_cell,
        k_text=k_text,
        redactor=redactor,
    )
    return check.keep(phrases)


def identifying_words(review: QuestionReview) -> frozenset[str]:
    """Words of a reviewed question that may point at someone, read back from its comments:
    the words of every name, place or initials flag, and the words that are not common words
    and that redaction took out of a comment (a configured name, place or team, an e-mail)."""
    from analysis.themes.text import tokens

    found: set[str] = set()
    for comment in review.comments:
        for flag in comment.flags:
            if flag.kind in POINTING_KINDS:
                found.update(w for w in tokens(flag.token) if len(w) > 1)
        removed = Counter(tokens(comment.text)) - Counter(tokens(comment.redacted))
        found.update(w for w in removed if len(w) > 1 and not is_common_word(w))
    return frozenset(found)


def publication_check(review: QuestionReview, *, k_text: int, k_cell: int = 3) -> PhraseCheck:
    """The check a report makes of ``review``'s key phrases and theme names, with the
    release's ``k_text`` (which may be larger than at analysis) and the words its comments
    show to point at someone (:func:`identifying_words`)."""
    return PhraseCheck(
        [c.text for c in review.comments],
        identifying_words(review),
        k_cell=k_cell,
        k_text=k_text,
    )
