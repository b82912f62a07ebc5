"""Metrics and analyses of trained models (notebooks 02-04 start it; notebook 14 extends it)."""

from __future__ import annotations

import numpy as np

__all__ = [
    "ablate",
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


def predict_classes(model, inputs, batch_size: int = 256) -> np.ndarray:
    """Arg-max class of a classifier's outputs (logits or probabilities)."""
    return np.argmax(model.predict(inputs, batch_size=batch_size, verbose=0), axis=-1)


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
