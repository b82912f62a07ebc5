"""The model cache of mmtutor.training: a hit gives the models a training gives, bit for
bit, and leaves the same random state behind."""

from dataclasses import replace

import numpy as np
import pytest

import mmtutor

mmtutor.setup(seed=0, verbose=False)

import keras  # noqa: E402

from mmtutor.data import load_mmdigits  # noqa: E402
from mmtutor.training import cache, unimodal_baselines  # noqa: E402


@pytest.fixture(scope="module")
def small():
    return load_mmdigits(seed=0, examples_per_image=1)


def _part(data, n, modalities=None):
    """The first ``n`` training examples of ``data`` (``n // 4`` of validation and test), with
    the inputs of ``modalities`` only (default: all): a cheaper training, the same mechanism."""

    def cut(split, m):
        x = {k: v[:m] for k, v in split.x.items() if modalities is None or k in modalities}
        return replace(split, x=x, y=split.y[:m], meta={k: v[:m] for k, v in split.meta.items()})

    return replace(data, train=cut(data.train, n), val=cut(data.val, n // 4),
                   test=cut(data.test, n // 4))  # fmt: skip


def _state_after(data, **options):
    results = unimodal_baselines(data, **options)
    return results, float(np.random.rand()), float(keras.random.uniform(()).numpy())


def test_a_hit_gives_the_trained_models_bit_for_bit(small, tmp_path, monkeypatch):
    monkeypatch.setenv("MMTUTOR_MODEL_CACHE", str(tmp_path))
    small = _part(small, 256)  # every modality, fewer examples
    trained, np_draw, keras_draw = _state_after(small, epochs=1, validate=False)
    entries = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1 and (entries[0] / "results.json").is_file()
    loaded, np_draw2, keras_draw2 = _state_after(small, epochs=1, validate=False)
    assert (np_draw, keras_draw) == (np_draw2, keras_draw2)  # same random state afterwards
    for m in trained:
        assert loaded[m].model is not trained[m].model  # really loaded, not the same object
        for a, b in zip(trained[m].model.get_weights(), loaded[m].model.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
        x = small.test.inputs([m])
        np.testing.assert_array_equal(
            trained[m].model.predict(x, verbose=0), loaded[m].model.predict(x, verbose=0)
        )
        np.testing.assert_array_equal(trained[m].test_predictions, loaded[m].test_predictions)
        assert (trained[m].test_accuracy, trained[m].history) == (
            loaded[m].test_accuracy, loaded[m].history
        )  # fmt: skip


def test_the_key_changes_with_the_data_and_the_options(small):
    key = cache.results_key("unimodal_baselines", small, epochs=1, seed=0)
    assert key == cache.results_key("unimodal_baselines", small, epochs=1, seed=0)
    assert key != cache.results_key("unimodal_baselines", small, epochs=2, seed=0)
    assert key != cache.results_key("unimodal_baselines", small, epochs=1, seed=1)
    other = load_mmdigits(seed=1, examples_per_image=1)
    assert key != cache.results_key("unimodal_baselines", other, epochs=1, seed=0)


def test_off_trains_and_stores_nothing(small, tmp_path, monkeypatch):
    monkeypatch.setenv("MMTUTOR_MODEL_CACHE", "off")
    assert cache.cache_folder() is None
    assert cache.load_results("anything") is None
    results = unimodal_baselines(_part(small, 256, ["image"]), epochs=1, validate=False,
                                 kinds={"image": "cnn"})  # fmt: skip
    cache.save_results("anything", results)  # a no-op
    assert not list(tmp_path.iterdir())


def test_a_call_waits_for_a_training_of_its_key_and_loads_it(small, tmp_path, monkeypatch):
    """While another process trains a key (its lock held), ``unimodal_baselines`` waits; once
    that training is stored, the waiting call loads it and trains nothing itself."""
    import shutil
    import threading

    from mmtutor.training import compare

    small = _part(small, 128, ["image"])
    options = {"epochs": 1, "validate": False, "kinds": {"image": "cnn"}}
    monkeypatch.setenv("MMTUTOR_MODEL_CACHE", str(tmp_path / "first"))
    trained = unimodal_baselines(small, **options)  # what "the other process" stores
    (stored,) = [p for p in (tmp_path / "first").iterdir() if not p.name.startswith(".")]

    monkeypatch.setenv("MMTUTOR_MODEL_CACHE", str(tmp_path / "second"))

    def no_training(*args, **kwargs):
        raise AssertionError("trained although another process was training the same key")

    monkeypatch.setattr(compare, "compare_encoders", no_training)
    outcome = {}

    def waiting_call():
        try:
            outcome["results"] = unimodal_baselines(small, **options)
        except BaseException as error:  # reported by the assertions below
            outcome["error"] = error

    with cache.training_lock(stored.name):  # "the other process" is training this key
        waiter = threading.Thread(target=waiting_call)
        waiter.start()
        waiter.join(timeout=2.0)
        assert waiter.is_alive() and not outcome, "did not wait for the training in progress"
        shutil.copytree(stored, tmp_path / "second" / stored.name)  # its save
    waiter.join(timeout=120)
    assert not waiter.is_alive() and "error" not in outcome, outcome.get("error")
    loaded = outcome["results"]["image"]
    assert loaded.model is not trained["image"].model
    for a, b in zip(trained["image"].model.get_weights(), loaded.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
