import numpy as np
import pytest

import mmtutor

mmtutor.setup(seed=0, verbose=False)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from mmtutor.preprocessing import (  # noqa: E402
    LogMelSpectrogram,
    class_weights,
    image_augmentation,
    make_spectrogram_normalizer,
    make_text_vectorizer,
)


def test_image_augmentation_changes_training_only():
    x = np.random.default_rng(0).uniform(size=(4, 8, 8, 1)).astype("float32")
    aug = image_augmentation(seed=0)
    np.testing.assert_array_equal(aug(x, training=False).numpy(), x)
    assert not np.allclose(aug(x, training=True).numpy(), x)
    with pytest.raises(ValueError, match=r"shift must be a number in \[0, 0.5\], got 0.9"):
        image_augmentation(shift=0.9)


def test_text_vectorizer_pads_and_marks_unknown_words():
    vec = make_text_vectorizer(["an odd number", "An even number!"], sequence_length=5)
    vocab = vec.get_vocabulary()
    assert vocab[:2] == ["", "[UNK]"] and {"an", "odd", "even", "number"} <= set(vocab)
    ids = vec(tf.constant(["an ODD banana"])).numpy()[0]
    assert ids.tolist() == [vocab.index("an"), vocab.index("odd"), 1, 0, 0]


@pytest.mark.parametrize(
    ("texts", "kwargs", "message"),
    [
        ([], {}, "texts must be a non-empty 1-D sequence of str"),
        ([1, 2], {}, r"element types \['int'\]"),
        (["a b"], {"max_tokens": 2}, "max_tokens must be an integer >= 3, got 2"),
        (["a b"], {"sequence_length": 0}, "sequence_length must be an integer >= 1, got 0"),
    ],
)
def test_text_vectorizer_rejects_bad_input(texts, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_text_vectorizer(texts, **kwargs)


def _reference_log_mel(x, layer):
    """Log-mel by hand in NumPy: periodic Hann frames -> |rfft|^2 -> mel matrix -> log."""
    n = layer.frame_length
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
    starts = range(0, x.shape[-1] - n + 1, layer.frame_step)
    frames = np.stack([x[:, s : s + n] * window for s in starts], axis=1)
    power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2
    return np.log(power @ layer.mel_weights.numpy() + 1e-6)


def test_log_mel_matches_numpy_and_is_per_example():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4000)).astype("float32") * np.array([[0.01], [1.0], [10.0]], "float32")
    layer = LogMelSpectrogram()
    out = layer(x).numpy()
    assert out.shape == (3, 30, 32)
    np.testing.assert_allclose(out, _reference_log_mel(x.astype(np.float64), layer), atol=2e-3)
    alone = layer(x[:1]).numpy()
    np.testing.assert_array_equal(alone[0], out[0])  # a quiet example is not changed by loud ones


def test_keras_mel_spectrogram_couples_examples_in_a_batch():
    # why LogMelSpectrogram exists: Keras' layer clips at the batch maximum - top_db
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 4000)).astype("float32") * np.array([[1e-3], [10.0]], "float32")
    keras_mel = keras.layers.MelSpectrogram(sampling_rate=8000, fft_length=256, sequence_stride=128,
                                            num_mel_bins=32)  # fmt: skip
    assert not np.allclose(keras_mel(x[:1]).numpy()[0], keras_mel(x).numpy()[0])


def test_log_mel_serializes_and_rejects_bad_rank(tmp_path):
    inputs = keras.Input(shape=(4000,))
    model = keras.Model(inputs, LogMelSpectrogram(num_mel_bins=20)(inputs))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(1).normal(size=(2, 4000)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    with pytest.raises(
        ValueError,
        match=r"expects waveforms of rank 2 \(batch, samples\), got shape \(None, 4000, 1\)",
    ):
        LogMelSpectrogram()(keras.Input(shape=(4000, 1)))
    with pytest.raises(ValueError, match="frame_length >= frame_step >= 1"):
        LogMelSpectrogram(frame_length=64, frame_step=128)


def test_spectrogram_normalizer_standardizes_each_mel_bin():
    x = np.random.default_rng(2).normal(size=(64, 4000)).astype("float32")
    norm = make_spectrogram_normalizer(x, batch_size=16)
    z = norm(LogMelSpectrogram()(x)).numpy()
    np.testing.assert_allclose(z.mean(axis=(0, 1)), 0.0, atol=1e-3)
    np.testing.assert_allclose(z.std(axis=(0, 1)), 1.0, atol=1e-2)
    with pytest.raises(
        ValueError, match=r"waveforms must have shape \(examples, samples\), got \(4000,\)"
    ):
        make_spectrogram_normalizer(x[0])


def test_class_weights_are_inverse_frequencies():
    y = np.array([0] * 50 + [1] * 30 + [2] * 20)  # n / (K * n_c) = 100 / (3 * n_c)
    assert class_weights(y) == {0: 0.6667, 1: 1.1111, 2: 1.6667}
    assert class_weights(np.array([0, 1, 1, 1]), num_classes=2) == {0: 2.0, 1: 0.6667}  # 4/2, 4/6


@pytest.mark.parametrize(
    ("y", "kwargs", "message"),
    [
        (np.array([]), {}, "non-empty 1-D array of non-negative integer labels"),
        (np.array([0.5, 1.0]), {}, "non-empty 1-D array of non-negative integer labels"),
        (np.array([0, 3]), {"num_classes": 3}, "labels must be < num_classes=3, got a label 3"),
        (np.array([0, 2]), {}, r"every class needs at least one example, got counts \[1, 0, 1\]"),
        (np.array([0, 1]), {"num_classes": 4}, r"got counts \[1, 1, 0, 0\]"),
    ],
)
def test_class_weights_reject_bad_labels(y, kwargs, message):
    with pytest.raises(ValueError, match=message):
        class_weights(y, **kwargs)
