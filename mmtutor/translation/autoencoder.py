"""A multimodal autoencoder (Ngiam et al., 2011): one joint embedding from which every
modality is reconstructed, trained to reconstruct a modality that was dropped at its input
(notebook 11).

The missing-modality machinery of notebook 13 is reused: :class:`~mmtutor.fusion.MaskMissing`
reads which inputs are missing (all zeros) and :class:`~mmtutor.fusion.ModalityDropout`
drops whole modalities in training, while the targets stay complete; so the joint embedding
of one modality alone must carry what is needed to draw the others (cross-modal
reconstruction), and a missing modality can be *imputed* from the ones present.
"""

from __future__ import annotations

import keras
from keras import layers

from mmtutor.fusion import MaskMissing, ModalityDropout

__all__ = ["build_multimodal_autoencoder", "joint_embedding_model"]


def _check_options(input_dims, embedding_dim, hidden_units, modality_dropout, activations):
    if (
        not isinstance(input_dims, dict)
        or len(input_dims) < 2
        or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in input_dims.values())
    ):
        raise ValueError(
            "input_dims must be a dict of 2+ modalities -> feature count (positive int), got "
            f"{input_dims!r}"
        )
    for name, value in (("embedding_dim", embedding_dim), ("hidden_units", hidden_units)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if isinstance(modality_dropout, bool) or not isinstance(modality_dropout, int | float) or \
            not 0.0 <= modality_dropout < 1.0:  # fmt: skip
        raise ValueError(f"modality_dropout must be a number in [0, 1), got {modality_dropout!r}")
    unknown = sorted(set(activations or {}) - set(input_dims))
    if unknown:
        raise ValueError(f"output_activations names unknown modalities {unknown}")


def build_multimodal_autoencoder(
    input_dims: dict[str, int],
    embedding_dim: int = 32,
    hidden_units: int = 64,
    modality_dropout: float = 0.5,
    output_activations: dict[str, str | None] | None = None,
) -> keras.Model:
    """A bimodal (or multimodal) deep autoencoder on feature vectors.

    Each modality ``m`` (input named ``m``, ``input_dims[m]`` features) goes through
    ``Dense(hidden_units, relu)``; :class:`~mmtutor.fusion.MaskMissing` and
    :class:`~mmtutor.fusion.ModalityDropout` zero the modalities that are missing (an all-zero
    input) or dropped (in training, probability ``modality_dropout``, never all of an
    example's); the results are concatenated and mapped to the **joint embedding**
    ``Dense(embedding_dim, relu)`` (layer ``"joint_embedding"``); from it, one decoder per
    modality, ``Dense(hidden_units, relu) -> Dense(input_dims[m])``, reconstructs every
    input (entry ``m`` of the output dict; activation from ``output_activations``, e.g.
    ``"sigmoid"`` for pixels in [0, 1]; default linear).

    Train with ``model.fit(x, x)`` (the inputs are the targets) and a loss per modality.

    Example:
        >>> import numpy as np
        >>> model = build_multimodal_autoencoder({"image": 64, "audio": 16}, embedding_dim=8)
        >>> out = model({"image": np.ones((2, 64)), "audio": np.zeros((2, 16))})
        >>> {m: tuple(v.shape) for m, v in out.items()}
        {'image': (2, 64), 'audio': (2, 16)}
    """
    _check_options(input_dims, embedding_dim, hidden_units, modality_dropout, output_activations)
    activations = output_activations or {}
    inputs = {m: keras.Input(shape=(d,), name=m) for m, d in input_dims.items()}
    flagged = []
    for m, x in inputs.items():
        h = layers.Dense(hidden_units, activation="relu", name=f"{m}_encoder")(x)
        flagged.append(MaskMissing(name=f"{m}_mask_missing")([x, h]))
    kept = ModalityDropout(modality_dropout, fill="zero", name="modality_dropout")(flagged)
    joint = layers.Concatenate(name="concat")(kept)
    z = layers.Dense(embedding_dim, activation="relu", name="joint_embedding")(joint)
    outputs = {}
    for m, d in input_dims.items():
        h = layers.Dense(hidden_units, activation="relu", name=f"{m}_decoder")(z)
        outputs[m] = layers.Dense(d, activation=activations.get(m), name=f"{m}_reconstruction")(h)
    return keras.Model(inputs, outputs, name="multimodal_autoencoder")


def joint_embedding_model(autoencoder: keras.Model) -> keras.Model:
    """The encoder half of :func:`build_multimodal_autoencoder`'s model: inputs -> joint
    embedding (shared weights).

    Example:
        >>> model = build_multimodal_autoencoder({"a": 3, "b": 4}, embedding_dim=5)
        >>> joint_embedding_model(model).output_shape
        (None, 5)
    """
    if not isinstance(autoencoder, keras.Model):
        raise TypeError(f"autoencoder must be a keras.Model, got {type(autoencoder).__name__}")
    try:
        layer = autoencoder.get_layer("joint_embedding")
    except ValueError:
        raise ValueError(
            f"{autoencoder.name!r} has no layer 'joint_embedding': pass a model built by "
            "build_multimodal_autoencoder"
        ) from None
    return keras.Model(autoencoder.inputs, layer.output, name="joint_embedding_model")
