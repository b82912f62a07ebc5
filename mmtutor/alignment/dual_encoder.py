"""The dual encoder (notebook 10): two encoders, projection heads, L2 normalisation, and
the ``train_step`` that aligns them without labels; :func:`embed_split` embeds a split.

:class:`DualEncoder` uses only ``keras``, ``layers``, ``ops``, ``np`` and
:class:`~mmtutor.alignment.losses.CLIPLoss` (its default loss); its ``train_step``
imports TensorFlow for the gradient tape (the series' backend).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from mmtutor.alignment.losses import CLIPLoss

__all__ = ["DualEncoder", "embed_split"]


@keras.saving.register_keras_serializable(package="mmtutor")
class DualEncoder(keras.Model):
    """Two encoders, each followed by a linear projection head and L2 normalisation, trained
    to map paired inputs close together: CLIP's architecture for any two modalities.

    ``model.fit(split.inputs(["image", "audio"]), epochs=..., batch_size=...)`` takes the
    paired inputs and **no labels** (labels given anyway are ignored); every batch is a
    set of positives (its pairs) and negatives (every other combination). The contrastive
    loss is ``loss``, a :class:`CLIPLoss` (default) or :class:`SigLIPLoss` layer, whose
    temperature is a weight of the model; fit's history records it.

    Args:
        encoder_a, encoder_b: single-input encoders (``build_encoder``'s models) with
            different input names; the names are the model's ``modalities``.
        embedding_dim: size of the shared space (the projections' width).
        loss: the contrastive loss layer; default ``CLIPLoss()``.

    ``model(inputs)`` returns ``(z_a, z_b)``, unit-length rows; ``model.encode(x, modality)``
    embeds one modality alone. Compile with an optimizer only: ``model.compile("adam")``.

    Example:
        >>> a = keras.Sequential([keras.Input((3,), name="a"), layers.Dense(4)], name="a_encoder")
        >>> b = keras.Sequential([keras.Input((5,), name="b"), layers.Dense(4)], name="b_encoder")
        >>> model = DualEncoder(a, b, embedding_dim=2)
        >>> z_a, z_b = model({"a": np.ones((6, 3)), "b": np.ones((6, 5))})
        >>> tuple(z_a.shape), model.modalities
        ((6, 2), ('a', 'b'))
    """

    def __init__(self, encoder_a, encoder_b, embedding_dim: int = 32, loss=None, **kwargs):
        super().__init__(**kwargs)
        encoders = (encoder_a, encoder_b)
        if not all(isinstance(e, keras.Model) and len(e.inputs) == 1 for e in encoders):
            raise TypeError(
                "DualEncoder expects two single-input keras.Model encoders, got "
                f"{type(encoder_a).__name__} and {type(encoder_b).__name__}"
            )
        names = tuple(e.inputs[0].name for e in encoders)
        if names[0] == names[1]:
            raise ValueError(f"the two encoders take the same input {names[0]!r}")
        if (
            isinstance(embedding_dim, bool)
            or not isinstance(embedding_dim, int)
            or embedding_dim < 1
        ):
            raise ValueError(f"embedding_dim must be a positive integer, got {embedding_dim!r}")
        loss = CLIPLoss() if loss is None else loss
        if not isinstance(loss, layers.Layer) or not hasattr(loss, "temperature"):
            raise TypeError(f"loss must be a CLIPLoss or SigLIPLoss layer, got {loss!r:.60}")
        self.encoder_a, self.encoder_b = encoder_a, encoder_b
        self.modalities = names
        self.embedding_dim = embedding_dim
        self.projection_a = layers.Dense(
            embedding_dim, use_bias=False, name=f"{names[0]}_projection"
        )
        self.projection_b = layers.Dense(
            embedding_dim, use_bias=False, name=f"{names[1]}_projection"
        )
        self.projection_a.build(encoder_a.output_shape)
        self.projection_b.build(encoder_b.output_shape)
        self.normalize = layers.UnitNormalization(axis=-1)
        self.contrastive = loss
        if not loss.built:
            loss.build([(None, embedding_dim)] * 2)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.built = True

    def encode(self, x, modality: str, training: bool = False):
        """Unit-length embeddings (batch, embedding_dim) of one modality's raw inputs."""
        if modality not in self.modalities:
            raise ValueError(f"modality must be one of {list(self.modalities)}, got {modality!r}")
        if modality == self.modalities[0]:
            z = self.projection_a(self.encoder_a(x, training=training))
        else:
            z = self.projection_b(self.encoder_b(x, training=training))
        return self.normalize(z)

    def call(self, inputs, training=False):
        if not isinstance(inputs, dict) or any(m not in inputs for m in self.modalities):
            given = list(inputs) if isinstance(inputs, dict) else type(inputs).__name__
            raise ValueError(
                f"DualEncoder expects a dict with {list(self.modalities)}, got {given}"
            )
        z_a = self.encode(inputs[self.modalities[0]], self.modalities[0], training)
        z_b = self.encode(inputs[self.modalities[1]], self.modalities[1], training)
        return z_a, z_b

    def train_step(self, data):
        import tensorflow as tf  # the backend of this series: its tape records the maths

        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)  # labels, if any, are not used
        with tf.GradientTape() as tape:
            z_a, z_b = self(x, training=True)  # (batch, embedding_dim) each, unit length
            loss = self.contrastive([z_a, z_b])  # one scalar for the whole batch
        variables = self.trainable_variables  # encoders, projections, log_scale (and bias)
        gradients = tape.gradient(loss, variables)
        self.optimizer.apply(gradients, variables)  # one Adam step; clips log_scale after it
        self.loss_tracker.update_state(loss)
        return {
            "loss": self.loss_tracker.result(),
            "temperature": 1.0 / ops.exp(self.contrastive.log_scale),
        }

    def test_step(self, data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        z_a, z_b = self(x, training=False)
        self.loss_tracker.update_state(self.contrastive([z_a, z_b]))
        return {"loss": self.loss_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker]

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "encoder_a": keras.saving.serialize_keras_object(self.encoder_a),
            "encoder_b": keras.saving.serialize_keras_object(self.encoder_b),
            "embedding_dim": self.embedding_dim,
            "loss": keras.saving.serialize_keras_object(self.contrastive),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("encoder_a", "encoder_b", "loss"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def _raw_inputs(split) -> dict:
    """A split's input dict (a :class:`mmtutor.data.Split` or a dict modality -> array)."""
    x = getattr(split, "x", split)
    if not isinstance(x, dict):
        raise TypeError(
            f"split must be a Split or a dict modality -> array, got {type(split).__name__}"
        )
    return x


def embed_split(model: DualEncoder, split, batch_size: int = 512) -> dict[str, np.ndarray]:
    """The modalities of ``split`` in the model's shared space: ``{modality: (n, dim)}``,
    unit-length NumPy rows, computed in inference mode in chunks of ``batch_size``.

    ``split`` is a :class:`mmtutor.data.Split` or a dict modality -> raw inputs; it may hold
    only one of the model's modalities (e.g. ``{"audio": prompts}``): that one is embedded.

    Example:
        >>> a = keras.Sequential([keras.Input((3,), name="a"), layers.Dense(4)], name="a_encoder")
        >>> b = keras.Sequential([keras.Input((5,), name="b"), layers.Dense(4)], name="b_encoder")
        >>> z = embed_split(DualEncoder(a, b, embedding_dim=2), {"a": np.ones((7, 3)),
        ...                                                       "b": np.ones((7, 5))})
        >>> {m: v.shape for m, v in z.items()}
        {'a': (7, 2), 'b': (7, 2)}
    """
    if not isinstance(model, DualEncoder):
        raise TypeError(f"model must be a DualEncoder, got {type(model).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    x = _raw_inputs(split)
    present = [m for m in model.modalities if m in x]
    if not present:
        raise ValueError(
            f"the model embeds {list(model.modalities)}, but the split has only {list(x)}"
        )
    out = {}
    for m in present:
        values = np.asarray(x[m])
        values = values.astype(str) if values.dtype == object else values
        chunks = [
            model.encode(values[i : i + batch_size], m) for i in range(0, len(values), batch_size)
        ]
        out[m] = np.concatenate([ops.convert_to_numpy(c) for c in chunks]).astype(np.float32)
    return out
