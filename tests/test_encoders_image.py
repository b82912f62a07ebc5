"""The image encoders of notebook 02: every kind, its shape, saving, gradients and errors."""

from types import SimpleNamespace

import numpy as np
import pytest

import mmtutor

mmtutor.setup(seed=0, verbose=False)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from mmtutor.encoders import IMAGE_KINDS, build_encoder, build_image_encoder  # noqa: E402
from mmtutor.encoders.image import residual_block  # noqa: E402
from mmtutor.models import build_unimodal  # noqa: E402
from mmtutor.preprocessing import image_augmentation  # noqa: E402

X = np.random.default_rng(0).uniform(size=(4, 8, 8, 1)).astype("float32")


def test_kinds_keep_the_default_first():
    assert IMAGE_KINDS[0] == "cnn"
    assert "resnet" in IMAGE_KINDS


@pytest.mark.parametrize("kind", IMAGE_KINDS)
def test_output_shape_and_name(kind):
    encoder = build_image_encoder(kind, embedding_dim=12)
    assert encoder.name == "image_encoder"
    assert encoder.inputs[0].name == "image"
    assert encoder.output_shape == (None, 12)
    assert encoder(X).shape == (4, 12)


@pytest.mark.parametrize("kind", IMAGE_KINDS)
def test_build_encoder_passes_the_kind(kind):
    encoder = build_encoder("image", None, kind=kind, embedding_dim=6)
    assert encoder(X).shape == (4, 6)


@pytest.mark.parametrize("kind", IMAGE_KINDS)
def test_round_trip(kind, tmp_path):
    model = build_unimodal(build_image_encoder(kind, embedding_dim=8))
    x = {"image": X}
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(model.predict(x, verbose=0), loaded.predict(x, verbose=0), atol=1e-6)


@pytest.mark.parametrize(
    ("kind", "options"),
    [(kind, {}) for kind in IMAGE_KINDS]
    + [("resnet", {"batch_norm": False}), ("resnet", {"num_blocks": 3})],
    ids=lambda v: str(v) if isinstance(v, str) else ",".join(f"{k}={v[k]}" for k in v),
)
def test_gradients_reach_every_weight(kind, options):
    model = build_unimodal(build_image_encoder(kind, embedding_dim=8, **options))
    y = np.arange(4)
    with tf.GradientTape() as tape:
        logits = model({"image": X}, training=True)
        loss = keras.losses.sparse_categorical_crossentropy(y, logits, from_logits=True)
        loss = tf.reduce_mean(loss)
    grads = tape.gradient(loss, model.trainable_weights)
    dead = [
        w.path
        for w, g in zip(model.trainable_weights, grads, strict=True)
        if g is None or not float(tf.reduce_sum(tf.abs(g))) > 0
    ]
    assert grads and not dead, f"no gradient reaches {dead}"


def test_resnet_options_change_the_graph():
    names = [layer.name for layer in build_image_encoder("resnet", num_blocks=3).layers]
    assert "block3_add" in names and "block2_shortcut" in names
    no_bn = build_image_encoder("resnet", batch_norm=False)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in no_bn.layers)


def test_residual_block_shapes():
    x = keras.Input(shape=(8, 8, 16))
    assert residual_block(x, 16, name="same").shape == (None, 8, 8, 16)
    assert residual_block(x, 32, stride=2, name="down").shape == (None, 4, 4, 32)


def test_augmentation_is_applied_first_and_only_in_training():
    encoder = build_image_encoder(augmentation=image_augmentation(seed=0), embedding_dim=8)
    assert encoder.layers[1].name == "image_augmentation"
    # Keras' random layers default to training=True when called directly, so pass it.
    clean = encoder(X, training=False)
    np.testing.assert_allclose(clean, encoder(X, training=False), atol=1e-6)
    np.testing.assert_allclose(clean, encoder.predict(X, verbose=0), atol=1e-6)
    assert not np.allclose(clean, encoder(X, training=True), atol=1e-6)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: build_image_encoder("vit"),
            ValueError,
            r"image encoder kind must be one of \['cnn', 'resnet'\], got 'vit'",
        ),
        (
            lambda: build_image_encoder(embedding_dim=0),
            ValueError,
            "embedding_dim must be a positive integer, got 0",
        ),
        (
            lambda: build_image_encoder("resnet", embedding_dim=2.5),
            ValueError,
            "embedding_dim must be a positive integer, got 2.5",
        ),
        (
            lambda: build_image_encoder("resnet", num_blocks=4),
            ValueError,
            r"num_blocks must be an integer in \[1, 3\], got 4",
        ),
        (
            lambda: build_image_encoder("cnn", batch_norm=False),
            ValueError,
            "num_blocks and batch_norm apply to kind='resnet' only",
        ),
        (
            lambda: build_image_encoder(augmentation="shift"),
            TypeError,
            "augmentation must be a keras.Layer or None, got str",
        ),
        (
            lambda: build_image_encoder(image_shape=(28, 28)),
            ValueError,
            r"image_shape must be \(height, width, channels\).*got \(28, 28\)",
        ),
        (
            lambda: build_image_encoder(image_shape=(2, 2, 1)),
            ValueError,
            "height and width >= 4, got \\(2, 2, 1\\)",
        ),
        (
            lambda: residual_block(keras.Input(shape=(8, 8, 4)), 8, stride=3),
            ValueError,
            "stride must be 1 or 2, got 3",
        ),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("kind", IMAGE_KINDS)
@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((2, 64), r"expected shape=\(None, 8, 8, 1\), found shape=\(2, 64\)"),
        ((2, 9, 9, 1), r"expected shape=\(None, 8, 8, 1\), found shape=\(2, 9, 9"),
        ((2, 8, 8, 3), r"(?s)expected axis -1 of input shape to have value 1.*\(2, 8, 8, 3\)"),
    ],
)
def test_wrong_input_shape_raises(kind, shape, message):
    encoder = build_image_encoder(kind, embedding_dim=4)
    with pytest.raises(ValueError, match=message):
        encoder(np.zeros(shape, "float32"))


def test_missing_channel_axis_is_added():
    # Keras adds a trailing axis of size 1 itself, so (n, 8, 8) works like (n, 8, 8, 1).
    encoder = build_image_encoder(embedding_dim=4)
    np.testing.assert_allclose(encoder(X[..., 0]), encoder(X), atol=1e-6)


@pytest.mark.parametrize("kind", IMAGE_KINDS)
def test_other_image_shapes_and_build_encoder_takes_the_shape_of_the_data(kind):
    encoder = build_image_encoder(kind, embedding_dim=4, image_shape=(28, 28, 1))
    assert encoder.input_shape == (None, 28, 28, 1)
    assert encoder(np.zeros((2, 28, 28, 1), "float32")).shape == (2, 4)
    with pytest.raises(ValueError, match=r"expected shape=\(None, 28, 28, 1\)"):
        encoder(np.zeros((2, 8, 8, 1), "float32"))
    train = SimpleNamespace(x={"image": np.zeros((3, 28, 28, 1), "float32")})
    assert build_encoder("image", train, kind=kind).input_shape == (None, 28, 28, 1)


def test_residual_block_source_runs_when_copied_with_plain_imports():
    """Notebook 02 shows residual_block: its source, run in a namespace of keras/layers/np
    only, builds the same block (same layers, same outputs with the same weights)."""
    import inspect
    import textwrap

    import numpy as np
    from keras import layers

    namespace = {"keras": keras, "layers": layers, "np": np}
    exec(textwrap.dedent(inspect.getsource(residual_block)), namespace)
    x = keras.Input(shape=(8, 8, 16))
    original = keras.Model(x, residual_block(x, 32, stride=2, name="b"))
    copy = keras.Model(x, namespace["residual_block"](x, 32, stride=2, name="b"))
    assert [type(la).__name__ for la in copy.layers] == [
        type(la).__name__ for la in original.layers
    ]
    copy.set_weights(original.get_weights())
    batch = np.random.default_rng(0).normal(size=(3, 8, 8, 16)).astype("float32")
    np.testing.assert_array_equal(
        copy.predict(batch, verbose=0), original.predict(batch, verbose=0)
    )
