import hashlib

import numpy as np
import pytest

from mmtutor.data import (
    DIGIT_ATTRIBUTES,
    grouped_split,
    load_mmdigits,
    make_caption,
)
from mmtutor.data.mmdigits import load_source_digits
from mmtutor.data.speech import add_noise_at_snr, make_speakers, synthesize_digits


@pytest.fixture(scope="module")
def data():
    return load_mmdigits(seed=0)


def test_shapes_dtypes_and_ranges(data):
    n = sum(len(s) for s in (data.train, data.val, data.test))
    assert n == 1797 * 2
    for split in (data.train, data.val, data.test):
        assert (
            split.x["image"].shape == (len(split), 8, 8, 1) and split.x["image"].dtype == np.float32
        )
        assert split.x["audio"].shape == (len(split), 4000) and split.x["audio"].dtype == np.float32
        assert split.x["text"].shape == (len(split),) and isinstance(split.x["text"][0], str)
        assert split.y.dtype == np.int32 and set(np.unique(split.y)) == set(range(10))
        assert 0.0 <= split.x["image"].min() and split.x["image"].max() <= 1.0
        assert np.abs(split.x["audio"]).max() <= 0.9 + 1e-6
        assert not np.isnan(split.x["audio"]).any()


def test_same_seed_identical_other_seed_different(data, monkeypatch):
    # built here, never read from the test suite's dataset cache (the fixture may be)
    monkeypatch.setenv("MMTUTOR_DATASET_CACHE", "")
    again = load_mmdigits(seed=0)
    for m in ("image", "audio", "text"):
        np.testing.assert_array_equal(data.train.x[m], again.train.x[m])
    np.testing.assert_array_equal(data.test.y, again.test.y)
    other = load_mmdigits(seed=1)
    assert not np.array_equal(data.train.x["audio"][:5], other.train.x["audio"][:5])


def test_no_source_image_in_two_splits(data):
    sets = [set(s.meta["source_image"]) for s in (data.train, data.val, data.test)]
    assert not (sets[0] & sets[1]) and not (sets[0] & sets[2]) and not (sets[1] & sets[2])
    fractions = np.array([len(s) for s in sets]) / 1797
    np.testing.assert_allclose(fractions, [0.7, 0.15, 0.15], atol=0.01)


def test_labels_match_the_source_images(data):
    _, labels = load_source_digits()
    for split in (data.train, data.val, data.test):
        np.testing.assert_array_equal(labels[split.meta["source_image"]], split.y)


def test_clean_images_are_the_scikit_learn_digits():
    from sklearn.datasets import load_digits

    clean = load_mmdigits(seed=0, image_noise=0.0)
    reference = load_digits().images / 16.0
    got = clean.train.x["image"][..., 0]
    want = reference[clean.train.meta["source_image"]]
    np.testing.assert_allclose(got, want, atol=1e-6)  # image_noise=0: no occluder, no noise


def test_captions_state_only_true_attributes_and_never_the_digit(data):
    from mmtutor.data.mmdigits import _EMPTY, _OPENERS

    for text, y in zip(data.train.x["text"][:800], data.train.y[:800], strict=True):
        rest = text
        for attribute, values in DIGIT_ATTRIBUTES.items():
            for phrase in set(values):
                if phrase in text:
                    assert phrase == DIGIT_ATTRIBUTES[attribute][y], (text, y)
                    rest = rest.replace(phrase, "")
        for filler in (*_OPENERS, *_EMPTY, "and"):
            rest = rest.replace(filler, "")
        assert rest.strip() == "", f"caption {text!r} has words beyond its attribute phrases"


def test_caption_informativeness_zero_gives_empty_captions():
    d = load_mmdigits(seed=0, caption_informativeness=0.0, examples_per_image=1)
    assert (d.train.meta["n_attributes"] == 0).all()
    assert not any(p in t for t in d.train.x["text"] for v in DIGIT_ATTRIBUTES.values() for p in v)


def test_make_caption_counts_attributes():
    rng = np.random.default_rng(0)
    caption = make_caption(7, 3, rng)
    assert caption.count(" and ") == 2
    with pytest.raises(ValueError, match=r"n_attributes must be in \[0, 5\]"):
        make_caption(7, 6, rng)
    with pytest.raises(ValueError, match=r"digit must be in \[0, 9\]"):
        make_caption(10, 1, rng)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("examples_per_image", 0, r"examples_per_image must be an integer in \[1, 10\], got 0"),
        ("examples_per_image", 2.5, r"examples_per_image must be an integer in \[1, 10\], got 2.5"),
        ("image_noise", 1.5, r"image_noise must be a number in \[0.0, 1.0\], got 1.5"),
        ("audio_snr_db", -30, r"audio_snr_db must be a number in \[-20.0, 40.0\], got -30"),
        (
            "caption_informativeness",
            -0.1,
            r"caption_informativeness must be a number in \[0.0, 1.0\]",
        ),
        ("num_speakers", 0, r"num_speakers must be an integer in \[1, 100\], got 0"),
        ("seed", -1, r"seed must be a non-negative integer, got -1"),
        ("fractions", (0.5, 0.5, 0.5), r"fractions must be three positive numbers summing to 1"),
    ],
)
def test_bad_parameters_name_the_parameter_and_range(name, value, message):
    with pytest.raises(ValueError, match=message):
        load_mmdigits(**{name: value})


def test_examples_per_image_scales_the_size():
    d = load_mmdigits(seed=0, examples_per_image=1)
    assert len(d.train) + len(d.val) + len(d.test) == 1797


def test_grouped_split_keeps_groups_whole_and_rejects_bad_input():
    labels = np.repeat(np.arange(5), 40)
    groups = np.arange(200) // 4
    parts = grouped_split(labels, groups, (0.6, 0.2, 0.2), seed=1)
    assert sorted(np.concatenate(parts).tolist()) == list(range(200))
    owners = [set(groups[p]) for p in parts]
    assert not (owners[0] & owners[1] or owners[0] & owners[2] or owners[1] & owners[2])
    with pytest.raises(ValueError, match="must be 1-D arrays of one length"):
        grouped_split(labels, groups[:10])
    with pytest.raises(ValueError, match="fractions must be three positive numbers"):
        grouped_split(labels, groups, (0.9, 0.1))


def test_mmdigits_split_is_unchanged(data):
    # The notebooks' stored outputs depend on this split: these are the source images of
    # each split of load_mmdigits(seed=0) as the package made them before grouped_split
    # gained its seed-generator and stratify options (recorded from that version).
    sources = [
        np.asarray(s.meta["source_image"], np.int64) for s in (data.train, data.val, data.test)
    ]
    assert [len(s) for s in sources] == [2516, 540, 538]
    assert sources[1][:5].tolist() == [7, 7, 13, 13, 18] and sources[2][:5].tolist() == [
        2,
        2,
        39,
        39,
        40,
    ]
    digest = hashlib.sha256(b"".join(s.tobytes() for s in sources)).hexdigest()
    assert digest == "c656794dc34e44a5905ce8832e03d47147e77ee8dbd507d3edfe21300ad5bfe1"


def test_grouped_split_stratifies_by_each_groups_first_label():
    # 40 single-class groups of each of 2 classes: every split gets its share of each class
    labels = np.repeat([0, 1], 80)
    groups = np.arange(160) // 2
    parts = grouped_split(labels, groups, (0.5, 0.25, 0.25), seed=0)
    assert [np.bincount(labels[p]).tolist() for p in parts] == [[40, 40], [20, 20], [20, 20]]


def test_grouped_split_without_stratification_splits_mixed_groups_by_count():
    # 12 speakers who each say every digit; speaker s starts with digit s % 10. Stratified
    # by that first digit, digits 2-9 are strata of one speaker (round(0.6) = round(0.8) =
    # 1: training) and digits 0 and 1 strata of two (round(1.2) = 1, round(1.6) = 2: one
    # training, one validation): 10 / 2 / 0 speakers, no test set.
    speakers = np.repeat(np.arange(12), 10)
    labels = (np.arange(120) + speakers) % 10
    by_first = grouped_split(labels, speakers, (0.6, 0.2, 0.2), seed=0)
    assert [len(set(speakers[p])) for p in by_first] == [10, 2, 0]
    plain = grouped_split(labels, speakers, (0.6, 0.2, 0.2), seed=0, stratify=False)
    owners = [set(speakers[p]) for p in plain]
    assert [len(o) for o in owners] == [7, 3, 2]  # round(7.2) = 7, round(9.6) = 10
    assert not (owners[0] & owners[1] or owners[0] & owners[2] or owners[1] & owners[2])


def test_grouped_split_draws_from_a_given_generator():
    labels, groups = np.repeat(np.arange(3), 20), np.arange(60)
    rng = np.random.default_rng(5)
    first = grouped_split(labels, groups, seed=rng)
    second = grouped_split(labels, groups, seed=rng)  # the generator has moved on
    same_seed = grouped_split(labels, groups, seed=5)
    for a, b in zip(first, same_seed, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_split_inputs_and_dataset(data):
    assert list(data.test.inputs(["audio"])) == ["audio"]
    with pytest.raises(
        ValueError,
        match=r"modalities must be a non-empty subset of \['image', 'audio', 'text'\], "
        r"got \['video'\]",
    ):
        data.test.inputs(["video"])
    ds = data.test.as_dataset(batch_size=32, modalities=["image", "text"])
    x, y = next(iter(ds))
    assert set(x) == {"image", "text"} and x["image"].shape == (32, 8, 8, 1) and y.shape == (32,)
    assert x["text"].dtype.name == "string"
    first = [b[1].numpy() for b in data.test.as_dataset(shuffle=True, seed=4)]
    again = [b[1].numpy() for b in data.test.as_dataset(shuffle=True, seed=4)]
    np.testing.assert_array_equal(np.concatenate(first), np.concatenate(again))
    assert sorted(np.concatenate(first).tolist()) == sorted(data.test.y.tolist())
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        data.test.as_dataset(batch_size=0)


def test_repr_names_the_sizes(data):
    assert repr(data).startswith(f"MMDigits(train={len(data.train)}, val={len(data.val)}")


def test_split_set_describes_any_dataset_of_the_series(data):
    from mmtutor.data import SplitSet

    assert isinstance(data, SplitSet)
    two = SplitSet(data.train, data.val, data.test, 8000, data.class_names, {})
    assert repr(two) == (
        f"SplitSet(train={len(data.train)}, val={len(data.val)}, test={len(data.test)}, "
        "modalities=['image', 'audio', 'text'], sample_rate=8000)"
    )


def test_synthesizer_is_deterministic_unit_rms_and_digit_specific():
    rng = np.random.default_rng(0)
    speakers = make_speakers(3, rng)
    digits = np.arange(10)
    a = synthesize_digits(digits, speakers, np.zeros(10, int), np.random.default_rng(1))
    b = synthesize_digits(digits, speakers, np.zeros(10, int), np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (10, 4000)
    np.testing.assert_allclose(np.sqrt((a**2).mean(axis=1)), 1.0, rtol=1e-4)
    # different digits give clearly different long-term spectra
    spectra = np.abs(np.fft.rfft(a, axis=1))
    corr = np.corrcoef(spectra)
    assert corr[np.triu_indices(10, 1)].max() < 0.95


@pytest.mark.parametrize("snr_db", [20.0, 0.0, -10.0])
def test_add_noise_reaches_the_asked_snr(snr_db):
    rng = np.random.default_rng(0)
    clean = synthesize_digits(np.full(50, 3), make_speakers(2, rng), np.zeros(50, int), rng)
    mixed = add_noise_at_snr(clean, np.full(50, snr_db), rng)
    assert np.allclose(np.abs(mixed).max(axis=1), 0.9, atol=1e-5)
    # correlation of clean and clean+noise is sqrt(Ps / (Ps + Pn)) = 1/sqrt(1 + 10^(-snr/10))
    corr = np.array([np.corrcoef(c, m)[0, 1] for c, m in zip(clean, mixed, strict=True)])
    np.testing.assert_allclose(corr.mean(), 1 / np.sqrt(1 + 10 ** (-snr_db / 10)), atol=0.02)
