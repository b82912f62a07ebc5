"""Text encoders (notebook 03): (batch,) strings -> (batch, embedding_dim).

The adapted ``TextVectorization`` sits inside the model, so it takes raw captions.
Four kinds, in the order notebook 03 teaches them:

- ``"bag"``: word embeddings averaged over the caption (order ignored);
- ``"bilstm"``: a bidirectional LSTM reads the words in both directions;
- ``"cnn"``: 1-D convolutions over the word embeddings, max-pooled over positions (Kim, 2014);
- ``"transformer"``: one Transformer encoder block (self-attention + feed-forward) with a
  learned positional embedding, mean-pooled over the words (Vaswani et al., 2017).

Every kind ignores padding (index 0): a caption padded to 24 or to 32 tokens gets the same
embedding. :func:`attention_scores` reads the transformer's attention weights and
:func:`word_embeddings` any kind's learned word vectors.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from mmtutor.encoders._common import check_kind_and_dim

__all__ = [
    "TEXT_KINDS",
    "MaskedConv1D",
    "TextEncoder",
    "MaskedGlobalMaxPooling1D",
    "MaskedGlobalAveragePooling1D",
    "TokenAndPositionEmbedding",
    "attention_scores",
    "build_text_encoder",
    "word_embeddings",
]

TEXT_KINDS = ("bag", "bilstm", "cnn", "transformer")


@keras.saving.register_keras_serializable(package="mmtutor")
class TokenAndPositionEmbedding(layers.Layer):
    """Token ids (batch, length) -> word vector + learned position vector (batch, length, dim).

    Self-attention is blind to order; adding a trainable vector per position ``p`` (row ``p``
    of a ``(max_length, dim)`` table) lets it tell "not a prime" from "a prime, not ...".
    Index 0 is padding: the layer emits the mask ``ids != 0`` so later layers skip it.

    Args:
        vocabulary_size: number of token ids (the vectorizer's ``vocabulary_size()``).
        max_length: longest sequence accepted (rows of the position table).
        dim: size of the token and position vectors.

    Example:
        >>> emb = TokenAndPositionEmbedding(vocabulary_size=10, max_length=6, dim=4)
        >>> tuple(emb(np.array([[3, 2, 0, 0]])).shape)
        (1, 4, 4)
    """

    def __init__(self, vocabulary_size: int, max_length: int, dim: int, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("vocabulary_size", vocabulary_size), ("max_length", max_length),
                            ("dim", dim)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        self.vocabulary_size, self.max_length, self.dim = vocabulary_size, max_length, dim
        self.token_embedding = layers.Embedding(vocabulary_size, dim, name="token_embedding")
        self.position_embedding = layers.Embedding(max_length, dim, name="position_embedding")

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                "TokenAndPositionEmbedding expects token ids of rank 2 (batch, length), "
                f"got shape {tuple(input_shape)}"
            )
        if input_shape[1] is not None and input_shape[1] > self.max_length:
            raise ValueError(
                f"TokenAndPositionEmbedding accepts sequences of at most max_length="
                f"{self.max_length} tokens, got shape {tuple(input_shape)}"
            )
        self.token_embedding.build(input_shape)
        self.position_embedding.build(input_shape)

    def call(self, token_ids):
        positions = ops.arange(ops.shape(token_ids)[-1])
        return self.token_embedding(token_ids) + self.position_embedding(positions)[None]

    def compute_mask(self, token_ids, mask=None):
        return ops.not_equal(token_ids, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.dim)

    def get_config(self):
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size,
                "max_length": self.max_length, "dim": self.dim}  # fmt: skip


@keras.saving.register_keras_serializable(package="mmtutor")
class MaskedConv1D(layers.Conv1D):
    """``Conv1D`` that zeroes masked (padding) steps first and passes the mask on.

    Keras' ``Conv1D`` ignores masks: it would convolve the padding token's vector into the
    last words' features. Zeroed, the padding looks exactly like ``padding="same"``'s zeros,
    so the output at a word does not depend on how much padding follows. Use
    ``padding="same"`` (the default here) so the mask still lines up with the output.

    Example:
        >>> conv = MaskedConv1D(8, 3)
        >>> tuple(conv(np.ones((2, 5, 4), "float32")).shape)
        (2, 5, 8)
    """

    def __init__(self, filters: int, kernel_size: int, padding: str = "same", **kwargs):
        if padding != "same":
            raise ValueError(f"MaskedConv1D needs padding='same' to keep the mask, got {padding!r}")
        super().__init__(filters, kernel_size, padding=padding, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            inputs = inputs * ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        return super().call(inputs)

    def compute_mask(self, inputs, mask=None):
        return mask


@keras.saving.register_keras_serializable(package="mmtutor")
class MaskedGlobalAveragePooling1D(layers.Layer):
    """Mean over the unmasked steps of (batch, steps, features) -> (batch, features).

    Like Keras' ``GlobalAveragePooling1D`` with a mask, except that an all-padding row
    (an empty caption) gives zeros instead of 0 / 0 = NaN.

    Example:
        >>> x = np.array([[[1.0], [5.0]], [[2.0], [4.0]]], "float32")
        >>> m = np.array([[True, False], [False, False]])
        >>> MaskedGlobalAveragePooling1D()(x, mask=m).numpy().tolist()
        [[1.0], [0.0]]
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                "MaskedGlobalAveragePooling1D expects rank-3 inputs (batch, steps, features), "
                f"got shape {tuple(input_shape)}"
            )

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=1)
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), -1)
        count = ops.maximum(ops.sum(weights, axis=1), 1.0)
        return ops.sum(inputs * weights, axis=1) / count

    def compute_mask(self, inputs, mask=None):
        return None


@keras.saving.register_keras_serializable(package="mmtutor")
class MaskedGlobalMaxPooling1D(layers.Layer):
    """Maximum over the unmasked steps of (batch, steps, features) -> (batch, features).

    Keras' ``GlobalMaxPooling1D`` ignores masks, so features computed at padding positions
    could win the maximum. All-padding rows give zeros.

    Example:
        >>> x = np.array([[[1.0], [5.0]]], "float32")
        >>> MaskedGlobalMaxPooling1D()(x, mask=np.array([[True, False]])).numpy().tolist()
        [[1.0]]
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                "MaskedGlobalMaxPooling1D expects rank-3 inputs (batch, steps, features), "
                f"got shape {tuple(input_shape)}"
            )

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.max(inputs, axis=1)
        keep = ops.expand_dims(ops.cast(mask, "bool"), -1)
        lowest = ops.min(inputs) - 1.0
        pooled = ops.max(ops.where(keep, inputs, lowest), axis=1)
        return ops.where(ops.any(keep, axis=1), pooled, ops.zeros_like(pooled))

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


def _describe_input(inputs) -> tuple[bool, str, tuple]:
    """(holds strings?, dtype name, shape) of a batch of captions of any array type."""
    if isinstance(inputs, list | tuple):
        inputs = np.asarray(inputs, dtype=object)
    if isinstance(inputs, np.ndarray):
        is_text = inputs.dtype.kind in "US" or (
            inputs.dtype.kind == "O" and all(isinstance(t, str | bytes) for t in inputs.ravel())
        )
        name = inputs.dtype.name if inputs.dtype.kind != "O" or is_text else "object (not str)"
        return is_text, name, tuple(inputs.shape)
    name = keras.backend.standardize_dtype(inputs.dtype)
    try:
        shape = tuple(inputs.shape)
    except (TypeError, ValueError):  # a tensor of unknown rank: let Keras check it
        shape = (None,)
    return name == "string", name, shape


@keras.saving.register_keras_serializable(package="mmtutor")
class TextEncoder(keras.Model):
    """A functional text encoder that checks its input before running: a 1-D batch of strings.

    Without the check, numbers fed to the vectorizer fail deep inside TensorFlow with a
    message about tensor conversion; here they raise a ``TypeError`` naming the dtype.
    Built by :func:`build_text_encoder`; otherwise an ordinary functional ``keras.Model``.
    """

    def __call__(self, inputs, *args, **kwargs):
        # checked before Keras' own __call__, so the message is not wrapped in a call report
        batch = inputs["text"] if isinstance(inputs, dict) and len(inputs) == 1 else inputs
        if not isinstance(batch, dict):
            is_text, dtype, shape = _describe_input(batch)
            if not is_text:
                raise TypeError(
                    f"text_encoder expects a batch of strings (dtype string), got dtype {dtype} "
                    f"with shape {shape}"
                )
            if len(shape) != 1:
                raise ValueError(
                    f"text_encoder expects a 1-D batch of captions, shape (batch,), got shape {shape}"
                )
        return super().__call__(inputs, *args, **kwargs)


def _sequence_length(vectorizer: layers.TextVectorization) -> int | None:
    return vectorizer.get_config().get("output_sequence_length")


def build_text_encoder(
    vectorizer: layers.TextVectorization,
    kind: str = "bag",
    embedding_dim: int = 64,
    token_dim: int = 32,
    units: int = 32,
    filters: int = 32,
    kernel_sizes: tuple[int, ...] = (2, 3, 4),
    num_heads: int = 2,
    ff_dim: int = 64,
    max_length: int | None = None,
    dropout: float = 0.1,
) -> keras.Model:
    """Text encoder on raw strings: vectorizer -> word embeddings -> ``kind`` -> dense projection.

    Kinds (see the module docstring): ``"bag"`` averages the word vectors; ``"bilstm"`` runs
    an LSTM of ``units`` cells each way and concatenates the final states; ``"cnn"`` applies
    ``filters`` convolutions of each width in ``kernel_sizes`` and max-pools each over
    positions; ``"transformer"`` adds learned positions, then one block of ``num_heads``-head
    self-attention and a ``ff_dim`` feed-forward layer (each with a residual connection and
    LayerNorm), mean-pooled over the words. Padding never changes the embedding.

    Args:
        vectorizer: an adapted ``TextVectorization`` (see
            :func:`mmtutor.preprocessing.make_text_vectorizer`).
        kind: architecture, one of :data:`TEXT_KINDS`.
        embedding_dim: size of the output embedding.
        token_dim: size of each word embedding.
        units: LSTM cells per direction (``"bilstm"``).
        filters: convolution filters per width (``"cnn"``).
        kernel_sizes: convolution widths in words (``"cnn"``).
        num_heads: attention heads (``"transformer"``).
        ff_dim: hidden size of the feed-forward layer (``"transformer"``).
        max_length: rows of the positional table (``"transformer"``); default: the
            vectorizer's ``output_sequence_length``.
        dropout: dropout rate inside the ``"cnn"`` and ``"transformer"`` blocks.

    Example:
        >>> from mmtutor.preprocessing import make_text_vectorizer
        >>> vec = make_text_vectorizer(["an odd number", "an even number"])
        >>> build_text_encoder(vec, embedding_dim=16).output_shape
        (None, 16)
        >>> enc = build_text_encoder(vec, kind="transformer", embedding_dim=16)
        >>> enc(np.array(["an odd number"], dtype=object)).shape
        TensorShape([1, 16])
    """
    check_kind_and_dim(kind, TEXT_KINDS, embedding_dim, "text")
    if not isinstance(vectorizer, layers.TextVectorization):
        raise TypeError(
            f"vectorizer must be an adapted keras.layers.TextVectorization, got {type(vectorizer).__name__}"
        )
    for name, value in (("token_dim", token_dim), ("units", units), ("filters", filters),
                        ("num_heads", num_heads), ("ff_dim", ff_dim)):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
    vocabulary_size = vectorizer.vocabulary_size()
    inputs = keras.Input(shape=(), dtype="string", name="text")
    tokens = vectorizer(inputs)
    if kind == "bag":
        x = layers.Embedding(vocabulary_size, token_dim, mask_zero=True)(tokens)
        x = MaskedGlobalAveragePooling1D()(x)
    elif kind == "bilstm":
        x = layers.Embedding(vocabulary_size, token_dim, mask_zero=True, name="embedding")(tokens)
        x = layers.Bidirectional(layers.LSTM(units), name="bilstm")(x)
    elif kind == "cnn":
        if not kernel_sizes or any(
            isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in kernel_sizes
        ):
            raise ValueError(f"kernel_sizes must be positive integers, got {kernel_sizes!r}")
        x = layers.Embedding(vocabulary_size, token_dim, mask_zero=True, name="embedding")(tokens)
        pooled = [
            MaskedGlobalMaxPooling1D(name=f"max_over_time_{k}")(
                MaskedConv1D(filters, k, activation="relu", name=f"conv_{k}")(x)
            )
            for k in kernel_sizes
        ]
        x = pooled[0] if len(pooled) == 1 else layers.Concatenate(name="concat")(pooled)
        x = layers.Dropout(dropout)(x)
    else:
        max_length = max_length or _sequence_length(vectorizer)
        if max_length is None:
            raise ValueError(
                "the transformer needs a maximum length: give max_length or a vectorizer "
                "with output_sequence_length, got neither"
            )
        x = TokenAndPositionEmbedding(vocabulary_size, max_length, token_dim, name="embedding")(
            tokens
        )
        attended = layers.MultiHeadAttention(
            num_heads, key_dim=max(token_dim // num_heads, 1), dropout=dropout,
            name="self_attention",
        )(x, x, return_attention_scores=True)[0]  # fmt: skip
        x = layers.LayerNormalization(epsilon=1e-6, name="norm_1")(
            layers.Add()([x, layers.Dropout(dropout)(attended)])
        )
        hidden = layers.Dense(ff_dim, activation="relu", name="feed_forward_1")(x)
        hidden = layers.Dense(token_dim, name="feed_forward_2")(hidden)
        x = layers.LayerNormalization(epsilon=1e-6, name="norm_2")(
            layers.Add()([x, layers.Dropout(dropout)(hidden)])
        )
        x = MaskedGlobalAveragePooling1D(name="masked_mean")(x)
    outputs = layers.Dense(embedding_dim, activation="relu")(x)
    return TextEncoder(inputs, outputs, name="text_encoder")


def _check_encoder(encoder) -> None:
    if not isinstance(encoder, keras.Model) or not encoder.inputs or (
        encoder.inputs[0].name != "text"
    ):  # fmt: skip
        raise TypeError(
            f"expected a text encoder (keras.Model with input 'text'), got {encoder!r:.80}"
        )


def attention_scores(encoder: keras.Model, texts) -> tuple[np.ndarray, np.ndarray]:
    """The attention weights of a ``"transformer"`` text encoder for some captions.

    Builds a model from the encoder's input to the ``self_attention`` layer's scores
    (the layer is called with ``return_attention_scores=True``) and runs it.

    Returns:
        ``(scores, token_ids)``: scores of shape (batch, heads, length, length), row ``i``
        the weights word ``i`` gives every word (rows sum to 1), and the (batch, length)
        token ids (0 = padding).

    Example:
        >>> scores, ids = attention_scores(enc, np.array(["an odd number"], dtype=object))  # doctest: +SKIP
        >>> scores.shape  # doctest: +SKIP
        (1, 2, 24, 24)
    """
    _check_encoder(encoder)
    try:
        attention = encoder.get_layer("self_attention")
    except ValueError:
        raise ValueError(
            f"attention_scores needs a 'transformer' text encoder, got one with layers "
            f"{[layer.name for layer in encoder.layers]}"
        ) from None
    vectorizer = next(la for la in encoder.layers if isinstance(la, layers.TextVectorization))
    probe = keras.Model(encoder.inputs, attention.output[1])
    texts = np.asarray(texts, dtype=object)
    scores = probe.predict(texts, verbose=0)
    return np.asarray(scores), np.asarray(vectorizer(texts.astype(str)))


def word_embeddings(encoder: keras.Model) -> tuple[list[str], np.ndarray]:
    """The vocabulary and the learned (vocabulary_size, token_dim) word-vector table of any kind.

    Example:
        >>> words, table = word_embeddings(enc)  # doctest: +SKIP
        >>> len(words) == table.shape[0]  # doctest: +SKIP
        True
    """
    _check_encoder(encoder)
    vectorizer = next(la for la in encoder.layers if isinstance(la, layers.TextVectorization))
    for layer in encoder.layers:
        if isinstance(layer, TokenAndPositionEmbedding):
            layer = layer.token_embedding
        if isinstance(layer, layers.Embedding):
            words = [str(w) for w in vectorizer.get_vocabulary()]
            return words, np.asarray(layer.embeddings)
    raise ValueError(f"no word embedding table in {[la.name for la in encoder.layers]}")
