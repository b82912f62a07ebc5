"""Look inside an encoder: receptive fields of an image CNN (notebook 02), word-vector
neighbours of a text encoder (notebook 03), frequency responses of a learned audio
filterbank (notebook 04).

``mmtutor.evaluation`` re-exports these three functions, so notebooks can import them
from either place.
"""

from __future__ import annotations

import numpy as np

__all__ = ["receptive_fields", "nearest_neighbours", "filter_frequency_responses"]


def _flat_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.__class__.__name__ in ("Functional", "Sequential"):
            yield from _flat_layers(layer)
        else:
            yield layer


def receptive_fields(model) -> list[tuple[str, int, int]]:
    """Receptive field of every convolution and pooling layer of a model, input to output.

    For a stack of layers with kernel sizes :math:`k_l` and strides :math:`s_l`, the
    receptive field grows as :math:`r_l = r_{l-1} + (k_l - 1) j_{l-1}` with the jump
    (input pixels between neighbouring outputs) :math:`j_l = j_{l-1} s_l`, from
    :math:`r_0 = j_0 = 1`. Layers are taken in the model's order along its longest path
    (for a residual block: the main branch, whose field is the larger one); square
    kernels are assumed; 1x1 convolutions (shortcut projections) do not widen the field
    and are left out; global pooling covers the whole input. A field larger than the
    input means the border of the field falls on the zero padding. Hand-written because
    notebook 02 teaches it.

    Returns:
        ``(layer name, receptive field, jump)`` per layer, in pixels of the input.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="a"),
        ...                           keras.layers.MaxPooling2D(2, name="b")])
        >>> receptive_fields(model)
        [('a', 3, 1), ('b', 4, 2)]
    """
    from keras import layers

    try:
        side = max(int(d) for d in model.inputs[0].shape[1:3] if d is not None)
    except (AttributeError, IndexError, TypeError, ValueError):
        raise TypeError(
            f"receptive_fields expects a Keras model with an image input (batch, h, w, c), "
            f"got {type(model).__name__}"
        ) from None
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


def filter_frequency_responses(
    kernels: np.ndarray, sample_rate: int = 8000, fft_length: int = 512
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Magnitude frequency responses of 1-D convolution kernels (a learned filterbank).

    A kernel :math:`h[n]` of :math:`K` taps filters a signal with the response
    :math:`|H(f)| = |\sum_n h[n] e^{-2\pi i f n / f_s}|`, computed here with a
    zero-padded FFT of ``fft_length`` points (``fft_length // 2 + 1`` frequencies from
    0 Hz to the Nyquist frequency :math:`f_s / 2`; ``scipy.signal.freqz`` gives the same
    numbers). Hand-written because notebook 04 teaches it.

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
    if (
        isinstance(sample_rate, bool)
        or not isinstance(sample_rate, int | float)
        or sample_rate <= 0
    ):
        raise ValueError(f"sample_rate must be a number > 0, got {sample_rate!r}")
    responses = np.abs(np.fft.rfft(kernels, n=fft_length, axis=0)).T
    freqs = np.fft.rfftfreq(fft_length, d=1.0 / sample_rate)
    return freqs, responses, freqs[np.argmax(responses, axis=1)]


def nearest_neighbours(
    vectors: np.ndarray,
    names: list[str] | tuple[str, ...],
    queries: list[str] | tuple[str, ...],
    k: int = 3,
    exclude: list[str] | tuple[str, ...] = ("", "[UNK]"),
) -> dict[str, list[tuple[str, float]]]:
    """The ``k`` rows of ``vectors`` most similar to each query's row by cosine similarity.

    Used on a text encoder's learned word vectors (``names`` = the vocabulary); rows named
    in ``exclude`` (padding, ``[UNK]``) and the query itself are never returned. Similarity
    from ``sklearn.metrics.pairwise.cosine_similarity`` (0 for a zero vector), rounded to
    4 decimals; ties keep the vocabulary order.

    Example:
        >>> v = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
        >>> nearest_neighbours(v, ["a", "b", "c"], ["a"], k=1)
        {'a': [('b', 0.9939)]}
    """
    from sklearn.metrics.pairwise import cosine_similarity

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
    rows = [names.index(q) for q in queries]
    similarity = cosine_similarity(vectors[rows], vectors)
    out = {}
    for query, i, scores in zip(queries, rows, similarity, strict=True):
        order = np.argsort(-scores, kind="stable")
        hits = [j for j in order if j != i and names[j] not in exclude][:k]
        out[query] = [(names[j], round(float(scores[j]), 4)) for j in hits]
    return out
