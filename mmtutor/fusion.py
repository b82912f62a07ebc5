"""Fusion layers: one interface for every family (notebooks 05-09, 13).

Every fusion layer takes a list (or dict) of 2 or more modality tensors and returns one
tensor:

    fused = layer([z_image, z_audio, z_text])      # each (batch, d_i)

===================  =============================  ========================================
family               layer                          input -> output
===================  =============================  ========================================
early / inter.       :class:`ConcatFusion`          features (any rank) -> (batch, sum d_i)
late                 :class:`MeanFusion`            logits (batch, C) each -> log of mean probs
late                 :class:`WeightedFusion`        logits -> log of learned-weighted mean
late                 :class:`StackingFusion`        logits -> meta-layer logits (batch, C)
late                 :class:`ProductOfExperts`      logits -> sum of log-probabilities
intermediate         :class:`TensorFusion`          (batch, d_i) -> (batch, prod (d_i + 1))
intermediate         :class:`LowRankFusion`         (batch, d_i) -> (batch, units)
intermediate         :class:`GatedFusion`           (batch, d_i) -> (batch, units)
intermediate         :class:`FiLMFusion`            (batch, d_i) -> (batch, d_target)
intermediate         :class:`BilinearPooling`       (batch, d_i) -> (batch, units)
attention            :class:`CrossModalAttention`   (batch, [T_i,] d_i) -> (batch, units)
attention            :class:`SingleStreamTransformer` (batch, d_i) -> (batch, units)
graph                :class:`GraphFusion`           (batch, d_i) -> (batch, units)
===================  =============================  ========================================

Missing modalities (notebook 13): :class:`MaskMissing` and :class:`ModalityDropout`.

Every layer is a plain ``keras.layers.Layer`` with its own ``build``, ``call`` and
``get_config``, registered for ``.keras`` saving, and uses only ``keras``/``ops``/``layers``
/``numpy`` plus :func:`check_fusion`, the one function that holds every argument and
shape check: what ``mmtutor.show_source(fusion.X)`` prints runs when copied into a file
with those imports and ``check_fusion``'s source. :func:`get` builds a layer by name.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

__all__ = [
    "FUSION_LAYERS",
    "BilinearPooling",
    "ConcatFusion",
    "CrossModalAttention",
    "FiLMFusion",
    "GatedFusion",
    "GraphFusion",
    "LowRankFusion",
    "MaskMissing",
    "MeanFusion",
    "ModalityDropout",
    "ProductOfExperts",
    "SingleStreamTransformer",
    "StackingFusion",
    "TensorFusion",
    "WeightedFusion",
    "check_fusion",
    "count_fusion_params",
    "get",
    "is_present",
]


def check_fusion(layer, inputs=None, ranks=(2,), same_size=False, **options):
    """Every check a fusion layer makes, in one place, so each layer's code stays short.

    - ``options`` (``units=64``, ``rank=4``, ...) must be positive integers; ``query`` and
      ``target`` (a modality index) integers >= 0, below the number of modalities once
      ``inputs`` are known.
    - ``inputs`` is what ``build`` receives (a list or dict of shapes) or what ``call``
      receives (a list or dict of tensors): 2 or more modalities, each of a rank in
      ``ranks`` (``None``: any rank), with known feature sizes and one batch size; with
      ``same_size``, one feature size (late fusion: the same classes). The first call
      records ``layer.num_modalities``; later calls must give as many modalities.

    Returns ``inputs`` as a list (of shape tuples, or of the tensors), so a layer writes
    ``shapes = check_fusion(self, input_shape)`` in ``build`` and
    ``xs = check_fusion(self, inputs)`` in ``call``.

    Example:
        >>> check_fusion(GatedFusion(), [(None, 3), (None, 4)])
        [(None, 3), (None, 4)]
        >>> check_fusion(GatedFusion(), [(None, 3)])
        Traceback (most recent call last):
        ...
        ValueError: GatedFusion fuses 2 or more modalities, got 1: shapes [(None, 3)]
    """
    name = type(layer).__name__
    for key, value in options.items():
        low = 0 if key in ("query", "target") else 1
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            kind = "a modality index >= 0" if low == 0 else "a positive integer"
            raise ValueError(f"{name}: {key} must be {kind}, got {value!r}")
    if inputs is None:
        return None
    items = list(inputs.values()) if isinstance(inputs, dict) else inputs

    def is_shape(item):
        ints = (int, np.integer)
        return isinstance(item, list | tuple) and all(
            d is None or isinstance(d, ints) for d in item
        )

    if not isinstance(items, list | tuple) or not all(
        hasattr(i, "shape") or is_shape(i) for i in items
    ):
        shape = tuple(getattr(inputs, "shape", inputs))
        raise ValueError(
            f"{name} expects a list or dict of 2 or more modality tensors, got a single "
            f"tensor of shape {shape}"
        )
    shapes = [tuple(i.shape) if hasattr(i, "shape") else tuple(i) for i in items]
    if len(shapes) < 2:
        raise ValueError(f"{name} fuses 2 or more modalities, got {len(shapes)}: shapes {shapes}")
    if ranks is not None and any(len(s) not in ranks for s in shapes):
        words = {2: "(batch, features)", 3: "(batch, tokens, features)"}
        expected = " or ".join(words.get(r, f"rank {r}") for r in ranks)
        raise ValueError(f"{name} expects every modality as {expected}, got shapes {shapes}")
    if any(None in s[1:] for s in shapes):
        raise ValueError(f"{name} needs known feature sizes, got shapes {shapes}")
    if len({s[0] for s in shapes if s[0] is not None}) > 1:
        raise ValueError(f"{name}: the modalities have different batch sizes, shapes {shapes}")
    if same_size and len({s[1:] for s in shapes}) > 1:
        raise ValueError(
            f"{name} combines per-modality class scores, so every input must have "
            f"the same size; got shapes {shapes}"
        )
    for key in ("query", "target"):
        index = getattr(layer, key, None)
        if index is not None and index >= len(shapes):
            raise ValueError(f"{name}: {key}={index} but only {len(shapes)} modalities were given")
    expected = getattr(layer, "num_modalities", None)
    if expected is None:
        layer.num_modalities = len(shapes)
    elif expected != len(shapes):
        raise ValueError(f"{name} was built for {expected} modalities, got {len(shapes)}")
    return list(items) if not is_shape(items[0]) else shapes


# --------------------------------------------------------------------------- early / concat
@keras.saving.register_keras_serializable(package="mmtutor")
class ConcatFusion(layers.Layer):
    """Flatten each input and concatenate: ``[x_1; x_2; ...]``.

    Used at two depths: on low-level features it is *early* (input-level) fusion; on
    encoder embeddings it is the simplest *intermediate* fusion. Parameters: none.

    Example:
        >>> tuple(ConcatFusion()([ops.ones((2, 3)), ops.ones((2, 4, 2))]).shape)
        (2, 11)
    """

    def build(self, input_shape):
        check_fusion(self, input_shape, ranks=None)

    def call(self, inputs):
        xs = check_fusion(self, inputs, ranks=None)
        flat = [ops.reshape(x, (-1, int(np.prod(x.shape[1:])))) for x in xs]
        return ops.concatenate(flat, axis=-1)


# --------------------------------------------------------------------------- late fusion
@keras.saving.register_keras_serializable(package="mmtutor")
class MeanFusion(layers.Layer):
    """Average the modalities' class probabilities: ``log(1/M sum_i softmax(l_i))``.

    Inputs are logits of the same number of classes; the output is a log-probability,
    which a ``from_logits=True`` loss treats as logits. Parameters: none.

    Example:
        >>> logits = [np.log([[0.9, 0.1]]), np.log([[0.3, 0.7]])]
        >>> np.exp(ops.convert_to_numpy(MeanFusion()(logits))).round(3)
        array([[0.6, 0.4]], dtype=float32)
    """

    def build(self, input_shape):
        check_fusion(self, input_shape, same_size=True)

    def call(self, inputs):
        xs = check_fusion(self, inputs, same_size=True)
        probs = ops.stack([ops.softmax(x, axis=-1) for x in xs], axis=1)  # (b, M, C)
        return ops.log(ops.mean(probs, axis=1) + 1e-7)


@keras.saving.register_keras_serializable(package="mmtutor")
class WeightedFusion(layers.Layer):
    """A learned convex combination of probabilities: ``log(sum_i w_i softmax(l_i))``,
    ``w = softmax(a)`` with one learned score ``a_i`` per modality. Parameters: M.

    ``modality_weights()`` returns the current ``w`` (what the model learned to trust).
    """

    def build(self, input_shape):
        shapes = check_fusion(self, input_shape, same_size=True)
        self.scores = self.add_weight(name="scores", shape=(len(shapes),), initializer="zeros")

    def modality_weights(self):
        return ops.convert_to_numpy(ops.softmax(self.scores))

    def call(self, inputs):
        xs = check_fusion(self, inputs, same_size=True)
        probs = ops.stack([ops.softmax(x, axis=-1) for x in xs], axis=1)  # (b, M, C)
        w = ops.reshape(ops.softmax(self.scores), (1, -1, 1))
        return ops.log(ops.sum(w * probs, axis=1) + 1e-7)


@keras.saving.register_keras_serializable(package="mmtutor")
class StackingFusion(layers.Layer):
    """A learned meta-layer on the concatenated unimodal probabilities,
    ``W [p_1; ...; p_M] + b``, trained *jointly* with the unimodal models. Parameters:
    ``(M C + 1) C``.

    This is not classical stacking (Wolpert, 1992), which fits the meta-classifier
    *afterwards*, on predictions the base models made for examples they were not trained
    on; trained jointly, the meta-layer sees training-set probabilities, which are
    over-confident. :func:`mmtutor.training.fit_stacking` does the classical version
    (notebook 06 compares them).
    """

    def build(self, input_shape):
        shapes = check_fusion(self, input_shape, same_size=True)
        self.meta = layers.Dense(shapes[0][-1], name="meta_classifier")
        self.meta.build((None, sum(s[-1] for s in shapes)))

    def call(self, inputs):
        xs = check_fusion(self, inputs, same_size=True)
        return self.meta(ops.concatenate([ops.softmax(x, axis=-1) for x in xs], axis=-1))


@keras.saving.register_keras_serializable(package="mmtutor")
class ProductOfExperts(layers.Layer):
    """Product of experts (Hinton, 2002): ``p(y|x) ∝ prod_i p_i(y|x_i)``, returned as
    ``sum_i log_softmax(l_i)`` (a softmax of it renormalises). Parameters: none.

    One confident expert can veto a class; averaging (:class:`MeanFusion`) cannot.
    """

    def build(self, input_shape):
        check_fusion(self, input_shape, same_size=True)

    def call(self, inputs):
        xs = check_fusion(self, inputs, same_size=True)
        return sum(ops.log_softmax(x, axis=-1) for x in xs)


# --------------------------------------------------------------------------- intermediate
@keras.saving.register_keras_serializable(package="mmtutor")
class TensorFusion(layers.Layer):
    """Tensor fusion (Zadeh et al., 2017): the outer product of the embeddings, each
    with a constant 1 appended, flattened:

    ``z = vec([z_1; 1] ⊗ [z_2; 1] ⊗ ... ⊗ [z_M; 1])``, size ``prod_i (d_i + 1)``.

    The appended 1 keeps every unimodal term and every lower-order interaction in ``z``.
    Parameters: none (the next dense layer pays: ``prod (d_i + 1) x units``).

    Example:
        >>> tuple(TensorFusion()([ops.ones((2, 3)), ops.ones((2, 4))]).shape)
        (2, 20)
    """

    def build(self, input_shape):
        check_fusion(self, input_shape)

    def call(self, inputs):
        xs = check_fusion(self, inputs)
        z = None
        for x in xs:
            x1 = ops.concatenate([x, ops.ones_like(x[:, :1])], axis=-1)
            if z is None:
                z = x1
            else:  # (b, a) x (b, d) -> (b, a * d), index a_i * d + d_j (row-major)
                z = ops.reshape(z[:, :, None] * x1[:, None, :], (-1, z.shape[-1] * x1.shape[-1]))
        return z


@keras.saving.register_keras_serializable(package="mmtutor")
class LowRankFusion(layers.Layer):
    """Low-rank multimodal fusion (Liu et al., 2018): tensor fusion followed by a linear
    map ``W`` of shape ``(prod (d_i + 1), units)``, with ``W`` constrained to rank ``r``:

    ``h = sum_{k=1..r} prod_i ([z_i; 1] W_i^(k)) + b``, each ``W_i^(k)`` of shape
    ``(d_i + 1, units)``. The outer product is never formed.
    Parameters: ``r * units * sum_i (d_i + 1) + units`` instead of
    ``units * prod_i (d_i + 1) + units``.

    ``full_weight()`` rebuilds the equivalent ``W`` (for checking; it is large).
    """

    def __init__(self, units: int = 64, rank: int = 4, **kwargs):
        super().__init__(**kwargs)
        check_fusion(self, units=units, rank=rank)
        self.units, self.rank = units, rank

    def build(self, input_shape):
        shapes = check_fusion(self, input_shape)
        self.factors = [
            self.add_weight(
                name=f"factor_{i}",
                shape=(self.rank, s[-1] + 1, self.units),
                initializer="glorot_uniform",
            )
            for i, s in enumerate(shapes)
        ]
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        xs = check_fusion(self, inputs)
        prod = None
        for x, w in zip(xs, self.factors, strict=True):
            x1 = ops.concatenate([x, ops.ones_like(x[:, :1])], axis=-1)
            proj = ops.einsum("bd,rdu->bru", x1, w)  # (b, rank, units)
            prod = proj if prod is None else prod * proj
        return ops.sum(prod, axis=1) + self.bias

    def full_weight(self):
        """The full ``(prod (d_i + 1), units)`` matrix this layer's factors represent."""
        w = None
        for f in self.factors:
            f = ops.convert_to_tensor(f)
            if w is None:
                w = f
            else:  # (r, a, u) x (r, d, u) -> (r, a * d, u), same index order as TensorFusion
                w = ops.reshape(w[:, :, None, :] * f[:, None, :, :], (self.rank, -1, self.units))
        return ops.sum(w, axis=0)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "rank": self.rank}


@keras.saving.register_keras_serializable(package="mmtutor")
class GatedFusion(layers.Layer):
    """Gated multimodal unit (Arevalo et al., 2017), for M modalities:

    ``h_i = tanh(W_i z_i)``, gates ``g = softmax_i(V_i [z_1; ...; z_M])`` per unit,
    ``h = sum_i g_i ⊙ h_i``. With two modalities this is the paper's
    ``z h_1 + (1 - z) h_2``. Parameters: ``sum_i (d_i + 1) units +
    M (sum_i d_i + 1) units``. ``return_gates=True`` also returns ``g`` (b, M, units).
    """

    def __init__(self, units: int = 64, **kwargs):
        super().__init__(**kwargs)
        check_fusion(self, units=units)
        self.units = units

    def build(self, input_shape):
        shapes = check_fusion(self, input_shape)
        self.transforms = []
        for i, s in enumerate(shapes):
            dense = layers.Dense(self.units, activation="tanh", name=f"h_{i}")
            dense.build(s)
            self.transforms.append(dense)
        self.gate = layers.Dense(self.units * len(shapes), name="gates")
        self.gate.build((None, sum(s[-1] for s in shapes)))

    def call(self, inputs, return_gates: bool = False):
        xs = check_fusion(self, inputs)
        h = ops.stack([t(x) for t, x in zip(self.transforms, xs, strict=True)], axis=1)
        scores = ops.reshape(self.gate(ops.concatenate(xs, axis=-1)), (-1, len(xs), self.units))
        g = ops.softmax(scores, axis=1)  # over the modalities, per unit
        out = ops.sum(g * h, axis=1)
        return (out, g) if return_gates else out

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="mmtutor")
class FiLMFusion(layers.Layer):
    """FiLM conditioning (Perez et al., 2018): the other modalities scale and shift the
    features of one target modality,

    ``[gamma; beta] = W [z_j]_{j != t} + b``, ``h = (1 + gamma) ⊙ z_t + beta``.

    (``1 + gamma`` centres the scale on 1: with gamma = beta = 0 the target passes
    unchanged.) Output: ``(batch, d_t)``.
    Parameters: ``(sum_{j != t} d_j + 1) 2 d_t``.
    """

    def __init__(self, target: int = 0, **kwargs):
        super().__init__(**kwargs)
        check_fusion(self, target=target)
        self.target = target

    def build(self, input_shape):
        shapes = check_fusion(self, input_shape)
        d_t = shapes[self.target][-1]
        self.film = layers.Dense(2 * d_t, name="gamma_beta")
        self.film.build((None, sum(s[-1] for s in shapes) - d_t))

    def call(self, inputs):
        xs = check_fusion(self, inputs)
        cond = ops.concatenate([x for i, x in enumerate(xs) if i != self.target], axis=-1)
        gamma, beta = ops.split(self.film(cond), 2, axis=-1)
        return (1.0 + gamma) * xs[self.target] + beta

    def get_config(self):
        return {**super().get_config(), "target": self.target}


@keras.saving.register_keras_serializable(package="mmtutor")
class BilinearPooling(layers.Layer):
    """Low-rank bilinear pooling (Kim et al., 2017, MLB), for M modalities:

    ``h = P^T (tanh(U_1 z_1) ⊙ ... ⊙ tanh(U_M z_M)) + b``, then a signed square root and
    L2 normalisation. With ``U_i`` of rank ``factor`` this approximates the full bilinear
    form ``z_1^T W_k z_2`` per output unit without its ``d_1 d_2 units`` parameters.
    Parameters: ``sum_i (d_i + 1) factor + (factor + 1) units``.

    The signed square root is smoothed, ``sign(h) (sqrt(|h| + eps) - sqrt(eps))`` with
    ``eps = 0.01``: it is 0 at 0, close to ``sign(h) sqrt(|h|)`` for ``|h| >> eps``, and its
    slope is at most ``1 / (2 sqrt(eps)) = 5`` (the plain ``sqrt(|h| + 1e-8)`` has a slope
    of 5,000 near 0, which makes gradients explode for small activations).
    """

    def __init__(self, units: int = 64, factor: int = 128, **kwargs):
        super().__init__(**kwargs)
        check_fusion(self, units=units, factor=factor)
        self.units, self.factor = units, factor

    def build(self, input_shape):
        shapes = check_fusion(self, input_shape)
        self.projections = []
        for i, s in enumerate(shapes):
            dense = layers.Dense(self.factor, activation="tanh", name=f"u_{i}")
            dense.build(s)
            self.projections.append(dense)
        self.out = layers.Dense(self.units, name="p")
        self.out.build((None, self.factor))

    def call(self, inputs):
        xs = check_fusion(self, inputs)
        z = None
        for p, x in zip(self.projections, xs, strict=True):
            z = p(x) if z is None else z * p(x)
        h = self.out(z)
        eps = 0.01
        h = ops.sign(h) * (ops.sqrt(ops.abs(h) + eps) - np.sqrt(eps))
        return h / (ops.sqrt(ops.sum(h * h, axis=-1, keepdims=True)) + 1e-8)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "factor": self.factor}


# --------------------------------------------------------------------------- attention
@keras.saving.register_keras_serializable(package="mmtutor")
class CrossModalAttention(layers.Layer):
    """Cross-modal attention: queries from one modality, keys and values from the others.

    Every modality is projected to tokens of size ``units`` (an embedding (batch, d) is
    one token; a sequence (batch, T, d), e.g. audio frames or words, is T tokens). With
    queries ``Q`` from the ``query`` modality and keys/values ``K`` from all the others,

    ``A = softmax(Q W_Q (K W_K)^T / sqrt(d_k))``, ``h = LayerNorm(Q + A K W_V W_O)``,

    averaged over the query tokens. A learned *null* key/value is prepended to ``K`` (as
    ``add_bias_kv`` does in PyTorch), so a query can also take nothing from the others:
    its weight says how much the query modality relies on itself. Padded tokens of a
    sequence (a Keras mask, e.g. from ``Embedding(mask_zero=True)``, or ``mask=`` given
    explicitly: one (batch, T_i) boolean array or ``None`` per modality) are never
    attended to and left out of the average.
    ``return_attention_scores=True`` also returns ``A``: (batch, heads, T_query,
    1 + sum of the other modalities' tokens), column 0 being the null token.
    Parameters: ``sum_i (d_i + 1) units + 4 (units + 1) units + 3 units`` (``units``
    divisible by ``num_heads``).
    """

    def __init__(self, units: int = 64, num_heads: int = 2, query: int = 0, **kwargs):
        super().__init__(**kwargs)
        check_fusion(self, units=units, num_heads=num_heads, query=query)
        self.units, self.num_heads, self.query = units, num_heads, query

    def build(self, input_shape):
        shapes = check_fusion(self, input_shape, ranks=(2, 3))
        self.projections = []
        for i, s in enumerate(shapes):
            dense = layers.Dense(self.units, name=f"proj_{i}")
            dense.build((None, s[-1]))
            self.projections.append(dense)
        self.null = self.add_weight(name="null_token", shape=(1, 1, self.units))
        self.attention = layers.MultiHeadAttention(
            self.num_heads, max(1, self.units // self.num_heads), name="attention"
        )
        self.attention.build((None, None, self.units), (None, None, self.units))
        self.norm = layers.LayerNormalization(name="norm")
        self.norm.build((None, None, self.units))

    def call(self, inputs, mask=None, return_attention_scores: bool = False):
        xs = check_fusion(self, inputs, ranks=(2, 3))
        masks = list(mask.values()) if isinstance(mask, dict) else list(mask or [None] * len(xs))
        tokens, valid = [], []
        for p, x, m in zip(self.projections, xs, masks, strict=True):
            t = p(x)
            t = t[:, None, :] if len(t.shape) == 2 else t  # an embedding is one token
            tokens.append(t)
            ones = ops.ones_like(t[:, :, 0])
            valid.append(ones if m is None else ops.cast(m, t.dtype) * ones)
        q, q_valid = tokens[self.query], valid[self.query]
        others = [i for i in range(len(xs)) if i != self.query]
        kv = ops.concatenate(
            [ops.tile(self.null, (ops.shape(q)[0], 1, 1))] + [tokens[i] for i in others], axis=1
        )
        kv_valid = ops.concatenate(
            [ops.ones_like(q_valid[:, :1])] + [valid[i] for i in others], axis=1
        )
        attention_mask = None
        if any(m is not None for m in masks):  # (batch, T_query, T_kv): padding is never a key
            attention_mask = ops.cast(q_valid[:, :, None] * kv_valid[:, None, :], "bool")
        att, scores = self.attention(
            q, kv, attention_mask=attention_mask, return_attention_scores=True
        )
        h = self.norm(q + att) * q_valid[:, :, None]
        out = ops.sum(h, axis=1) / ops.maximum(ops.sum(q_valid, axis=1, keepdims=True), 1.0)
        return (out, scores) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        return None  # the output is pooled over tokens: no mask to pass on

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "num_heads": self.num_heads,
            "query": self.query,
        }


@keras.saving.register_keras_serializable(package="mmtutor")
class SingleStreamTransformer(layers.Layer):
    """A single-stream Transformer encoder over one token per modality.

    Tokens ``t_i = W_i z_i + e_i`` (a learned modality-type embedding ``e_i``) plus a
    ``[CLS]`` token (its own type embedding); ``num_layers`` blocks of multi-head
    self-attention and a feed-forward network, each with a residual connection and layer
    normalisation (post-norm, Vaswani et al., 2017); the output is the final ``[CLS]``
    token. Every token attends to every other, in one stream: the design of single-stream
    vision-language encoders (e.g. VisualBERT, UNITER), here with one token per modality.
    It is *not* MulT (Tsai et al., 2019), which runs pairwise cross-modal Transformers over
    each modality's time series; :class:`CrossModalAttention` is that model's building
    block. ``return_attention_scores=True`` also returns the last block's attention:
    (batch, heads, M + 1, M + 1), token 0 being ``[CLS]``.
    Parameters (``u = units`` divisible by ``num_heads``): ``sum_i (d_i + 1) u + (M + 1) u
    + num_layers (4 (u + 1) u + (u + 1) 2u + (2u + 1) u + 4u)``.
    """

    def __init__(self, units: int = 64, num_heads: int = 2, num_layers: int = 1, **kwargs):
        super().__init__(**kwargs)
        check_fusion(self, units=units, num_heads=num_heads, num_layers=num_layers)
        self.units, self.num_heads, self.num_layers = units, num_heads, num_layers

    def build(self, input_shape):
        shapes = check_fusion(self, input_shape)
        self.projections = []
        for i, s in enumerate(shapes):
            dense = layers.Dense(self.units, name=f"proj_{i}")
            dense.build((None, s[-1]))
            self.projections.append(dense)
        m, u = len(shapes) + 1, self.units
        self.type_embedding = self.add_weight(
            name="type_embedding", shape=(m, u), initializer="random_normal"
        )
        self.blocks = []
        for k in range(self.num_layers):
            att = layers.MultiHeadAttention(
                self.num_heads, max(1, u // self.num_heads), name=f"attention_{k}"
            )
            att.build((None, m, u), (None, m, u))
            ff1 = layers.Dense(2 * u, activation="relu", name=f"ff1_{k}")
            ff1.build((None, m, u))
            ff2 = layers.Dense(u, name=f"ff2_{k}")
            ff2.build((None, m, 2 * u))
            n1, n2 = (
                layers.LayerNormalization(name=f"norm1_{k}"),
                layers.LayerNormalization(name=f"norm2_{k}"),
            )
            n1.build((None, m, u))
            n2.build((None, m, u))
            self.blocks.append((att, ff1, ff2, n1, n2))

    def call(self, inputs, return_attention_scores: bool = False):
        xs = check_fusion(self, inputs)
        tokens = [ops.zeros_like(self.projections[0](xs[0]))]  # [CLS]: its type embedding only
        tokens += [p(x) for p, x in zip(self.projections, xs, strict=True)]
        h = ops.stack(tokens, axis=1) + self.type_embedding[None]  # (b, M + 1, units)
        scores = None
        for att, ff1, ff2, n1, n2 in self.blocks:
            a, scores = att(h, h, return_attention_scores=True)
            h = n1(h + a)
            h = n2(h + ff2(ff1(h)))
        out = h[:, 0]
        return (out, scores) if return_attention_scores else out

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "num_heads": self.num_heads,
            "num_layers": self.num_layers,
        }


# --------------------------------------------------------------------------- graph
@keras.saving.register_keras_serializable(package="mmtutor")
class GraphFusion(layers.Layer):
    """Message passing over a fully connected graph whose nodes are the modalities.

    Nodes start as ``h_i = W_i z_i``; each of ``steps`` rounds updates every node with
    learned, input-dependent edge weights (a graph attention layer, Veličković et al.,
    2018, with self-loops):

    ``e_ij = LeakyReLU(a_dst . U h_i + a_src . U h_j)``, ``alpha_ij = softmax_j(e_ij)``,
    ``h_i' = ReLU(sum_j alpha_ij U h_j + h_i)``

    and the readout is the mean of the node states. ``return_attention_scores=True`` also
    returns the last round's ``alpha``: (batch, M, M), rows = receiving node.
    Parameters: ``sum_i (d_i + 1) units + steps (units^2 + 2 units)``.
    """

    def __init__(self, units: int = 64, steps: int = 2, **kwargs):
        super().__init__(**kwargs)
        check_fusion(self, units=units, steps=steps)
        self.units, self.steps = units, steps

    def build(self, input_shape):
        shapes = check_fusion(self, input_shape)
        self.projections = []
        for i, s in enumerate(shapes):
            dense = layers.Dense(self.units, name=f"proj_{i}")
            dense.build((None, s[-1]))
            self.projections.append(dense)
        self.messages = []
        for k in range(self.steps):
            u = layers.Dense(self.units, use_bias=False, name=f"message_{k}")
            u.build((None, len(shapes), self.units))
            a_src = self.add_weight(name=f"att_src_{k}", shape=(self.units,))
            a_dst = self.add_weight(name=f"att_dst_{k}", shape=(self.units,))
            self.messages.append((u, a_src, a_dst))

    def call(self, inputs, return_attention_scores: bool = False):
        xs = check_fusion(self, inputs)
        h = ops.stack([p(x) for p, x in zip(self.projections, xs, strict=True)], axis=1)
        alpha = None
        for u, a_src, a_dst in self.messages:
            m = u(h)  # (b, M, units)
            e = (
                ops.einsum("bmu,u->bm", m, a_dst)[:, :, None]
                + ops.einsum("bmu,u->bm", m, a_src)[:, None, :]
            )
            alpha = ops.softmax(ops.leaky_relu(e, negative_slope=0.2), axis=-1)  # (b, M, M)
            h = ops.relu(ops.einsum("bij,bju->biu", alpha, m) + h)
        out = ops.mean(h, axis=1)
        return (out, alpha) if return_attention_scores else out

    def get_config(self):
        return {**super().get_config(), "units": self.units, "steps": self.steps}


# --------------------------------------------------------------------------- missing modalities
# The series' convention (notebook 13): a modality is *missing* for an example when its raw
# input is all zeros (an empty caption for text), what ``mmtutor.evaluation.ablate(how="zero")``
# produces. :class:`MaskMissing` reads that from the raw input and passes it on explicitly, as
# a presence flag appended to the embedding; :class:`ModalityDropout` reads the flag (never
# the embedding's values: an encoder ending in a ReLU can give an all-zero embedding for a
# present input), fills missing embeddings and drops whole modalities in training.


def is_present(values):
    """NumPy version of the convention: (n,) bool, False where an example's raw input is all
    zeros (an empty string for text).

    Example:
        >>> is_present(np.array(["a digit", ""], dtype=object)).tolist()
        [True, False]
    """
    values = np.asarray(values)
    if values.ndim < 1 or len(values) == 0:
        raise ValueError(f"values must be a non-empty batch, got shape {values.shape}")
    if values.dtype.kind in "OUS":
        return np.array([len(str(v)) > 0 for v in values.reshape(len(values), -1)[:, 0]])
    return np.any(values.reshape(len(values), -1) != 0, axis=1)


@keras.saving.register_keras_serializable(package="mmtutor")
class MaskMissing(layers.Layer):
    """``[raw_input, embedding] -> [embedding * p; p]``, (batch, d + 1): the embedding,
    zeroed where the raw input is missing, with the presence flag ``p`` (1 present, 0
    missing) appended as its last feature.

    An encoder maps a zero image to some embedding (its biases), and a present image can
    map to an all-zero one (a ReLU), so presence cannot be read from the embedding: this
    layer reads it from the *raw* input (all zeros, or an empty string for text) and
    carries it to :class:`ModalityDropout`, which strips the flag.

    Example:
        >>> raw, emb = np.array([[0.0, 0.0], [1.0, 0.0]]), np.ones((2, 3))
        >>> ops.convert_to_numpy(MaskMissing()([raw, emb]))
        array([[0., 0., 0., 0.],
               [1., 1., 1., 1.]], dtype=float32)
    """

    def call(self, inputs):
        if not isinstance(inputs, list | tuple) or len(inputs) != 2:
            raise ValueError(f"MaskMissing expects [raw_input, embedding], got {inputs!r:.80}")
        raw, embedding = inputs
        if len(embedding.shape) != 2 or (
            raw.shape[0] is not None
            and embedding.shape[0] is not None
            and raw.shape[0] != embedding.shape[0]
        ):
            raise ValueError(
                f"MaskMissing expects a raw input and a (batch, d) embedding of one "
                f"batch size, got shapes {raw.shape} and {embedding.shape}"
            )
        if raw.dtype == "string":
            present = ops.not_equal(ops.reshape(raw, (-1,)), "")
        else:
            present = ops.any(ops.not_equal(ops.reshape(raw, (ops.shape(raw)[0], -1)), 0), axis=-1)
        present = ops.cast(present, embedding.dtype)[:, None]  # (b, 1)
        return ops.concatenate([embedding * present, present], axis=-1)

    def compute_output_shape(self, input_shape):
        shape = input_shape[1]
        return (*shape[:-1], shape[-1] + 1)


@keras.saving.register_keras_serializable(package="mmtutor")
class ModalityDropout(layers.Layer):
    """Modality dropout (Neverova et al. 2016, "ModDrop"): a list of M embeddings, each
    with its presence flag as last feature (from :class:`MaskMissing`), -> the M embeddings
    without the flag, where every *missing* one is replaced by ``fill``, and, in training
    only, each present modality of each example is also dropped with probability ``rate``
    -- but never all of an example's present modalities.

    ``fill="zero"`` gives zeros; ``fill="token"`` a learned vector per modality (a
    "missing" token, trained on the examples where the modality was dropped). Unlike
    ordinary dropout, kept embeddings are not rescaled: at test time a missing modality is
    really absent, not a noisy copy. ``call(..., return_mask=True)`` also returns the
    (batch, M) 0/1 matrix of the modalities used.

    Example:
        >>> layer = ModalityDropout(rate=0.5, fill="zero")
        >>> flagged = [np.ones((4, 3)), np.zeros((4, 3))]   # flag 0: second modality missing
        >>> [float(ops.convert_to_numpy(o).sum()) for o in layer(flagged)]
        [8.0, 0.0]
    """

    def __init__(self, rate: float = 0.0, fill: str = "zero", seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate < 1.0:
            raise ValueError(f"ModalityDropout: rate must be a number in [0, 1), got {rate!r}")
        if fill not in ("zero", "token"):
            raise ValueError(f"ModalityDropout: fill must be 'zero' or 'token', got {fill!r}")
        self.rate, self.fill, self.seed = float(rate), fill, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        shapes = check_fusion(self, input_shape)
        self.tokens = []
        if self.fill == "token":
            self.tokens = [
                self.add_weight(shape=(s[-1] - 1,), initializer="zeros", name=f"missing_token_{i}")
                for i, s in enumerate(shapes)
            ]

    def call(self, inputs, training=None, return_mask: bool = False):
        xs = check_fusion(self, inputs)
        present = ops.concatenate([x[:, -1:] for x in xs], axis=1)  # (b, M) flags
        keep = present
        if training and self.rate > 0:
            draw = keras.random.uniform(ops.shape(present), seed=self.seed_generator)
            kept = present * ops.cast(draw >= self.rate, present.dtype)
            # an example whose present modalities were all dropped keeps them all
            none_left = ops.cast(ops.sum(kept, axis=1, keepdims=True) == 0, present.dtype)
            keep = kept + none_left * present
        outs = []
        for i, x in enumerate(xs):
            k = keep[:, i : i + 1]
            out = x[:, :-1] * k
            if self.tokens:
                out = out + (1.0 - k) * self.tokens[i]
            outs.append(out)
        return (outs, keep) if return_mask else outs

    def compute_output_shape(self, input_shape):
        return [(*s[:-1], s[-1] - 1) for s in check_fusion(self, input_shape)]

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "fill": self.fill, "seed": self.seed}


#: name -> class, for building by name (:func:`get`, ``mmtutor.models.build_fusion_model``)
FUSION_LAYERS: dict[str, type[layers.Layer]] = {
    "concat": ConcatFusion,
    "mean": MeanFusion,
    "weighted": WeightedFusion,
    "stacking": StackingFusion,
    "product_of_experts": ProductOfExperts,
    "tensor": TensorFusion,
    "low_rank": LowRankFusion,
    "gated": GatedFusion,
    "film": FiLMFusion,
    "bilinear": BilinearPooling,
    "cross_attention": CrossModalAttention,
    "transformer": SingleStreamTransformer,
    "graph": GraphFusion,
}


def get(fusion: str | layers.Layer, **options) -> layers.Layer:
    """A fusion layer: by name from :data:`FUSION_LAYERS` (``options`` go to its
    constructor, e.g. ``get("low_rank", rank=8)``), or a layer returned as it is (like
    ``keras.activations.get``).

    Example:
        >>> get("low_rank", units=8, rank=2).rank
        2
        >>> get("sum")
        Traceback (most recent call last):
        ...
        ValueError: fusion must be a layer or one of ['bilinear', 'concat', 'cross_attention', 'film', 'gated', 'graph', 'low_rank', 'mean', 'product_of_experts', 'stacking', 'tensor', 'transformer', 'weighted'], got 'sum'
    """
    if isinstance(fusion, layers.Layer):
        if options:
            raise ValueError(
                f"options {sorted(options)} can only be given with a fusion named by a string, "
                f"got the layer {fusion.name!r}"
            )
        return fusion
    if not isinstance(fusion, str) or fusion not in FUSION_LAYERS:
        raise ValueError(
            f"fusion must be a layer or one of {sorted(FUSION_LAYERS)}, got {fusion!r}"
        )
    return FUSION_LAYERS[fusion](**options)


def count_fusion_params(fusion: str | layers.Layer, dims: list[int], **options) -> int:
    """Trainable parameters of a fusion layer for modality sizes ``dims`` (built on the fly).

    Example:
        >>> count_fusion_params("low_rank", [64, 64, 64], units=64, rank=4)
        49984
    """
    layer = get(fusion, **options)
    layer.build([(None, d) for d in dims])
    return int(sum(np.prod(w.shape) for w in layer.trainable_weights))
