"""Which themes of a question are most alike: merge proposals for the review page.

Each theme is the sum of its comments' TF-IDF rows (word stems, stop words left out, IDF
learnt from the question's own comments), and two themes are compared by the cosine of those
sums. The similarity is worked out from the text each time the page is shown, in memory:
nothing derived from the comments is stored. It uses words only, whichever engine found the
themes, so it costs milliseconds for a few thousand comments and needs no model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from analysis.comments.model import QuestionReview
from analysis.themes.text import content_stems, tokens

#: Pairs proposed at most, and the least similarity worth proposing.
MAX_PAIRS = 3
MIN_SIMILARITY = 0.2


@dataclass(frozen=True)
class Pair:
    """Two themes (ids) that could be merged, and how alike their comments are (0–1)."""

    first: int
    second: int
    similarity: float

    @property
    def percent(self) -> int:
        return round(100 * self.similarity)


def nearest_pairs(
    review: QuestionReview, *, most: int = MAX_PAIRS, least: float = MIN_SIMILARITY
) -> list[Pair]:
    """The ``most`` most alike pairs of the review's themes, most alike first, each at least
    ``least`` alike; no pair for fewer than two themes or comments with no words."""
    themes = [t.id for t in review.themes]
    if len(themes) < 2:
        return []
    documents: list[str] = []
    owners: list[int] = []
    for comment in review.comments:
        if comment.theme in themes:
            documents.append(" ".join(content_stems(tokens(comment.text))))
            owners.append(comment.theme)
    try:
        matrix = TfidfVectorizer(
            token_pattern=r"\S+",  # noqa: S106 - a regular expression
            sublinear_tf=True,
            dtype=np.float64,
        ).fit_transform(documents)
    except ValueError:  # no words at all
        return []
    position = {theme: index for index, theme in enumerate(themes)}
    membership = sparse.csr_matrix(
        (np.ones(len(owners)), ([position[o] for o in owners], np.arange(len(owners)))),
        shape=(len(themes), len(owners)),
    )
    centres = normalize(membership @ matrix)
    similarity = np.asarray((centres @ centres.T).todense())
    pairs = [
        Pair(themes[i], themes[j], float(similarity[i, j]))
        for i in range(len(themes))
        for j in range(i + 1, len(themes))
        if similarity[i, j] >= least
    ]
    pairs.sort(key=lambda p: (-p.similarity, p.first, p.second))
    return pairs[:most]
