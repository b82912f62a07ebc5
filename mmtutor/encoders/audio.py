"""Audio encoders (notebook 04): (batch, samples) waveforms -> (batch, embedding_dim).

The log-mel front end sits inside the model, so it takes raw waveforms.
"""

from __future__ import annotations

from mmtutor.config import _quiet_env

_quiet_env()

import keras  # noqa: E402
from keras import layers  # noqa: E402

from mmtutor.encoders._common import check_kind_and_dim  # noqa: E402
from mmtutor.preprocessing import LogMelSpectrogram  # noqa: E402

__all__ = ["AUDIO_KINDS", "build_audio_encoder"]

AUDIO_KINDS = ("mel_cnn",)


def build_audio_encoder(
    kind: str = "mel_cnn",
    embedding_dim: int = 64,
    normalizer: layers.Normalization | None = None,
    num_samples: int = 4000,
    sample_rate: int = 8000,
) -> keras.Model:
    """Audio encoder on raw waveforms. ``kind="mel_cnn"``: log-mel spectrogram -> 2-D CNN,
    averaged over time (not frequency) -> dense projection.

    Args:
        kind: architecture, one of :data:`AUDIO_KINDS`.
        embedding_dim: size of the output embedding.
        normalizer: optional adapted per-mel-bin ``Normalization`` (see
            :func:`mmtutor.preprocessing.make_spectrogram_normalizer`).
        num_samples: waveform length the model accepts.
        sample_rate: samples per second.

    Example:
        >>> build_audio_encoder(embedding_dim=16).output_shape
        (None, 16)
    """
    check_kind_and_dim(kind, AUDIO_KINDS, embedding_dim, "audio")
    inputs = keras.Input(shape=(num_samples,), name="audio")
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
    outputs = layers.Dense(embedding_dim, activation="relu")(x)
    return keras.Model(inputs, outputs, name="audio_encoder")
