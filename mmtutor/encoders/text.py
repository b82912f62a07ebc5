"""Text encoders (notebook 03): (batch,) strings -> (batch, embedding_dim).

The adapted ``TextVectorization`` sits inside the model, so it takes raw captions.
"""

from __future__ import annotations

from mmtutor.config import _quiet_env

_quiet_env()

import keras  # noqa: E402
from keras import layers  # noqa: E402

from mmtutor.encoders._common import check_kind_and_dim  # noqa: E402

__all__ = ["TEXT_KINDS", "build_text_encoder"]

TEXT_KINDS = ("bag",)


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
    check_kind_and_dim(kind, TEXT_KINDS, embedding_dim, "text")
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
