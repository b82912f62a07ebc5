"""A decoder that writes a token sequence about modality embeddings (notebook 11): a small
Transformer trained with teacher forcing (generation: :mod:`mmtutor.translation.generation`).

- :class:`TransformerDecoderBlock`: causal self-attention over the words written so far,
  cross-attention to the *memory* (one vector per input modality), a feed-forward layer;
- :class:`CaptionDecoder`: per-modality projections to the memory, word and position
  embeddings, one block, logits over the vocabulary.

The layer and the model use only ``keras``, ``layers``, ``ops`` and ``np``: what
``mmtutor.show_source`` prints runs when copied into a file with those imports.
"""

from __future__ import annotations

import keras
from keras import layers, ops

__all__ = ["CaptionDecoder", "TransformerDecoderBlock"]


@keras.saving.register_keras_serializable(package="mmtutor")
class TransformerDecoderBlock(layers.Layer):
    """One Transformer decoder block (Vaswani et al., 2017), post-norm:

    ``x = norm(x + SelfAttention(x, causal))``: each word sees the words before it only;
    ``x = norm(x + CrossAttention(x, memory))``: each word reads the encoded inputs;
    ``x = norm(x + W_2 relu(W_1 x))``.

    ``call([x, memory], memory_mask=m)`` with ``m`` (batch, slots) booleans lets each word
    attend only to the slots where ``m`` is True (a missing input); with
    ``return_attention_scores=True`` it also returns the cross-attention weights (batch,
    heads, words, slots): what each word attended to.

    Example:
        >>> import numpy as np
        >>> block = TransformerDecoderBlock(units=8, num_heads=2, hidden_units=16)
        >>> y, scores = block([np.ones((2, 5, 8)), np.ones((2, 3, 8))], return_attention_scores=True)
        >>> tuple(y.shape), tuple(scores.shape)
        ((2, 5, 8), (2, 2, 5, 3))
    """

    def __init__(self, units: int = 32, num_heads: int = 2, hidden_units: int = 64,
                 dropout: float = 0.0, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        for name, value in (("units", units), ("num_heads", num_heads),
                            ("hidden_units", hidden_units)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, int | float)
            or not 0 <= dropout < 1
        ):
            raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
        self.units, self.num_heads = units, num_heads
        self.hidden_units, self.dropout = hidden_units, float(dropout)
        key_dim = max(units // num_heads, 1)
        self.self_attention = layers.MultiHeadAttention(num_heads, key_dim, dropout=dropout)
        self.cross_attention = layers.MultiHeadAttention(num_heads, key_dim, dropout=dropout)
        self.ffn_in = layers.Dense(hidden_units, activation="relu")
        self.ffn_out = layers.Dense(units)
        self.norms = [layers.LayerNormalization(epsilon=1e-6) for _ in range(3)]

    def build(self, input_shape):
        if not isinstance(input_shape, list | tuple) or len(input_shape) != 2 or \
                any(len(s) != 3 or s[-1] != self.units for s in input_shape):  # fmt: skip
            raise ValueError(
                f"TransformerDecoderBlock expects [words (batch, length, {self.units}), memory "
                f"(batch, slots, {self.units})], got shapes {input_shape}"
            )
        words, memory = (tuple(s) for s in input_shape)
        self.self_attention.build(words, words)
        self.cross_attention.build(words, memory)
        self.ffn_in.build(words)
        self.ffn_out.build((*words[:-1], self.hidden_units))
        for norm in self.norms:
            norm.build(words)

    def call(self, inputs, training=None, memory_mask=None, return_attention_scores: bool = False):
        x, memory = inputs
        h = self.self_attention(x, x, use_causal_mask=True, training=training)
        x = self.norms[0](x + h)
        mask = None
        if memory_mask is not None:  # (batch, slots) -> (batch, words, slots)
            mask = ops.repeat(ops.cast(memory_mask, "bool")[:, None, :], ops.shape(x)[1], axis=1)
        h, scores = self.cross_attention(x, memory, attention_mask=mask,
                                         return_attention_scores=True, training=training)  # fmt: skip
        x = self.norms[1](x + h)
        x = self.norms[2](x + self.ffn_out(self.ffn_in(x)))
        return (x, scores) if return_attention_scores else x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "units": self.units, "num_heads": self.num_heads,
                "hidden_units": self.hidden_units, "dropout": self.dropout}  # fmt: skip


@keras.saving.register_keras_serializable(package="mmtutor")
class CaptionDecoder(keras.Model):
    """A Transformer decoder that writes a token sequence about its inputs.

    Each modality's embedding is projected to ``units`` features and becomes one slot of
    the *memory*, after a learned *sentinel* slot that carries no input (a word that no
    input helps to choose can attend to it instead of being forced onto an input: the
    "visual sentinel" of Lu et al., 2017). The words written so far are embedded (word +
    position); one :class:`TransformerDecoderBlock` attends to them (causally) and to the
    memory; a dense layer gives the logits of the next word at every position.

    ``model({**embeddings, "tokens": ids})`` -> logits (batch, length, vocabulary_size):
    position ``t`` predicts token ``t + 1``. Trained with *teacher forcing*: the input is the
    true sequence without its last token, the target the true sequence without its first,
    so every position learns from the true history, in one parallel pass.

    A modality whose embedding is all zeros is *missing* (the series' convention): its slot
    is masked, no word attends to it. ``modality_dropout`` masks each present modality of
    each training example with that probability, so the model also learns to write from
    fewer inputs (notebook 13's modality dropout; the sentinel is never masked).

    Args:
        modalities: name -> embedding size of each input, e.g. ``{"image": 64}``.
        vocabulary_size: number of token ids (0 is padding).
        max_length: longest token sequence the position embedding covers.
        units, num_heads, hidden_units, dropout: the block's sizes (see
            :class:`TransformerDecoderBlock`).
        modality_dropout: probability of masking a modality in training, in [0, 1).
        seed: seed of the modality dropout draws.

    ``call(..., return_attention_scores=True)`` also returns the cross-attention weights
    (batch, heads, length, 1 + modalities), slots in the order of :attr:`memory_slots`.

    Example:
        >>> import numpy as np
        >>> model = CaptionDecoder({"image": 4, "audio": 6}, vocabulary_size=9, max_length=5, units=8)
        >>> logits, scores = model({"image": np.ones((2, 4)), "audio": np.zeros((2, 6)),
        ...                         "tokens": np.ones((2, 3), "int32")}, return_attention_scores=True)
        >>> tuple(logits.shape), model.memory_slots
        ((2, 3, 9), ['sentinel', 'image', 'audio'])
        >>> float(ops.max(scores[..., 2]))  # audio is missing (all zeros): no word reads it
        0.0
    """

    def __init__(self, modalities: dict, vocabulary_size: int, max_length: int, units: int = 32,
                 num_heads: int = 2, hidden_units: int = 64, dropout: float = 0.0,
                 modality_dropout: float = 0.0, seed: int | None = None, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        if (
            not isinstance(modalities, dict)
            or not modalities
            or "tokens" in modalities
            or any(
                isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in modalities.values()
            )
        ):
            raise ValueError(
                "modalities must be a non-empty dict name -> embedding size (positive int), "
                f"not using the name 'tokens', got {modalities!r}"
            )
        for name, value in (("vocabulary_size", vocabulary_size), ("max_length", max_length)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                raise ValueError(f"{name} must be an integer >= 2, got {value!r}")
        if isinstance(modality_dropout, bool) or not isinstance(modality_dropout, int | float) \
                or not 0.0 <= modality_dropout < 1.0:  # fmt: skip
            raise ValueError(
                f"modality_dropout must be a number in [0, 1), got {modality_dropout!r}"
            )
        self.modalities = {str(m): int(d) for m, d in modalities.items()}
        self.vocabulary_size, self.max_length, self.units = vocabulary_size, max_length, units
        self.num_heads, self.hidden_units, self.dropout = num_heads, hidden_units, dropout
        self.modality_dropout, self.seed = float(modality_dropout), seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.block = TransformerDecoderBlock(units, num_heads, hidden_units, dropout, name="block")
        self.projections = [layers.Dense(units, name=f"{m}_projection") for m in self.modalities]
        for projection, d in zip(self.projections, self.modalities.values(), strict=True):
            projection.build((None, d))
        self.sentinel = self.add_weight(shape=(1, 1, units), name="sentinel",
                                        initializer=keras.initializers.RandomNormal(stddev=0.1))  # fmt: skip
        self.token_embedding = layers.Embedding(vocabulary_size, units, name="token_embedding")
        self.token_embedding.build((None, None))
        self.position_embedding = layers.Embedding(max_length, units, name="position_embedding")
        self.position_embedding.build((None, None))
        self.block.build([(None, None, units), (None, len(self.modalities) + 1, units)])
        self.logits = layers.Dense(vocabulary_size, name="logits")
        self.logits.build((None, None, units))
        self.built = True

    @property
    def memory_slots(self) -> list[str]:
        """The names of the memory slots: ``"sentinel"``, then the modalities."""
        return ["sentinel", *self.modalities]

    def call(self, inputs, training=False, return_attention_scores: bool = False):
        needed = [*self.modalities, "tokens"]
        if not isinstance(inputs, dict) or any(k not in inputs for k in needed):
            given = list(inputs) if isinstance(inputs, dict) else type(inputs).__name__
            raise ValueError(f"CaptionDecoder expects a dict with {needed}, got {given}")
        tokens = ops.cast(inputs["tokens"], "int32")
        embeddings = [ops.cast(inputs[m], "float32") for m in self.modalities]
        slots = ops.stack([p(z) for p, z in zip(self.projections, embeddings, strict=True)], 1)
        sentinel = ops.broadcast_to(self.sentinel, (ops.shape(tokens)[0], 1, self.units))
        memory = ops.concatenate([sentinel, slots], axis=1)  # (batch, 1 + modalities, units)
        present = ops.stack([ops.any(ops.not_equal(z, 0.0), axis=-1) for z in embeddings], 1)
        if training and self.modality_dropout > 0:
            draw = keras.random.uniform(ops.shape(present), seed=self.seed_generator)
            present = ops.logical_and(present, draw >= self.modality_dropout)
        mask = ops.concatenate([ops.ones_like(present[:, :1]), present], axis=1)
        positions = ops.arange(ops.shape(tokens)[1])[None, :]
        x = self.token_embedding(tokens) + self.position_embedding(positions)
        x, scores = self.block([x, memory], training=training, memory_mask=mask,
                               return_attention_scores=True)  # fmt: skip
        logits = self.logits(x)
        return (logits, scores) if return_attention_scores else logits

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "modalities": self.modalities,
                "vocabulary_size": self.vocabulary_size, "max_length": self.max_length,
                "units": self.units, "num_heads": self.num_heads, "hidden_units": self.hidden_units,
                "dropout": self.dropout, "modality_dropout": self.modality_dropout,
                "seed": self.seed}  # fmt: skip
