"""Speech -> digit string with CTC (Graves et al., 2006), without frame labels (notebook 11).

A recogniser scores, for every frame of a recording, each digit and a *blank* symbol.
Connectionist temporal classification sums the probability of every frame-by-frame path
that reads as the target once repeats are merged and blanks removed, so training needs the
digit string only, never where each digit is. Keras computes the loss
(``keras.losses.CTC``, which calls ``keras.ops.ctc_loss``) and the decoding
(``keras.ops.ctc_decode``); its convention is kept: symbol 0 is the blank and digit ``d``
is symbol ``d + 1``.

- :func:`build_ctc_recognizer`: waveform -> log-mel -> two 1-D convolutions (the first
  strided) -> a bidirectional GRU -> per-frame logits over blank + 10 digits;
- :func:`ctc_targets`: padded digit rows -> CTC labels;
- :func:`ctc_frame_times`: the time (s) at the centre of each output frame;
- :func:`ctc_greedy_decode`: best-path decoding with ``keras.ops.ctc_decode``;
- :func:`ctc_emissions`: the same best path, written out, with *when* each digit was
  emitted: the learned alignment.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from mmtutor.preprocessing import LogMelSpectrogram

__all__ = [
    "BLANK",
    "build_ctc_recognizer",
    "ctc_emissions",
    "ctc_frame_times",
    "ctc_greedy_decode",
    "ctc_targets",
]

#: the blank symbol of ``keras.losses.CTC`` (digit d is symbol d + 1)
BLANK = 0


def build_ctc_recognizer(
    num_samples: int | None = None,
    sample_rate: int = 8000,
    normalizer: layers.Normalization | None = None,
    embedding_dim: int = 64,
    units: int = 48,
    stride: int = 4,
    num_classes: int = 10,
) -> keras.Model:
    """A CTC speech recogniser: waveform (batch, samples) -> logits (batch, frames,
    num_classes + 1), symbol 0 the blank.

    Log-mel spectrogram (:class:`~mmtutor.preprocessing.LogMelSpectrogram`, 16-ms hop,
    optionally normalised per mel bin) -> ``Conv1D(embedding_dim, 5, strides=stride)`` ->
    ``Conv1D(embedding_dim, 5)`` (both ReLU: local spectral patterns, and fewer frames) ->
    a bidirectional GRU of ``units`` per direction (each frame sees the whole utterance)
    -> a dense layer of ``num_classes + 1`` logits per frame. With ``stride=4`` an output
    frame is 64 ms. Train with ``keras.losses.CTC()`` on :func:`ctc_targets`.

    Args:
        num_samples: waveform length, or None for any length.
        sample_rate: samples per second (sets the mel scale).
        normalizer: optional adapted per-mel-bin ``Normalization``
            (:func:`mmtutor.preprocessing.make_spectrogram_normalizer`).
        embedding_dim: channels of the convolutions.
        units: GRU units per direction.
        stride: stride of the first convolution, in spectrogram frames.
        num_classes: symbols besides the blank (10 digits).

    Example:
        >>> model = build_ctc_recognizer(num_samples=8000)
        >>> model.output_shape
        (None, 16, 11)
    """
    for name, value in (("embedding_dim", embedding_dim), ("units", units), ("stride", stride),
                        ("num_classes", num_classes)):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if num_samples is not None and (
        isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 256
    ):
        raise ValueError(f"num_samples must be None or an integer >= 256, got {num_samples!r}")
    inputs = keras.Input(shape=(num_samples,), name="audio")
    x = LogMelSpectrogram(sample_rate=sample_rate, name="log_mel")(inputs)
    if normalizer is not None:
        x = normalizer(x)
    x = layers.Conv1D(embedding_dim, 5, strides=stride, padding="same", activation="relu",
                      name="conv_1")(x)  # fmt: skip
    x = layers.Conv1D(embedding_dim, 5, padding="same", activation="relu", name="conv_2")(x)
    x = layers.Bidirectional(layers.GRU(units, return_sequences=True), name="bigru")(x)
    outputs = layers.Dense(num_classes + 1, name="frame_logits")(x)
    return keras.Model(inputs, outputs, name="ctc_recognizer")


def ctc_targets(y: np.ndarray, pad: int = -1) -> np.ndarray:
    """Padded digit rows (n, max_digits), ``pad`` after the last digit -> CTC labels for
    ``keras.losses.CTC``: digit ``d`` becomes symbol ``d + 1`` and padding 0 (which that
    loss reads as "no more labels").

    Example:
        >>> ctc_targets(np.array([[4, 0, -1]]))
        array([[5, 1, 0]], dtype=int32)
    """
    y = np.asarray(y)
    if y.ndim != 2 or y.dtype.kind not in "iu":
        raise ValueError(f"y must be a 2-D integer array (n, max_digits), got {y.dtype} {y.shape}")
    digits = y[y != pad]
    if digits.size and (digits.min() < 0 or digits.max() > 9):
        raise ValueError(f"labels must be digits 0-9 or the padding {pad}, got {np.unique(y)}")
    return np.where(y != pad, y + 1, BLANK).astype(np.int32)


def ctc_frame_times(model: keras.Model, num_samples: int) -> np.ndarray:
    """The time (seconds) at the centre of each output frame of a recogniser built by
    :func:`build_ctc_recognizer`, for a waveform of ``num_samples`` samples.

    A log-mel frame ``i`` is centred on sample ``i * frame_step + frame_length / 2``; each
    ``Conv1D`` with stride ``s``, kernel ``k`` and "same" padding centres its output ``t``
    on input frame ``t * s - left + (k - 1) / 2``, where ``left`` is TensorFlow's padding
    before the first frame (half the total padding, rounded down).

    Example:
        >>> times = ctc_frame_times(build_ctc_recognizer(), 8000)
        >>> len(times), round(float(times[1] - times[0]), 3)  # one frame every 64 ms
        (16, 0.064)
    """
    front = model.get_layer("log_mel")
    if isinstance(num_samples, bool) or not isinstance(num_samples, int | np.integer) or \
            num_samples < front.frame_length:  # fmt: skip
        raise ValueError(
            f"num_samples must be an integer >= {front.frame_length}, got {num_samples!r}"
        )
    frames = 1 + (int(num_samples) - front.frame_length) // front.frame_step
    scale, offset = 1.0, 0.0  # output frame t is centred on log-mel frame scale * t + offset
    for layer in model.layers:
        if isinstance(layer, layers.Conv1D):
            (k,), (s,) = layer.kernel_size, layer.strides
            if layer.padding == "same":
                out = -(-frames // s)
                left = max((out - 1) * s + k - frames, 0) // 2
            else:
                out, left = (frames - k) // s + 1, 0
            offset += scale * ((k - 1) / 2 - left)
            scale *= s
            frames = out
    index = scale * np.arange(frames) + offset
    return (index * front.frame_step + front.frame_length / 2) / front.sample_rate


def _check_logits(logits) -> np.ndarray:
    logits = np.asarray(logits, dtype=np.float32)
    if logits.ndim != 3 or logits.shape[-1] < 2 or 0 in logits.shape:
        raise ValueError(
            f"logits must be (batch, frames, symbols) with symbols >= 2, got shape {logits.shape}"
        )
    return logits


def ctc_greedy_decode(logits) -> list[list[int]]:
    """Best-path decoding with ``keras.ops.ctc_decode``: the most likely symbol of every
    frame, repeats merged, blanks removed; returned as lists of digits (symbol - 1).

    Example:
        >>> frames = [[0, 5, 5, 0, 5, 1, 0]]  # blank, 4, 4, blank, 4, 0, blank
        >>> ctc_greedy_decode(np.eye(11)[frames] * 5)
        [[4, 4, 0]]
    """
    logits = _check_logits(logits)
    lengths = np.full(len(logits), logits.shape[1], np.int32)
    decoded, _ = keras.ops.ctc_decode(logits, lengths, strategy="greedy", mask_index=BLANK)
    decoded = keras.ops.convert_to_numpy(decoded)[0]
    return [[int(s) - 1 for s in row if s > BLANK] for row in decoded]


def ctc_emissions(logits, times) -> list[list[tuple[int, float]]]:
    """The best path of each utterance, collapsed by hand, with *when* each digit was
    emitted: ``[(digit, seconds), ...]`` per utterance.

    The most likely symbol of each frame is taken; a run of one non-blank symbol emits
    that digit once (a blank between two equal symbols separates two emissions), at the
    mean time of the run's frames. The digits are those of :func:`ctc_greedy_decode`;
    written out because ``keras.ops.ctc_decode`` does not say where, and because notebook
    11 teaches the collapse.

    Example:
        >>> frames = [[0, 5, 5, 0, 5, 1, 0]]
        >>> ctc_emissions(np.eye(11)[frames], times=np.arange(7) * 0.1)
        [[(4, 0.15), (4, 0.4), (0, 0.5)]]
    """
    logits = _check_logits(logits)
    times = np.asarray(times, dtype=float)
    if times.shape != (logits.shape[1],):
        raise ValueError(
            f"times must give one time per frame ({logits.shape[1]}), got {times.shape}"
        )
    out = []
    for path in np.argmax(logits, axis=-1):
        emitted, run, previous = [], [], BLANK
        for t, symbol in enumerate(path):
            if symbol != previous and run:  # a run of a non-blank symbol ends
                emitted.append((int(previous) - 1, round(float(np.mean(times[run])), 6)))
                run = []
            if symbol != BLANK:
                run.append(t)
            previous = symbol
        if run:
            emitted.append((int(previous) - 1, round(float(np.mean(times[run])), 6)))
        out.append(emitted)
    return out
