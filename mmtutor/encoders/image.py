"""Image encoders (notebook 02): (batch, 8, 8, 1) in [0, 1] -> (batch, embedding_dim)."""

from __future__ import annotations

from mmtutor.config import _quiet_env

_quiet_env()

import keras  # noqa: E402
from keras import layers  # noqa: E402

from mmtutor.encoders._common import check_kind_and_dim  # noqa: E402
from mmtutor.preprocessing import IMAGE_SHAPE  # noqa: E402

__all__ = ["IMAGE_KINDS", "build_image_encoder"]

IMAGE_KINDS = ("cnn",)


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
    check_kind_and_dim(kind, IMAGE_KINDS, embedding_dim, "image")
    inputs = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = augmentation(inputs) if augmentation is not None else inputs
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(embedding_dim, activation="relu")(x)
    return keras.Model(inputs, outputs, name="image_encoder")
