"""One encoder builder per modality: ``build_<modality>_encoder(kind=..., embedding_dim=64)``.

Every builder returns a ``keras.Model`` named ``<modality>_encoder`` that maps the
modality's raw MM-Digits input to a ``(batch, embedding_dim)`` embedding:

- image: (batch, 8, 8, 1) floats in [0, 1];
- text: (batch,) strings (the adapted ``TextVectorization`` is inside the model);
- audio: (batch, samples) waveforms (the log-mel front end is inside the model).

Keeping preprocessing inside the encoder means a saved model serves raw inputs.
"""

from __future__ import annotations

from mmtutor.config import _quiet_env

_quiet_env()

import keras  # noqa: E402
from keras import layers  # noqa: E402

from mmtutor.preprocessing import IMAGE_SHAPE, LogMelSpectrogram  # noqa: E402

__all__ = ["IMAGE_KINDS", "TEXT_KINDS", "AUDIO_KINDS", "build_image_encoder", "build_text_encoder",
           "build_audio_encoder"]  # fmt: skip

IMAGE_KINDS = ("cnn",)
TEXT_KINDS = ("bag",)
AUDIO_KINDS = ("mel_cnn",)


def _check_common(kind: str, kinds: tuple[str, ...], embedding_dim: int, modality: str) -> None:
    if kind not in kinds:
        raise ValueError(f"{modality} encoder kind must be one of {list(kinds)}, got {kind!r}")
    if isinstance(embedding_dim, bool) or not isinstance(embedding_dim, int) or embedding_dim < 1:
        raise ValueError(f"embedding_dim must be a positive integer, got {embedding_dim!r}")


def build_image_encoder(
    kind: str = "cnn", embedding_dim: int = 64, augmentation: keras.Layer | None = None
) -> keras.Model:
    """Image encoder. ``kind="cnn"``: two 3x3 conv blocks and a dense projection.

    Args:
        kind: architecture, one of :data:`IMAGE_KINDS`.
        embedding_dim: size of the output embedding.
        augmentation: optional layer applied first (active in training only), e.g.
            :func:`mmtutor.preprocessing.image_augmentation`.

    Example:
        >>> enc = build_image_encoder(embedding_dim=32)
        >>> enc.output_shape
        (None, 32)
    """
    _check_common(kind, IMAGE_KINDS, embedding_dim, "image")
    inputs = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = augmentation(inputs) if augmentation is not None else inputs
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(embedding_dim, activation="relu")(x)
    return keras.Model(inputs, outputs, name="image_encoder")


def build_text_encoder(
    vectorizer: layers.TextVectorization, kind: str = "bag", embedding_dim: int = 64,
    token_dim: int = 32,
) -> keras.Model:  # fmt: skip
    """Text encoder on raw strings. ``kind="bag"``: word embeddings averaged (a bag of words).

    Args:
        vectorizer: an adapted ``TextVectorization`` (see
            :func:`mmtutor.preprocessing.make_text_vectorizer`).
        kind: architecture, one of :data:`TEXT_KINDS`.
        embedding_dim: size of the output embedding.
        token_dim: size of each word embedding.

    Example:
        >>> from mmtutor.preprocessing import make_text_vectorizer
        >>> enc = build_text_encoder(make_text_vectorizer(["an odd number"]), embedding_dim=16)
        >>> enc.output_shape
        (None, 16)
    """
    _check_common(kind, TEXT_KINDS, embedding_dim, "text")
    if not isinstance(vectorizer, layers.TextVectorization):
        raise TypeError(
            f"vectorizer must be an adapted keras.layers.TextVectorization, got {type(vectorizer).__name__}"
        )
    inputs = keras.Input(shape=(), dtype="string", name="text")
    tokens = vectorizer(inputs)
    x = layers.Embedding(vectorizer.vocabulary_size(), token_dim, mask_zero=True)(tokens)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(embedding_dim, activation="relu")(x)
    return keras.Model(inputs, outputs, name="text_encoder")


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
    _check_common(kind, AUDIO_KINDS, embedding_dim, "audio")
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
