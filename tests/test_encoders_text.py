"""Every text encoder kind: shape, padding invariance, .keras round trip, gradients, errors."""

import numpy as np
import pytest

import mmtutor

mmtutor.setup(seed=0, verbose=False)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from mmtutor.encoders import TEXT_KINDS, build_text_encoder  # noqa: E402
from mmtutor.encoders.text import (  # noqa: E402
    MaskedGlobalMaxPooling1D,
    TokenAndPositionEmbedding,
    attention_scores,
    word_embeddings,
)
from mmtutor.models import build_unimodal  # noqa: E402
from mmtutor.preprocessing import make_text_vectorizer  # noqa: E402

CAPTIONS = np.array(
    [
        "an odd number and with no closed loop",
        "it is not a prime",
        "a prime number drawn with curves",
        "no description",
    ],
    dtype=object,
)
OPTIONS = {"embedding_dim": 8, "token_dim": 8, "units": 4, "filters": 4, "ff_dim": 8}


@pytest.fixture(scope="module")
def vectorizer():
    return make_text_vectorizer(list(CAPTIONS), sequence_length=12)


@pytest.mark.parametrize("kind", TEXT_KINDS)
def test_output_shape(vectorizer, kind):
    encoder = build_text_encoder(vectorizer, kind=kind, **OPTIONS)
    assert encoder.name == "text_encoder" and encoder.inputs[0].name == "text"
    assert encoder.output_shape == (None, 8)
    assert encoder(CAPTIONS).shape == (4, 8)


@pytest.mark.parametrize("kind", TEXT_KINDS)
def test_padding_does_not_change_the_embedding(vectorizer, kind):
    longer = make_text_vectorizer(list(CAPTIONS), sequence_length=20)
    assert longer.get_vocabulary() == vectorizer.get_vocabulary()
    short = build_text_encoder(vectorizer, kind=kind, max_length=20, **OPTIONS)
    padded = build_text_encoder(longer, kind=kind, max_length=20, **OPTIONS)
    padded.set_weights(short.get_weights())
    np.testing.assert_allclose(short(CAPTIONS), padded(CAPTIONS), atol=1e-6)


@pytest.mark.parametrize("kind", TEXT_KINDS)
def test_keras_round_trip(vectorizer, kind, tmp_path):
    model = build_unimodal(build_text_encoder(vectorizer, kind=kind, **OPTIONS))
    x = {"text": CAPTIONS}
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(model.predict(x, verbose=0), loaded.predict(x, verbose=0), atol=1e-6)


@pytest.mark.parametrize("kind", TEXT_KINDS)
def test_gradients_reach_every_weight(vectorizer, kind):
    mmtutor.setup(seed=0, verbose=False)  # the same initial weights whatever ran before
    model = build_unimodal(build_text_encoder(vectorizer, kind=kind, **OPTIONS), dropout=0.0)
    used = np.unique(vectorizer(CAPTIONS.astype(str)).numpy())
    used = used[used > 0]
    with tf.GradientTape() as tape:
        logits = model({"text": CAPTIONS}, training=True)
        loss = keras.losses.sparse_categorical_crossentropy(np.arange(4), logits, from_logits=True)
    grads = tape.gradient(loss, model.trainable_weights)
    assert grads
    for weight, grad in zip(model.trainable_weights, grads, strict=True):
        assert grad is not None, weight.path
        grad = tf.convert_to_tensor(grad).numpy()
        if weight.path.endswith("embeddings") and "position" not in weight.path:
            # the table of word vectors: only the rows of words in the batch get a gradient;
            # with global max pooling ("cnn") only words inside some channel's winning window
            # do, so there every used row cannot be required
            reached = np.abs(grad[used]).sum(axis=1) > 0
            assert reached.any() if kind == "cnn" else reached.all(), weight.path
            assert np.abs(np.delete(grad, used, axis=0)).sum() == 0, weight.path
        else:
            assert np.abs(grad).sum() > 0, weight.path


def test_attention_scores_and_word_embeddings(vectorizer):
    encoder = build_text_encoder(vectorizer, kind="transformer", **OPTIONS)
    scores, ids = attention_scores(encoder, CAPTIONS)
    assert scores.shape == (4, 2, 12, 12) and ids.shape == (4, 12)
    real = ids > 0
    # each real word's weights sum to 1 and none goes to padding
    np.testing.assert_allclose(scores.sum(axis=-1).transpose(0, 2, 1)[real], 1.0, atol=1e-5)
    for b in range(4):
        assert scores[b][:, real[b]][:, :, ~real[b]].max() < 1e-6
    words, table = word_embeddings(encoder)
    assert words == vectorizer.get_vocabulary() and table.shape == (len(words), 8)
    with pytest.raises(ValueError, match="needs a 'transformer' text encoder"):
        attention_scores(build_text_encoder(vectorizer, **OPTIONS), CAPTIONS)


def test_custom_layers_mask_correctly():
    x = np.array([[[1.0], [5.0], [-2.0]]], "float32")
    pooled = MaskedGlobalMaxPooling1D()(x, mask=np.array([[True, False, True]]))
    assert pooled.numpy().tolist() == [[1.0]]
    emb = TokenAndPositionEmbedding(vocabulary_size=5, max_length=4, dim=2)
    assert emb.compute_mask(np.array([[3, 1, 0, 0]])).numpy().tolist() == [
        [True, True, False, False]
    ]
    with pytest.raises(ValueError, match=r"at most max_length=4 tokens, got shape \(None, 6\)"):
        emb(keras.Input(shape=(6,), dtype="int64"))


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (
            {"kind": "gru"},
            ValueError,
            r"text encoder kind must be one of \[.*'transformer'\], got 'gru'",
        ),
        ({"embedding_dim": 0}, ValueError, "embedding_dim must be a positive integer, got 0"),
        ({"embedding_dim": 2.5}, ValueError, "embedding_dim must be a positive integer, got 2.5"),
        ({"kind": "cnn", "kernel_sizes": (3, 0)}, ValueError, "kernel_sizes must be positive"),
        ({"kind": "transformer", "num_heads": 0}, ValueError, "num_heads must be a positive"),
        ({"dropout": 1.0}, ValueError, r"dropout must be in \[0, 1\), got 1.0"),
    ],
)
def test_bad_arguments_raise_clear_errors(vectorizer, options, error, message):
    with pytest.raises(error, match=message):
        build_text_encoder(vectorizer, **options)


@pytest.mark.parametrize("kind", TEXT_KINDS)
def test_wrong_inputs_are_rejected(vectorizer, kind):
    encoder = build_text_encoder(vectorizer, kind=kind, **OPTIONS)
    with pytest.raises(
        TypeError, match=r"expects a batch of strings \(dtype string\), got dtype float32"
    ):
        encoder(np.zeros((2,), "float32"))
    with pytest.raises(TypeError, match=r"got dtype int64 with shape \(2, 12\)"):
        encoder(tf.zeros((2, 12), "int64"))
    with pytest.raises(
        ValueError, match=r"expects a 1-D batch of captions, shape \(batch,\), got shape \(2, 2\)"
    ):
        encoder(CAPTIONS.reshape(2, 2))


@pytest.mark.parametrize("kind", TEXT_KINDS)
def test_an_empty_caption_gives_a_finite_embedding(kind):
    # an ablated text modality is a batch of empty captions: 0 / 0 must not give NaN
    vectorizer = make_text_vectorizer(["an odd digit", "an even digit with a loop"])
    encoder = build_text_encoder(vectorizer, kind=kind, embedding_dim=8)
    out = keras.ops.convert_to_numpy(encoder(np.array(["", "an odd digit"], dtype=object)))
    assert out.shape == (2, 8) and np.all(np.isfinite(out))
