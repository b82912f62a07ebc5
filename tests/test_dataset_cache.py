"""The test suite's dataset cache (mmtutor.data.cache): a hit is the dataset a build gives,
off means built, and a failed build or write leaves no file behind."""

import os

import numpy as np
import pytest

from mmtutor.data import load_mmdigits
from mmtutor.data.cache import cached_dataset, dataset_cache_folder

SMALL = {"seed": 3, "examples_per_image": 1, "num_speakers": 2}


def _assert_same(a, b):
    assert a.params == b.params and a.speakers == b.speakers and repr(a) == repr(b)
    for name in ("train", "val", "test"):
        sa, sb = getattr(a, name), getattr(b, name)
        for part_a, part_b in ((sa.x, sb.x), (sa.meta, sb.meta), ({"y": sa.y}, {"y": sb.y})):
            assert list(part_a) == list(part_b)
            for key in part_a:
                assert part_a[key].dtype == part_b[key].dtype, key
                np.testing.assert_array_equal(part_a[key], part_b[key])


def test_a_hit_is_the_dataset_a_build_gives(tmp_path, monkeypatch):
    monkeypatch.setenv("MMTUTOR_DATASET_CACHE", "")
    built = load_mmdigits(**SMALL)
    monkeypatch.setenv("MMTUTOR_DATASET_CACHE", str(tmp_path))
    stored = load_mmdigits(**SMALL)  # a miss: built and stored
    assert len(list(tmp_path.glob("mmdigits-*.pickle"))) == 1
    loaded = load_mmdigits(**SMALL)  # a hit
    _assert_same(built, stored)
    _assert_same(built, loaded)
    # other arguments: another entry, another dataset
    other = load_mmdigits(**{**SMALL, "seed": 4})
    assert len(list(tmp_path.glob("mmdigits-*.pickle"))) == 2
    assert not np.array_equal(other.train.x["audio"][:3], loaded.train.x["audio"][:3])


def test_off_builds_every_time_and_stores_nothing(tmp_path, monkeypatch):
    # "off" (as for MMTUTOR_MODEL_CACHE) is no cache, not a folder named off
    monkeypatch.chdir(tmp_path)
    for value in ("off", "OFF", "0", "false", "no"):
        monkeypatch.setenv("MMTUTOR_DATASET_CACHE", value)
        assert dataset_cache_folder() is None, value
        assert cached_dataset("thing", {"a": 1}, lambda: "built") == "built"
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("MMTUTOR_DATASET_CACHE", "")
    assert dataset_cache_folder() is None
    calls = []
    for _ in range(2):
        assert cached_dataset("thing", {"a": 1}, lambda: calls.append(1) or "built") == "built"
    assert calls == [1, 1]
    monkeypatch.setenv("MMTUTOR_DATASET_CACHE", str(tmp_path))
    for _ in range(2):
        assert cached_dataset("thing", {"a": 1}, lambda: calls.append(1) or "built") == "built"
    assert calls == [1, 1, 1] and len(os.listdir(tmp_path)) == 1


def test_a_failed_build_or_write_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MMTUTOR_DATASET_CACHE", str(tmp_path))

    def fails():
        raise RuntimeError("no data")

    with pytest.raises(RuntimeError, match="no data"):
        cached_dataset("thing", {}, fails)
    with pytest.raises(AttributeError, match="local object"):  # a lambda cannot be pickled
        cached_dataset("thing", {}, lambda: lambda: None)
    assert os.listdir(tmp_path) == []


def test_bad_arguments_are_refused_before_the_cache_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("MMTUTOR_DATASET_CACHE", str(tmp_path))
    with pytest.raises(ValueError, match="num_speakers"):
        load_mmdigits(num_speakers=0)
    assert os.listdir(tmp_path) == []
