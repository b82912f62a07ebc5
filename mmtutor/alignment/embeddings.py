"""What to do with aligned embeddings (notebook 10): compare them (cosine similarity),
classify zero-shot through one prompt per class, and probe them with a few labels.

Retrieval metrics on a similarity matrix live in :mod:`mmtutor.evaluation.retrieval`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["label_subset", "linear_probe", "similarity_matrix", "zero_shot_classify"]


def _check_embeddings(name: str, z) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or 0 in z.shape or not np.all(np.isfinite(z)):
        raise ValueError(f"{name} must be a non-empty finite 2-D array (n, d), got shape {z.shape}")
    return z


def similarity_matrix(z_a, z_b) -> np.ndarray:
    """Cosine similarities ``S[i, j] = <a_i, b_j> / (|a_i| |b_j|)``, shape (n_a, n_b)
    (scikit-learn's ``cosine_similarity``).

    Rows are queries of modality a, columns the gallery of modality b; ``S.T`` is the other
    direction. For unit-length embeddings (a :class:`DualEncoder`'s) it is ``z_a @ z_b.T``.
    An embedding of length 0 (e.g. a head whose ReLUs are all off) has no direction: its
    similarities are 0, as in scikit-learn, so it ranks nothing first.

    Example:
        >>> s = similarity_matrix([[1.0, 0.0], [0.0, 2.0]], [[3.0, 0.0], [1.0, 1.0], [0.0, -1.0]])
        >>> np.round(s, 4).tolist()
        [[1.0, 0.7071, 0.0], [0.0, 0.7071, -1.0]]
    """
    from sklearn.metrics.pairwise import cosine_similarity

    a, b = _check_embeddings("z_a", z_a), _check_embeddings("z_b", z_b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"z_a and z_b must have one embedding size, got shapes {a.shape} and {b.shape}"
        )
    return cosine_similarity(a, b)


def zero_shot_classify(z_queries, z_prompts) -> np.ndarray:
    """Zero-shot classification: the class of the most similar prompt, one prompt per class.

    ``z_prompts[c]`` embeds the prompt of class ``c`` (e.g. the class name, spoken) in the
    shared space; a query gets the class whose prompt is most similar (cosine). No label
    of the queries' modality is used.

    Example:
        >>> zero_shot_classify([[0.9, 0.1], [0.2, 0.8], [-1.0, 0.1]], [[1.0, 0.0], [0.0, 1.0]])
        array([0, 1, 1])
    """
    return np.argmax(similarity_matrix(z_queries, z_prompts), axis=1)


def label_subset(y, fraction: float, seed: int = 0) -> np.ndarray:
    """Sorted indices of a class-stratified random ``fraction`` of the labelled examples:
    ``max(1, round(fraction * n_c))`` of each class ``c``, so every class keeps one label.

    Example:
        >>> y = np.repeat(np.arange(3), 100)
        >>> np.bincount(y[label_subset(y, 0.05)])
        array([5, 5, 5])
    """
    y = np.asarray(y)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(f"y must be a non-empty 1-D array of labels, got shape {y.shape}")
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction <= 1:
        raise ValueError(f"fraction must be a number in (0, 1], got {fraction!r}")
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        size = max(1, int(round(fraction * len(members))))
        keep.append(rng.choice(members, size=size, replace=False))
    return np.sort(np.concatenate(keep))


def linear_probe(z_train, y_train, z_test, y_test, fraction: float = 1.0, seed: int = 0):
    """The linear-probe protocol: a logistic regression (scikit-learn, on standardised
    features) fitted on a stratified ``fraction`` of the training labels
    (:func:`label_subset`) of *frozen* embeddings; returns ``(test accuracy, predictions)``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> y = rng.integers(0, 2, 400)
        >>> z = np.c_[y + 0.3 * rng.normal(size=400), rng.normal(size=400)]
        >>> accuracy, _ = linear_probe(z[:300], y[:300], z[300:], y[300:], fraction=0.1)
        >>> accuracy > 0.9
        True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    z_train, z_test = _check_embeddings("z_train", z_train), _check_embeddings("z_test", z_test)
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    if len(y_train) != len(z_train) or len(y_test) != len(z_test):
        raise ValueError(
            f"one label per embedding expected, got {len(z_train)} training embeddings and "
            f"{len(y_train)} labels, {len(z_test)} test embeddings and {len(y_test)} labels"
        )
    if z_train.shape[1] != z_test.shape[1]:
        raise ValueError(f"z_train and z_test differ in width: {z_train.shape} and {z_test.shape}")
    keep = label_subset(y_train, fraction, seed)
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    probe.fit(z_train[keep], y_train[keep])
    predicted = probe.predict(z_test)
    return float(np.mean(predicted == y_test)), predicted
