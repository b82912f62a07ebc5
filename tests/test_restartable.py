"""Restartable: one compiled model trained once per seed must give, bit for bit, what a new
model per run gives, in itself and inside every comparison helper that uses it."""

import inspect
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from keras import layers

import mmtutor

mmtutor.setup(seed=0, verbose=False)

from copy_check import exec_copy  # noqa: E402

from mmtutor import transfer  # noqa: E402
from mmtutor.data.mmdigits import Split  # noqa: E402
from mmtutor.encoders import build_vector_encoder  # noqa: E402
from mmtutor.training import (  # noqa: E402
    Restartable,
    compare_models,
    compile_classifier,
    train_and_evaluate,
)


def toy(n=160, seed=0, classes=4):
    """Two vector modalities; "a" says the class, "b" is noise."""
    rng = np.random.default_rng(seed)

    def split(m):
        y = rng.integers(0, classes, m).astype("int32")
        a = np.eye(classes)[y] * 2 + rng.normal(size=(m, classes))
        return Split(x={"a": a.astype("float32"), "b": rng.normal(size=(m, 3)).astype("float32")},
                     y=y, meta={})  # fmt: skip

    return SimpleNamespace(train=split(n), val=split(n // 4), test=split(n // 4))


def build():
    """Dropout (a random-generator state) and batch normalisation (non-trainable weights):
    every kind of variable a restart must copy."""
    a = keras.Input((4,), name="a")
    h = layers.Dense(16, activation="relu")(a)
    h = layers.BatchNormalization()(h)
    h = layers.Dropout(0.3)(h)
    return keras.Model(a, layers.Dense(4)(h))


def values(variables):
    return [np.array(v) for v in variables]


def assert_same(left, right):
    assert len(left) == len(right)
    for x, y in zip(left, right, strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_restarted_runs_equal_a_new_model_per_seed_bit_for_bit():
    d = toy()
    fresh = {}
    for seed in (0, 1):
        mmtutor.setup(seed=seed, verbose=False)
        model = compile_classifier(build(), 0.01)
        model.fit(d.train.x["a"], d.train.y, epochs=3, batch_size=32, verbose=0)
        fresh[seed] = (values(model.variables), values(model.optimizer.variables))

    runner = Restartable(build, lambda m: compile_classifier(m, 0.01))
    kept = {}
    for seed in (0, 1):
        runner.start(seed).fit(d.train.x["a"], d.train.y, epochs=3, batch_size=32, verbose=0)
        kept[seed] = runner.keep()
    for seed, model in kept.items():  # read after every run: a later run overwrites nothing
        assert_same(values(model.variables), fresh[seed][0])
        assert_same(values(model.optimizer.variables), fresh[seed][1])
    # seed 1 restarts the model seed 0 trained; two kept models + the compiled one: 3 objects
    assert len({id(m) for m in kept.values()} | {id(runner.model)}) == 3
    assert not np.array_equal(np.array(kept[0].weights[0]), np.array(kept[1].weights[0]))


def test_restartable_rejects_what_it_cannot_restart():
    with pytest.raises(TypeError, match="two functions, build"):
        Restartable("build", compile_classifier)
    runner = Restartable(build, compile_classifier)
    with pytest.raises(RuntimeError, match="call start"):
        runner.keep()
    widths = iter([16, 8])

    def changing():
        a = keras.Input((4,), name="a")
        return keras.Model(a, layers.Dense(next(widths))(a))

    other = Restartable(changing, compile_classifier)
    with pytest.raises(ValueError, match="cannot restart.*same architecture"):
        other.start(0)


def test_compare_models_with_seeds_equals_one_new_model_per_seed():
    d = toy()
    _, together = compare_models({"m": build}, d, epochs=2, seeds=(0, 1), batch_size=32)
    for seed, run in zip((0, 1), together["m"].runs, strict=True):
        mmtutor.setup(seed=seed, verbose=False)
        alone = train_and_evaluate(build(), d, epochs=2, batch_size=32)
        assert run.history == alone.history and run.test_loss == alone.test_loss
        np.testing.assert_array_equal(run.test_predictions, alone.test_predictions)
        assert_same(values(run.model.variables), values(alone.model.variables))


def test_compare_multitask_and_students_with_seeds_equal_one_run_per_seed():
    d = toy()
    sets = {"both": {"digit": 1.0, "parity": 0.5}}

    def encoders():
        return [build_vector_encoder(4, "a", hidden_units=8)]

    def targets(split):
        return {"digit": split.y, "parity": split.y % 2}

    options = {"epochs": 3, "batch_size": 32}
    together = transfer.compare_multitask(encoders, d, sets, {"digit": 4, "parity": 2}, targets,
                                          seeds=(0, 1), **options)[1]["both"]  # fmt: skip
    alone = transfer.compare_multitask(encoders, d, sets, {"digit": 4, "parity": 2}, targets,
                                       seeds=1, **options)[1]["both"]  # fmt: skip
    assert together.runs[1].history == alone.history
    assert_same(values(together.runs[1].model.variables), values(alone.model.variables))

    teacher = {"teacher_logits": (np.eye(4)[d.train.y] * 3).astype("float32"), "alpha": 0.3}
    together = transfer.compare_students(build, d, {"kd": teacher}, seeds=(0, 1), **options)[1]
    alone = transfer.compare_students(build, d, {"kd": teacher}, seeds=1, **options)[1]
    assert together["kd"].runs[1].history == alone["kd"].history
    assert_same(values(together["kd"].runs[1].model.variables), values(alone["kd"].model.variables))


def test_label_budgets_share_one_traced_model_and_equal_new_models():
    d = toy(200)
    _, results = transfer.compare_label_budgets({"m": build}, d, (0.1, 1.0),
                                                epochs={0.1: 4, 1.0: 2}, learning_rates={"m": 0.01},
                                                batch_size=32, validate=False)  # fmt: skip
    for fraction, epochs in ((0.1, 4), (1.0, 2)):
        mmtutor.setup(seed=0, verbose=False)
        alone = train_and_evaluate(build(), transfer.label_budget(d, fraction), epochs=epochs,
                                   batch_size=32, learning_rate=0.01, validate=False)  # fmt: skip
        run = results[fraction]["m"]
        assert run.history == alone.history
        np.testing.assert_array_equal(run.test_predictions, alone.test_predictions)


def test_shown_source_runs_when_copied_with_keras_and_numpy_only():
    namespace = exec_copy(inspect.getsource(Restartable), {"keras": keras, "np": np})
    d = toy()
    mmtutor.setup(seed=1, verbose=False)
    model = compile_classifier(build(), 0.01)
    model.fit(d.train.x["a"], d.train.y, epochs=2, batch_size=32, verbose=0)
    runner = namespace["Restartable"](build, lambda m: compile_classifier(m, 0.01))
    runner.start(1).fit(d.train.x["a"], d.train.y, epochs=2, batch_size=32, verbose=0)
    assert_same(values(runner.keep().variables), values(model.variables))


def test_runners_shared_between_calls_equal_new_models_and_never_mix_architectures():
    first, second = toy(seed=0), toy(seed=1)  # two datasets of one shape

    def dropout(rate):  # the rate is configuration, not a variable: another architecture
        def make():
            a = keras.Input((4,), name="a")
            return keras.Model(a, layers.Dense(4)(layers.Dropout(rate)(layers.Dense(8)(a))))

        return make

    options = {"epochs": 2, "batch_size": 32, "validate": False}
    runners = {}
    shared = [compare_models({"m": build, "d": dropout(rate)}, data, runners=runners, **options)[1]
              for data, rate in ((first, 0.1), (second, 0.5))]  # fmt: skip
    alone = [compare_models({"m": build, "d": dropout(rate)}, data, **options)[1]
             for data, rate in ((first, 0.1), (second, 0.5))]  # fmt: skip
    assert len(runners) == 3  # "m" once for both datasets, "d" once per dropout rate
    for got, expected in zip(shared, alone, strict=True):
        for name in ("m", "d"):
            assert got[name].history == expected[name].history
            assert_same(values(got[name].model.variables), values(expected[name].model.variables))


def test_compare_models_with_a_weight_average_equals_one_new_model_per_seed():
    # ema_momentum reaches the shared Restartable's optimizer: every seed's run equals a new
    # model compiled with the same average, and differs from a run without it
    d = toy()
    _, together = compare_models({"m": build}, d, epochs=2, seeds=(0, 1), batch_size=32,
                                 learning_rate=0.01, ema_momentum=0.9)  # fmt: skip
    for seed, run in zip((0, 1), together["m"].runs, strict=True):
        mmtutor.setup(seed=seed, verbose=False)
        alone = train_and_evaluate(build(), d, epochs=2, batch_size=32, learning_rate=0.01,
                                   ema_momentum=0.9)  # fmt: skip
        assert run.history == alone.history and run.test_loss == alone.test_loss
        assert_same(values(run.model.variables), values(alone.model.variables))
        assert_same(values(run.model.optimizer.variables), values(alone.model.optimizer.variables))
        mmtutor.setup(seed=seed, verbose=False)
        plain = train_and_evaluate(build(), d, epochs=2, batch_size=32, learning_rate=0.01)
        assert not np.array_equal(
            np.asarray(plain.model.weights[0]), np.asarray(run.model.weights[0])
        )
