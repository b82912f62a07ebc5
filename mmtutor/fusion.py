"""Fusion layers: one interface for every family (notebooks 05-09).

Every layer takes a list (or dict) of 2 or more modality tensors and returns one tensor:

    fused = layer([z_image, z_audio, z_text])      # each (batch, d_i)

=================  ===========================  ============================================
family             layer                        input -> output
=================  ===========================  ============================================
early / inter.     :class:`ConcatFusion`        features (any rank) -> (batch, sum d_i)
late               :class:`MeanFusion`          logits (batch, C) each -> log of mean probs
late               :class:`WeightedFusion`      logits -> log of learned-weighted mean probs
late               :class:`StackingFusion`      logits -> meta-classifier logits (batch, C)
late               :class:`ProductOfExperts`    logits -> sum of log-probabilities (batch, C)
intermediate       :class:`TensorFusion`        (batch, d_i) -> (batch, prod (d_i + 1))
intermediate       :class:`LowRankFusion`       (batch, d_i) -> (batch, units)
intermediate       :class:`GatedFusion`         (batch, d_i) -> (batch, units)
intermediate       :class:`FiLMFusion`          (batch, d_i) -> (batch, d_target)
intermediate       :class:`BilinearPooling`     (batch, d_i) -> (batch, units)
attention          :class:`CrossModalAttention` (batch, d_i) -> (batch, units)
attention          :class:`MultimodalTransformer` (batch, d_i) -> (batch, units)
graph              :class:`GraphFusion`         (batch, d_i) -> (batch, units)
=================  ===========================  ============================================

All are registered Keras serializables (a model using them saves to ``.keras`` and loads
back). Inputs are checked when the layer is built and, where shapes are known, when it is
called: fewer than two modalities, a rank other than the layer expects, or two batch sizes
raise a ``ValueError`` that names what was expected and what was given. The attention
layers can also return their attention weights (``return_attention_scores=True``).
"""

from __future__ import annotations

import math

from mmtutor.config import _quiet_env

_quiet_env()

import keras  # noqa: E402
from keras import layers, ops  # noqa: E402

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
    "is_present",
    "ModalityDropout",
    "MeanFusion",
    "MultimodalTransformer",
    "ProductOfExperts",
    "StackingFusion",
    "TensorFusion",
    "WeightedFusion",
    "count_fusion_params",
]

_register = keras.saving.register_keras_serializable(package="mmtutor")


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _shape_list(input_shape) -> list[tuple]:
    """Normalise the shapes Keras passes to ``build`` (list, tuple of shapes, or dict)."""
    if isinstance(input_shape, dict):
        return [tuple(s) for s in input_shape.values()]
    if (
        isinstance(input_shape, list | tuple)
        and input_shape
        and isinstance(input_shape[0], list | tuple)
    ):
        return [tuple(s) for s in input_shape]
    raise ValueError(
        "a fusion layer expects a list or dict of 2 or more modality tensors, "
        f"got a single tensor of shape {tuple(input_shape)}"
    )


class _Fusion(layers.Layer):
    """Base class: checks the modality list, stores each modality's feature size.

    Subclasses set ``ranks`` (the ranks an input may have, ``None`` for any) and
    implement ``_build(dims)`` and ``_fuse(xs)``.
    """

    ranks: tuple[int, ...] | None = (2,)

    def build(self, input_shape):
        shapes = _shape_list(input_shape)
        self._check_shapes(shapes)
        self.num_modalities = len(shapes)
        self.shapes = shapes
        self.dims = [int(math.prod(s[1:])) for s in shapes]
        self._build(self.dims)
        super().build(input_shape)

    def _check_shapes(self, shapes) -> None:
        name = type(self).__name__
        if len(shapes) < 2:
            raise ValueError(
                f"{name} fuses 2 or more modalities, got a list of {len(shapes)} tensor(s)"
            )
        ranks = [len(s) for s in shapes]
        if self.ranks is not None and any(r not in self.ranks for r in ranks):
            what = " or ".join(
                {2: "(batch, features)", 3: "(batch, tokens, features)"}[r] for r in self.ranks
            )
            raise ValueError(f"{name} expects every modality as {what}, got shapes {shapes}")
        if any(s[1:].count(None) for s in shapes):
            raise ValueError(f"{name} needs known feature sizes, got shapes {shapes}")
        batches = {s[0] for s in shapes if s[0] is not None}
        if len(batches) > 1:
            raise ValueError(f"{name}: the modalities have different batch sizes {shapes}")

    def _inputs(self, inputs) -> list:
        xs = list(inputs.values()) if isinstance(inputs, dict) else list(inputs)
        self._check_shapes([tuple(x.shape) for x in xs])
        if len(xs) != self.num_modalities:
            raise ValueError(
                f"{type(self).__name__} was built for {self.num_modalities} modalities, "
                f"got {len(xs)}"
            )
        return xs

    def _build(self, dims):  # pragma: no cover - overridden
        pass

    def call(self, inputs):
        return self._fuse(self._inputs(inputs))


# --------------------------------------------------------------------------- early / concat
@_register
class ConcatFusion(_Fusion):
    """Flatten each input and concatenate: ``[x_1; x_2; ...]``.

    Used at two depths: on low-level features it is *early* (input-level) fusion; on
    encoder embeddings it is the simplest *intermediate* fusion. Parameters: none.

    Example:
        >>> ConcatFusion()([keras.ops.ones((2, 3)), keras.ops.ones((2, 4, 2))]).shape
        (2, 11)
    """

    ranks = None

    def _fuse(self, xs):
        flat = [ops.reshape(x, (-1, d)) for x, d in zip(xs, self.dims, strict=True)]
        return ops.concatenate(flat, axis=-1)


# --------------------------------------------------------------------------- late fusion
@_register
class MeanFusion(_Fusion):
    """Average the modalities' class probabilities: ``log(1/M sum_i softmax(l_i))``.

    Inputs are logits of the same number of classes; the output is a log-probability,
    which a ``from_logits=True`` loss treats as logits. Parameters: none.
    """

    def _build(self, dims):
        _same_sizes(self, dims)

    def _fuse(self, xs):
        probs = ops.stack([ops.softmax(x, axis=-1) for x in xs], axis=1)
        return ops.log(ops.mean(probs, axis=1) + 1e-7)


@_register
class WeightedFusion(_Fusion):
    """A learned convex combination of probabilities: ``log(sum_i w_i softmax(l_i))``,
    ``w = softmax(a)`` with one learned score ``a_i`` per modality. Parameters: M.

    ``modality_weights()`` returns the current ``w`` (what the model learned to trust).
    """

    def _build(self, dims):
        _same_sizes(self, dims)
        self.scores = self.add_weight(
            name="scores", shape=(len(dims),), initializer="zeros", trainable=True
        )

    def modality_weights(self):
        return ops.convert_to_numpy(ops.softmax(self.scores))

    def _fuse(self, xs):
        probs = ops.stack([ops.softmax(x, axis=-1) for x in xs], axis=1)  # (b, M, C)
        w = ops.reshape(ops.softmax(self.scores), (1, -1, 1))
        return ops.log(ops.sum(w * probs, axis=1) + 1e-7)


@_register
class StackingFusion(_Fusion):
    """Stacking: a meta-classifier (one dense layer) on the concatenated unimodal
    probabilities, ``W [p_1; ...; p_M] + b``. Parameters: ``(M C + 1) C``."""

    def _build(self, dims):
        _same_sizes(self, dims)
        self.meta = layers.Dense(dims[0], name="meta_classifier")
        self.meta.build((None, sum(dims)))

    def _fuse(self, xs):
        return self.meta(ops.concatenate([ops.softmax(x, axis=-1) for x in xs], axis=-1))


@_register
class ProductOfExperts(_Fusion):
    """Product of experts (Hinton, 2002): ``p(y|x) ∝ prod_i p_i(y|x_i)``, returned as
    ``sum_i log_softmax(l_i)`` (a softmax of it renormalises). Parameters: none.

    One confident expert can veto a class; averaging (:class:`MeanFusion`) cannot.
    """

    def _build(self, dims):
        _same_sizes(self, dims)

    def _fuse(self, xs):
        return sum(ops.log_softmax(x, axis=-1) for x in xs)


def _same_sizes(layer, dims):
    if len(set(dims)) != 1:
        raise ValueError(
            f"{type(layer).__name__} combines per-modality class scores, so every input "
            f"must have the same number of classes; got sizes {dims}"
        )


# --------------------------------------------------------------------------- intermediate
@_register
class TensorFusion(_Fusion):
    """Tensor fusion (Zadeh et al., 2017): the outer product of the embeddings, each
    with a constant 1 appended, flattened:

    ``z = vec([z_1; 1] ⊗ [z_2; 1] ⊗ ... ⊗ [z_M; 1])``, size ``prod_i (d_i + 1)``.

    The appended 1 keeps every unimodal term and every lower-order interaction in ``z``.
    Parameters: none (the next dense layer pays: ``prod (d_i + 1) x units``).

    Example:
        >>> TensorFusion()([keras.ops.ones((2, 3)), keras.ops.ones((2, 4))]).shape
        (2, 20)
    """

    def _fuse(self, xs):
        z = None
        for x in xs:
            x1 = ops.concatenate([x, ops.ones_like(x[:, :1])], axis=-1)
            if z is None:
                z = x1
            else:  # (b, a) x (b, d) -> (b, a * d), index a_i * d + d_j (row-major)
                z = ops.reshape(z[:, :, None] * x1[:, None, :], (-1, z.shape[-1] * x1.shape[-1]))
        return z


@_register
class LowRankFusion(_Fusion):
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
        self.units = _positive_int("units", units)
        self.rank_r = _positive_int("rank", rank)

    def _build(self, dims):
        self.factors = [
            self.add_weight(
                name=f"factor_{i}",
                shape=(self.rank_r, d + 1, self.units),
                initializer=keras.initializers.GlorotUniform(),
            )
            for i, d in enumerate(dims)
        ]
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def _fuse(self, xs):
        prod = None
        for x, w in zip(xs, self.factors, strict=True):
            x1 = ops.concatenate([x, ops.ones_like(x[:, :1])], axis=-1)
            proj = ops.einsum("bd,rdu->bru", x1, w)
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
                w = ops.reshape(w[:, :, None, :] * f[:, None, :, :], (self.rank_r, -1, self.units))
        return ops.sum(w, axis=0)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "rank": self.rank_r}


@_register
class GatedFusion(_Fusion):
    """Gated multimodal unit (Arevalo et al., 2017), for M modalities:

    ``h_i = tanh(W_i z_i)``, gates ``g = softmax_i(V_i [z_1; ...; z_M])`` per unit,
    ``h = sum_i g_i ⊙ h_i``. With two modalities this is the paper's
    ``z h_1 + (1 - z) h_2``. Parameters: ``sum_i (d_i + 1) units +
    M (sum_i d_i + 1) units``. ``return_gates=True`` also returns ``g`` (b, M, units).
    """

    def __init__(self, units: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.units = _positive_int("units", units)

    def _build(self, dims):
        self.transforms = []
        for i, d in enumerate(dims):
            dense = layers.Dense(self.units, activation="tanh", name=f"h_{i}")
            dense.build((None, d))
            self.transforms.append(dense)
        self.gate = layers.Dense(self.units * len(dims), name="gates")
        self.gate.build((None, sum(dims)))

    def call(self, inputs, return_gates: bool = False):
        xs = self._inputs(inputs)
        h = ops.stack([t(x) for t, x in zip(self.transforms, xs, strict=True)], axis=1)
        scores = ops.reshape(self.gate(ops.concatenate(xs, axis=-1)), (-1, len(xs), self.units))
        g = ops.softmax(scores, axis=1)
        out = ops.sum(g * h, axis=1)
        return (out, g) if return_gates else out

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@_register
class FiLMFusion(_Fusion):
    """FiLM conditioning (Perez et al., 2018): the other modalities scale and shift the
    features of one target modality,

    ``[gamma; beta] = W [z_j]_{j != t} + b``, ``h = (1 + gamma) ⊙ z_t + beta``.

    (``1 + gamma`` centres the scale on 1: with gamma = beta = 0 the target passes
    unchanged.) Output: ``(batch, d_t)``.
    Parameters: ``(sum_{j != t} d_j + 1) 2 d_t``.
    """

    def __init__(self, target: int = 0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(target, bool) or not isinstance(target, int) or target < 0:
            raise ValueError(f"target must be a modality index >= 0, got {target!r}")
        self.target = target

    def _build(self, dims):
        if self.target >= len(dims):
            raise ValueError(
                f"FiLMFusion target={self.target} but only {len(dims)} modalities were given"
            )
        d_t = dims[self.target]
        self.film = layers.Dense(2 * d_t, name="gamma_beta")
        self.film.build((None, sum(dims) - d_t))

    def _fuse(self, xs):
        target = xs[self.target]
        cond = ops.concatenate([x for i, x in enumerate(xs) if i != self.target], axis=-1)
        gamma, beta = ops.split(self.film(cond), 2, axis=-1)
        return (1.0 + gamma) * target + beta

    def get_config(self):
        return {**super().get_config(), "target": self.target}


@_register
class BilinearPooling(_Fusion):
    """Low-rank bilinear pooling (Kim et al., 2017, MLB), for M modalities:

    ``h = P^T (tanh(U_1 z_1) ⊙ ... ⊙ tanh(U_M z_M))``, then signed square root and L2
    normalisation. With ``U_i`` of rank ``factor`` this approximates the full bilinear
    form ``z_1^T W_k z_2`` per output unit without its ``d_1 d_2 units`` parameters.
    Parameters: ``sum_i (d_i + 1) factor + (factor + 1) units``.
    """

    def __init__(self, units: int = 64, factor: int = 128, **kwargs):
        super().__init__(**kwargs)
        self.units = _positive_int("units", units)
        self.factor = _positive_int("factor", factor)

    def _build(self, dims):
        self.projections = []
        for i, d in enumerate(dims):
            dense = layers.Dense(self.factor, activation="tanh", name=f"u_{i}")
            dense.build((None, d))
            self.projections.append(dense)
        self.out = layers.Dense(self.units, name="p")
        self.out.build((None, self.factor))

    def _fuse(self, xs):
        z = None
        for p, x in zip(self.projections, xs, strict=True):
            z = p(x) if z is None else z * p(x)
        h = self.out(z)
        h = ops.sign(h) * ops.sqrt(ops.abs(h) + 1e-8)
        return h / (ops.sqrt(ops.sum(h * h, axis=-1, keepdims=True)) + 1e-8)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "factor": self.factor}


# --------------------------------------------------------------------------- attention
def _project_all(layer, shapes):
    """One ``Dense(units)`` per modality, on its last axis (features)."""
    layer.projections = []
    for i, shape in enumerate(shapes):
        dense = layers.Dense(layer.units, name=f"proj_{i}")
        dense.build((None, shape[-1]))
        layer.projections.append(dense)


@_register
class CrossModalAttention(_Fusion):
    """Cross-modal attention: queries from one modality, keys and values from the others.

    Every modality is projected to tokens of size ``units`` (an embedding (batch, d) is
    one token; a sequence (batch, T, d), e.g. audio frames or words, is T tokens). With
    queries ``Q`` from the ``query`` modality and keys/values ``K`` from all the others,

    ``A = softmax(Q W_Q (K W_K)^T / sqrt(d_k))``, ``h = LayerNorm(Q + A K W_V W_O)``,

    averaged over the query tokens. A learned *null* key/value is prepended to ``K`` (as
    ``add_bias_kv`` does in PyTorch), so a query can also take nothing from the others:
    its weight says how much the query modality relies on itself.
    ``return_attention_scores=True`` also returns ``A``: (batch, heads, T_query,
    1 + sum of the other modalities' tokens), column 0 being the null token.
    Parameters: ``sum_i (d_i + 1) units + 4 (units + 1) units + 3 units``.
    """

    ranks = (2, 3)

    def __init__(self, units: int = 64, num_heads: int = 2, query: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.units = _positive_int("units", units)
        self.num_heads = _positive_int("num_heads", num_heads)
        if isinstance(query, bool) or not isinstance(query, int) or query < 0:
            raise ValueError(f"query must be a modality index >= 0, got {query!r}")
        self.query = query

    def _build(self, dims):
        if self.query >= len(dims):
            raise ValueError(
                f"CrossModalAttention query={self.query} but only {len(dims)} modalities"
            )
        _project_all(self, self.shapes)
        self.null = self.add_weight(name="null_token", shape=(1, 1, self.units))
        self.attention = layers.MultiHeadAttention(
            self.num_heads, max(1, self.units // self.num_heads), name="attention"
        )
        self.attention.build((None, None, self.units), (None, None, self.units))
        self.norm = layers.LayerNormalization(name="norm")
        self.norm.build((None, None, self.units))

    def call(self, inputs, return_attention_scores: bool = False):
        xs = self._inputs(inputs)
        tokens = []
        for p, x in zip(self.projections, xs, strict=True):
            t = p(x)
            tokens.append(t[:, None, :] if len(t.shape) == 2 else t)
        q = tokens[self.query]
        null = ops.tile(self.null, (ops.shape(q)[0], 1, 1))
        kv = ops.concatenate([null] + [t for i, t in enumerate(tokens) if i != self.query], axis=1)
        att, scores = self.attention(q, kv, return_attention_scores=True)
        out = ops.mean(self.norm(q + att), axis=1)
        return (out, scores) if return_attention_scores else out

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "num_heads": self.num_heads,
            "query": self.query,
        }


@_register
class MultimodalTransformer(_Fusion):
    """A Transformer encoder over modality tokens.

    Tokens ``t_i = W_i z_i + e_i`` (a learned modality-type embedding ``e_i``) plus a
    learned ``[CLS]`` token; ``num_layers`` blocks of multi-head self-attention and a
    feed-forward network, each with a residual connection and layer normalisation
    (post-norm, Vaswani et al., 2017); the output is the final ``[CLS]`` token.
    ``return_attention_scores=True`` also returns the last block's attention:
    (batch, heads, M + 1, M + 1), token 0 being ``[CLS]``.
    """

    def __init__(self, units: int = 64, num_heads: int = 2, num_layers: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.units = _positive_int("units", units)
        self.num_heads = _positive_int("num_heads", num_heads)
        self.num_layers = _positive_int("num_layers", num_layers)

    def _build(self, dims):
        _project_all(self, self.shapes)
        m = len(dims) + 1
        self.type_embedding = self.add_weight(
            name="type_embedding", shape=(m, self.units), initializer="random_normal"
        )
        self.blocks = []
        for k in range(self.num_layers):
            att = layers.MultiHeadAttention(
                self.num_heads, max(1, self.units // self.num_heads), name=f"attention_{k}"
            )
            att.build((None, m, self.units), (None, m, self.units))
            ff1 = layers.Dense(2 * self.units, activation="relu", name=f"ff1_{k}")
            ff1.build((None, m, self.units))
            ff2 = layers.Dense(self.units, name=f"ff2_{k}")
            ff2.build((None, m, 2 * self.units))
            n1 = layers.LayerNormalization(name=f"norm1_{k}")
            n1.build((None, m, self.units))
            n2 = layers.LayerNormalization(name=f"norm2_{k}")
            n2.build((None, m, self.units))
            self.blocks.append((att, ff1, ff2, n1, n2))

    def call(self, inputs, return_attention_scores: bool = False):
        xs = self._inputs(inputs)
        tokens = [ops.zeros_like(self.projections[0](xs[0]))]  # [CLS]: its type embedding only
        tokens += [p(x) for p, x in zip(self.projections, xs, strict=True)]
        h = ops.stack(tokens, axis=1) + self.type_embedding[None]
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
@_register
class GraphFusion(_Fusion):
    """Message passing over a fully connected graph whose nodes are the modalities.

    Nodes start as ``h_i = W_i z_i``; each of ``steps`` rounds updates every node with
    learned, input-dependent edge weights (a graph attention layer, Veličković et al.,
    2018, with self-loops):

    ``e_ij = LeakyReLU(a^T [U h_i; U h_j])``, ``alpha_ij = softmax_j(e_ij)``,
    ``h_i' = ReLU(sum_j alpha_ij U h_j + h_i)``

    and the readout is the mean of the node states. ``return_attention_scores=True`` also
    returns the last round's ``alpha``: (batch, M, M), rows = receiving node.
    """

    def __init__(self, units: int = 64, steps: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.units = _positive_int("units", units)
        self.steps = _positive_int("steps", steps)

    def _build(self, dims):
        _project_all(self, self.shapes)
        self.messages = []
        for k in range(self.steps):
            u = layers.Dense(self.units, use_bias=False, name=f"message_{k}")
            u.build((None, len(dims), self.units))
            a_src = self.add_weight(name=f"att_src_{k}", shape=(self.units,))
            a_dst = self.add_weight(name=f"att_dst_{k}", shape=(self.units,))
            self.messages.append((u, a_src, a_dst))

    def call(self, inputs, return_attention_scores: bool = False):
        xs = self._inputs(inputs)
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
# The series' convention (notebook 13): a modality is *missing* for an example when its input
# is all zeros (an empty caption for text) -- what ``mmtutor.evaluation.ablate(how="zero")``
# produces. A model that handles missing modalities turns a missing input into an all-zero
# *embedding* (:class:`MaskMissing`), and :class:`ModalityDropout` replaces all-zero
# embeddings by zeros or a learned "missing" token, and drops whole modalities in training.


def _present(x):
    """(batch,) float: 1 where the example's input is not all zeros / not an empty string."""
    import tensorflow as tf

    if x.dtype == tf.string:
        return ops.cast(tf.strings.length(ops.reshape(x, (ops.shape(x)[0], -1)))[:, 0] > 0,
                        "float32")  # fmt: skip
    flat = ops.reshape(x, (ops.shape(x)[0], -1))
    return ops.cast(ops.any(ops.not_equal(flat, 0), axis=-1), "float32")


def is_present(values):
    """NumPy version of the convention: (n,) bool, False where an example's input is all
    zeros (an empty string for text).

    Example:
        >>> import numpy as np
        >>> is_present(np.array(["a digit", ""], dtype=object)).tolist()
        [True, False]
    """
    import numpy as np

    values = np.asarray(values)
    if values.ndim < 1 or len(values) == 0:
        raise ValueError(f"values must be a non-empty batch, got shape {values.shape}")
    if values.dtype.kind in "OUS":
        return np.array([len(str(v)) > 0 for v in values.reshape(len(values), -1)[:, 0]])
    return np.any(values.reshape(len(values), -1) != 0, axis=1)


@_register
class MaskMissing(layers.Layer):
    """``[raw_input, embedding] -> embedding``, zeroed for examples whose raw input is
    missing (all zeros, or an empty string for text).

    An encoder maps a zero image to some non-zero embedding (its biases), so a fusion layer
    cannot tell "missing" from "dark image". This layer makes a missing input visible
    downstream as an all-zero embedding, which :class:`ModalityDropout` then fills.

    Example:
        >>> import numpy as np
        >>> raw, emb = np.array([[0.0, 0.0], [1.0, 0.0]]), np.ones((2, 3))
        >>> MaskMissing()([raw, emb]).numpy().sum(axis=1)
        array([0., 3.], dtype=float32)
    """

    def call(self, inputs):
        if not isinstance(inputs, list | tuple) or len(inputs) != 2:
            raise ValueError(
                "MaskMissing expects [raw_input, embedding], got "
                f"{type(inputs).__name__} of length {len(inputs) if hasattr(inputs, '__len__') else '?'}"
            )
        raw, embedding = inputs
        if raw.shape[0] is not None and embedding.shape[0] is not None \
                and raw.shape[0] != embedding.shape[0]:  # fmt: skip
            raise ValueError(
                f"MaskMissing: raw input and embedding have different batch sizes "
                f"{tuple(raw.shape)} and {tuple(embedding.shape)}"
            )
        present = _present(raw)
        return embedding * ops.reshape(present, (-1,) + (1,) * (len(embedding.shape) - 1))

    def compute_output_shape(self, input_shape):
        return input_shape[1]


@_register
class ModalityDropout(layers.Layer):
    """Modality dropout (Neverova et al. 2016, "ModDrop"): list of modality embeddings ->
    the same list, where every *missing* embedding (all zeros) is replaced by ``fill``, and,
    in training only, each present modality of each example is also dropped with
    probability ``rate`` -- but never all of an example's present modalities.

    ``fill="zero"`` keeps zeros; ``fill="token"`` substitutes a learned vector per modality
    (a "missing" token, trained on the examples where the modality was dropped). Unlike
    ordinary dropout, kept embeddings are not rescaled: at test time a missing modality is
    really absent, not a noisy copy.

    ``call(..., return_mask=True)`` also returns the (batch, M) 0/1 matrix of modalities
    used.

    Example:
        >>> import numpy as np
        >>> layer = ModalityDropout(rate=0.5, fill="zero")
        >>> out = layer([np.ones((4, 2)), np.zeros((4, 2))])   # second modality missing
        >>> [float(o.numpy().sum()) for o in out]
        [8.0, 0.0]
    """

    def __init__(self, rate: float = 0.0, fill: str = "zero", seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate < 1.0:
            raise ValueError(f"rate must be a number in [0, 1), got {rate!r}")
        if fill not in ("zero", "token"):
            raise ValueError(f"fill must be 'zero' or 'token', got {fill!r}")
        self.rate, self.fill, self.seed = float(rate), fill, seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        shapes = _shape_list(input_shape)
        if len(shapes) < 2:
            raise ValueError(
                f"ModalityDropout needs 2 or more modalities, got {len(shapes)} tensor(s)"
            )
        if any(None in s[1:] for s in shapes):
            raise ValueError(f"ModalityDropout needs known feature sizes, got shapes {shapes}")
        self.num_modalities = len(shapes)
        self.tokens = [
            self.add_weight(shape=s[1:], initializer="zeros", name=f"missing_token_{i}")
            for i, s in enumerate(shapes)
        ] if self.fill == "token" else []  # fmt: skip
        super().build(input_shape)

    def call(self, inputs, training=None, return_mask: bool = False):
        xs = list(inputs.values()) if isinstance(inputs, dict) else list(inputs)
        if len(xs) != self.num_modalities:
            raise ValueError(
                f"ModalityDropout was built for {self.num_modalities} modalities, got {len(xs)}"
            )
        present = ops.stack([_present(x) for x in xs], axis=1)  # (b, M)
        keep = present
        if training and self.rate > 0:
            draw = keras.random.uniform(ops.shape(present), seed=self.seed_generator)
            kept = present * ops.cast(draw >= self.rate, "float32")
            # an example whose present modalities were all dropped keeps them all
            none_left = ops.cast(ops.sum(kept, axis=1, keepdims=True) == 0, "float32")
            keep = kept + none_left * present
        outs = []
        for i, x in enumerate(xs):
            k = ops.reshape(keep[:, i], (-1,) + (1,) * (len(x.shape) - 1))
            filled = x * k
            if self.tokens:
                filled = filled + (1.0 - k) * self.tokens[i]
            outs.append(filled)
        return (outs, keep) if return_mask else outs

    def compute_output_shape(self, input_shape):
        return _shape_list(input_shape)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "fill": self.fill, "seed": self.seed}


#: name -> class, for building by name (``mmtutor.models.build_fusion_model``)
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
    "transformer": MultimodalTransformer,
    "graph": GraphFusion,
}


def count_fusion_params(fusion: str | layers.Layer, dims: list[int], **options) -> int:
    """Trainable parameters of a fusion layer for modality sizes ``dims`` (built on the fly).

    Example:
        >>> count_fusion_params("low_rank", [64, 64, 64], units=64, rank=4)
        49984
    """
    layer = _make_fusion(fusion, **options)
    layer.build([(None, d) for d in dims])
    return int(sum(math.prod(w.shape) for w in layer.trainable_weights))


def _make_fusion(fusion, **options) -> layers.Layer:
    if isinstance(fusion, layers.Layer):
        if options:
            raise ValueError("options are only accepted with a fusion given by name")
        return fusion
    if fusion not in FUSION_LAYERS:
        raise ValueError(
            f"fusion must be one of {sorted(FUSION_LAYERS)} or a layer, got {fusion!r}"
        )
    return FUSION_LAYERS[fusion](**options)
