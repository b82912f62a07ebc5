"""Training helpers: classical stacking, and the one vocabulary of the model builders."""

import inspect

import numpy as np
import pytest

import mmtutor

mmtutor.setup(seed=0, verbose=False)

from scipy.special import softmax  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from mmtutor import models  # noqa: E402
from mmtutor.data import make_interactions  # noqa: E402
from mmtutor.encoders import build_vector_encoder  # noqa: E402
from mmtutor.models import build_unimodal  # noqa: E402
from mmtutor.training import fit_stacking, train_and_evaluate  # noqa: E402


@pytest.fixture(scope="module")
def unimodal():
    data = make_interactions("uniqueness", n=600, seed=0)
    trained = {}
    for m in data.modalities:
        mmtutor.setup(seed=0, verbose=False)
        model = build_unimodal(build_vector_encoder(8, m, embedding_dim=8), num_classes=2)
        trained[m] = train_and_evaluate(model, data, epochs=2, validate=False).model
    return data, trained


def test_fit_stacking_fits_the_meta_classifier_on_held_out_predictions(unimodal):
    data, trained = unimodal
    stack = fit_stacking(trained, data)

    def features(split):
        return np.concatenate(
            [softmax(trained[m].predict({m: split.x[m]}, verbose=0), axis=-1) for m in trained], 1
        )

    by_hand = LogisticRegression(max_iter=1000).fit(features(data.val), data.val.y)
    np.testing.assert_array_equal(stack.predict(data.test.x), by_hand.predict(features(data.test)))
    assert stack.test_accuracy == np.mean(by_hand.predict(features(data.test)) == data.test.y)
    on_train = LogisticRegression(max_iter=1000).fit(features(data.train), data.train.y)
    np.testing.assert_allclose(stack.meta.coef_, by_hand.coef_)
    assert not np.allclose(stack.meta.coef_, on_train.coef_)  # not fitted on training data
    with pytest.raises(ValueError, match="2\\+ trained models"):
        fit_stacking({"m0": trained["m0"]}, data)


def test_every_builder_names_the_head_width_head_units():
    for builder in (models.build_unimodal, models.build_fusion_model, models.build_early_fusion,
                    models.fusion_builders):  # fmt: skip
        params = inspect.signature(builder).parameters
        assert "head_units" in params and "hidden" not in params and "head" not in params
    from mmtutor.training import compare_frozen_fusion

    params = inspect.signature(compare_frozen_fusion).parameters
    assert {"head_units", "fusion_options", "model_options"} <= set(params)
    assert "options" not in params


def test_fusion_options_and_model_options_are_dicts_everywhere():
    encs = lambda: [build_vector_encoder(4, "a"), build_vector_encoder(4, "b")]  # noqa: E731
    builders = models.fusion_builders(
        encs, methods=["low_rank", "late_mean"], fusion_options={"low_rank": {"rank": 1}},
        model_options={"modality_dropout": 0.2},
    )  # fmt: skip
    model = builders["low_rank"]()
    assert model.get_layer("fusion").rank == 1
    assert model.get_layer("modality_dropout").rate == 0.2
    assert builders["late_mean"]().get_layer("modality_dropout").rate == 0.2
    one = models.build_fusion_model(encs(), "low_rank", {"rank": 2, "units": 5}, head_units=3)
    assert one.get_layer("fusion").rank == 2 and one.get_layer("fusion").units == 5
    with pytest.raises(ValueError, match=r"fusion_options names unknown methods \['gate'\]"):
        models.fusion_builders(encs, methods=["concat"], fusion_options={"gate": {}})
    with pytest.raises(ValueError, match="head_units must be a non-negative integer, got -1"):
        models.build_fusion_model(encs(), head_units=-1)


def test_several_seeds_give_means_a_std_and_every_run(unimodal):
    from mmtutor.training import compare_models

    data, _ = unimodal
    builders = models.fusion_builders(
        lambda: [build_vector_encoder(8, m, embedding_dim=4) for m in data.modalities],
        methods=["concat", "late_mean"], head_units=4, num_classes=2,
    )  # fmt: skip
    table, results = compare_models(builders, data, epochs=1, seeds=[0, 1, 2], ablate=["m0"],
                                    validate=False)  # fmt: skip
    single, _ = compare_models(builders, data, epochs=1, seeds=1, validate=False)
    for name, result in results.items():
        accuracies = [r.test_accuracy for r in result.runs]
        assert len(result.runs) == 3 and result.runs[0] is result
        assert table.loc[name, "test accuracy"] == round(float(np.mean(accuracies)), 3)
        assert table.loc[name, "std"] == round(float(np.std(accuracies, ddof=1)), 3)
        assert single.loc[name, "test accuracy"] == round(accuracies[1], 3)  # seed 1 alone
        np.testing.assert_array_equal(  # predictions stored are the model's arg-max
            result.test_predictions,
            np.argmax(result.model.predict(data.test.inputs(data.modalities), verbose=0), -1),
        )
    assert "std" not in single.columns
    with pytest.raises(ValueError, match="seeds must be a non-negative integer or distinct"):
        compare_models(builders, data, seeds=[0, 0])


def test_compare_paired_says_beats_only_when_the_interval_excludes_zero():
    from types import SimpleNamespace

    from mmtutor.training import compare_paired

    y = np.arange(300) % 3
    good = [SimpleNamespace(test_predictions=y.copy()) for _ in range(3)]
    noisy = y.copy()
    noisy[::4] = (noisy[::4] + 1) % 3  # wrong on a quarter of the examples
    bad = [SimpleNamespace(test_predictions=noisy) for _ in range(3)]
    near = y.copy()
    near[0] = (near[0] + 1) % 3  # one example apart from perfect
    results = {
        "good": SimpleNamespace(runs=good),
        "bad": SimpleNamespace(runs=bad),
        "near": SimpleNamespace(runs=[SimpleNamespace(test_predictions=near)] * 3),
    }
    table = compare_paired(results, y, [("good", "bad"), ("bad", "good"), ("good", "near")])
    assert table.loc["good vs bad", "verdict"].startswith("good beats bad: +0.250")
    assert table.loc["bad vs good", "verdict"].startswith("bad loses to good")
    assert table.loc["good vs near", "verdict"].startswith("good ties with near")
    with pytest.raises(ValueError, match=r"no results for \['missing'\]"):
        compare_paired(results, y, [("good", "missing")])


def test_compare_encoders_trains_each_kind_once_per_seed_as_a_direct_run_would():
    """compare_encoders re-seeds each run: its first seed's accuracy is what a hand-built
    unimodal model trained after ``setup(seed=0)`` gets; a second seed adds a std column."""
    from mmtutor.data import load_mmdigits
    from mmtutor.encoders import build_encoder
    from mmtutor.training import compare_encoders

    data = load_mmdigits(seed=0, examples_per_image=1)
    table, results = compare_encoders("image", data, ["cnn"], epochs=1, seeds=[0, 1],
                                      validate=False)  # fmt: skip
    assert list(table.index) == ["cnn"] and table.index.name == "encoder"
    assert "std" in table.columns and len(results["cnn"].runs) == 2
    mmtutor.setup(seed=0, verbose=False)
    direct = train_and_evaluate(
        build_unimodal(build_encoder("image", data.train, kind="cnn")), data, epochs=1,
        validate=False,
    )  # fmt: skip
    assert results["cnn"].runs[0].test_accuracy == direct.test_accuracy
    accuracies = [r.test_accuracy for r in results["cnn"].runs]
    assert table.loc["cnn", "test accuracy"] == pytest.approx(np.mean(accuracies), abs=5e-4)
    with pytest.raises(ValueError, match="kinds must be a non-empty subset"):
        compare_encoders("image", data, ["mel_cnn"], epochs=1)


def test_unimodal_baselines_builds_the_kind_build_encoder_picks_for_the_inputs(monkeypatch):
    """28x28 images get the real-data recipe (cnn_flat, notebook 15), 8x8 ones the series'
    small cnn: unimodal_baselines asks default_kind, as build_encoder does."""
    from mmtutor.data.splits import Split, SplitSet
    from mmtutor.training import unimodal_baselines

    monkeypatch.setenv("MMTUTOR_MODEL_CACHE", "off")
    rng = np.random.default_rng(0)

    def split(n, side):
        return Split(x={"image": rng.random((n, side, side, 1), dtype=np.float32)},
                     y=(np.arange(n) % 10).astype(np.int32))  # fmt: skip

    for side, kind, layer in ((28, "cnn_flat", "flatten"), (8, "cnn", None)):
        data = SplitSet(split(40, side), split(20, side), split(20, side), sample_rate=8000,
                        class_names=tuple("0123456789"), params={})  # fmt: skip
        result = unimodal_baselines(data, epochs=1, validate=False)["image"]
        encoder = result.model.get_layer("image_encoder")
        names = [la.name for la in encoder.layers]
        assert (layer in names) if layer else ("flatten" not in names), (kind, names)


def test_test_loss_and_accuracy_are_what_keras_evaluate_returns(unimodal):
    # train_and_evaluate computes the test figures from predict_on_batch on evaluate's own
    # batches of 32 (faster for small models); they must be evaluate's floats, bit for bit,
    # on the whole test split and on 77 examples (2 full batches + a partial one of 13).
    import keras

    from mmtutor.training import compile_classifier
    from mmtutor.training.fit import _test_loss_and_accuracy

    data, trained = unimodal
    for modality, model in trained.items():
        for n in (77, len(data.test.y)):
            x = {modality: data.test.x[modality][:n]}
            y = data.test.y[:n]
            expected = model.evaluate(x, y, verbose=0)
            assert _test_loss_and_accuracy(model, x, y) == (expected[0], expected[1])
    # another loss: evaluate itself, not the shortcut
    model = next(iter(trained.values()))
    compile_classifier(model)
    model.compile(loss=keras.losses.CategoricalHinge(), metrics=["accuracy"])
    x, y = data.test.inputs([model.inputs[0].name]), data.test.y
    y_onehot = np.eye(2)[y]
    assert _test_loss_and_accuracy(model, x, y_onehot) == tuple(
        model.evaluate(x, y_onehot, verbose=0)
    )


def test_a_new_models_step_is_traced_once_and_trains_as_a_plain_fit(monkeypatch):
    # train_and_evaluate creates the optimizer, loss and metric variables before fit (Keras'
    # symbolic build): one trace of the training step instead of two, and the same weights
    # and optimizer state as compile + fit, bit for bit.
    from keras.src.backend.tensorflow import trainer

    from mmtutor.training import compile_classifier

    data = make_interactions("uniqueness", n=600, seed=0)
    modality = data.modalities[0]

    def build():
        mmtutor.setup(seed=0, verbose=False)
        encoder = build_vector_encoder(8, modality, embedding_dim=8)
        return build_unimodal(encoder, num_classes=2)

    plain = compile_classifier(build())
    plain.fit(data.train.inputs([modality]), data.train.y, epochs=2, batch_size=64, verbose=0)

    traces = []
    step = trainer.TensorFlowTrainer.train_step
    monkeypatch.setattr(trainer.TensorFlowTrainer, "train_step",
                        lambda self, batch: traces.append(1) or step(self, batch))  # fmt: skip
    ours = train_and_evaluate(build(), data, epochs=2, batch_size=64, validate=False).model
    assert len(traces) == 1
    for a, b in zip(plain.variables, ours.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for a, b in zip(plain.optimizer.variables, ours.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_a_weight_average_is_what_the_model_holds_and_is_tested(monkeypatch):
    # ema_momentum=m: after fit the model holds the moving average of the weights after each
    # step (average = weights after step 1, then m * average + (1 - m) * weights), computed
    # here in NumPy from the weights a callback reads after every batch; the test figures are
    # those of the averaged model.
    import keras

    from mmtutor.training import compile_classifier

    data = make_interactions("uniqueness", n=600, seed=0)
    modality = data.modalities[0]
    steps = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            steps.append([np.array(w, dtype=np.float64) for w in self.model.trainable_weights])

    fit = keras.Model.fit
    monkeypatch.setattr(keras.Model, "fit",
                        lambda self, *a, **k: fit(self, *a, **k, callbacks=[Record()]))  # fmt: skip
    mmtutor.setup(seed=0, verbose=False)
    model = build_unimodal(build_vector_encoder(8, modality, embedding_dim=8), num_classes=2)
    result = train_and_evaluate(model, data, epochs=2, validate=False, ema_momentum=0.9)
    assert len(steps) == 2 * int(np.ceil(len(data.train.y) / 64))
    average = steps[0]
    for weights in steps[1:]:
        average = [0.9 * a + 0.1 * w for a, w in zip(average, weights, strict=True)]
    for held, expected, last in zip(result.model.trainable_weights, average, steps[-1],
                                    strict=True):  # fmt: skip
        np.testing.assert_allclose(np.asarray(held), expected, rtol=1e-5, atol=1e-6)
        assert not np.allclose(np.asarray(held), last)  # the average, not the last step
    x = data.test.inputs([modality])
    assert result.test_accuracy == pytest.approx(
        float(np.mean(np.argmax(result.model.predict(x, verbose=0), -1) == data.test.y))
    )
    numpy_float = compile_classifier(build_unimodal(build_vector_encoder(8, modality), 2), 1e-3,
                                     np.float32(0.9))  # fmt: skip
    assert numpy_float.optimizer.use_ema
    assert numpy_float.optimizer.ema_momentum == pytest.approx(0.9)
    for bad in (0, 1, 1.5, -0.1, True, "0.99"):
        with pytest.raises(ValueError, match=r"ema_momentum must be None .* in \(0, 1\), got"):
            compile_classifier(build_unimodal(build_vector_encoder(8, modality), 2), 1e-3, bad)
