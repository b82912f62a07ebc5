"""Contrastive losses as Keras layers with learnable temperatures (notebook 10).

- :class:`CLIPLoss`: symmetric InfoNCE (Radford et al., 2021; van den Oord et al., 2018);
- :class:`SigLIPLoss`: the pairwise sigmoid loss (Zhai et al., 2023).

Each is a plain ``keras.layers.Layer`` that holds its temperature (and bias) as weights,
takes ``[z_a, z_b]`` (two batches of paired, unit-length embeddings) and returns the
batch's loss. Each uses only ``keras``, ``layers``, ``ops`` and ``np``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

__all__ = ["CLIPLoss", "SigLIPLoss"]


@keras.saving.register_keras_serializable(package="mmtutor")
class CLIPLoss(layers.Layer):
    r"""Symmetric InfoNCE (CLIP): cross-entropy over the batch's similarity matrix, both ways.

    For unit-length embeddings ``z_a`` (n, d) and ``z_b`` (n, d) of n *paired* examples,
    ``logits = s * z_a z_b^T`` with ``s = 1 / temperature``; pair ``i`` is the right answer
    of row ``i`` (which ``b`` goes with ``a_i``?) and of column ``i`` (which ``a`` goes with
    ``b_i``?), every other example of the batch is a negative:

    ``loss = 1/2 [CE(rows of logits, diag) + CE(columns of logits, diag)]``.

    The scale is learned as ``log_scale`` (log-parametrised, so it stays positive) and
    clipped to ``[0, log(max_scale)]`` after every update, as CLIP does (``max_scale=100``:
    the temperature never falls below 0.01). ``learnable=False`` fixes it.

    Example:
        >>> z = np.eye(3, 4, dtype="float32")  # three orthogonal pairs: an easy batch
        >>> loss = CLIPLoss(temperature=0.1)
        >>> round(float(loss([z, z])), 4), round(loss.temperature(), 2)
        (0.0001, 0.1)
    """

    def __init__(
        self, temperature: float = 0.07, learnable: bool = True, max_scale: float = 100.0, **kwargs
    ):
        super().__init__(**kwargs)
        if not isinstance(max_scale, int | float) or isinstance(max_scale, bool) or max_scale <= 1:
            raise ValueError(f"max_scale must be a number > 1, got {max_scale!r}")
        if (
            not isinstance(temperature, int | float)
            or isinstance(temperature, bool)
            or not 1.0 / max_scale <= temperature <= 1.0
        ):
            raise ValueError(
                f"temperature must be a number in [1 / max_scale, 1] = [{1.0 / max_scale:g}, 1], "
                f"got {temperature!r}"
            )
        self.initial_temperature = float(temperature)
        self.learnable = bool(learnable)
        self.max_scale = float(max_scale)

    def build(self, input_shape):
        self.log_scale = self.add_weight(
            name="log_scale",
            shape=(),
            initializer=keras.initializers.Constant(np.log(1.0 / self.initial_temperature)),
            trainable=self.learnable,
            constraint=lambda v: ops.clip(v, 0.0, float(np.log(self.max_scale))),
        )

    def call(self, inputs):
        z_a, z_b = inputs
        pairs = zip(z_a.shape, z_b.shape, strict=False)  # batch sizes may be unknown (None)
        if len(z_a.shape) != 2 or len(z_b.shape) != 2 or any(p != q for p, q in pairs if p and q):
            raise ValueError(
                "CLIPLoss expects two batches of paired embeddings of one shape (n, d), got "
                f"shapes {tuple(z_a.shape)} and {tuple(z_b.shape)}"
            )
        logits = ops.exp(self.log_scale) * ops.matmul(z_a, ops.transpose(z_b))  # (n, n)
        positives = ops.arange(ops.shape(logits)[0])  # pair i sits on the diagonal
        a_to_b = keras.losses.sparse_categorical_crossentropy(positives, logits, from_logits=True)
        b_to_a = keras.losses.sparse_categorical_crossentropy(
            positives, ops.transpose(logits), from_logits=True
        )
        return ops.mean((a_to_b + b_to_a) / 2.0)

    def temperature(self) -> float:
        """The current temperature ``1 / exp(log_scale)``."""
        return float(1.0 / np.exp(ops.convert_to_numpy(self.log_scale)))

    def get_config(self):
        return {
            **super().get_config(),
            "temperature": self.initial_temperature,
            "learnable": self.learnable,
            "max_scale": self.max_scale,
        }


@keras.saving.register_keras_serializable(package="mmtutor")
class SigLIPLoss(layers.Layer):
    r"""The pairwise sigmoid loss of SigLIP (Zhai et al., 2023).

    Every pair ``(a_i, b_j)`` of the batch is its own binary question, "do they belong
    together?": label ``+1`` on the diagonal, ``-1`` elsewhere, logit
    ``s * <a_i, b_j> + bias``:

    ``loss = -1/n sum_i sum_j log sigmoid(label_ij * (s <a_i, b_j> + bias))``

    (summed over all ``n^2`` pairs, divided by the batch size n, as in the paper). No
    softmax couples the examples of a batch. The scale ``s = exp(log_scale)`` and the bias
    are learned; the paper starts them at ``s = 10`` and ``bias = -10`` (most pairs are
    negatives). ``log_scale`` is clipped like :class:`CLIPLoss`'s (the paper does not say
    it clips; the bound only guards against a runaway scale).

    Example:
        >>> z = np.eye(3, 4, dtype="float32")  # logits 10 - 5 = 5 on the diagonal, -5 off it
        >>> round(float(SigLIPLoss(temperature=0.1, bias=-5.0)([z, z])), 4)  # 9 log(1 + e^-5) / 3
        0.0201
    """

    def __init__(
        self,
        temperature: float = 0.1,
        bias: float = -10.0,
        learnable: bool = True,
        max_scale: float = 100.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(max_scale, int | float) or isinstance(max_scale, bool) or max_scale <= 1:
            raise ValueError(f"max_scale must be a number > 1, got {max_scale!r}")
        if (
            not isinstance(temperature, int | float)
            or isinstance(temperature, bool)
            or not 1.0 / max_scale <= temperature <= 1.0
        ):
            raise ValueError(
                f"temperature must be a number in [1 / max_scale, 1] = [{1.0 / max_scale:g}, 1], "
                f"got {temperature!r}"
            )
        if not isinstance(bias, int | float) or isinstance(bias, bool) or not np.isfinite(bias):
            raise ValueError(f"bias must be a finite number, got {bias!r}")
        self.initial_temperature = float(temperature)
        self.initial_bias = float(bias)
        self.learnable = bool(learnable)
        self.max_scale = float(max_scale)

    def build(self, input_shape):
        self.log_scale = self.add_weight(
            name="log_scale",
            shape=(),
            initializer=keras.initializers.Constant(np.log(1.0 / self.initial_temperature)),
            trainable=self.learnable,
            constraint=lambda v: ops.clip(v, 0.0, float(np.log(self.max_scale))),
        )
        self.bias = self.add_weight(
            name="bias",
            shape=(),
            initializer=keras.initializers.Constant(self.initial_bias),
            trainable=self.learnable,
        )

    def call(self, inputs):
        z_a, z_b = inputs
        pairs = zip(z_a.shape, z_b.shape, strict=False)  # batch sizes may be unknown (None)
        if len(z_a.shape) != 2 or len(z_b.shape) != 2 or any(p != q for p, q in pairs if p and q):
            raise ValueError(
                "SigLIPLoss expects two batches of paired embeddings of one shape (n, d), got "
                f"shapes {tuple(z_a.shape)} and {tuple(z_b.shape)}"
            )
        logits = ops.exp(self.log_scale) * ops.matmul(z_a, ops.transpose(z_b)) + self.bias
        n = ops.shape(logits)[0]
        labels = 2.0 * ops.eye(n, dtype=logits.dtype) - 1.0  # +1 on the diagonal, -1 elsewhere
        return -ops.sum(ops.log_sigmoid(labels * logits)) / ops.cast(n, logits.dtype)

    def temperature(self) -> float:
        """The current temperature ``1 / exp(log_scale)``."""
        return float(1.0 / np.exp(ops.convert_to_numpy(self.log_scale)))

    def get_config(self):
        return {
            **super().get_config(),
            "temperature": self.initial_temperature,
            "bias": self.initial_bias,
            "learnable": self.learnable,
            "max_scale": self.max_scale,
        }
