"""Words <-> token ids, and generation with a :class:`~mmtutor.translation.CaptionDecoder`
(notebook 11): greedy decoding and beam search, one token at a time.

- :func:`make_caption_vectorizer`, :func:`encode_captions`, :func:`decode_tokens`: words
  <-> token ids with Keras' ``TextVectorization`` and the markers ``start`` / ``end``;
- :func:`greedy_decode`, :func:`beam_search`: generation.
"""

from __future__ import annotations

import numpy as np

from mmtutor.translation.decoder import CaptionDecoder

__all__ = [
    "END",
    "START",
    "beam_search",
    "decode_tokens",
    "encode_captions",
    "greedy_decode",
    "make_caption_vectorizer",
]

#: the words that open and close every target sequence
START, END = "start", "end"


def make_caption_vectorizer(captions, max_length: int = 24):
    """A ``TextVectorization`` adapted on the training ``captions`` with the markers
    :data:`START` and :data:`END` added, giving ``max_length`` token ids per caption
    (:func:`mmtutor.preprocessing.make_text_vectorizer`: 0 is padding, 1 unknown words).

    Example:
        >>> vectorizer = make_caption_vectorizer(["an odd number", "an even number"], max_length=6)
        >>> sorted(str(w) for w in vectorizer.get_vocabulary()[2:])
        ['an', 'end', 'even', 'number', 'odd', 'start']
    """
    from mmtutor.preprocessing import make_text_vectorizer

    captions = _check_captions(captions)
    marked = np.array([f"{START} {c} {END}" for c in captions], dtype=object)
    return make_text_vectorizer(marked, max_tokens=1000, sequence_length=max_length)


def _check_captions(captions) -> np.ndarray:
    captions = np.asarray(captions, dtype=object)
    if captions.ndim != 1 or len(captions) == 0 or not all(isinstance(c, str) for c in captions):
        raise ValueError(f"captions must be a non-empty 1-D sequence of str, got {captions!r:.80}")
    return captions


def encode_captions(vectorizer, captions) -> np.ndarray:
    """Token ids (n, max_length) of ``captions``, each opened by :data:`START` and closed by
    :data:`END`, then padded with 0. Raises if a caption does not fit.

    Example:
        >>> vectorizer = make_caption_vectorizer(["an odd number"], max_length=6)
        >>> decode_tokens(vectorizer, encode_captions(vectorizer, ["an odd number"])[:, 1:])
        [['an', 'odd', 'number']]
    """
    captions = _check_captions(captions)
    ids = np.asarray(vectorizer(np.array([f"{START} {c} {END}" for c in captions])))
    end_id = vectorizer.get_vocabulary().index(END)
    if not np.all(np.any(ids == end_id, axis=1)):
        raise ValueError(
            f"a caption is longer than the vectorizer's {ids.shape[1]} tokens (markers included)"
        )
    return ids.astype(np.int32)


def decode_tokens(vectorizer, ids) -> list[list[str]]:
    """Rows of token ids -> lists of words, cut at the first :data:`END` (padding, the
    :data:`START` marker and the ``END`` marker itself are not returned).

    Example:
        >>> vectorizer = make_caption_vectorizer(["an odd number"], max_length=6)
        >>> vocabulary = vectorizer.get_vocabulary()
        >>> decode_tokens(vectorizer, [[vocabulary.index("odd"), vocabulary.index("end"), 0]])
        [['odd']]
    """
    vocabulary = [str(w) for w in vectorizer.get_vocabulary()]
    ids = np.asarray(ids)
    if ids.ndim != 2:
        raise ValueError(f"ids must be a 2-D array (sequences, positions), got shape {ids.shape}")
    out = []
    for row in ids:
        words = []
        for i in row:
            word = vocabulary[int(i)]
            if word == END:
                break
            if int(i) != 0 and word != START:
                words.append(word)
        out.append(words)
    return out


def _check_decoding(model, inputs, start_id, end_id, max_length) -> tuple[dict, int, int]:
    if not isinstance(model, CaptionDecoder):
        raise TypeError(f"model must be a CaptionDecoder, got {type(model).__name__}")
    if not isinstance(inputs, dict) or any(m not in inputs for m in model.modalities):
        given = list(inputs) if isinstance(inputs, dict) else type(inputs).__name__
        raise ValueError(f"inputs must be a dict with {list(model.modalities)}, got {given}")
    x = {m: np.asarray(inputs[m], dtype=np.float32) for m in model.modalities}
    n = {len(v) for v in x.values()}
    if len(n) != 1 or 0 in n:
        raise ValueError(f"every modality needs the same, non-zero number of rows, got {n}")
    length = model.max_length - 1 if max_length is None else max_length
    for name, value in (("start_id", start_id), ("end_id", end_id)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or \
                not 0 < value < model.vocabulary_size:  # fmt: skip
            raise ValueError(
                f"{name} must be a token id in [1, {model.vocabulary_size}), got {value!r}"
            )
    if (
        isinstance(length, bool)
        or not isinstance(length, int)
        or not 1 <= length < model.max_length
    ):
        raise ValueError(
            f"max_length must be an integer in [1, {model.max_length}), got {length!r}"
        )
    return x, n.pop(), length


def _next_logits(model, x: dict, tokens: np.ndarray) -> np.ndarray:
    """The logits of the token after ``tokens`` (n, t), read at position ``t - 1``.

    The tokens are padded to the model's ``max_length`` so that every step has the same
    shape and Keras' compiled predict function is traced once per decoding (the causal
    self-attention keeps the padding from reaching the positions before it).
    """
    n, t = tokens.shape
    padded = np.zeros((n, model.max_length), np.int32)
    padded[:, :t] = tokens
    return np.asarray(model.predict_on_batch({**x, "tokens": padded}))[:, t - 1]


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    from scipy.special import log_softmax

    return log_softmax(logits.astype(np.float64), axis=-1)


def greedy_decode(model, inputs: dict, start_id: int, end_id: int,
                  max_length: int | None = None) -> np.ndarray:  # fmt: skip
    """Generate by always taking the most likely next token, until :data:`END`.

    Starts every sequence with ``start_id``, feeds the words written so far back into the
    model, appends the arg-max of the last position's logits (padding, id 0, excluded), and stops a sequence once it
    writes ``end_id`` (the rest is padding, 0). At most ``max_length`` tokens (default:
    ``model.max_length - 1``).

    Returns:
        (n, max_length) int32 token ids, without the start token.

    Example:
        >>> model = CaptionDecoder({"image": 4}, vocabulary_size=6, max_length=5, units=8)
        >>> greedy_decode(model, {"image": np.ones((3, 4))}, start_id=1, end_id=2).shape
        (3, 4)
    """
    x, n, length = _check_decoding(model, inputs, start_id, end_id, max_length)
    tokens = np.full((n, 1), start_id, np.int32)
    done = np.zeros(n, bool)
    for _ in range(length):
        logits = _next_logits(model, x, tokens)
        logits[:, 0] = -np.inf  # padding is never written
        step = np.where(done, 0, np.argmax(logits, axis=-1)).astype(np.int32)
        tokens = np.concatenate([tokens, step[:, None]], axis=1)
        done |= step == end_id
        if done.all():
            break
    out = np.zeros((n, length), np.int32)
    out[:, : tokens.shape[1] - 1] = tokens[:, 1:]
    return out


def beam_search(model, inputs: dict, start_id: int, end_id: int, beam_width: int = 3,
                max_length: int | None = None) -> np.ndarray:  # fmt: skip
    """Generate with beam search: keep the ``beam_width`` most likely partial sequences.

    At each step every kept sequence is extended by every token; the ``beam_width``
    extensions with the highest total log-probability are kept (a sequence that has written
    ``end_id`` stays as it is, with its score). Returns the most likely finished sequence
    of each example. ``beam_width=1`` is :func:`greedy_decode`. No length normalisation.

    Returns:
        (n, max_length) int32 token ids, without the start token, 0 after ``end_id``.

    Example:
        >>> model = CaptionDecoder({"image": 4}, vocabulary_size=6, max_length=5, units=8)
        >>> x = {"image": np.random.default_rng(0).normal(size=(3, 4))}
        >>> bool(np.all(beam_search(model, x, 1, 2, beam_width=1) == greedy_decode(model, x, 1, 2)))
        True
    """
    x, n, length = _check_decoding(model, inputs, start_id, end_id, max_length)
    if isinstance(beam_width, bool) or not isinstance(beam_width, int) or beam_width < 1:
        raise ValueError(f"beam_width must be a positive integer, got {beam_width!r}")
    k, vocabulary = beam_width, model.vocabulary_size
    tokens = np.full((n, k, 1), start_id, np.int32)
    scores = np.full((n, k), -np.inf)
    scores[:, 0] = 0.0  # all beams start identical: expand only the first
    done = np.zeros((n, k), bool)
    repeated = {m: np.repeat(v, k, axis=0) for m, v in x.items()}
    for _ in range(length):
        logits = _next_logits(model, repeated, tokens.reshape(n * k, -1))
        logp = _log_softmax(logits).reshape(n, k, vocabulary)
        # a finished beam can only be extended by padding, at no cost
        logp = np.where(done[:, :, None], -np.inf, logp)
        logp[:, :, 0] = np.where(done, 0.0, -np.inf)
        total = (scores[:, :, None] + logp).reshape(n, k * vocabulary)
        best = np.argsort(-total, axis=1, kind="stable")[:, :k]  # first index wins ties
        beam, token = best // vocabulary, best % vocabulary
        tokens = np.concatenate(
            [np.take_along_axis(tokens, beam[:, :, None], axis=1), token[:, :, None]], axis=2
        ).astype(np.int32)
        scores = np.take_along_axis(total, best, axis=1)
        done = np.take_along_axis(done, beam, axis=1) | (token == end_id)
        if done[np.isfinite(scores)].all():
            break
    # beams are sorted by score: the best finished one, or the best one if none finished
    finished = np.where(done, scores, -np.inf)
    best_beam = np.where(done.any(axis=1), np.argmax(finished, axis=1), 0)
    chosen = tokens[np.arange(n), best_beam, 1:]
    out = np.zeros((n, length), np.int32)
    out[:, : chosen.shape[1]] = chosen
    return out
