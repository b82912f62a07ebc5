"""Assemble encoders and a head into trainable models (unimodal and fused)."""

from __future__ import annotations

from mmtutor.config import _quiet_env

_quiet_env()

import keras  # noqa: E402
from keras import layers  # noqa: E402

__all__ = ["build_unimodal", "build_concat_fusion"]


def _classifier_head(x, num_classes: int, hidden: int, dropout: float):
    if hidden:
        x = layers.Dense(hidden, activation="relu")(x)
    if dropout:
        x = layers.Dropout(dropout)(x)
    return layers.Dense(num_classes, name="logits")(x)


def _check_head(num_classes: int, hidden: int, dropout: float) -> None:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 0:
        raise ValueError(f"hidden must be a non-negative integer, got {hidden!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")


def build_unimodal(
    encoder: keras.Model, num_classes: int = 10, hidden: int = 0, dropout: float = 0.2
) -> keras.Model:
    """Encoder -> (dropout) -> logits: the single-modality baseline.

    The model's input keeps the encoder's input name, so it accepts the MM-Digits input
    dict (``model.fit(data.train.inputs(["image"]), data.train.y)``). Outputs are logits.

    Example:
        >>> from mmtutor.encoders import build_image_encoder
        >>> build_unimodal(build_image_encoder()).output_shape
        (None, 10)
    """
    if not isinstance(encoder, keras.Model):
        raise TypeError(f"encoder must be a keras.Model, got {type(encoder).__name__}")
    _check_head(num_classes, hidden, dropout)
    inputs = {t.name: t for t in encoder.inputs}
    x = encoder(list(inputs.values())[0] if len(inputs) == 1 else inputs)
    outputs = _classifier_head(x, num_classes, hidden, dropout)
    return keras.Model(inputs, outputs, name=f"unimodal_{encoder.name.removesuffix('_encoder')}")


def build_concat_fusion(
    encoders: list[keras.Model], num_classes: int = 10, hidden: int = 64, dropout: float = 0.2
) -> keras.Model:
    """Concatenate the embeddings of 2+ encoders -> dense head: the simplest fusion.

    Example:
        >>> from mmtutor.encoders import build_image_encoder, build_audio_encoder
        >>> build_concat_fusion([build_image_encoder(), build_audio_encoder()]).output_shape
        (None, 10)
    """
    if not isinstance(encoders, list | tuple) or len(encoders) < 2:
        raise ValueError(
            f"build_concat_fusion expects a list of 2+ encoders, got {type(encoders).__name__} "
            f"of length {len(encoders) if hasattr(encoders, '__len__') else '?'}"
        )
    _check_head(num_classes, hidden, dropout)
    inputs, embeddings = {}, []
    for enc in encoders:
        if not isinstance(enc, keras.Model) or len(enc.inputs) != 1:
            raise TypeError(f"each encoder must be a single-input keras.Model, got {enc!r:.60}")
        name = enc.inputs[0].name
        if name in inputs:
            raise ValueError(f"two encoders take the same input {name!r}")
        inputs[name] = keras.Input(
            shape=enc.inputs[0].shape[1:], dtype=enc.inputs[0].dtype, name=name
        )
        embeddings.append(enc(inputs[name]))
    x = layers.Concatenate(name="fusion")(embeddings)
    outputs = _classifier_head(x, num_classes, hidden, dropout)
    return keras.Model(inputs, outputs, name="concat_fusion")
