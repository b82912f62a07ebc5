"""Calibration: probabilities from logits, NLL, reliability curves, ECE and temperature
scaling (notebook 14). Models of the series output logits.
"""

from __future__ import annotations

import numpy as np
from scipy import special
from scipy.optimize import minimize_scalar
from sklearn.calibration import calibration_curve

from mmtutor.evaluation._checks import check_positive_int

__all__ = [
    "softmax",
    "negative_log_likelihood",
    "reliability_curve",
    "ece_of_curve",
    "expected_calibration_error",
    "fit_temperature",
]


def _check_logits(logits, temperature: float = 1.0) -> np.ndarray:
    logits = np.asarray(logits, dtype=float)
    if logits.ndim != 2 or logits.shape[0] == 0 or logits.shape[1] < 2:
        raise ValueError(f"logits must have shape (n, classes) with 2+ classes, got {logits.shape}")
    if not np.all(np.isfinite(logits)):
        raise ValueError("logits must be finite, got NaN or infinite values")
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, int | float)
        or not (temperature > 0)
    ):
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}")
    return logits


def _check_targets(y, n: int, k: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"y must be {n} integer labels (one per row), got shape {y.shape}, dtype {y.dtype}"
        )
    if n and (y.min() < 0 or y.max() >= k):
        raise ValueError(f"labels must be in [0, {k - 1}], got values in [{y.min()}, {y.max()}]")
    return y


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    r"""Class probabilities :math:`p_c = e^{z_c / T} / \sum_j e^{z_j / T}` of logits (n, k).

    :math:`T > 1` softens the probabilities, :math:`T < 1` sharpens them; the arg-max (the
    predicted class) never changes. ``scipy.special.softmax`` (computed stably).

    Example:
        >>> softmax(np.array([[0.0, np.log(3.0)]])).round(4)
        array([[0.25, 0.75]])
    """
    logits = _check_logits(logits, temperature)
    return special.softmax(logits / temperature, axis=1)


def negative_log_likelihood(logits: np.ndarray, y: np.ndarray, temperature: float = 1.0) -> float:
    r"""Mean negative log-likelihood :math:`-\frac{1}{n}\sum_i \log p_{y_i}(x_i)` of the labels
    under ``softmax(logits / temperature)`` (the cross-entropy loss).

    From ``scipy.special.log_softmax``, exact for any logits: scikit-learn's ``log_loss``
    gives the same number while every probability exceeds machine epsilon, but clips
    smaller ones, so a confidently wrong prediction would cost at most 36.04.

    Example:
        >>> round(negative_log_likelihood(np.array([[0.0, 0.0]]), np.array([1])), 4)
        0.6931
    """
    logits = _check_logits(logits, temperature)
    y = _check_targets(y, *logits.shape)
    log_probs = special.log_softmax(logits / temperature, axis=1)
    return float(-np.mean(log_probs[np.arange(len(y)), y]))


def _check_probs(probs, y) -> tuple[np.ndarray, np.ndarray]:
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 2 or probs.shape[0] == 0 or probs.shape[1] < 2:
        raise ValueError(
            f"probabilities must have shape (n, classes) with 2+ classes, got {probs.shape}"
        )
    if not np.all(np.isfinite(probs)) or probs.min() < 0:
        raise ValueError("probabilities must be finite and non-negative (pass softmax(logits))")
    sums = probs.sum(axis=1)
    if np.max(np.abs(sums - 1.0)) > 1e-3:
        raise ValueError(
            "probabilities must sum to 1 in every row (within 1e-3); got row sums in "
            f"[{sums.min():.4f}, {sums.max():.4f}]: pass softmax(logits), not logits"
        )
    return probs, _check_targets(y, *probs.shape)


def reliability_curve(probs: np.ndarray, y: np.ndarray, n_bins: int = 15) -> dict:
    """Accuracy against confidence, in equal-width confidence bins (a reliability diagram's data).

    The confidence of an example is its largest class probability, and bin ``b`` holds the
    examples whose confidence lies in ``(edges[b], edges[b + 1]]`` (the first bin also
    holds 0), with ``edges = np.linspace(0, 1, n_bins + 1)``: the binning of scikit-learn's
    ``calibration_curve(correct, confidence, strategy="uniform")``, which gives the
    per-bin accuracy and confidence here. A calibrated model has, in every bin, an
    accuracy equal to its mean confidence.

    Returns:
        a dict of arrays: ``edges`` (n_bins + 1), ``centers``, ``confidence`` (mean
        confidence per bin), ``accuracy`` (per bin) and ``count`` (examples per bin). Empty
        bins have NaN confidence and accuracy and a count of 0.

    Example:
        >>> probs = np.array([[0.9, 0.1], [0.2, 0.8]])
        >>> curve = reliability_curve(probs, np.array([0, 0]), n_bins=5)
        >>> curve["count"].tolist(), curve["accuracy"].tolist()[-2:]
        ([0, 0, 0, 1, 1], [0.0, 1.0])
    """
    probs, y = _check_probs(probs, y)
    n_bins = check_positive_int(n_bins, "n_bins")
    confidence = np.clip(probs.max(axis=1), 0.0, 1.0)  # rows may sum to 1 +- 1e-3
    correct = (probs.argmax(axis=1) == y).astype(int)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    count = np.bincount(np.searchsorted(edges[1:-1], confidence), minlength=n_bins)
    accuracy_in_bin, confidence_in_bin = calibration_curve(
        correct, confidence, n_bins=n_bins, strategy="uniform"
    )
    full = count > 0
    if full.sum() != len(accuracy_in_bin):  # scikit-learn changed its binning
        raise RuntimeError("calibration_curve returned bins other than (edges[b], edges[b+1]]")
    out = {"accuracy": np.full(n_bins, np.nan), "confidence": np.full(n_bins, np.nan)}
    out["accuracy"][full], out["confidence"][full] = accuracy_in_bin, confidence_in_bin
    return {"edges": edges, "centers": (edges[:-1] + edges[1:]) / 2, **out, "count": count}


def ece_of_curve(curve: dict) -> float:
    r"""The expected calibration error of a :func:`reliability_curve` (see
    :func:`expected_calibration_error`): :math:`\sum_b \frac{n_b}{n}
    |\mathrm{acc}_b - \mathrm{conf}_b|` over its non-empty bins.

    Example:
        >>> ece_of_curve({"count": np.array([0, 2]), "accuracy": np.array([np.nan, 0.5]),
        ...               "confidence": np.array([np.nan, 0.9])})
        0.4
    """
    count = np.asarray(curve["count"], dtype=float)
    if count.ndim != 1 or count.sum() <= 0:
        raise ValueError(f"curve['count'] must be per-bin counts of 1+ examples, got {count}")
    full = count > 0
    gaps = np.abs(np.asarray(curve["accuracy"])[full] - np.asarray(curve["confidence"])[full])
    return float(np.sum(count[full] * gaps) / count.sum())


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, n_bins: int = 15) -> float:
    r"""Expected calibration error (Naeini et al., 2015; Guo et al., 2017):

    .. math:: \mathrm{ECE} = \sum_b \frac{n_b}{n} \left|\mathrm{acc}_b - \mathrm{conf}_b\right|

    over ``n_bins`` equal-width confidence bins (:func:`reliability_curve`, bins
    ``(edges[b], edges[b + 1]]``): the average gap, weighted by the examples in each bin,
    between how often the model is right and how sure it says it is. 0 is perfectly
    calibrated. Hand-written (:func:`ece_of_curve`) because notebook 14 teaches it.

    Example:
        >>> probs = np.array([[0.9, 0.1], [0.9, 0.1]])  # one right, one wrong, both 90% sure
        >>> round(expected_calibration_error(probs, np.array([0, 1])), 4)
        0.4
    """
    return ece_of_curve(reliability_curve(probs, y, n_bins))


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    r"""Temperature scaling (Guo et al., 2017): the :math:`T > 0` that minimises the NLL of
    ``softmax(logits / T)`` on held-out data (use the validation split, never the test split).

    One scalar is fitted, so the predicted classes (and the accuracy) do not change; only
    the confidence does. Search: a log-spaced grid of 60 values over [0.05, 20], then a
    bounded scalar minimisation (SciPy) between the grid neighbours of the best value. The
    result never has a higher NLL than :math:`T = 1`: unless it is strictly lower, 1.0 is
    returned (a flat or odd objective). Hand-written because notebook 14 teaches it.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> z = rng.normal(size=(2000, 5)) * 2
        >>> y = np.array([rng.choice(5, p=p) for p in softmax(z)])
        >>> round(fit_temperature(3 * z, y), 1)  # over-confident logits: T close to 3
        3.0
    """
    logits = _check_logits(logits)
    y = _check_targets(y, *logits.shape)
    grid = np.logspace(np.log10(0.05), np.log10(20.0), 60)
    losses = [negative_log_likelihood(logits, y, float(t)) for t in grid]
    best = int(np.argmin(losses))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    result = minimize_scalar(
        lambda t: negative_log_likelihood(logits, y, float(t)),
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-5},
    )
    candidates = [(losses[best], float(grid[best])), (float(result.fun), float(result.x))]
    nll, temperature = min(candidates)
    return temperature if nll < negative_log_likelihood(logits, y, 1.0) else 1.0
