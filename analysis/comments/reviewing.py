"""Review actions on a question's themes and quotes.

Each action takes a :class:`QuestionReview` and returns a new one with the change made and a
:class:`Decision` recorded (never the comment's text). Anything that cannot be done raises
:class:`ReviewError` with a sentence an analyst can act on; the review is then unchanged.

A merge, a split or a move changes which comments a theme holds, so the key phrases of every
theme it touches are found again from the theme's comments as they now are
(:func:`rephrase`), by the same rules as at analysis (:mod:`analysis.themes.phrases`) and
with the same checks that no phrase points at anyone (``building.PhraseCheck``: no word that
redaction replaced or flagged in the question's comments or of a configured name, every word
used by ``k_text`` comments, the phrase by ``k_cell``, and, given a redactor, nothing it would
replace or flag in the phrase on its own). Appending the old phrases would describe comments
the theme no longer holds, or miss what the joined theme now says.

Names follow the analyst: a theme whose name an analyst gave or kept (``confirmed``) keeps it;
a theme still carrying its automatic name gets the name proposed from its new best phrase,
as an unreviewed automatic name is only ever a proposal. When an analyst-named theme is merged
into one still automatically named, the merged theme takes the analyst's name (and stays
confirmed), so no name someone chose is lost silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import replace

from analysis.comments.building import (
    CANDIDATES_PER_THEME,
    K_TEXT,
    PhraseCheck,
    distinct_candidates,
    identifying_words,
    label_from,
    name_words,
)
from analysis.comments.model import NO_THEME, Decision, QuestionReview, Quote, ThemeState
from analysis.redaction import Redactor

MAX_LABEL = 80
MAX_QUOTE = 1000
#: Key phrases kept per theme, as many as the theme model gives at analysis.
MAX_PHRASES = 6
#: A theme needs this many comments to be split into two.
MIN_TO_SPLIT = 6


class ReviewError(ValueError):
    """A review action that cannot be done, with the reason in plain words."""


def _decided(review: QuestionReview, action: str, detail: str, actor: str) -> QuestionReview:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    return replace(review, decisions=(*review.decisions, Decision(action, detail, actor, today)))


def _ready(review: QuestionReview) -> None:
    if review.status != "ready":
        raise ReviewError("This question has no themes to review")


def _theme(review: QuestionReview, theme_id: int) -> ThemeState:
    _ready(review)
    try:
        return review.theme(theme_id)
    except KeyError:
        raise ReviewError("That theme no longer exists") from None


def _with_theme(review: QuestionReview, theme: ThemeState) -> QuestionReview:
    return replace(review, themes=tuple(theme if t.id == theme.id else t for t in review.themes))


def rename(review: QuestionReview, theme_id: int, label: str, *, actor: str) -> QuestionReview:
    theme = _theme(review, theme_id)
    label = " ".join(label.split())
    if not label:
        raise ReviewError("Enter a name for the theme")
    if len(label) > MAX_LABEL:
        raise ReviewError(f"The theme name must be {MAX_LABEL} characters or fewer")
    changed = _with_theme(review, replace(theme, label=label, confirmed=True))
    return _decided(changed, "rename", f"theme {theme_id} named ‘{label}’", actor)


def confirm_name(review: QuestionReview, theme_id: int, *, actor: str) -> QuestionReview:
    """Keep a theme's automatic name on purpose: the report then shows it as reviewed."""
    theme = _theme(review, theme_id)
    if theme.confirmed:
        return review
    changed = _with_theme(review, replace(theme, confirmed=True))
    return _decided(changed, "confirm", f"theme {theme_id} name ‘{theme.label}’ kept", actor)


def set_reportable(
    review: QuestionReview, theme_id: int, reportable: bool, *, actor: str
) -> QuestionReview:
    theme = _theme(review, theme_id)
    changed = _with_theme(review, replace(theme, reportable=reportable))
    detail = f"theme {theme_id} marked {'reportable' if reportable else 'not reportable'}"
    return _decided(changed, "reportable" if reportable else "not_reportable", detail, actor)


def rephrase(
    review: QuestionReview,
    theme_ids: Iterable[int],
    *,
    redactor: Redactor | None = None,
    names: Sequence[str] = (),
    k_cell: int = 3,
    k_text: int = K_TEXT,
) -> QuestionReview:
    """``review`` with the key phrases of themes ``theme_ids`` found again from their
    comments, and the name of each that is not ``confirmed`` proposed again from them (see
    the module's notes). ``names`` are the configured names whose words no phrase may hold;
    ``k_cell`` and ``k_text`` as at analysis."""
    from analysis.themes.phrases import Corpus, key_phrases
    from analysis.themes.text import tokens

    wanted = {theme_id for theme_id in theme_ids if review.has_theme(theme_id)}
    if not wanted:
        return review
    texts = [c.text for c in review.comments]
    words = [tokens(text) for text in texts]
    usable = [i for i, found in enumerate(words) if found]
    row_of = {index: row for row, index in enumerate(usable)}
    corpus = Corpus([words[i] for i in usable])
    blocked = identifying_words(review) | name_words(names)
    if redactor is not None:
        blocked |= redactor.identifying_words_
    check = PhraseCheck(texts, blocked, k_cell=k_cell, k_text=k_text, redactor=redactor)
    themes = []
    for theme in review.themes:
        if theme.id in wanted:
            members = [i for i in review.members(theme.id) if i in row_of]
            found = key_phrases(
                [row_of[i] for i in members],
                corpus,
                2 * MAX_PHRASES,  # some may fail the check
                exclude=check.blocked_stems,
                min_texts=k_text,
                texts=[texts[i] for i in members],
            )
            phrases = check.keep(found)[:MAX_PHRASES]
            label = theme.label if theme.confirmed else label_from(phrases, theme.id)
            theme = replace(theme, key_phrases=phrases, label=label)
        themes.append(theme)
    return replace(review, themes=tuple(themes))


def merge(
    review: QuestionReview,
    source: int,
    target: int,
    *,
    actor: str,
    redactor: Redactor | None = None,
    names: Sequence[str] = (),
    k_cell: int = 3,
    k_text: int = K_TEXT,
) -> QuestionReview:
    """Merge theme ``source`` into theme ``target``; the merged theme's key phrases are found
    again from all its comments (:func:`rephrase`, which the other keywords are for)."""
    if source == target:
        raise ReviewError("Choose a different theme to merge into")
    moved = _theme(review, source)
    kept = _theme(review, target)
    merged = replace(kept, representatives=(*kept.representatives, *moved.representatives))
    if moved.confirmed and not kept.confirmed:
        merged = replace(merged, label=moved.label, confirmed=True)
    comments = tuple(replace(c, theme=target) if c.theme == source else c for c in review.comments)
    themes = tuple(merged if t.id == target else t for t in review.themes if t.id != source)
    changed = replace(review, comments=comments, themes=themes)
    changed = rephrase(
        changed, (target,), redactor=redactor, names=names, k_cell=k_cell, k_text=k_text
    )
    return _decided(changed, "merge", f"theme {source} merged into theme {target}", actor)


def move(
    review: QuestionReview,
    comment: int,
    target: int,
    *,
    actor: str,
    redactor: Redactor | None = None,
    names: Sequence[str] = (),
    k_cell: int = 3,
    k_text: int = K_TEXT,
) -> QuestionReview:
    """Move one comment to another theme (``NO_THEME`` for "no clear theme"). The key phrases
    of the theme it leaves and of the one it joins are found again (:func:`rephrase`, which
    the other keywords are for)."""
    _ready(review)
    if not 0 <= comment < len(review.comments):
        raise ReviewError("That comment does not exist")
    if target != NO_THEME:
        _theme(review, target)
    before = review.comments[comment].theme
    if before == target:
        return review
    comments = tuple(
        replace(c, theme=target) if i == comment else c for i, c in enumerate(review.comments)
    )
    changed = rephrase(
        replace(review, comments=comments),
        (before, target),
        redactor=redactor,
        names=names,
        k_cell=k_cell,
        k_text=k_text,
    )
    detail = f"comment {comment + 1} moved from theme {before} to theme {target}"
    return _decided(changed, "move", detail, actor)


def split(
    review: QuestionReview,
    theme_id: int,
    redactor: Redactor,
    *,
    actor: str,
    k_cell: int = 3,
    names: Sequence[str] = (),
    k_text: int = K_TEXT,
) -> QuestionReview:
    """Split a theme in two: its comments are clustered again and the smaller part becomes a
    new theme (with its own candidate quotes). The key phrases of both parts are found again
    from their comments (:func:`rephrase`), so the new theme is named from its own phrases."""
    theme = _theme(review, theme_id)
    members = review.members(theme_id)
    if len(members) < MIN_TO_SPLIT:
        raise ReviewError(f"A theme needs at least {MIN_TO_SPLIT} comments to be split")
    from analysis.themes import ThemeModel  # scikit-learn loads only when needed

    texts = [review.comments[i].text for i in members]
    # Split by words, whichever engine found the theme: inside one theme the words are what
    # tell two experiences apart, and the analyst sees the split at once (embedding the
    # theme's comments again took most of a second, the lexical engine a tenth).
    model = ThemeModel(
        n_themes=2, engine="lexical", random_state=review.random_state, min_texts=MIN_TO_SPLIT
    ).fit(texts)
    parts = [t for t in model.themes_ if t.size > 0]
    if len(parts) < 2:
        raise ReviewError("This theme cannot be split: its comments are too alike")
    smaller = min(parts, key=lambda t: (t.size, t.id))
    new_id = max(t.id for t in review.themes) + 1
    moving = {members[i] for i, label in enumerate(model.labels_) if int(label) == smaller.id}
    if not moving or len(moving) == len(members):
        raise ReviewError("This theme cannot be split: its comments are too alike")
    typical = tuple(members[i] for i in smaller.representatives if members[i] in moving)
    comments = tuple(
        replace(c, theme=new_id) if i in moving else c for i, c in enumerate(review.comments)
    )
    kept = replace(
        theme, representatives=tuple(i for i in theme.representatives if i not in moving)
    )
    themes = (
        *(kept if t.id == theme_id else t for t in review.themes),
        ThemeState(new_id, label_from((), new_id), (), True, typical),
    )
    quoted = {q.comment for q in review.quotes}
    quotes = list(review.quotes)
    texts = [c.text for c in review.comments]
    for index in distinct_candidates(typical, texts)[:CANDIDATES_PER_THEME]:
        if index not in quoted:
            quotes.append(Quote(_next_quote_id(quotes), index, review.comments[index].redacted))
    changed = rephrase(
        replace(review, comments=comments, themes=themes, quotes=tuple(quotes)),
        (theme_id, new_id),
        redactor=redactor,
        names=names,
        k_cell=k_cell,
        k_text=k_text,
    )
    detail = f"theme {theme_id} split: {len(moving)} comments became theme {new_id}"
    return _decided(changed, "split", detail, actor)


def _next_quote_id(quotes: list[Quote]) -> str:
    numbers = [int(q.id[1:]) for q in quotes if q.id[1:].isdigit()]
    return f"q{max(numbers, default=0) + 1}"


def _quote(review: QuestionReview, quote_id: str) -> Quote:
    try:
        return review.quote(quote_id)
    except KeyError:
        raise ReviewError("That quote no longer exists") from None


def _with_quote(review: QuestionReview, quote: Quote) -> QuestionReview:
    return replace(review, quotes=tuple(quote if q.id == quote.id else q for q in review.quotes))


def nominate(review: QuestionReview, comment: int, *, actor: str) -> QuestionReview:
    """Offer a comment (redacted) as a candidate quote."""
    _ready(review)
    if not 0 <= comment < len(review.comments):
        raise ReviewError("That comment does not exist")
    if any(q.comment == comment for q in review.quotes):
        raise ReviewError("That comment is already in the moderation queue")
    quotes = list(review.quotes)
    quote = Quote(_next_quote_id(quotes), comment, review.comments[comment].redacted)
    changed = replace(review, quotes=(*review.quotes, quote))
    return _decided(changed, "nominate", f"quote {quote.id} offered for moderation", actor)


def approve(review: QuestionReview, quote_id: str, *, actor: str) -> QuestionReview:
    quote = _quote(review, quote_id)
    changed = _with_quote(review, replace(quote, status="approved"))
    return _decided(changed, "approve", f"quote {quote_id} approved", actor)


def reject(review: QuestionReview, quote_id: str, *, actor: str) -> QuestionReview:
    quote = _quote(review, quote_id)
    changed = _with_quote(review, replace(quote, status="rejected"))
    return _decided(changed, "reject", f"quote {quote_id} rejected", actor)


def edit_quote(
    review: QuestionReview, quote_id: str, text: str, redactor: Redactor, *, actor: str
) -> QuestionReview:
    """Save a moderator's edit of a quote's redaction and approve it. The edit is redacted
    again, so an email, phone number or listed name cannot be typed back in."""
    quote = _quote(review, quote_id)
    text = " ".join(text.split())
    if not text:
        raise ReviewError("Enter the text of the quote, or reject it")
    if len(text) > MAX_QUOTE:
        raise ReviewError(f"A quote must be {MAX_QUOTE} characters or fewer")
    cleaned = redactor.redact(text).text
    changed = _with_quote(review, replace(quote, text=cleaned, status="approved"))
    return _decided(changed, "edit_quote", f"quote {quote_id} edited and approved", actor)
