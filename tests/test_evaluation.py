"""mmtutor.evaluation for notebooks 13-14: metrics, intervals, calibration, importance,
saliency and robustness; make_imbalanced; the evaluation figures."""

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn import metrics  # noqa: E402

import mmtutor  # noqa: E402

mmtutor.setup(seed=0, verbose=False)

from mmtutor import evaluation as ev  # noqa: E402
from mmtutor import plotting  # noqa: E402
from mmtutor.data import Split, make_imbalanced  # noqa: E402
from mmtutor.encoders import build_vector_encoder  # noqa: E402

RNG = np.random.default_rng(0)
N = 300


def _inputs(n=N, seed=0):
    rng = np.random.default_rng(seed)
    words = np.array(["an", "odd", "even", "number", "with", "one", "closed", "loop"])
    return {
        "image": rng.random((n, 8, 8, 1)).astype("float32"),
        "audio": (0.3 * rng.normal(size=(n, 4000))).astype("float32"),
        "text": np.array([" ".join(rng.choice(words, 4)) for _ in range(n)], dtype=object),
    }


@pytest.fixture(scope="module")
def toy():
    """A tiny model on image + audio that ignores audio (zero, frozen weights on it),
    trained for a few epochs on labels that the image determines."""
    keras.utils.set_random_seed(0)
    x = _inputs()
    y = (x["image"].reshape(N, -1)[:, :10].argmax(axis=1)).astype("int32")
    image = keras.Input((8, 8, 1), name="image")
    audio = keras.Input((4000,), name="audio")
    z = build_vector_encoder(64, name="pixels", embedding_dim=16)(keras.layers.Flatten()(image))
    ignored = keras.layers.Dense(10, kernel_initializer="zeros", use_bias=False, trainable=False)
    logits = keras.layers.Add()([keras.layers.Dense(10)(z), ignored(audio)])
    model = keras.Model({"image": image, "audio": audio}, logits)
    model.compile(
        "adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    model.fit({"image": x["image"], "audio": x["audio"]}, y, epochs=20, verbose=0)
    return model, x, y


# --- metrics ---


def test_metrics_match_scikit_learn():
    y = RNG.integers(0, 10, 500)
    p = np.where(RNG.random(500) < 0.7, y, RNG.integers(0, 10, 500))
    assert ev.accuracy(y, p) == pytest.approx(metrics.accuracy_score(y, p))
    assert ev.macro_f1(y, p) == pytest.approx(metrics.f1_score(y, p, average="macro"))
    report = ev.per_class_report(y, p)
    assert list(report.columns) == ["precision", "recall", "f1", "support"] and len(report) == 10
    np.testing.assert_allclose(report["recall"], metrics.recall_score(y, p, average=None))
    assert report["support"].sum() == 500
    # a hand-computed case: class 1 never predicted
    assert ev.macro_f1([0, 0, 0, 1], [0, 0, 0, 0], num_classes=2) == pytest.approx(
        (2 * 0.75 / 1.75 + 0) / 2
    )


def test_metrics_reject_bad_input():
    with pytest.raises(ValueError, match="one length"):
        ev.accuracy([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="one length"):
        ev.macro_f1(np.zeros(3, int), np.zeros(4, int))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 1\]"):
        ev.per_class_report([0, 2], [0, 1], num_classes=2)


def test_bootstrap_ci_contains_the_estimate_and_narrows_with_more_data():
    widths = []
    for n in (200, 5000):
        y = RNG.integers(0, 10, n)
        p = np.where(RNG.random(n) < 0.8, y, (y + 1) % 10)
        for metric in ("accuracy", "macro_f1"):
            estimate, low, high = ev.bootstrap_ci(y, p, metric=metric, n_resamples=300)
            assert low <= estimate <= high
        widths.append(high - low)
        estimate, low, high = ev.bootstrap_ci(y, p, n_resamples=200)
        assert estimate == ev.accuracy(y, p)
        assert ev.bootstrap_ci(y, p, n_resamples=200) == (estimate, low, high)  # deterministic
    assert widths[1] < widths[0] / 3
    # a callable metric gives the same interval as the vectorised one
    y, p = y[:300], p[:300]
    assert ev.bootstrap_ci(y, p, metric=ev.accuracy, n_resamples=50) == pytest.approx(
        ev.bootstrap_ci(y, p, n_resamples=50)
    )
    with pytest.raises(ValueError, match="metric must be"):
        ev.bootstrap_ci(y, p, metric="auc")
    with pytest.raises(ValueError, match="level must be"):
        ev.bootstrap_ci(y, p, level=95)


def test_mean_std_and_format():
    assert ev.mean_std([0.5]) == (0.5, 0.0)
    assert ev.mean_std([1.0, 2.0, 3.0]) == (2.0, 1.0)
    assert ev.format_mean_std([0.904, 0.912, 0.920]) == "0.912 ± 0.008"
    with pytest.raises(ValueError, match="non-empty"):
        ev.mean_std([])


# --- calibration ---


def test_softmax_and_nll():
    logits = RNG.normal(size=(50, 4)) * 3  # moderate: scikit-learn's log_loss clips
    probs = ev.softmax(logits)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    y = RNG.integers(0, 4, 50)
    expected = metrics.log_loss(y, ev.softmax(logits, 2.0), labels=range(4))
    assert ev.negative_log_likelihood(logits, y, 2.0) == pytest.approx(expected, rel=1e-6)
    assert np.isfinite(ev.negative_log_likelihood(logits * 1e4, y))  # stable
    with pytest.raises(ValueError, match="temperature must be a number > 0"):
        ev.softmax(logits, 0.0)


def _calibrated(n, k=10, seed=0):
    """Predictions whose confidence p is right with probability p."""
    rng = np.random.default_rng(seed)
    confidence = rng.uniform(1 / k + 0.01, 1.0, n)
    y = rng.integers(0, k, n)
    correct = rng.random(n) < confidence
    predicted = np.where(correct, y, (y + rng.integers(1, k, n)) % k)
    probs = np.tile(((1 - confidence) / (k - 1))[:, None], (1, k))
    probs[np.arange(n), predicted] = confidence
    return probs, y


def test_ece_of_calibrated_and_over_confident_predictors():
    probs, y = _calibrated(50_000)
    assert ev.expected_calibration_error(probs, y) < 0.02
    sharp = ev.softmax(np.log(probs) * 4)  # same classes, far more confident
    assert ev.expected_calibration_error(sharp, y) > 0.1
    curve = ev.reliability_curve(probs, y, n_bins=10)
    assert set(curve) == {"edges", "centers", "confidence", "accuracy", "count"}
    assert curve["count"].sum() == len(y) and len(curve["edges"]) == 11
    assert curve["count"][0] == 0 and np.isnan(curve["accuracy"][0])  # empty bin


def test_calibration_rejects_bad_probabilities():
    y = np.array([0, 1])
    with pytest.raises(ValueError, match="sum to 1"):
        ev.expected_calibration_error(np.array([[0.5, 0.6], [0.5, 0.5]]), y)
    with pytest.raises(ValueError, match="sum to 1"):
        ev.reliability_curve(np.array([[2.0, -1.0 + 3], [0.5, 0.5]]), y)
    with pytest.raises(ValueError, match="non-negative"):
        ev.expected_calibration_error(np.array([[1.5, -0.5], [0.5, 0.5]]), y)
    with pytest.raises(ValueError, match=r"shape \(n, classes\)"):
        ev.expected_calibration_error(np.array([0.5, 0.5]), y)
    with pytest.raises(ValueError, match="2 integer labels"):
        ev.expected_calibration_error(np.array([[0.5, 0.5], [0.5, 0.5]]), np.array([0, 1, 1]))


def test_fit_temperature_falls_back_to_1_on_a_flat_objective():
    # (recovering a known temperature: tests/test_evaluation_metrics.py)
    assert ev.fit_temperature(np.zeros((20, 3)), np.zeros(20, int)) == 1.0  # flat: T = 1


def test_predict_classes_matches_predict_in_chunks_and_rejects_no_examples(toy):
    model, x, _ = toy
    inputs = {m: x[m] for m in ("image", "audio")}
    expected = np.argmax(model.predict(inputs, verbose=0), axis=-1)
    np.testing.assert_array_equal(ev.predict_classes(model, inputs), expected)
    np.testing.assert_array_equal(ev.predict_classes(model, inputs, batch_size=128), expected)
    with pytest.raises(ValueError, match="at least one example"):
        ev.predict_classes(model, {m: v[:0] for m, v in inputs.items()})


def test_model_accuracy_feeds_only_the_model_inputs_and_names_missing_ones(toy):
    model, x, y = toy  # the model takes image and audio; x also has text
    expected = ev.accuracy(y, np.argmax(model.predict({m: x[m] for m in ("image", "audio")},
                                                      verbose=0), axis=-1))  # fmt: skip
    assert ev.model_accuracy(model, x, y) == expected
    with pytest.raises(
        ValueError, match=r"takes inputs .*'audio'.*, but inputs has only \['image'\]"
    ):
        ev.model_accuracy(model, {"image": x["image"]}, y)


# --- ablation, importance, saliency ---


def test_ablation_and_permutation_importance_of_an_ignored_modality(toy):
    model, x, y = toy
    clean = ev.accuracy(y, ev.predict_classes(model, {m: x[m] for m in ("image", "audio")}))
    table = ev.modality_ablation(model, x, y, how="zero")
    assert set(table) == {"all", "without image", "without audio"}
    assert table["all"] == clean and table["without audio"] == clean
    importance = ev.permutation_importance(model, x, y, n_repeats=3)
    assert list(importance.index) == [t.name for t in model.inputs]
    assert list(importance.columns) == ["accuracy drop", "std", "clean accuracy"]
    assert importance.loc["audio", "accuracy drop"] == 0.0 and importance.loc["audio", "std"] == 0
    assert importance.loc["image", "accuracy drop"] > 0.02 and clean > 0.15
    with pytest.raises(ValueError, match=r"subset of the model's inputs \['audio', 'image'\]"):
        ev.permutation_importance(model, x, y, modalities=["video"])
    with pytest.raises(ValueError, match="inputs has only"):
        ev.modality_ablation(model, {"image": x["image"]}, y)


def test_saliency_shapes_zero_for_ignored_input_and_text_error(toy):
    model, x, y = toy
    small = {m: v[:6] for m, v in x.items()}
    image = ev.saliency(model, small, "image")
    assert image.shape == (6, 8, 8, 1) and image.min() >= 0 and image.max() > 0
    assert ev.saliency(model, small, "image", class_index=3).shape == (6, 8, 8, 1)
    audio = ev.saliency(model, small, "audio")
    assert audio.shape == (6, 4000) and not audio.any()
    with pytest.raises(ValueError, match="one of the model's inputs"):
        ev.saliency(model, small, "text")
    with pytest.raises(ValueError, match="strings, which have no gradient"):
        ev.saliency(model, {**small, "image": small["text"]}, "image")


def test_saliency_in_batches_equals_one_pass_and_a_per_example_gradient():
    """Defect: saliency ran every example through one gradient pass (no batch_size)."""
    import tensorflow as tf

    keras.utils.set_random_seed(1)
    image, audio = keras.Input((4, 4, 1), name="image"), keras.Input((6,), name="audio")
    joined = keras.layers.Concatenate()([keras.layers.Flatten()(image), audio])
    hidden = keras.layers.Dense(8, activation="tanh")(joined)
    model = keras.Model({"image": image, "audio": audio}, keras.layers.Dense(3)(hidden))
    rng = np.random.default_rng(2)
    x = {"image": rng.random((7, 4, 4, 1)).astype("float32"),
         "audio": rng.normal(size=(7, 6)).astype("float32")}  # fmt: skip
    classes = np.arange(7) % 3
    expected = []  # one example at a time, by hand
    for i in range(7):
        target = tf.constant(x["image"][i : i + 1])
        with tf.GradientTape() as tape:
            tape.watch(target)
            logit = model({"image": target, "audio": tf.constant(x["audio"][i : i + 1])})[
                0, classes[i]
            ]
        expected.append(np.abs(tape.gradient(logit, target).numpy()[0]))
    one_pass = ev.saliency(model, x, "image", class_index=classes)
    np.testing.assert_allclose(one_pass, np.stack(expected), rtol=1e-5, atol=1e-6)
    # the same to float32 round-off (a batch of another size may sum in another order)
    for batch_size in (1, 2, 3, 7):
        batched = ev.saliency(model, x, "image", class_index=classes, batch_size=batch_size)
        np.testing.assert_allclose(batched, one_pass, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ev.saliency(model, x, "audio", batch_size=2),
                               ev.saliency(model, x, "audio"), rtol=1e-5, atol=1e-6)  # fmt: skip
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        ev.saliency(model, x, "image", batch_size=0)
    with pytest.raises(ValueError, match=r"class_index must be in \[0, 2\], got 3"):
        ev.saliency(model, x, "image", class_index=3)
    with pytest.raises(ValueError, match="class_index must be an integer or 7 integers"):
        ev.saliency(model, x, "image", class_index=[0, 1])


# --- robustness ---


def test_robustness_sweep_at_severity_zero_is_the_clean_accuracy(toy):
    model, x, y = toy
    _, keras_accuracy = model.evaluate({m: x[m] for m in ("image", "audio")}, y, verbose=0)
    sweep = ev.robustness_sweep(model, x, y, "image", "noise", severities=(0.0, 0.5, 1.0))
    assert sweep.index.name == "severity" and list(sweep.index) == [0.0, 0.5, 1.0]
    assert sweep[0.0] == ev.modality_ablation(model, x, y)["all"]
    assert sweep[0.0] == pytest.approx(keras_accuracy, abs=1e-6)
    assert sweep[1.0] < sweep[0.0]
    flat = ev.robustness_sweep(model, x, y, "audio", "noise", severities=(0.0, 1.0))
    assert flat[0.0] == flat[1.0]  # the model ignores audio
    table = ev.robustness_table({"a": model, "b": model}, x, y, "image", "contrast", (0.0, 1.0))
    assert list(table.columns) == ["a", "b"] and table["a"].equals(table["b"])


@pytest.mark.parametrize(
    ("modality", "kind"), [(m, k) for m, kinds in ev.CORRUPTIONS.items() for k in kinds]
)
def test_every_corruption(modality, kind):
    x = _inputs(40)
    original = {m: v.copy() for m, v in x.items()}
    same = ev.corrupt(x, modality, kind, 0.0)
    assert all(np.array_equal(same[m], x[m]) for m in x)
    damage = []
    for s in (0.25, 0.5, 1.0):
        out = ev.corrupt(x, modality, kind, s, seed=3)
        assert out[modality].shape == x[modality].shape
        assert out[modality].dtype == x[modality].dtype
        assert all(out[m] is x[m] for m in x if m != modality)  # others untouched
        again = ev.corrupt(x, modality, kind, s, seed=3)
        assert np.array_equal(out[modality], again[modality])  # deterministic per seed
        if modality == "text":
            before = [t.split() for t in x["text"]]
            after = [t.split() for t in out["text"]]
            if kind == "word_dropout":
                damage.append(1 - sum(map(len, after)) / sum(map(len, before)))
            else:
                changed = sum(a != b for u, v in zip(before, after, strict=True)
                              for a, b in zip(u, v, strict=True))  # fmt: skip
                damage.append(changed / sum(map(len, before)))
        else:
            damage.append(float(np.mean((out[modality] - x[modality]) ** 2)))
    assert damage[0] > 0 and damage[0] <= damage[1] <= damage[2], damage
    assert all(np.array_equal(x[m], original[m]) for m in x)  # inputs not modified in place
    if modality == "text" and kind == "word_dropout":
        assert set(ev.corrupt(x, "text", kind, 1.0)["text"]) == {""}


def test_corruption_parameters():
    assert ev.snr_db(0.0) == 20.0 and ev.snr_db(1.0) == -10.0
    x = _inputs(200)
    noisy = ev.corrupt(x, "audio", "noise", 0.5)["audio"]
    snr = 10 * np.log10(np.mean(x["audio"] ** 2) / np.mean((noisy - x["audio"]) ** 2))
    assert snr == pytest.approx(ev.snr_db(0.5), abs=0.3)
    dropped = ev.corrupt(x, "audio", "dropout", 0.4)["audio"]
    assert np.all((dropped.reshape(200, 5, 800) == 0).all(axis=2).sum(axis=1) == 2)
    flat = ev.corrupt(x, "image", "contrast", 1.0)["image"]
    assert np.allclose(flat.std(axis=(1, 2, 3)), 0, atol=1e-6)
    occluded = ev.corrupt({"image": np.ones((5, 8, 8, 1), "float32")}, "image", "occlusion", 0.5)
    assert np.all(occluded["image"].sum(axis=(1, 2, 3)) == 64 - 16)


def test_corrupt_rejects_bad_arguments():
    x = _inputs(4)
    with pytest.raises(ValueError, match=r"severity must be a number in \[0, 1\], got -0.1"):
        ev.corrupt(x, "image", "noise", -0.1)
    with pytest.raises(ValueError, match=r"severity must be a number in \[0, 1\], got 1.5"):
        ev.corrupt(x, "image", "noise", 1.5)
    with pytest.raises(ValueError, match=r"modality must be one of \['image', 'audio', 'text'\]"):
        ev.corrupt(x, "video", "noise", 0.5)
    with pytest.raises(ValueError, match=r"kind must be one of \['noise', 'dropout'\]"):
        ev.corrupt(x, "audio", "blur", 0.5)
    with pytest.raises(ValueError, match="severities"):
        ev.robustness_sweep(None, {}, [], "image", "noise", severities=())


def test_multibench_robustness_figures():
    assert ev.relative_robustness([1.0, 0.5, 0.0]) == pytest.approx(0.5)
    # MultiBench: trapezoids of width 0.1 over 11 levels
    curve = np.linspace(0.9, 0.4, 11)
    expected = sum((curve[i] + curve[i + 1]) * 0.1 / 2 for i in range(10))
    assert ev.relative_robustness(curve) == pytest.approx(expected)
    series = pd.Series([0.8, 0.6], index=[0.0, 0.5])
    assert ev.relative_robustness(series) == pytest.approx(0.35)
    reference = np.array([0.8, 0.6, 0.4])
    assert ev.effective_robustness(reference, reference) == 0.0
    assert ev.effective_robustness(reference + 0.1, reference) == 0.0  # a shift is not robustness
    assert ev.effective_robustness([0.9, 0.8, 0.7], reference) == pytest.approx(0.3)
    with pytest.raises(ValueError, match="one length"):
        ev.effective_robustness([0.9, 0.8], reference)


# --- class imbalance ---


def test_make_imbalanced():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 100).astype("int32")
    split = Split(x={"image": rng.random((1000, 8, 8, 1))}, y=y, meta={"id": np.arange(1000)})
    small = make_imbalanced(split, ratio=10)
    counts = np.bincount(small.y)
    assert counts[0] == 100 and counts[-1] == 10 and np.all(np.diff(counts) <= 0)
    np.testing.assert_array_equal(small.x["image"], split.x["image"][small.meta["id"]])
    np.testing.assert_array_equal(small.y, y[small.meta["id"]])
    assert len(make_imbalanced(split, ratio=1)) == 1000
    for bad in (0.5, "10", True):
        with pytest.raises(ValueError, match="ratio must be a number >= 1"):
            make_imbalanced(split, ratio=bad)


# --- figures ---


def test_evaluation_figures():
    probs, y = _calibrated(500)
    curves = {"raw": ev.reliability_curve(probs, y), "sharp": ev.reliability_curve(
        ev.softmax(np.log(probs) * 3), y)}  # fmt: skip
    fig = plotting.plot_reliability_diagram(curves)
    assert (
        isinstance(fig, plt.Figure) and "ECE" in fig.axes[0].get_legend().get_texts()[1].get_text()
    )
    plt.close(fig)
    table = pd.DataFrame(
        {"a": [0.9, 0.5], "b": [0.8, 0.7]}, index=pd.Index([0.0, 1.0], name="severity")
    )
    for arg in (table, {"noise": table, "occlusion": table}):
        fig = plotting.plot_robustness_curves(arg, title="t")
        assert isinstance(fig, plt.Figure)
        plt.close(fig)
    x = _inputs(3)
    fig = plotting.plot_saliency(x["image"], x["image"], x["audio"], np.abs(x["audio"]))
    assert isinstance(fig, plt.Figure) and len(fig.axes) == 6
    plt.close(fig)
    importance = pd.DataFrame({"accuracy drop": [0.2, 0.0], "std": [0.01, 0.0]}, index=["a", "b"])
    for arg in (importance, {"a": (0.2, 0.01), "b": 0.0}):
        fig = plotting.plot_modality_importance(arg)
        assert isinstance(fig, plt.Figure)
        plt.close(fig)
    with pytest.raises(ValueError, match="reliability_curve"):
        plotting.plot_reliability_diagram({"a": {"count": []}})
    with pytest.raises(ValueError, match="image_saliency must have"):
        plotting.plot_saliency(x["image"], x["image"][:, :4])
