"""Metrics and analyses of trained models (notebooks 02-04 start it; notebook 14 extends it)."""

from __future__ import annotations

import numpy as np

__all__ = [
    "ablate",
    "model_accuracy",
    "predict_classes",
    "confusion_matrix",
    "most_confused_pairs",
    "embed",
    "receptive_fields",
    "filter_frequency_responses",
    "nearest_neighbours",
]


def _check_labels(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape or len(y_true) == 0:
        raise ValueError(
            f"y_true and y_pred must be non-empty 1-D arrays of one length, got shapes "
            f"{y_true.shape} and {y_pred.shape}"
        )
    return y_true.astype(int), y_pred.astype(int)


def predict_classes(model, inputs, batch_size: int = 1024) -> np.ndarray:
    """Arg-max class of a classifier's outputs (logits or probabilities).

    Runs ``model.predict_on_batch`` on chunks of ``batch_size`` examples: for the small
    test sets of this series that is one call, about three times faster than
    ``model.predict``, whose per-call set-up dominates when a robustness sweep evaluates
    a model dozens of times.
    """
    if isinstance(inputs, dict):
        n = len(next(iter(inputs.values())))
        chunks = (
            {k: v[i : i + batch_size] for k, v in inputs.items()} for i in range(0, n, batch_size)
        )
    else:
        n = len(inputs)
        chunks = (inputs[i : i + batch_size] for i in range(0, n, batch_size))
    if n == 0:
        raise ValueError("predict_classes: expected at least one example, got 0")
    outputs = [np.asarray(model.predict_on_batch(chunk)) for chunk in chunks]
    return np.argmax(np.concatenate(outputs), axis=-1)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Counts ``C[i, j]`` of examples of true class i predicted as j.

    Example:
        >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), num_classes=2)
        array([[1, 0],
               [1, 1]])
    """
    y_true, y_pred = _check_labels(y_true, y_pred)
    if min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= num_classes:
        raise ValueError(f"labels must be in [0, {num_classes - 1}], got values outside")
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes**2).reshape(
        num_classes, num_classes
    )


def most_confused_pairs(matrix: np.ndarray, k: int = 5) -> list[tuple[int, int, int]]:
    """The ``k`` largest off-diagonal cells as ``(true, predicted, count)``, largest first."""
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square, got shape {matrix.shape}")
    off = matrix.copy()
    np.fill_diagonal(off, -1)
    order = np.argsort(-off, axis=None, kind="stable")[:k]
    return [
        (int(i), int(j), int(off[i, j]))
        for i, j in zip(*np.unravel_index(order, off.shape), strict=True)
    ]


def embed(encoder, inputs, batch_size: int = 256) -> np.ndarray:
    """The encoder's embeddings of ``inputs`` as a NumPy array (batch, embedding_dim)."""
    return np.asarray(encoder.predict(inputs, batch_size=batch_size, verbose=0))


# --- image (notebook 02) ---


def receptive_fields(model) -> list[tuple[str, int, int]]:
    """Receptive field of every convolution and pooling layer of a model, input to output.

    For a stack of layers with kernel sizes :math:`k_l` and strides :math:`s_l`, the
    receptive field grows as :math:`r_l = r_{l-1} + (k_l - 1) j_{l-1}` with the jump
    (input pixels between neighbouring outputs) :math:`j_l = j_{l-1} s_l`, from
    :math:`r_0 = j_0 = 1`. Layers are taken in the model's order along its longest path
    (for a residual block: the main branch, whose field is the larger one); square
    kernels are assumed; global pooling covers the whole input. A field larger than the
    input means the border of the field falls on the zero padding.

    Returns:
        ``(layer name, receptive field, jump)`` per layer, in pixels of the input.

    Example:
        >>> from mmtutor.encoders import build_image_encoder
        >>> receptive_fields(build_image_encoder())[-1]  # doctest: +SKIP
        ('global_average_pooling2d', 8, 2)
    """
    from keras import layers

    side = max(int(d) for d in model.inputs[0].shape[1:3] if d is not None)
    field, jump, out = 1, 1, []
    for layer in _flat_layers(model):
        if isinstance(layer, layers.Conv2D | layers.MaxPooling2D | layers.AveragePooling2D):
            size = layer.kernel_size if isinstance(layer, layers.Conv2D) else layer.pool_size
            stride = layer.strides
            if size[0] == 1:  # a 1x1 projection (a shortcut) does not widen the field
                continue
            field, jump = field + (size[0] - 1) * jump, jump * stride[0]
            out.append((layer.name, field, jump))
        elif isinstance(layer, layers.GlobalAveragePooling2D | layers.GlobalMaxPooling2D):
            out.append((layer.name, side, jump))
    return out


def _flat_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.__class__.__name__ in ("Functional", "Sequential"):
            yield from _flat_layers(layer)
        else:
            yield layer


# --- audio (notebook 04) ---


def filter_frequency_responses(
    kernels: np.ndarray, sample_rate: int = 8000, fft_length: int = 512
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Magnitude frequency responses of 1-D convolution kernels (a learned filterbank).

    A kernel :math:`h[n]` of :math:`K` taps filters a signal with the response
    :math:`|H(f)| = |\sum_n h[n] e^{-2\pi i f n / f_s}|`, computed here with a
    zero-padded FFT of ``fft_length`` points (``fft_length // 2 + 1`` frequencies from
    0 Hz to the Nyquist frequency :math:`f_s / 2`).

    Args:
        kernels: (taps, filters) or (taps, 1, filters) weights, e.g. the ``kernel`` of a
            ``Conv1D`` on a one-channel waveform.
        sample_rate: samples per second :math:`f_s` of the waveform.
        fft_length: FFT points, at least ``taps``.

    Returns:
        ``(freqs, responses, peaks)``: frequencies in Hz (bins,), each filter's magnitude
        response (filters, bins), and each filter's peak frequency in Hz (filters,).

    Example:
        >>> taps = np.cos(2 * np.pi * 1000 * np.arange(64) / 8000)[:, None]
        >>> freqs, responses, peaks = filter_frequency_responses(taps)
        >>> float(peaks[0])
        1000.0
    """
    kernels = np.asarray(kernels, dtype=float)
    if kernels.ndim == 3 and kernels.shape[1] == 1:
        kernels = kernels[:, 0, :]
    if kernels.ndim != 2 or 0 in kernels.shape:
        raise ValueError(
            f"kernels must have shape (taps, filters) or (taps, 1, filters), got {kernels.shape}"
        )
    if isinstance(fft_length, bool) or not isinstance(fft_length, int) or fft_length < len(kernels):
        raise ValueError(
            f"fft_length must be an integer >= the {len(kernels)} taps, got {fft_length!r}"
        )
    responses = np.abs(np.fft.rfft(kernels, n=fft_length, axis=0)).T
    freqs = np.fft.rfftfreq(fft_length, d=1.0 / sample_rate)
    return freqs, responses, freqs[np.argmax(responses, axis=1)]


# --- text (notebook 03) ---


def nearest_neighbours(
    vectors: np.ndarray,
    names: list[str] | tuple[str, ...],
    queries: list[str] | tuple[str, ...],
    k: int = 3,
    exclude: list[str] | tuple[str, ...] = ("", "[UNK]"),
) -> dict[str, list[tuple[str, float]]]:
    """The ``k`` rows of ``vectors`` most similar to each query's row by cosine similarity.

    Used on a text encoder's learned word vectors (``names`` = the vocabulary); rows named
    in ``exclude`` (padding, ``[UNK]``) and the query itself are never returned.

    Example:
        >>> v = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
        >>> nearest_neighbours(v, ["a", "b", "c"], ["a"], k=1)
        {'a': [('b', 0.9939)]}
    """
    vectors = np.asarray(vectors, dtype=float)
    names = list(names)
    if vectors.ndim != 2 or len(vectors) != len(names):
        raise ValueError(
            f"vectors must be (n, dim) with one row per name, got shape {vectors.shape} "
            f"for {len(names)} names"
        )
    missing = [q for q in queries if q not in names]
    if missing:
        raise ValueError(f"queries must be among the names, got unknown {missing}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    similarity = unit @ unit.T
    out = {}
    for query in queries:
        i = names.index(query)
        order = np.argsort(-similarity[i], kind="stable")
        hits = [j for j in order if j != i and names[j] not in exclude][:k]
        out[query] = [(names[j], round(float(similarity[i, j]), 4)) for j in hits]
    return out


def ablate(inputs: dict, modality: str, how: str = "zero", seed: int = 0) -> dict:
    """A copy of ``inputs`` with one modality's information removed at test time.

    ``how="zero"``: zeros (text: empty captions); ``"mean"``: every example gets the
    batch mean (text: the most common caption); ``"shuffle"``: the modality is permuted
    across examples (it keeps its distribution but no longer matches the label).
    The other modalities are untouched.

    Example:
        >>> import numpy as np
        >>> ablate({"a": np.ones((2, 3)), "b": np.ones(2)}, "a")["a"].sum()
        np.float64(0.0)
    """
    if not isinstance(inputs, dict) or modality not in inputs:
        raise ValueError(
            f"modality must be one of the inputs {list(inputs) if isinstance(inputs, dict) else inputs!r}, "
            f"got {modality!r}"
        )
    if how not in ("zero", "mean", "shuffle"):
        raise ValueError(f"how must be 'zero', 'mean' or 'shuffle', got {how!r}")
    values = np.asarray(inputs[modality])
    if how == "shuffle":
        new = values[np.random.default_rng(seed).permutation(len(values))]
    elif values.dtype.kind in "OUS":  # text
        if how == "zero":
            new = np.full(values.shape, "", dtype=object)
        else:
            texts, counts = np.unique(values.astype(str), return_counts=True)
            new = np.full(values.shape, texts[np.argmax(counts)], dtype=object)
    elif how == "zero":
        new = np.zeros_like(values)
    else:
        new = np.broadcast_to(values.mean(axis=0), values.shape).astype(values.dtype)
    return {**inputs, modality: new}


# --- notebooks 07-08 ---
def mean_by_class(values: np.ndarray, y: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """The mean of ``values`` (n, ...) over the examples of each class: (num_classes, ...).

    Used to read fusion weights (gates, attention) class by class (notebooks 07-08).

    Example:
        >>> mean_by_class(np.array([[1.0], [3.0], [5.0]]), np.array([0, 0, 1]), 2)[:, 0]
        array([2., 5.])
    """
    values, y = np.asarray(values), np.asarray(y)
    if values.ndim < 1 or y.shape != values.shape[:1]:
        raise ValueError(
            f"values must be (n, ...) with one row per label, got shapes {values.shape} "
            f"and {y.shape}"
        )
    if len(y) and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"labels must be in [0, {num_classes}), got {y.min()}..{y.max()}")
    return np.stack(
        [
            values[y == c].mean(axis=0) if np.any(y == c) else np.full(values.shape[1:], np.nan)
            for c in range(num_classes)
        ]
    )


__all__ += ["mean_by_class"]


# --- evaluation (notebooks 13-14) ---
# Metrics, confidence intervals, calibration, ablation/importance, saliency and robustness.
# Models of the series output logits; ``inputs`` are dicts modality -> array as
# ``data.test.x``. Taught in notebook 14 (robustness sweeps also in notebook 13).

CORRUPTIONS: dict[str, tuple[str, ...]] = {
    "image": ("noise", "occlusion", "contrast"),
    "audio": ("noise", "dropout"),
    "text": ("word_dropout", "typos"),
}


def _check_num_classes(y_true, y_pred, num_classes):
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    low, high = min(y_true.min(), y_pred.min()), max(y_true.max(), y_pred.max())
    if low < 0 or high >= num_classes:
        raise ValueError(f"labels must be in [0, {num_classes - 1}], got values in [{low}, {high}]")


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The fraction of examples whose predicted class is the true class.

    Example:
        >>> accuracy(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]))
        0.75
    """
    y_true, y_pred = _check_labels(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def _f1_from_counts(counts: np.ndarray) -> np.ndarray:
    """Per-class F1 of confusion counts (..., k, k), 0 where a class is never true nor predicted."""
    tp = np.diagonal(counts, axis1=-2, axis2=-1).astype(float)
    denominator = counts.sum(axis=-1) + counts.sum(axis=-2)  # 2 tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 10) -> float:
    r"""The unweighted mean over classes of :math:`F_1 = 2PR / (P + R)`.

    Every class counts equally, however rare, so a model that ignores a rare class scores
    low even when its accuracy is high. A class never true and never predicted scores 0
    (scikit-learn's ``f1_score(..., average="macro", labels=range(num_classes),
    zero_division=0)``).

    Example:
        >>> round(macro_f1(np.array([0, 0, 0, 1]), np.array([0, 0, 0, 0]), num_classes=2), 4)
        0.4286
    """
    y_true, y_pred = _check_labels(y_true, y_pred)
    _check_num_classes(y_true, y_pred, num_classes)
    return float(np.mean(_f1_from_counts(confusion_matrix(y_true, y_pred, num_classes))))


def per_class_report(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 10):
    """Precision, recall, F1 and support (number of true examples) of every class.

    Returns:
        a pandas DataFrame indexed by class (0 .. num_classes - 1), computed with
        scikit-learn's ``precision_recall_fscore_support(..., zero_division=0)``.

    Example:
        >>> per_class_report(np.array([0, 0, 1]), np.array([0, 1, 1]), num_classes=2)["recall"].tolist()
        [0.5, 1.0]
    """
    import pandas as pd
    from sklearn.metrics import precision_recall_fscore_support

    y_true, y_pred = _check_labels(y_true, y_pred)
    _check_num_classes(y_true, y_pred, num_classes)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(range(num_classes)), zero_division=0
    )
    return pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": support},
        index=pd.RangeIndex(num_classes, name="class"),
    )


def bootstrap_ci(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    metric="accuracy",
    n_resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """A percentile-bootstrap confidence interval of a metric over the test examples.

    Draws ``n_resamples`` test sets of the same size *with replacement* from the examples,
    computes the metric on each, and returns the ``(1 - level) / 2`` and
    ``(1 + level) / 2`` quantiles (Efron & Tibshirani, 1993). It measures the uncertainty
    that comes from the finite test set only, not that of training (seeds) or of the data
    split. ``"accuracy"`` and ``"macro_f1"`` are vectorised with NumPy; a callable
    ``metric(y_true, y_pred) -> float`` is called once per resample.

    Returns:
        ``(estimate, low, high)``: the metric on the full test set and the interval.

    Example:
        >>> y = np.array([0, 1] * 50)
        >>> estimate, low, high = bootstrap_ci(y, np.where(np.arange(100) < 80, y, 1 - y))
        >>> estimate, bool(low < 0.8 < high)
        (0.8, True)
    """
    y_true, y_pred = _check_labels(y_true, y_pred)
    if not (isinstance(level, float) and 0.0 < level < 1.0):
        raise ValueError(f"level must be a float in (0, 1), got {level!r}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 10:
        raise ValueError(f"n_resamples must be an integer >= 10, got {n_resamples!r}")
    if metric == "accuracy":
        metric_fn = accuracy
    elif metric == "macro_f1":
        metric_fn = macro_f1
        num_classes = max(int(max(y_true.max(), y_pred.max())) + 1, 2)
    elif callable(metric):
        metric_fn = metric
    else:
        raise ValueError(f"metric must be 'accuracy', 'macro_f1' or a callable, got {metric!r}")
    n = len(y_true)
    rng = np.random.default_rng(seed)
    chunk = max(1, 2_000_000 // n)  # resamples per block: bounded memory
    scores = []
    for start in range(0, n_resamples, chunk):
        idx = rng.integers(0, n, size=(min(chunk, n_resamples - start), n))
        t, p = y_true[idx], y_pred[idx]
        if metric == "accuracy":
            scores.append(np.mean(t == p, axis=1))
        elif metric == "macro_f1":
            k = num_classes
            codes = (np.arange(len(idx))[:, None] * k * k + t * k + p).ravel()
            counts = np.bincount(codes, minlength=len(idx) * k * k).reshape(len(idx), k, k)
            scores.append(_f1_from_counts(counts).mean(axis=1))
        else:
            scores.append(np.array([metric_fn(a, b) for a, b in zip(t, p, strict=True)]))
    scores = np.concatenate(scores)
    low, high = np.quantile(scores, [(1 - level) / 2, (1 + level) / 2])
    estimate = (
        metric_fn(y_true, y_pred) if metric != "macro_f1" else macro_f1(y_true, y_pred, num_classes)
    )
    return float(estimate), float(low), float(high)


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


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    r"""Class probabilities :math:`p_c = e^{z_c / T} / \sum_j e^{z_j / T}` of logits (n, k).

    :math:`T > 1` softens the probabilities, :math:`T < 1` sharpens them; the arg-max (the
    predicted class) never changes. Computed stably (the row maximum is subtracted first).

    Example:
        >>> softmax(np.array([[0.0, np.log(3.0)]])).round(4)
        array([[0.25, 0.75]])
    """
    logits = _check_logits(logits, temperature)
    return np.exp(_log_softmax(logits / temperature))


def negative_log_likelihood(logits: np.ndarray, y: np.ndarray, temperature: float = 1.0) -> float:
    r"""Mean negative log-likelihood :math:`-\frac{1}{n}\sum_i \log p_{y_i}(x_i)` of the labels
    under ``softmax(logits / temperature)`` (the cross-entropy loss), via a stable log-softmax.

    Example:
        >>> round(negative_log_likelihood(np.array([[0.0, 0.0]]), np.array([1])), 4)
        0.6931
    """
    logits = _check_logits(logits, temperature)
    y = _check_targets(y, *logits.shape)
    return float(-np.mean(_log_softmax(logits / temperature)[np.arange(len(y)), y]))


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


def _check_bins(n_bins) -> None:
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")


def reliability_curve(probs: np.ndarray, y: np.ndarray, n_bins: int = 15) -> dict:
    """Accuracy against confidence, in equal-width confidence bins (a reliability diagram's data).

    The confidence of an example is its largest class probability, and bin ``b`` holds the
    examples whose confidence lies in ``(edges[b], edges[b + 1]]``. A calibrated model has,
    in every bin, an accuracy equal to its mean confidence.

    Returns:
        a dict of arrays: ``edges`` (n_bins + 1), ``centers``, ``confidence`` (mean
        confidence per bin), ``accuracy`` (per bin) and ``count`` (examples per bin). Empty
        bins have NaN confidence and accuracy and a count of 0.

    Example:
        >>> curve = reliability_curve(np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0, 0]), n_bins=5)
        >>> curve["count"].tolist(), curve["accuracy"][-1]
        ([0, 0, 0, 1, 1], np.float64(1.0))
    """
    probs, y = _check_probs(probs, y)
    _check_bins(n_bins)
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y).astype(float)
    bins = np.clip(np.ceil(confidence * n_bins).astype(int) - 1, 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(bins, weights=confidence, minlength=n_bins) / count
        acc = np.bincount(bins, weights=correct, minlength=n_bins) / count
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return {
        "edges": edges,
        "centers": (edges[:-1] + edges[1:]) / 2,
        "confidence": np.where(count > 0, mean_conf, np.nan),
        "accuracy": np.where(count > 0, acc, np.nan),
        "count": count,
    }


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, n_bins: int = 15) -> float:
    r"""Expected calibration error (Naeini et al., 2015; Guo et al., 2017):

    .. math:: \mathrm{ECE} = \sum_b \frac{n_b}{n} \left|\mathrm{acc}_b - \mathrm{conf}_b\right|

    over ``n_bins`` equal-width confidence bins (:func:`reliability_curve`): the average gap,
    weighted by the examples in each bin, between how often the model is right and how
    sure it says it is. 0 is perfectly calibrated.

    Example:
        >>> round(expected_calibration_error(np.array([[0.9, 0.1], [0.9, 0.1]]), np.array([0, 1])), 4)
        0.4
    """
    curve = reliability_curve(probs, y, n_bins)
    full = curve["count"] > 0
    gaps = np.abs(curve["accuracy"][full] - curve["confidence"][full])
    return float(np.sum(curve["count"][full] * gaps) / curve["count"].sum())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    r"""Temperature scaling (Guo et al., 2017): the :math:`T > 0` that minimises the NLL of
    ``softmax(logits / T)`` on held-out data (use the validation split, never the test split).

    One scalar is fitted, so the predicted classes (and the accuracy) do not change; only
    the confidence does. Search: a log-spaced grid of 60 values over [0.05, 20], then a
    bounded scalar minimisation (SciPy) between the grid neighbours of the best value. The
    result never has a higher NLL than :math:`T = 1`: unless it is strictly lower, 1.0 is
    returned (a flat or odd objective).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> z = rng.normal(size=(2000, 5)) * 2
        >>> y = np.array([rng.choice(5, p=p) for p in softmax(z)])
        >>> round(fit_temperature(3 * z, y), 1)  # over-confident logits: T close to 3
        3.0
    """
    from scipy.optimize import minimize_scalar

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


def _model_input_names(model, inputs: dict) -> list[str]:
    if not isinstance(inputs, dict):
        raise ValueError(f"inputs must be a dict modality -> array, got {type(inputs).__name__}")
    names = [t.name for t in model.inputs]
    missing = [m for m in names if m not in inputs]
    if missing:
        raise ValueError(f"the model takes inputs {names}, but inputs has only {list(inputs)}")
    return names


def _check_modalities(modalities, names: list[str]) -> list[str]:
    modalities = list(names) if modalities is None else list(modalities)
    unknown = [m for m in modalities if m not in names]
    if unknown or not modalities:
        raise ValueError(f"modalities must be a non-empty subset of the model's inputs {names}, "
                         f"got {modalities}")  # fmt: skip
    return modalities


def model_accuracy(model, inputs: dict, y: np.ndarray) -> float:
    """Accuracy of ``model``'s arg-max predictions on ``inputs`` (a dict modality -> array;
    only the model's own inputs are fed). Through :func:`predict_classes`, so a table that
    evaluates many models and ablations costs a fraction of ``model.evaluate`` calls.

    Example:
        >>> model_accuracy(model, data.test.x, data.test.y)  # doctest: +SKIP
        0.955
    """
    names = _model_input_names(model, inputs)
    return accuracy(y, predict_classes(model, {m: inputs[m] for m in names}))


def modality_ablation(
    model, inputs: dict, y: np.ndarray, how: str = "zero", modalities=None
) -> dict:
    """Test accuracy with all modalities, then with each one removed in turn by :func:`ablate`.

    ``how``: ``"zero"``, ``"mean"`` or ``"shuffle"`` (see :func:`ablate`). The drop from
    ``"all"`` to ``"without m"`` says how much the model *needs* ``m`` given the others; a
    redundant modality can be important alone yet cost little when removed.

    Returns:
        ``{"all": accuracy, "without <m>": accuracy, ...}`` over the model's inputs (or
        ``modalities``).

    Example:
        >>> modality_ablation(model, data.test.x, data.test.y, how="mean")  # doctest: +SKIP
        {'all': 0.95, 'without image': 0.92, 'without audio': 0.61, 'without text': 0.9}
    """
    names = _model_input_names(model, inputs)
    modalities = _check_modalities(modalities, names)
    y = np.asarray(y)
    out = {"all": model_accuracy(model, inputs, y)}
    for m in modalities:
        out[f"without {m}"] = model_accuracy(model, ablate(inputs, m, how=how), y)
    return out


def permutation_importance(
    model, inputs: dict, y: np.ndarray, n_repeats: int = 5, seed: int = 0, modalities=None
):
    """Permutation importance of each modality (Breiman, 2001), at the level of whole modalities.

    Shuffles one modality across the test examples (each example keeps its other inputs
    but gets another example's, say, audio), ``n_repeats`` times, and records the drop in
    accuracy. Shuffling keeps the modality's distribution, so unlike zeroing it does not
    feed the model inputs it never saw; a modality the model ignores scores exactly 0.

    Returns:
        a pandas DataFrame indexed by modality: ``accuracy drop`` (mean over repeats),
        ``std`` (over repeats) and ``clean accuracy``.

    Example:
        >>> permutation_importance(model, data.test.x, data.test.y)  # doctest: +SKIP
    """
    import pandas as pd

    names = _model_input_names(model, inputs)
    modalities = _check_modalities(modalities, names)
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, int) or n_repeats < 1:
        raise ValueError(f"n_repeats must be a positive integer, got {n_repeats!r}")
    y = np.asarray(y)
    clean = model_accuracy(model, inputs, y)
    rng = np.random.default_rng(seed)
    rows = {}
    for m in modalities:
        drops = []
        for _ in range(n_repeats):
            shuffled = {**inputs, m: np.asarray(inputs[m])[rng.permutation(len(y))]}
            drops.append(clean - model_accuracy(model, shuffled, y))
        rows[m] = {"accuracy drop": float(np.mean(drops)), "std": mean_std(drops)[1],
                   "clean accuracy": clean}  # fmt: skip
    return pd.DataFrame(rows).T.rename_axis("modality")


def saliency(model, inputs: dict, modality: str, class_index=None) -> np.ndarray:
    r"""Gradient saliency (Simonyan et al., 2014): :math:`|\partial z_c / \partial x|` per input value.

    ``z_c`` is the logit of class ``c`` (the predicted class unless ``class_index``, an int
    or one per example, says otherwise), ``x`` the ``modality`` input; the other inputs are
    held fixed. A large value means a small change of that pixel (or audio sample) would
    change the class score most: it says where the model is *sensitive*, which is not
    the same as what it *uses* (check with ablation). Only numeric modalities have
    gradients; text (strings) raises an error: use :func:`permutation_importance`.

    Returns:
        an array of the modality input's shape, non-negative.

    Example:
        >>> saliency(model, data.test.inputs(), "image")[:4].shape  # doctest: +SKIP
        (4, 8, 8, 1)
    """
    import tensorflow as tf

    names = _model_input_names(model, inputs)
    if modality not in names:
        raise ValueError(f"modality must be one of the model's inputs {names}, got {modality!r}")
    values = np.asarray(inputs[modality])
    if values.dtype.kind in "OUSb":
        raise ValueError(
            f"saliency needs a numeric input; {modality!r} holds strings, which have no "
            "gradient (the vectorizer maps them to integer tokens). Use "
            "permutation_importance or modality_ablation for text"
        )
    x = {m: np.asarray(inputs[m]) for m in names}
    x = {m: v.astype(str) if v.dtype == object else v for m, v in x.items()}
    target = tf.constant(values.astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(target)
        logits = model({**{m: tf.constant(v) for m, v in x.items()}, modality: target},
                       training=False)  # fmt: skip
        if class_index is None:
            index = tf.stop_gradient(tf.argmax(logits, axis=-1))
        else:
            index = tf.broadcast_to(tf.constant(class_index, dtype=tf.int64), [len(values)])
        chosen = tf.gather(logits, index, axis=1, batch_dims=1)
        total = tf.reduce_sum(chosen)  # examples are independent: one backward pass for all
    grad = tape.gradient(total, target)
    if grad is None:
        return np.zeros(values.shape, dtype=np.float32)
    return np.abs(grad.numpy())


def snr_db(severity: float) -> float:
    """Signal-to-noise ratio, in dB, of audio ``"noise"`` at ``severity`` s in (0, 1]:
    ``20 - 30 s``, i.e. +20 dB (barely audible noise) as s -> 0 down to -10 dB (noise ten
    times stronger than the signal) at s = 1.

    Example:
        >>> snr_db(0.5)
        5.0
    """
    _check_severity(severity)
    return 20.0 - 30.0 * float(severity)


def _check_severity(severity) -> None:
    if (
        isinstance(severity, bool)
        or not isinstance(severity, int | float | np.number)
        or not (0.0 <= severity <= 1.0)
    ):
        raise ValueError(f"severity must be a number in [0, 1], got {severity!r}")


def corrupt(
    inputs: dict, modality: str, kind: str, severity: float, seed: int = 0, sample_rate: int = 8000
) -> dict:
    """A copy of ``inputs`` with one modality corrupted at ``severity`` s in [0, 1].

    Severity 0 returns the inputs unchanged; the others stay untouched. Deterministic for
    a ``seed``. The kinds (:data:`CORRUPTIONS`) and what s means physically:

    - image ``"noise"``: Gaussian pixel noise of standard deviation 0.5 s, then clipped to
      [0, 1];
    - image ``"occlusion"``: a square of side round(8 s) pixels (of an 8-pixel side; in
      general round(side * s)) at a random place in each image is set to 0;
    - image ``"contrast"``: x' = m + (1 - s)(x - m), with m the image's mean (s = 1: a flat
      grey image);
    - audio ``"noise"``: white Gaussian noise at a signal-to-noise ratio of
      :func:`snr_db` (s) = 20 - 30 s dB relative to each waveform's power (+20 dB to -10 dB);
    - audio ``"dropout"``: a fraction s (rounded) of the 100-ms segments of each waveform,
      chosen at random, set to 0 (5 segments for 0.5 s at 8 kHz);
    - text ``"word_dropout"``: each word removed with probability s (s = 1: empty captions);
    - text ``"typos"``: each word, with probability s, gets one random letter replaced by
      another random lower-case letter.

    Example:
        >>> x = {"image": np.full((2, 8, 8, 1), 0.5, "float32"), "text": np.array(["a b", "c"], object)}
        >>> corrupt(x, "image", "occlusion", 0.5)["image"].mean()
        np.float32(0.375)
    """
    if not isinstance(inputs, dict):
        raise ValueError(f"inputs must be a dict modality -> array, got {type(inputs).__name__}")
    if modality not in CORRUPTIONS or modality not in inputs:
        known = [m for m in CORRUPTIONS if m in inputs]
        raise ValueError(f"modality must be one of {known} (corruptions exist for "
                         f"{list(CORRUPTIONS)}), got {modality!r}")  # fmt: skip
    if kind not in CORRUPTIONS[modality]:
        raise ValueError(f"kind must be one of {list(CORRUPTIONS[modality])} for {modality}, "
                         f"got {kind!r}")  # fmt: skip
    _check_severity(severity)
    values = np.asarray(inputs[modality])
    if severity == 0:
        return {**inputs, modality: values.copy()}
    rng = np.random.default_rng(seed)
    s = float(severity)
    if modality == "image":
        new = _corrupt_image(values, kind, s, rng)
    elif modality == "audio":
        new = _corrupt_audio(values, kind, s, rng, sample_rate)
    else:
        new = np.array([_corrupt_text(str(t), kind, s, rng) for t in values], dtype=object)
    return {**inputs, modality: new}


def _corrupt_image(x: np.ndarray, kind: str, s: float, rng: np.random.Generator) -> np.ndarray:
    if x.ndim not in (3, 4):
        raise ValueError(f"images must be (n, h, w) or (n, h, w, c), got shape {x.shape}")
    if kind == "noise":
        return np.clip(x + rng.normal(0.0, 0.5 * s, x.shape), 0.0, 1.0).astype(x.dtype)
    if kind == "contrast":
        mean = x.mean(axis=tuple(range(1, x.ndim)), keepdims=True)
        return (mean + (1.0 - s) * (x - mean)).astype(x.dtype)
    n, h, w = x.shape[:3]
    side = int(round(min(h, w) * s))
    top, left = rng.integers(0, h - side + 1, n), rng.integers(0, w - side + 1, n)
    rows, cols = np.arange(h)[None, :, None], np.arange(w)[None, None, :]
    mask = ((rows >= top[:, None, None]) & (rows < (top + side)[:, None, None])
            & (cols >= left[:, None, None]) & (cols < (left + side)[:, None, None]))  # fmt: skip
    mask = mask.reshape(mask.shape + (1,) * (x.ndim - 3))
    return np.where(mask, 0, x).astype(x.dtype)


def _corrupt_audio(x, kind: str, s: float, rng, sample_rate: int) -> np.ndarray:
    if x.ndim != 2:
        raise ValueError(f"waveforms must be (n, samples), got shape {x.shape}")
    if kind == "noise":
        power = np.mean(np.square(x, dtype=np.float64), axis=1, keepdims=True)
        noise_power = power / 10 ** (snr_db(s) / 10)
        return (x + rng.normal(size=x.shape) * np.sqrt(noise_power)).astype(x.dtype)
    segment = int(round(0.1 * sample_rate))
    n_segments = int(np.ceil(x.shape[1] / segment))
    drop = int(round(s * n_segments))
    order = np.argsort(rng.random((len(x), n_segments)), axis=1)[:, :drop]
    keep = np.ones((len(x), n_segments), dtype=bool)
    np.put_along_axis(keep, order, False, axis=1)
    mask = np.repeat(keep, segment, axis=1)[:, : x.shape[1]]
    return np.where(mask, x, 0).astype(x.dtype)


_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def _corrupt_text(text: str, kind: str, s: float, rng: np.random.Generator) -> str:
    words = text.split()
    if kind == "word_dropout":
        return " ".join(w for w, u in zip(words, rng.random(len(words)), strict=True) if u >= s)
    out = []
    for word, u in zip(words, rng.random(len(words)), strict=True):
        letters = [i for i, ch in enumerate(word) if ch.isalpha()]
        if u < s and letters:
            i = letters[int(rng.integers(len(letters)))]
            choices = _LETTERS[_LETTERS != word[i].lower()]
            word = word[:i] + str(choices[int(rng.integers(len(choices)))]) + word[i + 1 :]
        out.append(word)
    return " ".join(out)


def _check_severities(severities) -> tuple[float, ...]:
    severities = tuple(float(s) for s in severities)
    if not severities:
        raise ValueError("severities must be a non-empty sequence of numbers in [0, 1]")
    for s in severities:
        _check_severity(s)
    return severities


def robustness_sweep(
    model, inputs: dict, y: np.ndarray, modality: str, kind: str,
    severities=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), seed: int = 0,
):  # fmt: skip
    """Test accuracy as one modality is corrupted (:func:`corrupt`) at increasing severity.

    Every severity uses the same ``seed``, so the corruption grows smoothly; severity 0 is
    the clean accuracy exactly.

    Returns:
        a pandas Series indexed by severity, named ``"<modality> <kind>"``.

    Example:
        >>> robustness_sweep(model, data.test.x, data.test.y, "audio", "noise")  # doctest: +SKIP
    """
    import pandas as pd

    severities = _check_severities(severities)
    corrupt(inputs, modality, kind, 0.0)  # validates modality and kind before any work
    _model_input_names(model, inputs)  # a clear error before any work
    y = np.asarray(y)
    values = [model_accuracy(model, corrupt(inputs, modality, kind, s, seed), y)
              for s in severities]  # fmt: skip
    return pd.Series(values, index=pd.Index(severities, name="severity"), name=f"{modality} {kind}")


def robustness_table(
    models: dict, inputs: dict, y: np.ndarray, modality: str, kind: str,
    severities=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), seed: int = 0,
):  # fmt: skip
    """:func:`robustness_sweep` for several models: a pandas DataFrame indexed by severity,
    one column of accuracies per model (``models``: name -> model).

    Example:
        >>> robustness_table({"late": late, "concat": concat}, data.test.x, data.test.y,
        ...                  "image", "noise")  # doctest: +SKIP
    """
    import pandas as pd

    if not isinstance(models, dict) or not models:
        raise ValueError(
            f"models must be a non-empty dict name -> model, got {type(models).__name__}"
        )
    columns = {name: robustness_sweep(model, inputs, y, modality, kind, severities, seed)
               for name, model in models.items()}  # fmt: skip
    table = pd.DataFrame(columns)
    table.columns.name = f"{modality} {kind}"
    return table


def _curve(accuracies, name: str) -> np.ndarray:
    values = np.asarray(accuracies, dtype=float)
    if values.ndim != 1 or len(values) < 2 or not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must be 2+ finite accuracies, one per severity, got {values!r}")
    return values


def relative_robustness(accuracies, severities=None) -> float:
    """MultiBench's *relative robustness* (Liang et al., 2021): the area under the curve of
    accuracy against corruption severity, by the trapezoidal rule.

    It rewards a model that is accurate *and* stays accurate as the input degrades. The
    MultiBench code (``eval_scripts/robustness.py``) sums trapezoids of width 0.1 over
    levels spaced 0.1 apart on [0, 1]; here the widths are the given ``severities`` (by
    default the index of a pandas Series, else evenly spaced on [0, 1]), which is the same
    number for 11 levels 0, 0.1, ..., 1. (MultiBench then min-max normalises the figure
    across the methods compared on a task, for its leaderboard.)

    Example:
        >>> relative_robustness([1.0, 0.5, 0.0])
        0.5
    """
    values = _curve(accuracies, "accuracies")
    if severities is None:
        index = getattr(accuracies, "index", None)  # a pandas Series: its index
        severities = (
            np.asarray(index, float)
            if not callable(index) and index is not None
            else np.linspace(0, 1, len(values))
        )
    x = np.asarray(severities, dtype=float)
    if x.shape != values.shape or np.any(np.diff(x) <= 0):
        raise ValueError(f"severities must be {len(values)} increasing numbers, got {x!r}")
    return float(np.sum((values[1:] + values[:-1]) * np.diff(x) / 2))


def effective_robustness(accuracies, reference_accuracies) -> float:
    r"""MultiBench's *effective robustness* (Liang et al., 2021, after Taori et al., 2020):
    how much better a model holds up than a reference (in MultiBench: late fusion) once both
    start from the same clean accuracy.

    The reference curve :math:`r` is shifted to start at the model's clean accuracy,
    :math:`\beta_s = r_s + (f_0 - r_0)`, and the figure is :math:`\sum_s (f_s - \beta_s)`
    over the severity levels :math:`s` (a sum, as in MultiBench's
    ``eval_scripts/robustness.py``, not a mean). Positive: the model loses less accuracy
    than the reference as corruption grows; 0 for the reference itself.

    Example:
        >>> effective_robustness([0.9, 0.8, 0.7], [0.8, 0.6, 0.4])
        0.3
    """
    f = _curve(accuracies, "accuracies")
    r = _curve(reference_accuracies, "reference_accuracies")
    if f.shape != r.shape:
        raise ValueError(f"accuracies and reference_accuracies must have one length, got "
                         f"{len(f)} and {len(r)}")  # fmt: skip
    return round(float(np.sum(f - (r + (f[0] - r[0])))), 12)


__all__ += [
    "CORRUPTIONS",
    "accuracy",
    "bootstrap_ci",
    "corrupt",
    "effective_robustness",
    "expected_calibration_error",
    "fit_temperature",
    "format_mean_std",
    "macro_f1",
    "mean_std",
    "modality_ablation",
    "negative_log_likelihood",
    "per_class_report",
    "permutation_importance",
    "relative_robustness",
    "reliability_curve",
    "robustness_sweep",
    "robustness_table",
    "saliency",
    "snr_db",
    "softmax",
]
