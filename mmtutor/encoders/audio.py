"""Audio encoders (notebook 04): (batch, samples) waveforms -> (batch, embedding_dim).

Both kinds take raw waveforms, so a saved model serves raw audio:

- ``"mel_cnn"`` (default): a fixed front end (:class:`~mmtutor.preprocessing.LogMelSpectrogram`,
  optionally normalised per mel bin) turns the waveform into a (frames, mel bins) image,
  and a small 2-D CNN reads it;
- ``"wave_cnn"``: a 1-D CNN on the samples themselves (Dai et al., 2017; Lee et al., 2017).
  Its first layer is a wide, strided convolution whose kernels play the part of a
  *learned* filterbank; conv/pool blocks follow, then global pooling over time and a
  dense projection.

The input length is checked by Keras: a batch of another length or rank raises a
``ValueError`` naming the expected shape ``(None, num_samples)`` and the given one. A
batch of shape (n, num_samples, 1) is accepted: Keras drops the trailing axis of size 1.
"""

from __future__ import annotations

import keras
from keras import layers

from mmtutor.encoders._common import check_kind_and_dim
from mmtutor.preprocessing import LogMelSpectrogram

__all__ = ["AUDIO_KINDS", "build_audio_encoder", "WAVE_FILTERBANK"]

AUDIO_KINDS = ("mel_cnn", "wave_cnn")

#: the learned filterbank of ``kind="wave_cnn"``: (filters, kernel samples, stride).
#: 64 samples = 8 ms at 8 kHz, one window every 8 samples = 1 ms.
WAVE_FILTERBANK: tuple[int, int, int] = (32, 64, 8)

#: filters of the conv blocks after the filterbank; each block but the last pools by 4
_WAVE_WIDTHS: tuple[int, ...] = (32, 64, 64)

#: batch-norm momentum of ``"wave_cnn"``. Keras' default, 0.99, averages over ~100 steps;
#: MM-Digits has ~40 steps per epoch, so in a short run the inference statistics lag
#: behind the weights (measured, 8 epochs: validation accuracy 0.15 at 0.99, 0.64 at 0.9).
_BN_MOMENTUM = 0.9


def _check_lengths(num_samples: int, sample_rate: int, kind: str) -> None:
    for name, value in (("num_samples", num_samples), ("sample_rate", sample_rate)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    # the mel_cnn's STFT window is 256 samples; the wave_cnn needs one filterbank window
    # and, after it, at least one step through every pooling layer (4 ** 3 = 64 frames)
    _, kernel, stride = WAVE_FILTERBANK
    shortest = 256 if kind == "mel_cnn" else kernel + stride * (4**3 - 1)
    if num_samples < shortest:
        raise ValueError(
            f"audio encoder kind {kind!r} needs num_samples >= {shortest}, got {num_samples}"
        )


def _wave_cnn(inputs, embedding_dim: int):
    filters, kernel, stride = WAVE_FILTERBANK
    x = layers.Reshape((-1, 1), name="add_channel")(inputs)
    # wide strided convolution = a bank of learned band-pass filters, one output per 1 ms
    x = layers.Conv1D(filters, kernel, strides=stride, use_bias=False, name="filterbank")(x)
    x = layers.BatchNormalization(momentum=_BN_MOMENTUM, name="filterbank_bn")(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling1D(4)(x)  # rectify and pool: a rough band envelope
    for i, width in enumerate(_WAVE_WIDTHS):
        x = layers.Conv1D(width, 3, padding="same", use_bias=False, name=f"block{i + 1}_conv")(x)
        x = layers.BatchNormalization(momentum=_BN_MOMENTUM, name=f"block{i + 1}_bn")(x)
        x = layers.Activation("relu")(x)
        if i < len(_WAVE_WIDTHS) - 1:
            x = layers.MaxPooling1D(4)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.3)(x)
    return layers.Dense(embedding_dim, activation="relu")(x)


def _mel_cnn(inputs, embedding_dim: int, normalizer, sample_rate: int):
    x = LogMelSpectrogram(sample_rate=sample_rate, name="log_mel")(inputs)
    if normalizer is not None:
        x = normalizer(x)
    x = layers.Reshape((-1, x.shape[-1], 1))(x)
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    # average over time only: where in frequency a pattern sits (the formants) is kept
    x = layers.Reshape((x.shape[1], x.shape[2] * x.shape[3]))(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.3)(x)
    return layers.Dense(embedding_dim, activation="relu")(x)


def build_audio_encoder(
    kind: str = "mel_cnn",
    embedding_dim: int = 64,
    normalizer: layers.Normalization | None = None,
    num_samples: int = 4000,
    sample_rate: int = 8000,
) -> keras.Model:
    """Audio encoder on raw waveforms (batch, num_samples) -> (batch, embedding_dim).

    - ``kind="mel_cnn"``: log-mel spectrogram (fixed, inside the model) -> three 3x3
      conv layers with two 2x2 poolings -> average over time (not frequency) -> dense.
    - ``kind="wave_cnn"``: raw samples -> a learned filterbank (:data:`WAVE_FILTERBANK`:
      32 kernels of 64 samples, stride 8) -> batch norm, ReLU, max-pool 4 -> three 1-D
      conv blocks (3-tap kernels, batch norm, ReLU, max-pool 4 but the last) -> average
      over time -> dense. After Dai et al. (2017) and Lee et al. (2017).

    Args:
        kind: architecture, one of :data:`AUDIO_KINDS`.
        embedding_dim: size of the output embedding.
        normalizer: optional adapted per-mel-bin ``Normalization`` (see
            :func:`mmtutor.preprocessing.make_spectrogram_normalizer`). Used by
            ``"mel_cnn"`` only; ``"wave_cnn"`` has no spectrogram to normalise (its batch
            normalisation plays that part) and ignores it, so that
            :func:`mmtutor.encoders.build_encoder` can build either kind.
        num_samples: waveform length the model accepts.
        sample_rate: samples per second (sets the mel scale of ``"mel_cnn"``).

    Raises:
        ValueError: for an unknown ``kind``, a bad ``embedding_dim``, or a ``num_samples``
            too short for the architecture.

    Example:
        >>> build_audio_encoder(embedding_dim=16).output_shape
        (None, 16)
        >>> enc = build_audio_encoder("wave_cnn", embedding_dim=16)
        >>> tuple(enc.get_layer("filterbank").kernel.shape)  # (kernel samples, 1, filters)
        (64, 1, 32)
    """
    check_kind_and_dim(kind, AUDIO_KINDS, embedding_dim, "audio")
    _check_lengths(num_samples, sample_rate, kind)
    inputs = keras.Input(shape=(num_samples,), name="audio")
    if kind == "mel_cnn":
        outputs = _mel_cnn(inputs, embedding_dim, normalizer, sample_rate)
    else:
        outputs = _wave_cnn(inputs, embedding_dim)
    return keras.Model(inputs, outputs, name="audio_encoder")
