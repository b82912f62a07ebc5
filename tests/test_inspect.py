"""mmtutor.encoders.inspect: receptive fields, filter responses, nearest neighbours."""

import keras
import numpy as np
import pytest
from keras import layers
from scipy import signal

import mmtutor.evaluation
from mmtutor.encoders import inspect


def test_receptive_fields_of_a_small_stack_by_hand():
    """r_l = r_{l-1} + (k_l - 1) j_{l-1}, j_l = j_{l-1} s_l from r_0 = j_0 = 1:
    conv 3x3/1: r 3 j 1; pool 2/2: r 4 j 2; conv 5x5/1: r 12 j 2; conv 3x3/2: r 16 j 4;
    the 1x1 conv adds nothing (and is not listed); global pooling: the whole 32-pixel input."""
    inputs = keras.Input((32, 32, 1))
    x = layers.Conv2D(4, 3, padding="same", name="c1")(inputs)
    x = layers.MaxPooling2D(2, name="p1")(x)
    x = layers.Conv2D(4, 5, padding="same", name="c2")(x)
    x = layers.Conv2D(4, 1, name="proj")(x)
    x = layers.Conv2D(4, 3, strides=2, padding="same", name="c3")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    model = keras.Model(inputs, x)
    assert inspect.receptive_fields(model) == [
        ("c1", 3, 1), ("p1", 4, 2), ("c2", 12, 2), ("c3", 16, 4), ("gap", 32, 4),
    ]  # fmt: skip
    nested = keras.Sequential([keras.Input((32, 32, 1)), keras.Sequential(
        [layers.Conv2D(2, 3, name="inner")]), layers.AveragePooling2D(3, name="avg")])  # fmt: skip
    assert inspect.receptive_fields(nested) == [("inner", 3, 1), ("avg", 5, 3)]  # stride 3


def test_receptive_fields_checks_its_argument():
    with pytest.raises(TypeError, match="expects a Keras model with an image input"):
        inspect.receptive_fields("cnn")


def test_filter_frequency_responses_against_scipy_freqz():
    rng = np.random.default_rng(0)
    kernels = rng.normal(size=(31, 1, 5))
    freqs, responses, peaks = inspect.filter_frequency_responses(kernels, 8000, fft_length=256)
    assert tuple(freqs.shape) == (129,) and tuple(responses.shape) == (5, 129)
    for f in range(5):
        w, h = signal.freqz(kernels[:, 0, f], worN=129, include_nyquist=True, fs=8000)
        np.testing.assert_allclose(freqs, w)
        np.testing.assert_allclose(responses[f], np.abs(h), atol=1e-9)
        assert peaks[f] == pytest.approx(w[np.argmax(np.abs(h))])
    # a windowed tone peaks at its frequency
    tone = np.hanning(64) * np.cos(2 * np.pi * 1500 * np.arange(64) / 8000)
    assert inspect.filter_frequency_responses(tone[:, None])[2][0] == 1500.0


def test_filter_frequency_responses_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\(taps, filters\) or \(taps, 1, filters\), got \(4,\)"):
        inspect.filter_frequency_responses(np.zeros(4))
    with pytest.raises(ValueError, match="fft_length must be an integer >= the 16 taps, got 8"):
        inspect.filter_frequency_responses(np.zeros((16, 2)), fft_length=8)
    with pytest.raises(ValueError, match="sample_rate must be a number > 0"):
        inspect.filter_frequency_responses(np.zeros((16, 2)), sample_rate=0)


def test_nearest_neighbours_against_a_brute_force_cosine():
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(12, 5))
    vectors[3] = 0.0  # a zero vector is similar to nothing (similarity 0)
    names = ["", "[UNK]"] + [f"w{i}" for i in range(10)]
    out = inspect.nearest_neighbours(vectors, names, ["w0", "w5"], k=4)
    assert list(out) == ["w0", "w5"]
    for query, hits in out.items():
        i = names.index(query)
        scores = []
        for j, name in enumerate(names):
            if j == i or name in ("", "[UNK]"):
                continue
            norm = np.linalg.norm(vectors[i]) * np.linalg.norm(vectors[j])
            scores.append((-(vectors[i] @ vectors[j] / norm if norm else 0.0), j))
        expected = [(names[j], round(-s, 4)) for s, j in sorted(scores)[:4]]
        assert [h[0] for h in hits] == [e[0] for e in expected]
        np.testing.assert_allclose([h[1] for h in hits], [e[1] for e in expected], atol=1e-12)
        assert all(isinstance(h[1], float) for h in hits)
    assert inspect.nearest_neighbours(vectors, names, ["w0"], k=1, exclude=())["w0"][0][0] != "w0"


def test_nearest_neighbours_rejects_bad_input():
    v = np.eye(3)
    with pytest.raises(ValueError, match="one row per name, got shape \\(3, 3\\) for 2 names"):
        inspect.nearest_neighbours(v, ["a", "b"], ["a"])
    with pytest.raises(ValueError, match=r"queries must be among the names, got unknown \['z'\]"):
        inspect.nearest_neighbours(v, ["a", "b", "c"], ["z"])
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        inspect.nearest_neighbours(v, ["a", "b", "c"], ["a"], k=0)


def test_evaluation_still_exports_the_inspection_helpers():
    from mmtutor.evaluation import filter_frequency_responses, nearest_neighbours

    assert filter_frequency_responses is inspect.filter_frequency_responses
    assert nearest_neighbours is inspect.nearest_neighbours
    assert mmtutor.evaluation.receptive_fields is inspect.receptive_fields
    assert {"receptive_fields", "filter_frequency_responses", "nearest_neighbours"} <= set(
        mmtutor.evaluation.__all__
    )


def test_encoders_export_the_inspection_helpers():
    import mmtutor.encoders

    assert mmtutor.encoders.receptive_fields is inspect.receptive_fields
    assert {"receptive_fields", "filter_frequency_responses", "nearest_neighbours"} <= set(
        mmtutor.encoders.__all__
    )
