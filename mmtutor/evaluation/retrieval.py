"""Cross-modal retrieval metrics (notebook 10): recall@K, median rank, mean reciprocal rank.

A retrieval run is a similarity matrix ``S`` (queries x gallery; higher is more similar)
and, for every query, its *correct matches* in the gallery: by default the paired example
(``S`` square, the diagonal), or several, e.g. every gallery example of the query's class
(:func:`same_class`). The other direction of a cross-modal run is ``S.T`` with the
relevance transposed; :func:`retrieval_table` reports both.

Conventions (hand-written because notebook 10 teaches them):

- the **rank** of a query is the position (1-based) of its *first* correct match when the
  gallery is sorted by decreasing similarity;
- **ties count against the model**: a wrong gallery item scored exactly as high as the
  best correct one is ranked before it, so a constant similarity matrix gets the worst
  possible ranks, not the best (a model cannot score by saying nothing);
- **R@K** is the fraction of queries with at least one correct match in the top K (the
  convention of image-text retrieval benchmarks with several captions per image);
- **median rank** is the median of the ranks, **MRR** the mean of ``1 / rank``.

:func:`chance_metrics` gives the same figures for a random ranking, exactly
(hypergeometric), for the same relevance.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as scipy_stats

from mmtutor.evaluation._checks import check_positive_int

__all__ = [
    "chance_metrics",
    "retrieval_metrics",
    "retrieval_ranks",
    "retrieval_table",
    "same_class",
]

KS: tuple[int, ...] = (1, 5, 10)


def same_class(query_labels, gallery_labels) -> np.ndarray:
    """The relevance matrix "same class": ``R[i, j] = query_labels[i] == gallery_labels[j]``.

    Example:
        >>> same_class([0, 1], [1, 0, 1]).astype(int)
        array([[0, 1, 0],
               [1, 0, 1]])
    """
    q, g = np.asarray(query_labels), np.asarray(gallery_labels)
    if q.ndim != 1 or g.ndim != 1 or len(q) == 0 or len(g) == 0:
        raise ValueError(
            f"query_labels and gallery_labels must be non-empty 1-D arrays, got shapes "
            f"{q.shape} and {g.shape}"
        )
    return q[:, None] == g[None, :]


def _check(similarity, relevant) -> tuple[np.ndarray, np.ndarray]:
    """The similarity as floats and the relevance as a boolean matrix of its shape."""
    s = np.asarray(similarity, dtype=np.float64)
    if s.ndim != 2 or 0 in s.shape:
        raise ValueError(
            f"similarity must be a non-empty 2-D array (queries, gallery), got shape {s.shape}"
        )
    if not np.all(np.isfinite(s)):
        raise ValueError("similarity must be finite, got NaN or infinite values")
    if relevant is None:
        if s.shape[0] != s.shape[1]:
            raise ValueError(
                "without relevant=, the correct match of query i is gallery item i (its pair), so "
                f"the similarity must be square; got shape {s.shape}: pass relevant= (n_queries, "
                "n_gallery) booleans, e.g. same_class(query_labels, gallery_labels)"
            )
        return s, np.eye(s.shape[0], dtype=bool)
    r = np.asarray(relevant)
    if r.shape != s.shape:
        raise ValueError(
            f"relevant must have the similarity's shape {s.shape} (queries, gallery), got {r.shape}"
        )
    if r.dtype != bool:
        if not np.all(np.isin(r, (0, 1))):
            raise ValueError(
                "relevant must hold booleans (or 0/1): is gallery item j a correct match"
            )
        r = r.astype(bool)
    empty = np.flatnonzero(~r.any(axis=1))
    if len(empty):
        raise ValueError(
            f"every query needs at least one correct match in the gallery; queries {empty[:5].tolist()}"
            f"{' ...' if len(empty) > 5 else ''} have none"
        )
    return s, r


def retrieval_ranks(similarity, relevant=None) -> np.ndarray:
    """The rank (1-based) of each query's first correct match; ties count against the model.

    ``rank_i = 1 + #{wrong items j : S[i, j] >= max over correct items of S[i, .]}``.

    Args:
        similarity: (n_queries, n_gallery) scores, higher is more similar.
        relevant: None (the paired example: ``similarity`` square, correct match of query
            ``i`` is item ``i``) or (n_queries, n_gallery) booleans, one or more per row.

    Example:
        >>> s = np.array([[0.9, 0.1, 0.5], [0.2, 0.2, 0.9], [0.3, 0.3, 0.3]])
        >>> retrieval_ranks(s)  # query 1 ties with a wrong item; query 2 ties with all
        array([1, 3, 3])
    """
    s, r = _check(similarity, relevant)
    best_correct = np.where(r, s, -np.inf).max(axis=1, keepdims=True)
    return 1 + np.sum(~r & (s >= best_correct), axis=1)


def _check_ks(ks, gallery_size: int) -> tuple[int, ...]:
    ks = (ks,) if isinstance(ks, int | np.integer) and not isinstance(ks, bool) else tuple(ks)
    if not ks:
        raise ValueError("ks must name at least one K")
    ks = tuple(check_positive_int(k, "each K of ks") for k in ks)
    too_big = [k for k in ks if k > gallery_size]
    if too_big:
        raise ValueError(
            f"K must be at most the gallery size {gallery_size}, got ks={list(ks)}: "
            f"recall@{too_big[0]} would count the whole gallery"
        )
    return ks


def retrieval_metrics(similarity, relevant=None, ks=KS) -> dict[str, float]:
    """Recall@K for each K of ``ks``, median rank and MRR of one retrieval direction.

    Returns a dict ``{"R@1": ..., "R@5": ..., "R@10": ..., "median rank": ..., "MRR": ...}``
    (see :func:`retrieval_ranks` for the arguments and the module doc for the conventions).

    Example:
        >>> s = np.array([[0.9, 0.1, 0.5], [0.2, 0.2, 0.9], [0.3, 0.3, 0.3]])
        >>> m = retrieval_metrics(s, ks=(1, 2))
        >>> m["R@1"], m["R@2"], m["median rank"], round(m["MRR"], 4)
        (0.3333333333333333, 0.3333333333333333, 3.0, 0.5556)
    """
    s, r = _check(similarity, relevant)
    ks = _check_ks(ks, s.shape[1])
    ranks = retrieval_ranks(s, r)
    out = {f"R@{k}": float(np.mean(ranks <= k)) for k in ks}
    out["median rank"] = float(np.median(ranks))
    out["MRR"] = float(np.mean(1.0 / ranks))
    return out


def chance_metrics(relevant, ks=KS) -> dict[str, float]:
    """The expected :func:`retrieval_metrics` of a uniformly random ranking, exactly.

    A query with ``m`` correct matches among ``N`` gallery items has its first correct
    match at rank ``r`` with probability ``P(r) = C(N - r, m - 1) / C(N, m)``; R@K is
    ``1 - C(N - m, K) / C(N, K)`` (a hypergeometric count, SciPy). The median rank is that
    of the queries' pooled rank distribution.

    Args:
        relevant: (n_queries, n_gallery) booleans, or an integer N: one correct match per
            query in a gallery of N (the paired example).

    Example:
        >>> m = chance_metrics(100)  # one correct item among 100
        >>> round(m["R@1"], 4), round(m["R@10"], 4), m["median rank"]
        (0.01, 0.1, 50.0)
    """
    if isinstance(relevant, int | np.integer) and not isinstance(relevant, bool):
        n = check_positive_int(relevant, "the gallery size")
        counts, gallery = np.ones(1, dtype=int), n
    else:
        _, r = _check(np.zeros(np.shape(relevant)), relevant)
        counts, gallery = r.sum(axis=1), r.shape[1]
    ks = _check_ks(ks, gallery)
    ranks = np.arange(1, gallery + 1)
    # P(first correct at rank r) for each distinct count m: C(N - r, m - 1) / C(N, m)
    distributions = {}
    for m in np.unique(counts):
        log_p = (
            _log_comb(gallery - ranks, m - 1) - _log_comb(gallery, m)
            if m > 0
            else np.full(gallery, -np.inf)
        )
        distributions[int(m)] = np.exp(log_p)
    pooled = np.mean([distributions[int(m)] for m in counts], axis=0)
    out = {
        f"R@{k}": float(np.mean(1.0 - scipy_stats.hypergeom.pmf(0, gallery, counts, k))) for k in ks
    }
    cdf = np.cumsum(pooled)
    out["median rank"] = float(ranks[np.searchsorted(cdf, 0.5 - 1e-12)])
    out["MRR"] = float(np.sum(pooled / ranks))
    return out


def _log_comb(n, k) -> np.ndarray:
    """log C(n, k) elementwise, -inf where C(n, k) = 0 (k > n)."""
    from scipy.special import gammaln

    n = np.asarray(n, dtype=float)
    valid = n >= k
    with np.errstate(invalid="ignore"):
        value = gammaln(n + 1) - gammaln(k + 1) - gammaln(np.maximum(n - k, 0) + 1)
    return np.where(valid, value, -np.inf)


def retrieval_table(
    similarity,
    relevant=None,
    ks=KS,
    directions: tuple[str, str] = ("a → b", "b → a"),
    chance: bool = False,
):
    """Both directions of a cross-modal retrieval in one pandas table, one row per direction.

    Row ``directions[0]`` ranks the columns of ``similarity`` for each row (queries of
    modality a, gallery of b); row ``directions[1]`` uses ``similarity.T`` and the
    transposed relevance. ``chance=True`` returns the expected figures of a random ranking
    for the same relevance (:func:`chance_metrics`) instead.

    Example:
        >>> s = np.array([[0.9, 0.1], [0.8, 0.2]])  # image 1 is closer to audio 0 than to its pair
        >>> retrieval_table(s, ks=(1,), directions=("image → audio", "audio → image"))
                       R@1  median rank   MRR
        image → audio  0.5          1.5  0.75
        audio → image  1.0          1.0  1.00
    """
    import pandas as pd

    s, r = _check(similarity, relevant)
    if not (isinstance(directions, tuple | list) and len(directions) == 2):
        raise ValueError(f"directions must name the two directions, got {directions!r}")
    rows = {}
    for name, (sim, rel) in zip(directions, ((s, r), (s.T, r.T)), strict=True):
        rows[name] = chance_metrics(rel, ks) if chance else retrieval_metrics(sim, rel, ks)
    return pd.DataFrame(rows).T
