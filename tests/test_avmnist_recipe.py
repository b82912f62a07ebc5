"""Issue 17's real-data recipe: the encoders for 28x28 images and 1-s recordings
(``cnn_flat``, ``mel_cnn_bn``), SpecAugment masking, the size-dependent default kind, and
the promise that MM-Digits' encoders are unchanged (notebooks 02-14 are stored with their
outputs)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from copy_check import exec_copy

import mmtutor

mmtutor.setup(seed=0, verbose=False)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from mmtutor.data import load_mmdigits  # noqa: E402
from mmtutor.encoders import (  # noqa: E402
    KINDS,
    REAL_AUDIO_KINDS,
    REAL_IMAGE_KINDS,
    build_audio_encoder,
    build_encoder,
    build_image_encoder,
    default_kind,
)
from mmtutor.models import build_unimodal  # noqa: E402
from mmtutor.preprocessing import LogMelSpectrogram, SpecAugment  # noqa: E402

REFERENCE = Path(__file__).parent / "data" / "mmdigits_encoders_before_issue17.json"
RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(size=(4, 28, 28, 1)).astype("float32")
CLIPS = (RNG.normal(size=(4, 8000)) * 0.1).astype("float32")
AVMNIST_LIKE = SimpleNamespace(x={"image": IMAGES, "audio": CLIPS})


@pytest.fixture(scope="module")
def mmdigits():
    return load_mmdigits(seed=0)


# ------------------------------------------------------------------ MM-Digits unchanged
@pytest.mark.parametrize(
    ("modality", "kind"),
    [("image", None), ("image", "cnn"), ("image", "resnet"), ("audio", None),
     ("audio", "mel_cnn"), ("audio", "wave_cnn")],
)  # fmt: skip
def test_mmdigits_encoders_are_the_ones_before_issue_17(mmdigits, modality, kind):
    """Built from a fixed seed, every MM-Digits encoder has the layers, the weights (in
    creation order) and the outputs recorded with the code before the real-data recipe
    was added (commit 0ad18ca): notebooks 02-14 depend on it."""
    reference = json.loads(REFERENCE.read_text())[f"{modality}/{kind or KINDS[modality][0]}"]
    keras.utils.set_random_seed(0)
    encoder = build_encoder(modality, mmdigits.train, kind=kind)
    assert [type(layer).__name__ for layer in encoder.layers] == reference["layers"]
    assert len(encoder.weights) == len(reference["weights"])
    for weight, (shape, total, squares) in zip(encoder.weights, reference["weights"], strict=True):
        values = np.asarray(weight, dtype=np.float64)
        assert list(values.shape) == shape, weight.path
        assert values.sum() == pytest.approx(total, rel=1e-6, abs=1e-9), weight.path
        assert (values**2).sum() == pytest.approx(squares, rel=1e-6, abs=1e-9), weight.path
    out = np.asarray(encoder(mmdigits.test.x[modality][:8], training=False), dtype=np.float64)
    assert out.sum() == pytest.approx(reference["output_sum"], rel=1e-5)
    assert (out**2).sum() == pytest.approx(reference["output_sq"], rel=1e-5)


def test_default_kind_follows_the_input_size(mmdigits):
    assert [default_kind(m, mmdigits.train) for m in ("image", "audio", "text")] == [
        "cnn", "mel_cnn", "bag"
    ]  # fmt: skip
    assert default_kind("image", AVMNIST_LIKE) == "cnn_flat"
    assert default_kind("audio", AVMNIST_LIKE) == "mel_cnn_bn"
    half_second = SimpleNamespace(x={"audio": CLIPS[:, :4000], "image": IMAGES[:, :15, :15]})
    assert default_kind("audio", half_second) == "mel_cnn"
    assert default_kind("image", half_second) == "cnn"
    assert build_encoder("image", AVMNIST_LIKE).get_layer("flatten") is not None
    assert build_encoder("audio", AVMNIST_LIKE).get_layer("spec_augment") is not None
    with pytest.raises(ValueError, match=r"modality must be one of \['image', 'text', 'audio'\]"):
        default_kind("video")


def test_the_real_data_kinds_are_kept_apart_from_the_mmdigits_comparisons():
    """Notebooks 02 and 04 compare IMAGE_KINDS and AUDIO_KINDS: the new kinds are not in
    them (their stored tables would change), but KINDS accepts them."""
    from mmtutor.encoders import AUDIO_KINDS, IMAGE_KINDS

    assert IMAGE_KINDS == ("cnn", "resnet") and AUDIO_KINDS == ("mel_cnn", "wave_cnn")
    assert KINDS["image"] == IMAGE_KINDS + REAL_IMAGE_KINDS
    assert KINDS["audio"] == AUDIO_KINDS + REAL_AUDIO_KINDS


# ------------------------------------------------------------------ cnn_flat
def test_cnn_flat_keeps_where_a_feature_is():
    """A blob moved by 8 pixels (the grid of two 2x2 poolings and more, away from the
    borders): the series' 8x8 encoder averages its feature maps over positions and gives the
    same embedding for both places; ``cnn_flat`` flattens the map and tells them apart."""
    here = np.zeros((1, 28, 28, 1), "float32")
    here[0, 10:16, 8:14] = 1.0
    there = np.roll(here, 8, axis=2)
    keras.utils.set_random_seed(0)
    averaged = build_image_encoder("cnn", image_shape=(28, 28, 1))
    np.testing.assert_allclose(np.asarray(averaged(here)), np.asarray(averaged(there)),
                               rtol=1e-5, atol=1e-6)  # fmt: skip
    flat = build_image_encoder("cnn_flat", embedding_dim=16, image_shape=(28, 28, 1))
    assert flat.output_shape == (None, 16)
    features = keras.Model(flat.inputs[0], flat.get_layer("flatten").output)
    assert features.output_shape == (None, 3 * 3 * 64)
    a, b = np.asarray(features(here)), np.asarray(features(there))
    assert np.abs(a - b).max() > 0.1 * np.abs(a).max()


def test_cnn_flat_rejects_small_images_and_resnet_options():
    with pytest.raises(ValueError, match=r"kind='cnn_flat' pools 3 times: .* at least 8x8"):
        build_image_encoder("cnn_flat", image_shape=(6, 6, 1))
    with pytest.raises(ValueError, match="num_blocks and batch_norm apply to kind='resnet' only"):
        build_image_encoder("cnn_flat", batch_norm=False, image_shape=(28, 28, 1))
    with pytest.raises(ValueError, match=r"one of \['cnn', 'resnet'\], got 'vit' .*'cnn_flat'"):
        build_image_encoder("vit")


# ------------------------------------------------------------------ mel_cnn_bn
def test_mel_cnn_bn_pools_time_by_mean_and_max():
    """The embedding's input is [mean over time; max over time] of the last conv map,
    checked against NumPy on the model's own intermediate output."""
    keras.utils.set_random_seed(0)
    encoder = build_audio_encoder("mel_cnn_bn", embedding_dim=8, num_samples=8000)
    frames = keras.Model(encoder.inputs[0], encoder.get_layer("frames").output)
    pooled = keras.Model(encoder.inputs[0], encoder.get_layer("mean_and_max").output)
    f = np.asarray(frames(CLIPS, training=False))
    expected = np.concatenate([f.mean(axis=1), f.max(axis=1)], axis=1)
    np.testing.assert_allclose(np.asarray(pooled(CLIPS, training=False)), expected, rtol=1e-5,
                               atol=1e-6)  # fmt: skip
    assert f.shape == (4, 7, 4 * 64)  # 61 frames and 32 mel bins, pooled 3 times; 64 filters


def test_mel_cnn_bn_masks_only_in_training_and_can_go_without():
    keras.utils.set_random_seed(0)
    encoder = build_audio_encoder("mel_cnn_bn", num_samples=8000)
    assert isinstance(encoder.get_layer("spec_augment"), SpecAugment)
    np.testing.assert_allclose(encoder.predict(CLIPS, verbose=0), encoder.predict(CLIPS, verbose=0))
    plain = build_audio_encoder("mel_cnn_bn", num_samples=8000, spec_augment=None)
    assert not any(isinstance(layer, SpecAugment) for layer in plain.layers)
    with pytest.raises(ValueError, match=r"spec_augment must be None or \(max_frames, max_bins\)"):
        build_audio_encoder("mel_cnn_bn", num_samples=8000, spec_augment=(8,))
    with pytest.raises(ValueError, match=r"'mel_cnn_bn' needs num_samples >= 1152, got 1000"):
        build_audio_encoder("mel_cnn_bn", num_samples=1000)
    with pytest.raises(
        ValueError, match=r"one of \['mel_cnn', 'wave_cnn'\], got 'lstm' .*mel_cnn_bn"
    ):
        build_audio_encoder("lstm")


def test_mel_cnn_bn_body_takes_the_ablations_one_factor_each():
    """``mel_cnn_bn``'s arguments change one thing each: the front end's resolution, the
    widths, the masks, and the time pooling (the mean alone, checked against NumPy)."""
    from mmtutor.encoders.audio import mel_cnn_bn

    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(8000,), name="audio")
    front = LogMelSpectrogram(frame_step=64, num_mel_bins=64, name="log_mel")
    encoder = keras.Model(inputs, mel_cnn_bn(inputs, 8, spec_augment=None, widths=(6, 12),
                                             time_pooling="mean", frontend=front))  # fmt: skip
    frames = keras.Model(inputs, encoder.get_layer("frames").output)
    f = np.asarray(frames(CLIPS, training=False))
    assert f.shape == (4, 122 // 4, (64 // 4) * 12)  # 122 frames x 64 bins, pooled twice
    assert not any(isinstance(layer, SpecAugment) for layer in encoder.layers)
    assert not any(isinstance(layer, layers.GlobalMaxPooling1D) for layer in encoder.layers)
    (mean,) = [
        layer for layer in encoder.layers if isinstance(layer, layers.GlobalAveragePooling1D)
    ]
    pooled = keras.Model(inputs, mean.output)(CLIPS, training=False)
    np.testing.assert_allclose(np.asarray(pooled), f.mean(axis=1), rtol=1e-5, atol=1e-6)
    with pytest.raises(
        ValueError, match="time_pooling must be 'mean_and_max' or 'mean', got 'max'"
    ):
        mel_cnn_bn(keras.Input(shape=(8000,)), time_pooling="max")
    with pytest.raises(ValueError, match=r"widths must be .* positive integers, got \(16, 0\)"):
        mel_cnn_bn(keras.Input(shape=(8000,)), widths=(16, 0))


# ------------------------------------------------------------------ both: Keras idioms
@pytest.mark.parametrize("modality", ["image", "audio"])
def test_real_data_encoders_save_load_and_train(modality, tmp_path):
    keras.utils.set_random_seed(0)
    model = build_unimodal(build_encoder(modality, AVMNIST_LIKE, embedding_dim=8))
    x = {modality: AVMNIST_LIKE.x[modality]}
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(model.predict(x, verbose=0), loaded.predict(x, verbose=0), atol=1e-5)
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
            np.arange(4), logits, from_logits=True))  # fmt: skip
    grads = tape.gradient(loss, model.trainable_weights)
    dead = [w.path for w, g in zip(model.trainable_weights, grads, strict=True)
            if g is None or not float(tf.reduce_sum(tf.abs(g))) > 0]  # fmt: skip
    assert grads and not dead, f"no gradient reaches {dead}"


# ------------------------------------------------------------------ SpecAugment
def _blocks(row_masked: np.ndarray) -> list[int]:
    """Lengths of the runs of True in a boolean vector."""
    runs, n = [], 0
    for value in list(row_masked) + [False]:
        if value:
            n += 1
        elif n:
            runs.append(n)
            n = 0
    return runs


def test_spec_augment_masks_one_block_of_each_per_example():
    """Brute force over 2,000 examples: at most one run of whole masked frames and one of
    whole masked bins per example, each no wider than its maximum, every other value kept,
    and the widths spread over 0..max (uniform: each width about 1/(max + 1) of the time)."""
    spec = np.random.default_rng(1).uniform(1, 2, size=(2000, 30, 12)).astype("float32")
    out = np.asarray(SpecAugment(max_time=6, max_freq=3, seed=3)(spec, training=True))
    time_masked = (out == 0).all(axis=2)
    freq_masked = (out == 0).all(axis=1)
    widths = []
    for k in range(len(spec)):
        t_runs, f_runs = _blocks(time_masked[k]), _blocks(freq_masked[k])
        assert len(t_runs) <= 1 and len(f_runs) <= 1, (k, t_runs, f_runs)
        assert sum(t_runs) <= 6 and sum(f_runs) <= 3
        keep = ~time_masked[k][:, None] & ~freq_masked[k][None, :]
        np.testing.assert_array_equal(out[k][keep], spec[k][keep])
        assert np.all(out[k][~keep] == 0)
        widths.append(sum(t_runs))
    counts = np.bincount(widths, minlength=7) / len(widths)
    np.testing.assert_allclose(counts, np.full(7, 1 / 7), atol=0.03)


def test_spec_augment_is_the_identity_at_inference_and_reproducible():
    spec = np.random.default_rng(2).normal(size=(3, 20, 8)).astype("float32")
    layer = SpecAugment(max_time=5, max_freq=2, seed=7)
    np.testing.assert_array_equal(np.asarray(layer(spec)), spec)
    first = np.asarray(SpecAugment(max_time=5, max_freq=2, seed=7)(spec, training=True))
    again = np.asarray(SpecAugment(max_time=5, max_freq=2, seed=7)(spec, training=True))
    np.testing.assert_array_equal(first, again)
    assert np.asarray(SpecAugment(0, 0)(spec, training=True)).tolist() == spec.tolist()


def test_spec_augment_config_and_errors(tmp_path):
    inputs = keras.Input(shape=(8000,))
    x = SpecAugment(max_time=4, max_freq=2, time_masks=2, seed=1)(LogMelSpectrogram()(inputs))
    model = keras.Model(inputs, layers.GlobalAveragePooling1D()(x))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras").layers[2]
    assert (loaded.max_time, loaded.max_freq, loaded.time_masks, loaded.seed) == (4, 2, 2, 1)
    with pytest.raises(ValueError, match="max_time must be an integer >= 0, got -1"):
        SpecAugment(max_time=-1)
    with pytest.raises(ValueError, match=r"rank 3 \(batch, frames, bins\), got shape \(2, 5\)"):
        SpecAugment()(np.zeros((2, 5), "float32"))


def test_spec_augment_source_runs_when_copied_with_plain_imports():
    """What ``mmtutor.show_source(SpecAugment)`` prints runs with only keras, layers and
    numpy imported, and masks exactly as the package's layer (same seed)."""
    source = inspect.getsource(SpecAugment)
    namespace = {"keras": keras, "layers": layers, "np": np}
    exec_copy(source, namespace, "<copy of SpecAugment>")
    spec = np.random.default_rng(4).uniform(1, 2, size=(5, 20, 8)).astype("float32")
    copy = namespace["SpecAugment"](max_time=5, max_freq=2, seed=11)
    np.testing.assert_array_equal(
        np.asarray(copy(spec, training=True)),
        np.asarray(SpecAugment(max_time=5, max_freq=2, seed=11)(spec, training=True)),
    )
