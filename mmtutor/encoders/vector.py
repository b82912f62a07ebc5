"""Vector encoders (notebook 09): (batch, features) -> (batch, embedding_dim).

For modalities that already arrive as feature vectors, e.g. the controlled-interaction
data of :func:`mmtutor.data.make_interactions` or precomputed embeddings.
"""

from __future__ import annotations

import keras
from keras import layers

from mmtutor.encoders._common import check_kind_and_dim

__all__ = ["VECTOR_KINDS", "build_vector_encoder"]

VECTOR_KINDS = ("mlp",)


def build_vector_encoder(
    input_dim: int,
    name: str = "vector",
    kind: str = "mlp",
    embedding_dim: int = 64,
    hidden_units: int = 32,
) -> keras.Model:
    """An MLP ``Dense(hidden_units, relu) -> Dense(embedding_dim, relu)`` on a feature vector.

    ``embedding_dim`` defaults to 64, as every encoder of the series.

    The model's input is named ``name`` and the model ``<name>_encoder``, so several can
    feed :func:`mmtutor.models.build_fusion_model`. A batch of another width raises a
    ``ValueError`` naming the expected shape.

    Example:
        >>> build_vector_encoder(8, name="m0", embedding_dim=16).output_shape
        (None, 16)
    """
    check_kind_and_dim(kind, VECTOR_KINDS, embedding_dim, "vector")
    for arg, value in (("input_dim", input_dim), ("hidden_units", hidden_units)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{arg} must be a positive integer, got {value!r}")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be an identifier-like string, got {name!r}")
    inputs = keras.Input(shape=(input_dim,), name=name)
    x = layers.Dense(hidden_units, activation="relu")(inputs)
    outputs = layers.Dense(embedding_dim, activation="relu")(x)
    return keras.Model(inputs, outputs, name=f"{name}_encoder")
