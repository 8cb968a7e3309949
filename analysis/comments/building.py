"""Make the review state of a free-text question from its comments.

One pass per question during an analysis run: themes (``analysis.themes.ThemeModel``),
codes from the questionnaire's codebook, a tone per comment, a redacted copy of every comment
and candidate quotes (the most typical comments of each theme, redacted). Key phrases and
labels that could point at someone — a configured name, place or team, or a phrase used in
fewer than ``k_cell`` comments — are dropped before anyone sees them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from analysis.comments.model import (
    NO_THEME,
    CodeInfo,
    Comment,
    Flag,
    QuestionReview,
    Quote,
    ThemeState,
)
from analysis.redaction import Redactor

#: Candidate quotes offered per theme for moderation.
CANDIDATES_PER_THEME = 5
#: The fewest comments that can form themes (below this: "too few comments").
MIN_COMMENTS = 10

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
    min_comments: int = MIN_COMMENTS,
) -> QuestionReview:
    """``comments`` are ``(row, text)`` pairs: the respondent's row and what they wrote
    (blank answers are not comments and should be left out)."""
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
    moods = tones(texts)
    coded = assign_codes(texts, [Code(c.id, c.label, c.description, c.seeds) for c in codes])
    model = ThemeModel(
        n_themes=None, engine=engine, random_state=random_state, min_texts=min_comments
    ).fit(texts)
    labels = [int(label) for label in model.labels_]
    made = tuple(
        Comment(
            row=row,
            text=text,
            redacted=red.text,
            flags=tuple(Flag(f.kind, f.token, f.start, f.end) for f in red.flags),
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
    folded = [fold_text(text) for text in texts]
    blocked = name_words(names)
    themes = []
    quotes: list[Quote] = []
    for theme in model.themes_:
        phrases = safe_phrases(theme.key_phrases, folded, redactor, k_cell, blocked)
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


def safe_phrases(
    phrases: Iterable[str],
    folded_texts: Sequence[str],
    redactor: Redactor,
    k_cell: int,
    blocked: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """The phrases that no one could be singled out by: used in at least ``k_cell``
    comments, with no word of a configured name, and untouched by redaction (no name, place,
    team, number or contact detail)."""
    kept: list[str] = []
    for phrase in (tidy_phrase(p) for p in phrases):
        needle = fold_text(phrase)
        if needle.strip() == "" or phrase in kept or blocked.intersection(needle.split()):
            continue
        uses = sum(1 for text in folded_texts if needle in text)
        if uses < k_cell:
            continue
        check = redactor.redact(phrase)
        if check.replacements or any(f.kind == "name" for f in check.flags):
            continue
        kept.append(phrase)
    return tuple(kept)
