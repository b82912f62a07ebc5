"""Every audio encoder kind: shape, serialization, gradients, and clear errors."""

import numpy as np
import pytest

import mmtutor

mmtutor.setup(seed=0, verbose=False)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from mmtutor.encoders import AUDIO_KINDS, build_audio_encoder, build_encoder  # noqa: E402
from mmtutor.encoders.audio import WAVE_FILTERBANK  # noqa: E402
from mmtutor.models import build_unimodal  # noqa: E402
from mmtutor.preprocessing import make_spectrogram_normalizer  # noqa: E402

RNG = np.random.default_rng(0)
WAVES = (0.2 * RNG.normal(size=(4, 4000))).astype("float32")


def test_default_kind_comes_first():
    assert AUDIO_KINDS[0] == "mel_cnn"
    assert set(AUDIO_KINDS) == {"mel_cnn", "wave_cnn"}


@pytest.mark.parametrize("kind", AUDIO_KINDS)
def test_output_shape_and_name(kind):
    encoder = build_audio_encoder(kind=kind, embedding_dim=12)
    assert encoder.name == "audio_encoder"
    assert [t.name for t in encoder.inputs] == ["audio"]
    assert encoder.output_shape == (None, 12)
    assert encoder(WAVES).shape == (4, 12)


def test_wave_cnn_first_layer_is_the_filterbank():
    filters, kernel, _ = WAVE_FILTERBANK
    encoder = build_audio_encoder(kind="wave_cnn", embedding_dim=8)
    assert tuple(encoder.get_layer("filterbank").kernel.shape) == (kernel, 1, filters)


@pytest.mark.parametrize("kind", AUDIO_KINDS)
def test_gradients_reach_every_trainable_weight(kind):
    encoder = build_audio_encoder(kind=kind, embedding_dim=8)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(encoder(WAVES, training=True) ** 2)
    grads = tape.gradient(loss, encoder.trainable_weights)
    assert len(grads) == len(encoder.trainable_weights) > 0
    for weight, grad in zip(encoder.trainable_weights, grads, strict=True):
        assert grad is not None, weight.path
        assert float(tf.reduce_sum(tf.abs(grad))) > 0, weight.path


@pytest.mark.parametrize("kind", AUDIO_KINDS)
def test_keras_round_trip_gives_identical_predictions(kind, tmp_path):
    normalizer = make_spectrogram_normalizer(WAVES) if kind == "mel_cnn" else None
    model = build_unimodal(build_audio_encoder(kind=kind, embedding_dim=8, normalizer=normalizer))
    # one training step, so that batch-norm statistics differ from their initial values
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(True))
    model.fit({"audio": WAVES}, np.arange(4), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    x = {"audio": WAVES}
    np.testing.assert_allclose(model.predict(x, verbose=0), loaded.predict(x, verbose=0), atol=1e-6)


@pytest.mark.parametrize("kind", AUDIO_KINDS)
def test_build_encoder_builds_every_kind(kind):
    class _Split:
        x = {"audio": WAVES}

    assert build_encoder("audio", _Split(), kind=kind, embedding_dim=4).output_shape == (None, 4)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kind": "transformer"}, r"audio encoder kind must be one of \['mel_cnn', 'wave_cnn'\]"),
        ({"embedding_dim": 0}, "embedding_dim must be a positive integer, got 0"),
        ({"embedding_dim": 8.0}, "embedding_dim must be a positive integer, got 8.0"),
        ({"num_samples": 0}, "num_samples must be a positive integer, got 0"),
        ({"kind": "wave_cnn", "num_samples": 500}, r"'wave_cnn' needs num_samples >= 568, got 500"),
        ({"kind": "mel_cnn", "num_samples": 200}, r"'mel_cnn' needs num_samples >= 256, got 200"),
    ],
)
def test_bad_arguments_raise_clear_errors(options, message):
    with pytest.raises(ValueError, match=message):
        build_audio_encoder(**options)


@pytest.mark.parametrize("kind", AUDIO_KINDS)
@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((2, 3000), r"expected shape=\(None, 4000\), found shape=\(2, 3000\)"),
        ((4000,), r"Expected shape \(None, 4000\), but input has incompatible shape \(4000,\)"),
        ((2, 4000, 2), r"Expected shape \(None, 4000\), but input has incompatible shape"),
    ],
)
def test_wrong_input_shape_is_rejected(kind, shape, message):
    encoder = build_audio_encoder(kind=kind, embedding_dim=4)
    with pytest.raises(ValueError, match=message):
        encoder(np.zeros(shape, "float32"))


def test_wave_cnn_source_runs_when_copied_with_plain_imports():
    """Notebook 04 shows wave_cnn: its source, run in a namespace of keras/layers/np only,
    builds what build_audio_encoder("wave_cnn") builds (same outputs with the same weights)."""
    import inspect
    import textwrap

    import keras
    import numpy as np
    from keras import layers

    from mmtutor.encoders import audio as audio_encoders

    defaults = inspect.signature(audio_encoders.wave_cnn).parameters
    assert defaults["filterbank"].default == WAVE_FILTERBANK  # the copy builds the same model
    assert defaults["widths"].default == audio_encoders._WAVE_WIDTHS
    assert defaults["momentum"].default == audio_encoders._BN_MOMENTUM
    namespace = {"keras": keras, "layers": layers, "np": np}
    exec(textwrap.dedent(inspect.getsource(audio_encoders.wave_cnn)), namespace)
    original = build_audio_encoder("wave_cnn", embedding_dim=16)
    x = keras.Input(shape=(4000,))
    copy = keras.Model(x, namespace["wave_cnn"](x, 16))
    assert len(copy.weights) == len(original.weights)
    copy.set_weights(original.get_weights())
    batch = np.random.default_rng(0).normal(size=(2, 4000)).astype("float32")
    np.testing.assert_allclose(copy.predict(batch, verbose=0), original.predict(batch, verbose=0),
                               rtol=0, atol=0)  # fmt: skip
