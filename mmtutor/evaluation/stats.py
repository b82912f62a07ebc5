"""Uncertainty of results: bootstrap intervals over test examples, mean ± std over seeds
(notebook 14).

The bootstrap is SciPy's (``scipy.stats.bootstrap``, percentile method, a seeded
``np.random.default_rng``): it measures the uncertainty that comes from the finite test
set only, not that of training (seeds) or of the data split.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as scipy_stats

from mmtutor.evaluation._checks import check_labels, check_positive_int
from mmtutor.evaluation.metrics import macro_f1

__all__ = ["bootstrap_ci", "format_mean_std", "mean_std", "paired_bootstrap", "paired_verdict"]


def _accuracy_along(y_true: np.ndarray, y_pred: np.ndarray, axis: int = -1) -> np.ndarray:
    """Accuracy of many resamples at once (the last axis holds the examples)."""
    return np.mean(y_true == y_pred, axis=axis)


def _metric(metric, num_classes: int):
    """``(metric(y_true, y_pred) -> float, vectorized?)`` for a metric name or callable."""
    if isinstance(metric, str) and metric == "accuracy":
        return _accuracy_along, True
    if isinstance(metric, str) and metric == "macro_f1":
        return (lambda t, p: macro_f1(t, p, num_classes)), False
    if callable(metric):
        return metric, False
    raise ValueError(f"metric must be 'accuracy', 'macro_f1' or a callable, got {metric!r}")


def _bootstrap(data: tuple, statistic, vectorized: bool, n_resamples, level, seed):
    n_resamples = check_positive_int(n_resamples, "n_resamples", 10)
    if not (isinstance(level, float) and 0.0 < level < 1.0):
        raise ValueError(f"level must be a float in (0, 1), got {level!r}")
    n = len(data[0])
    if n < 2:
        raise ValueError(f"the bootstrap needs at least 2 examples, got {n}")
    result = scipy_stats.bootstrap(
        data, statistic, n_resamples=n_resamples, batch=max(1, 2_000_000 // n),
        vectorized=vectorized, paired=True, confidence_level=level, method="percentile",
        rng=np.random.default_rng(seed),
    )  # fmt: skip
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def bootstrap_ci(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    metric="accuracy",
    n_resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """A percentile-bootstrap confidence interval of a metric over the test examples.

    Draws ``n_resamples`` test sets of the same size *with replacement* from the examples
    (each keeps its true and predicted label together), computes the metric on each, and
    returns the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles (Efron & Tibshirani,
    1993) with ``scipy.stats.bootstrap(..., paired=True, method="percentile")``.
    ``metric``: ``"accuracy"`` (vectorised), ``"macro_f1"`` (over the classes 0 .. k-1, k
    inferred once from the full data as ``max(label) + 1`` over ``y_true`` and ``y_pred``,
    at least 2, as :func:`~mmtutor.evaluation.macro_f1` does), or a callable
    ``metric(y_true, y_pred) -> float``, called once per resample.

    Returns:
        ``(estimate, low, high)``: the metric on the full test set and the interval.

    Example:
        >>> y = np.array([0, 1] * 50)
        >>> estimate, low, high = bootstrap_ci(y, np.where(np.arange(100) < 80, y, 1 - y))
        >>> estimate, bool(low < 0.8 < high)
        (0.8, True)
    """
    (y_true, y_pred), k = check_labels(y_true, y_pred)
    statistic, vectorized = _metric(metric, k)
    low, high = _bootstrap((y_true, y_pred), statistic, vectorized, n_resamples, level, seed)
    return float(statistic(y_true, y_pred)), low, high


def paired_bootstrap(
    y_true: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    metric="accuracy",
    n_resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """The difference ``metric(a) - metric(b)`` of two methods on one test set, with a
    percentile-bootstrap interval over the *same* resampled examples for both.

    Resampling the examples once for both methods cancels the noise they share (an easy
    test set helps both), so the interval of the difference is much narrower than the
    two separate intervals suggest. Say "A beats B" only when the interval excludes 0;
    otherwise they tie on this test set. ``scipy.stats.bootstrap(..., paired=True,
    method="percentile")``; ``metric`` as in :func:`bootstrap_ci` (k inferred over
    ``y_true``, ``pred_a`` and ``pred_b``).

    Several training runs per method (seeds): pass ``pred_a`` and ``pred_b`` as
    (runs, n) arrays (``metric="accuracy"`` only). The statistic is then the mean over the
    runs of the accuracy difference, and each resample draws *examples* (every run's
    prediction for an example moves with it), so the interval covers the test set's
    noise with the seeds' noise averaged in.

    Returns:
        ``(difference, low, high)``: the difference on the full test set and its interval.

    Example:
        >>> y = np.arange(200) % 4
        >>> b = np.where(np.arange(200) % 5 == 0, (y + 1) % 4, y)  # wrong on 1 in 5
        >>> difference, low, high = paired_bootstrap(y, y, b)
        >>> round(difference, 3), bool(low > 0)
        (0.2, True)
        >>> runs_a, runs_b = np.stack([y, y, b]), np.stack([b, b, b])  # 3 runs each
        >>> round(paired_bootstrap(y, runs_a, runs_b)[0], 4)
        0.1333
    """
    pred_a, pred_b = np.asarray(pred_a), np.asarray(pred_b)
    if pred_a.ndim == 2 or pred_b.ndim == 2:
        if metric != "accuracy":
            raise ValueError(f"several runs per method need metric='accuracy', got {metric!r}")
        if pred_a.ndim != 2 or pred_b.ndim != 2 or pred_a.shape[1:] != pred_b.shape[1:]:
            raise ValueError(
                "pred_a and pred_b must both be (n,) or both (runs, n) with one n, got shapes "
                f"{pred_a.shape} and {pred_b.shape}"
            )
        labels, _ = check_labels(
            y_true, *pred_a, *pred_b, names=("y_true",) + ("pred",) * (len(pred_a) + len(pred_b))
        )
        y = labels[0]
        gain = np.mean(pred_a == y, axis=0) - np.mean(pred_b == y, axis=0)  # per example
        low, high = _bootstrap((gain,), np.mean, True, n_resamples, level, seed)
        return float(np.mean(gain)), low, high
    labels, k = check_labels(y_true, pred_a, pred_b, names=("y_true", "pred_a", "pred_b"))
    single, vectorized = _metric(metric, k)

    def difference(t, a, b, axis=-1):
        if vectorized:
            return single(t, a, axis=axis) - single(t, b, axis=axis)
        return single(t, a) - single(t, b)

    low, high = _bootstrap(tuple(labels), difference, vectorized, n_resamples, level, seed)
    return float(difference(*labels)), low, high


def paired_verdict(name_a: str, name_b: str, difference: float, low: float, high: float) -> str:
    """One line for a paired comparison: "A beats B" only when the interval lies above 0,
    "A loses to B" when it lies below, else "A ties with B"; then the difference and its
    interval, to 3 decimals.

    Example:
        >>> paired_verdict("gated", "concat", 0.012, 0.004, 0.020)
        'gated beats concat: +0.012 [+0.004, +0.020]'
        >>> paired_verdict("gated", "late_mean", 0.004, -0.003, 0.011)
        'gated ties with late_mean: +0.004 [-0.003, +0.011]'
    """
    verb = "beats" if low > 0 else "loses to" if high < 0 else "ties with"
    return f"{name_a} {verb} {name_b}: {difference:+.3f} [{low:+.3f}, {high:+.3f}]"


def mean_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation (``ddof=1``) of results over several runs (seeds).

    One value gives a standard deviation of 0.0.

    Example:
        >>> mean_std([0.90, 0.92, 0.94])
        (0.92, 0.02)
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) == 0 or not np.all(np.isfinite(values)):
        raise ValueError(
            f"values must be a non-empty 1-D sequence of finite numbers, got {values!r}"
        )
    std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return round(float(np.mean(values)), 12), round(std, 12)


def format_mean_std(values, digits: int = 3) -> str:
    """``"mean ± std"`` of results over several runs, e.g. for a table of seeds.

    Example:
        >>> format_mean_std([0.904, 0.912, 0.920])
        '0.912 ± 0.008'
    """
    mean, std = mean_std(values)
    return f"{mean:.{digits}f} ± {std:.{digits}f}"
