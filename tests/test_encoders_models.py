import numpy as np
import pytest

import mmtutor

mmtutor.setup(seed=0, verbose=False)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from mmtutor.encoders import build_audio_encoder, build_image_encoder, build_text_encoder  # noqa: E402
from mmtutor.models import build_fusion_model, build_unimodal  # noqa: E402
from mmtutor.preprocessing import make_text_vectorizer  # noqa: E402

RNG = np.random.default_rng(0)
BATCH = {
    "image": RNG.uniform(size=(4, 8, 8, 1)).astype("float32"),
    "audio": RNG.normal(size=(4, 4000)).astype("float32"),
    "text": np.array(
        ["an odd number", "two loops", "a prime number", "no description"], dtype=object
    ),
}


def _vec():
    return make_text_vectorizer(list(BATCH["text"]))


BUILDERS = {
    "image": lambda d=16: build_image_encoder(embedding_dim=d),
    "text": lambda d=16: build_text_encoder(_vec(), embedding_dim=d),
    "audio": lambda d=16: build_audio_encoder(embedding_dim=d),
}


@pytest.mark.parametrize("modality", list(BUILDERS))
def test_encoder_output_shape_and_gradients(modality):
    encoder = BUILDERS[modality](12)
    x = BATCH[modality]
    assert encoder(x).shape == (4, 12)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(encoder(x, training=True) ** 2)
    grads = tape.gradient(loss, encoder.trainable_weights)
    assert grads and all(g is not None and float(tf.reduce_sum(tf.abs(g))) > 0 for g in grads)


@pytest.mark.parametrize("modality", list(BUILDERS))
def test_encoder_round_trip(modality, tmp_path):
    model = build_unimodal(BUILDERS[modality]())
    x = {modality: BATCH[modality]}
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(model.predict(x, verbose=0), loaded.predict(x, verbose=0), atol=1e-6)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: build_image_encoder(kind="vit"),
            ValueError,
            r"image encoder kind must be one of \[.*\], got 'vit'",
        ),
        (
            lambda: build_audio_encoder(embedding_dim=0),
            ValueError,
            "embedding_dim must be a positive integer, got 0",
        ),
        (
            lambda: build_text_encoder("not a vectorizer"),
            TypeError,
            "vectorizer must be an adapted",
        ),
        (lambda: build_unimodal("encoder"), TypeError, "encoder must be a keras.Model, got str"),
        (
            lambda: build_unimodal(build_image_encoder(), num_classes=1),
            ValueError,
            "num_classes must be an integer >= 2",
        ),
        (
            lambda: build_fusion_model([build_image_encoder()]),
            ValueError,
            "expects a list of 2\\+ encoders",
        ),
        (
            lambda: build_fusion_model([build_image_encoder(), build_image_encoder()]),
            ValueError,
            "two encoders take the same input 'image'",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("shape", [(2, 64), (2, 9, 9, 1), (2, 8, 8, 3)])
def test_wrong_input_shape_is_rejected(shape):
    encoder = build_image_encoder()
    with pytest.raises(ValueError, match=r"expected shape=\(None, 8, 8, 1\)|expected axis -1"):
        encoder(np.zeros(shape, "float32"))


def test_concat_fusion_of_three_trains_and_round_trips(tmp_path):
    model = build_fusion_model([BUILDERS[m]() for m in ("image", "audio", "text")], "concat")
    assert sorted(t.name for t in model.inputs) == ["audio", "image", "text"]
    out = model(BATCH)
    assert out.shape == (4, 10)
    with tf.GradientTape(persistent=True) as tape:
        loss = tf.reduce_sum(model(BATCH, training=True) ** 2)
    for name in ("image_encoder", "audio_encoder", "text_encoder"):
        weights = model.get_layer(name).trainable_weights
        grads = tape.gradient(loss, weights)
        assert weights and all(g is not None for g in grads), name
        assert sum(float(tf.reduce_sum(tf.abs(g))) for g in grads) > 0, name
    model.save(tmp_path / "f.keras")
    loaded = keras.models.load_model(tmp_path / "f.keras")
    np.testing.assert_allclose(
        model.predict(BATCH, verbose=0), loaded.predict(BATCH, verbose=0), atol=1e-6
    )
