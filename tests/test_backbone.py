"""build_backbone_encoder: any Keras image backbone as an encoder of the series (notebook 12).

Offline: keras.applications models are built with ``weights=None`` (no download)."""

import mmtutor

mmtutor.setup(seed=0, verbose=False)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from mmtutor.data import Split  # noqa: E402
from mmtutor.encoders import build_backbone_encoder, build_encoder, build_vector_encoder  # noqa: E402
from mmtutor.models import build_fusion_model  # noqa: E402

APPLICATIONS = {
    # (builder, rescaling (scale, offset) from [0, 1] to the backbone's input range)
    "MobileNetV3Small": (
        lambda: keras.applications.MobileNetV3Small(
            input_shape=(32, 32, 3), include_top=False, weights=None, minimalistic=True
        ),
        (255.0, 0.0),
    ),
    "MobileNetV2": (
        lambda: keras.applications.MobileNetV2(
            input_shape=(32, 32, 3), alpha=0.35, include_top=False, weights=None
        ),
        (2.0, -1.0),
    ),
}


def images(n=4, seed=0, shape=(8, 8, 1)):
    return np.random.default_rng(seed).random((n, *shape)).astype("float32")


def numpy(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("name", list(APPLICATIONS))
def test_keras_applications_backbones_fuse_and_round_trip(name, tmp_path):
    build, (scale, offset) = APPLICATIONS[name]
    encoder = build_backbone_encoder(build(), embedding_dim=16, scale=scale, offset=offset)
    assert encoder.name == "image_encoder" and encoder.input_shape == (None, 8, 8, 1)
    z = numpy(encoder(images()))
    assert z.shape == (4, 16) and np.all(np.isfinite(z))
    # build_fusion_model takes it like any other encoder
    fused = build_fusion_model([encoder, build_vector_encoder(5, "audio")], "concat", head_units=8)
    x = {"image": images(), "audio": np.ones((4, 5), "float32")}
    assert fused.predict(x, verbose=0).shape == (4, 10)
    # and the encoder survives a .keras round trip, weights included
    path = tmp_path / "encoder.keras"
    encoder.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(numpy(again(images())), z, rtol=1e-5, atol=1e-5)


def test_input_is_resized_repeated_and_rescaled_as_an_independent_computation_says():
    inputs = keras.Input((32, 32, 3))
    identity = keras.Model(inputs, layers.Identity()(inputs), name="identity")
    encoder = build_backbone_encoder(identity, embedding_dim=4, scale=2.0, offset=-1.0)
    seen = keras.Model(encoder.input, encoder.get_layer("backbone_range").output)
    x = images(3)
    expected = tf.image.resize(x, (32, 32), method="bilinear").numpy() * 2.0 - 1.0
    np.testing.assert_allclose(numpy(seen(x)), np.repeat(expected, 3, axis=-1), atol=1e-5)


def test_undefined_sizes_get_image_size_and_vectors_are_not_pooled():
    backbone = keras.Sequential([keras.Input((None, None, 3)), layers.Conv2D(3, 3)])
    encoder = build_backbone_encoder(backbone, embedding_dim=4, image_size=40)
    assert tuple(encoder.get_layer("resize").output.shape) == (None, 40, 40, 1)
    pooled = keras.applications.MobileNetV3Small(
        input_shape=(32, 32, 3), include_top=False, weights=None, minimalistic=True, pooling="avg"
    )
    encoder = build_backbone_encoder(pooled, embedding_dim=4)
    assert "pool" not in [layer.name for layer in encoder.layers]
    assert encoder(images(2)).shape == (2, 4)


def test_colour_images_feed_a_colour_backbone_directly():
    backbone = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(2, 3)])
    encoder = build_backbone_encoder(backbone, embedding_dim=4, image_shape=(8, 8, 3))
    assert "repeat_channels" not in [layer.name for layer in encoder.layers]
    assert encoder(images(2, shape=(8, 8, 3))).shape == (2, 4)


def test_gradients_reach_the_backbone():
    backbone = keras.Sequential([keras.Input((None, None, 3)), layers.Conv2D(4, 3, name="c")])
    encoder = build_backbone_encoder(backbone, embedding_dim=4)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(encoder(images(2)) ** 2) + tf.reduce_sum(
            encoder.get_layer("projection").bias
        )
    grads = tape.gradient(loss, backbone.trainable_weights)
    assert all(g is not None for g in grads)
    assert float(tf.reduce_sum(tf.abs(grads[0]))) > 0


def test_build_encoder_wraps_a_backbone_with_the_datas_image_shape():
    split = Split(x={"image": images(6, shape=(12, 12, 1))}, y=np.zeros(6, "int32"))
    backbone = keras.Sequential([keras.Input((None, None, 3)), layers.Conv2D(2, 3)])
    encoder = build_encoder("image", split, embedding_dim=8, backbone=backbone)
    assert encoder.input_shape == (None, 12, 12, 1) and encoder.output_shape == (None, 8)
    with pytest.raises(ValueError, match="backbone wraps an image model"):
        build_encoder("audio", None, backbone=backbone)
    with pytest.raises(ValueError, match="backbone wraps an image model"):
        build_encoder("image", split, kind="cnn", backbone=backbone)


def test_bad_backbones_and_options_raise_clear_errors():
    good = keras.Sequential([keras.Input((None, None, 3)), layers.Conv2D(2, 3)])
    with pytest.raises(TypeError, match="backbone must be a keras.Model, got Conv2D"):
        build_backbone_encoder(layers.Conv2D(2, 3))
    a, b = keras.Input((8, 8, 3)), keras.Input((8, 8, 3))
    two = keras.Model([a, b], layers.Add()([a, b]))
    with pytest.raises(ValueError, match="backbone must take one input, got 2 inputs"):
        build_backbone_encoder(two)
    flat = keras.Sequential([keras.Input((10,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"must take images .* got input shape \(None, 10\)"):
        build_backbone_encoder(flat)
    with pytest.raises(ValueError, match="embedding_dim must be a positive integer, got 0"):
        build_backbone_encoder(good, embedding_dim=0)
    with pytest.raises(ValueError, match=r"image_shape must be \(height, width, channels\)"):
        build_backbone_encoder(good, image_shape=(8, 8))
    with pytest.raises(ValueError, match="backbone expects 3 channels; images with 2 channel"):
        build_backbone_encoder(good, image_shape=(8, 8, 2))
    with pytest.raises(ValueError, match="image_size must be a positive integer"):
        build_backbone_encoder(good, image_size=0)
