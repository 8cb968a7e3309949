"""The lexical space: comments as unit vectors built from their words and word pieces.

Two TF-IDF blocks (sublinear term frequency, L2-normalised rows) are joined side by side:

* word stems, single and in pairs, with stop words left out (weight :data:`WORD_WEIGHT`);
* character 2–4-grams inside word boundaries of the lower-case tokens, stop words kept,
  which match spelling variants, typos and compound words that stems miss.

Latent semantic analysis (a truncated SVD of at most :data:`MAX_COMPONENTS` dimensions)
then folds words that occur together into shared directions, and every row is scaled to
unit length, so Euclidean k-means on the result is close to spherical (cosine) k-means.
On CLINC150 each choice here was measured against its alternatives; the figures are in
``benchmarks/README.md``.

Everything stays in memory: no vocabulary, matrix or vector is written anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.preprocessing import normalize

from analysis.themes.text import content_stems

FloatArray = npt.NDArray[np.float32]

WORD_WEIGHT = 0.5  # of the stem block against the character block
MAX_COMPONENTS = 200  # LSA dimensions for large corpora
SVD_ITERATIONS = 3
MIN_DF_FROM = 50
# The SVD learns its directions from at most this many texts, then projects all of them:
# on CLINC150 (22,500 texts) fitting on 6,000 cost no accuracy and halved the time.
SVD_SAMPLE = 8000  # corpora of at least this many texts drop features seen in only one text


def _block(vectoriser: TfidfVectorizer, documents: Sequence[str]) -> sparse.csr_matrix | None:
    try:
        return sparse.csr_matrix(vectoriser.fit_transform(documents), dtype=np.float32)
    except ValueError:  # an empty vocabulary: nothing in this block to use
        return None


def _pieces(words: Sequence[Sequence[str]], min_df: int) -> sparse.csr_matrix | None:
    """TF-IDF of character 2–4-grams within word boundaries (scikit-learn's ``char_wb``).

    The n-grams of a text are the sum of those of its words, so they are counted once per
    distinct word and multiplied out, which is much faster than analysing every text.
    """
    counter = CountVectorizer(analyzer=_identity, dtype=np.int32)
    try:
        counts = sparse.csr_matrix(counter.fit_transform(words))
        spelling = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4), dtype=np.int32)
        pieces = sparse.csr_matrix(spelling.fit_transform(counter.get_feature_names_out()))
    except ValueError:  # no words at all
        return None
    matrix = sparse.csr_matrix(counts @ pieces)
    frequent = np.flatnonzero(np.asarray((matrix > 0).sum(axis=0)).ravel() >= min_df)
    if len(frequent) == 0:
        return None
    weighted = TfidfTransformer(sublinear_tf=True).fit_transform(matrix[:, frequent])
    return sparse.csr_matrix(weighted, dtype=np.float32)


def _identity(tokens: Sequence[str]) -> Sequence[str]:
    return tokens


def features(words: Sequence[Sequence[str]]) -> sparse.csr_matrix:
    """The joined TF-IDF matrix of tokenised texts (one row per text, possibly all zero)."""
    min_df = 2 if len(words) >= MIN_DF_FROM else 1
    stems = [" ".join(content_stems(tokens)) for tokens in words]
    word_block = _block(
        TfidfVectorizer(
            token_pattern=r"\S+",  # noqa: S106 - a regular expression
            ngram_range=(1, 2),
            sublinear_tf=True,
            min_df=min_df,
            dtype=np.float32,
        ),
        stems,
    )
    char_block = _pieces(words, min_df)
    blocks = [block for block in (char_block,) if block is not None]
    if word_block is not None:
        blocks.append(word_block * np.float32(WORD_WEIGHT))
    if not blocks:
        return sparse.csr_matrix((len(words), 0), dtype=np.float32)
    return sparse.csr_matrix(sparse.hstack(blocks, format="csr"), dtype=np.float32)


def components_for(n_texts: int, n_features: int) -> int:
    """How many LSA dimensions to keep: up to 200, fewer than texts and features."""
    return max(0, min(MAX_COMPONENTS, n_texts - 1, n_features - 1))


def reduce(matrix: sparse.csr_matrix, random_state: int) -> FloatArray:
    """LSA of ``matrix`` with rows scaled to unit length (rows of zeros stay zero).

    Matrices too small for an SVD are only normalised and made dense.
    """
    n_components = components_for(matrix.shape[0], matrix.shape[1])
    if n_components < 2:
        dense = np.asarray(matrix.toarray(), dtype=np.float32)
    else:
        svd = TruncatedSVD(n_components, n_iter=SVD_ITERATIONS, random_state=random_state)
        # Identical rows have no variance, and the SVD's explained-variance ratio then
        # divides by zero; that ratio is not used here.
        quiet = np.errstate(divide="ignore", invalid="ignore")
        if matrix.shape[0] > SVD_SAMPLE:
            rng = np.random.default_rng(random_state)
            rows = np.sort(rng.choice(matrix.shape[0], SVD_SAMPLE, replace=False))
            with quiet:
                svd.fit(matrix[rows])
            dense = np.asarray(svd.transform(matrix), dtype=np.float32)
        else:
            with quiet:
                dense = np.asarray(svd.fit_transform(matrix), dtype=np.float32)
    return np.asarray(normalize(dense), dtype=np.float32)
