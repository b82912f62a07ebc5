"""mmtutor.transfer (notebook 12): distillation, multitask and blended models, probes and the
imbalance measure, gradient-blending weights, the source corpus, label budgets, reuse.

Expected values come from formulas written out here (SciPy, Keras' own losses,
scikit-learn) or hand-made cases, never from the code under test."""

import inspect
from types import SimpleNamespace

from copy_check import exec_copy

import mmtutor

mmtutor.setup(seed=0, verbose=False)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras import layers, ops  # noqa: E402
from scipy.special import log_softmax, rel_entr, softmax  # noqa: E402

from mmtutor import transfer  # noqa: E402
from mmtutor.data import DIGIT_ATTRIBUTES, Split, load_mmdigits  # noqa: E402
from mmtutor.encoders import build_vector_encoder  # noqa: E402
from mmtutor.models import build_unimodal  # noqa: E402
from mmtutor.transfer import Distiller, distillation_loss  # noqa: E402


def numpy(x):
    return keras.ops.convert_to_numpy(x)


@pytest.fixture(scope="module")
def data():
    return load_mmdigits(seed=0)


def toy(n=240, seed=0, classes=4):
    """Two vector modalities: "a" says the class, "b" is noise; train/val/test splits."""
    rng = np.random.default_rng(seed)

    def split(m):
        y = rng.integers(0, classes, m).astype("int32")
        a = np.eye(classes)[y] * 3 + rng.normal(size=(m, classes))
        b = rng.normal(size=(m, 3))
        return Split(x={"a": a.astype("float32"), "b": b.astype("float32")}, y=y,
                     meta={"speaker": np.array(["s1", "s0"])[y % 2]})  # fmt: skip

    return SimpleNamespace(train=split(n), val=split(n // 4), test=split(n // 4))


# ------------------------------------------------------------------ distillation loss
def reference_loss(y, s, t, temperature, alpha):
    """Hinton et al. (2015) with SciPy: alpha CE + (1 - alpha) T^2 KL(p_t || p_s). The KL is
    SciPy's ``rel_entr`` where the probabilities are representable, else from log-softmax."""
    hard = -log_softmax(s, axis=1)[np.arange(len(y)), y]
    soft = rel_entr(softmax(t / temperature, axis=1), softmax(s / temperature, axis=1)).sum(1)
    if not np.all(np.isfinite(soft)):  # e.g. logits of 1000: exp underflows to 0
        log_t, log_s = log_softmax(t / temperature, axis=1), log_softmax(s / temperature, axis=1)
        soft = np.sum(np.exp(log_t) * (log_t - log_s), axis=1)
    return float(np.mean(alpha * hard + (1 - alpha) * temperature**2 * soft))


def test_distillation_loss_equals_its_formula():
    rng = np.random.default_rng(0)
    y, s, t = rng.integers(0, 5, 7), rng.normal(size=(7, 5)) * 2, rng.normal(size=(7, 5)) * 2
    for temperature, alpha in ((1.0, 0.5), (3.0, 0.3), (8.0, 0.0), (2.0, 1.0)):
        got = float(distillation_loss(y, s.astype("f"), t.astype("f"), temperature, alpha))
        assert got == pytest.approx(reference_loss(y, s, t, temperature, alpha), rel=1e-5)


def test_distillation_loss_is_cross_entropy_at_temperature_1_with_hard_targets():
    rng = np.random.default_rng(1)
    y, s = rng.integers(0, 4, 6), rng.normal(size=(6, 4)).astype("f")
    hard_teacher = (100.0 * np.eye(4)[y]).astype("f")  # softmax: one-hot in float32
    keras_ce = float(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, s))
    for alpha in (0.0, 0.5, 1.0):
        got = float(distillation_loss(y, s, hard_teacher, temperature=1.0, alpha=alpha))
        assert got == pytest.approx(keras_ce, rel=1e-5)
    # a student equal to its teacher pays nothing for the soft term
    assert float(distillation_loss(y, s, s, temperature=5.0, alpha=0.0)) == pytest.approx(
        0, abs=1e-6
    )


def test_distillation_loss_is_finite_for_large_logits():
    s = np.array([[1000.0, 0.0, -1000.0]], "f")
    t = np.array([[0.0, 1000.0, 0.0]], "f")
    got = float(distillation_loss(np.array([0]), s, t, 2.0, 0.5))
    assert np.isfinite(got) and got == pytest.approx(reference_loss([0], s, t, 2.0, 0.5), rel=1e-4)


def test_distillation_loss_rejects_bad_arguments():
    s = np.zeros((2, 3), "f")
    with pytest.raises(ValueError, match="temperature must be > 0, got 0"):
        distillation_loss([0, 1], s, s, temperature=0)
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\], got 1.5"):
        distillation_loss([0, 1], s, s, alpha=1.5)
    with pytest.raises(
        ValueError, match=r"both be \(batch, classes\), got shapes \(2, 3\) and \(2, 4\)"
    ):
        distillation_loss([0, 1], s, np.zeros((2, 4), "f"))


# ------------------------------------------------------------------ Distiller
def small_student(dim=4, classes=4, name="a"):
    return build_unimodal(build_vector_encoder(dim, name, hidden_units=8), num_classes=classes,
                          dropout=0.0)  # fmt: skip


def test_a_student_learns_the_teachers_classes_from_soft_targets_alone():
    d = toy()
    teacher = np.eye(4)[(d.train.y + 1) % 4] * 6.0  # a teacher that is always wrong by one
    mmtutor.setup(seed=0, verbose=False)
    distiller = Distiller(small_student(), temperature=2.0, alpha=0.0)
    distiller.compile(keras.optimizers.Adam(0.01), metrics=["accuracy"])
    history = distiller.fit(d.train.inputs(["a"]), (d.train.y, teacher.astype("f")), epochs=5,
                            batch_size=32, verbose=0)  # fmt: skip
    assert history.history["loss"][-1] < history.history["loss"][0]
    predicted = np.argmax(numpy(distiller.student(d.test.inputs(["a"]))), axis=1)
    assert np.mean(predicted == (d.test.y + 1) % 4) > 0.9  # the teacher's, not the labels
    # the compiled metric reads the labels (the first of the pair): accuracy near 0
    assert history.history["accuracy"][-1] < 0.2


def test_distiller_round_trips_and_rejects_bad_students(tmp_path):
    d = toy(40)
    distiller = Distiller(small_student(), temperature=3.0, alpha=0.25)
    distiller.compile("adam", metrics=["accuracy"])
    distiller.fit(d.train.inputs(["a"]), (d.train.y, np.zeros((40, 4), "f")), epochs=1, verbose=0)
    distiller.save(tmp_path / "d.keras")
    again = keras.models.load_model(tmp_path / "d.keras")
    assert (again.temperature, again.alpha) == (3.0, 0.25)
    np.testing.assert_allclose(
        numpy(again(d.test.inputs(["a"]))), numpy(distiller(d.test.inputs(["a"]))), atol=1e-6
    )
    with pytest.raises(TypeError, match="student must be a keras.Model, got Dense"):
        Distiller(layers.Dense(3))
    with pytest.raises(ValueError, match="temperature > 0 and alpha in"):
        Distiller(small_student(), temperature=-1.0)


def test_shown_sources_run_when_copied_with_plain_imports():
    source = inspect.getsource(distillation_loss) + "\n\n" + inspect.getsource(Distiller)
    namespace = {"keras": keras, "ops": ops, "np": np}
    exec_copy(source, namespace, "<copy of the distiller>")
    d = toy(40)
    teacher = np.random.default_rng(0).normal(size=(40, 4)).astype("f")
    student = small_student()
    copy = namespace["Distiller"](student, temperature=2.0, alpha=0.5)
    copy.compile(keras.optimizers.SGD(0.0), metrics=["accuracy"])  # no update: loss comparable
    loss = copy.evaluate(d.train.inputs(["a"]), (d.train.y, teacher), verbose=0, return_dict=True)[
        "loss"
    ]
    logits = numpy(student(d.train.inputs(["a"])))
    assert loss == pytest.approx(reference_loss(d.train.y, logits, teacher, 2.0, 0.5), rel=1e-4)


def test_train_and_compare_students():
    d = toy()
    wrong = (np.eye(4)[(d.train.y + 1) % 4] * 6.0).astype("f")

    def make():
        return small_student()

    table, results = transfer.compare_students(
        make, d, {"labels only": None,
                  "teacher labels": {"teacher_logits": wrong, "temperature": 1.0, "alpha": 1.0,
                                     "labelled": np.zeros(len(d.train.y), bool)}},
        seeds=(0, 1), epochs=5, batch_size=32, learning_rate=0.01,
    )  # fmt: skip
    assert list(table.columns) == ["test accuracy", "std"] and len(results["labels only"].runs) == 2
    assert table.loc["labels only", "test accuracy"] > 0.9  # the toy task is easy
    # unlabelled examples get the teacher's class as their hard label: all wrong by one
    assert table.loc["teacher labels", "test accuracy"] < 0.1
    with pytest.raises(ValueError, match=r"teacher_logits must be \(training examples, classes\)"):
        transfer.train_student(make(), d, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="labelled must be a boolean mask of shape"):
        transfer.train_student(make(), d, wrong, labelled=np.ones(3, bool))


# ------------------------------------------------------------------ multitask
def test_task_labels_match_hand_made_tables(data):
    tasks = ["digit", "parity", "size", "loops", "speaker"]
    labels = transfer.task_labels(data.test, tasks, data.speakers)
    y = data.test.y
    np.testing.assert_array_equal(labels["digit"], y)
    np.testing.assert_array_equal(labels["parity"], y % 2)  # even 0 (zero comes first), odd 1
    np.testing.assert_array_equal(labels["size"], (y >= 5).astype(int))
    loops = {0: 0, 6: 0, 9: 0, 8: 2}  # one loop: class 0 (zero's), none: 1, two: 2
    np.testing.assert_array_equal(labels["loops"], [loops.get(int(d), 1) for d in y])
    names = [s.name for s in data.speakers]
    np.testing.assert_array_equal(
        labels["speaker"], [names.index(s) for s in data.test.meta["speaker"]]
    )
    assert set(DIGIT_ATTRIBUTES) <= {"parity", "size", "loops", "prime", "strokes"}
    with pytest.raises(ValueError, match="tasks must be a non-empty list of"):
        transfer.task_labels(data.test, ["colour"])
    with pytest.raises(ValueError, match=r"speakers \['speaker_00'"):
        transfer.task_labels(data.test, ["speaker"], speakers=["nobody"])


def test_multitask_model_trains_each_head_and_weights_steer_the_losses():
    d = toy()

    def targets(split):
        return {"digit": split.y, "parity": split.y % 2}

    mmtutor.setup(seed=0, verbose=False)
    encoders = [
        build_vector_encoder(4, "a", hidden_units=8),
        build_vector_encoder(3, "b", hidden_units=8),
    ]
    model = transfer.build_multitask_model(encoders, {"digit": 4, "parity": 2}, head_units=16)
    heads = {t: [w.copy() for w in model.get_layer(t).get_weights()] for t in ("digit", "parity")}
    result = transfer.train_multitask(model, d, targets, {"digit": 1.0, "parity": 0.0},
                                      epochs=10, batch_size=32, learning_rate=0.01)  # fmt: skip
    moved = {t: any(not np.allclose(a, b) for a, b in zip(heads[t], model.get_layer(t).get_weights(), strict=True))
             for t in heads}  # fmt: skip
    assert moved == {"digit": True, "parity": False}  # weight 0: no gradient for parity's head
    assert result.main == "digit" and result.task_accuracy["digit"] > 0.9
    np.testing.assert_array_equal(result.test_predictions, result.task_predictions["digit"])

    mmtutor.setup(seed=0, verbose=False)
    model = transfer.build_multitask_model([build_vector_encoder(4, "a", hidden_units=8)],
                                           {"digit": 4, "parity": 2}, head_units=16)  # fmt: skip
    result = transfer.train_multitask(
        model, d, targets, epochs=10, batch_size=32, learning_rate=0.01
    )
    assert min(result.task_accuracy.values()) > 0.9  # both heads learned
    assert result.task_accuracy["parity"] == pytest.approx(
        np.mean(result.task_predictions["parity"] == d.test.y % 2)
    )


def test_compare_multitask_keeps_every_runs_predictions():
    d = toy()
    sets = {"digit": {"digit": 1.0}, "both": {"digit": 1.0, "parity": 0.5}}
    table, results = transfer.compare_multitask(
        lambda: [build_vector_encoder(4, "a", hidden_units=8)], d, sets, {"digit": 4, "parity": 2},
        lambda s: {"digit": s.y, "parity": s.y % 2}, seeds=(0, 1), epochs=1, batch_size=32,
    )  # fmt: skip
    assert list(table.index) == ["digit", "both"] and list(table.columns) == ["digit", "parity"]
    assert np.isnan(table.loc["digit", "parity"]) and len(results["both"].runs) == 2
    view = transfer.task_results(results, "parity")
    assert list(view) == ["both"] and len(view["both"].runs) == 2
    with pytest.raises(ValueError, match="no task set learns 'speaker'"):
        transfer.task_results(results, "speaker")
    with pytest.raises(ValueError, match=r"uses tasks \['speaker'\] with no num_classes"):
        transfer.compare_multitask(lambda: [build_vector_encoder(4, "a")], d,
                                   {"x": {"speaker": 1.0}}, {"digit": 4}, None)  # fmt: skip
    for seeds in (0, (0, 1)):  # a new model per run, and one restarted model for both seeds
        with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
            transfer.compare_multitask(lambda: [build_vector_encoder(4, "a")], d, sets,
                                       {"digit": 4, "parity": 2}, lambda s: {"digit": s.y, "parity": s.y % 2},
                                       seeds=seeds, epochs=0)  # fmt: skip


def test_multitask_builders_reject_bad_arguments():
    enc = [build_vector_encoder(4, "a")]
    with pytest.raises(ValueError, match="tasks must be a non-empty dict"):
        transfer.build_multitask_model(enc, {})
    with pytest.raises(ValueError, match="integer >= 2 classes"):
        transfer.build_multitask_model(enc, {"digit": 1})
    with pytest.raises(ValueError, match="two encoders take the same input 'a'"):
        transfer.build_multitask_model(enc + [build_vector_encoder(4, "a")], {"digit": 2})
    with pytest.raises(ValueError, match="build_blended_model expects 2\\+ encoders, got 1"):
        transfer.build_blended_model(enc)
    model = transfer.build_multitask_model(enc, {"digit": 4})
    with pytest.raises(ValueError, match=r"loss_weights name outputs \['parity'\]"):
        transfer.train_multitask(model, toy(), lambda s: {"digit": s.y}, {"parity": 1.0})
    with pytest.raises(TypeError, match="dict of named outputs"):
        transfer.train_multitask(build_unimodal(build_vector_encoder(4, "a")), toy(), None)


def test_blended_model_has_a_head_per_encoder():
    encoders = [build_vector_encoder(4, "a"), build_vector_encoder(3, "b")]
    model = transfer.build_blended_model(encoders, num_classes=4)
    assert sorted(model.output) == ["a", "b", "fused"]
    out = model.predict({"a": np.ones((2, 4)), "b": np.ones((2, 3))}, verbose=0)
    assert {k: v.shape for k, v in out.items()} == {"fused": (2, 4), "a": (2, 4), "b": (2, 4)}
    # each unimodal head reads only its own encoder: changing "b" leaves head "a" unchanged
    other = model.predict({"a": np.ones((2, 4)), "b": np.zeros((2, 3))}, verbose=0)
    np.testing.assert_allclose(other["a"], out["a"])


# ------------------------------------------------------------------ probes and imbalance
def test_probe_accuracy_on_hand_made_embeddings():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    separable = np.eye(3)[y] * 5 + 0.1 * rng.normal(size=(300, 3))
    accuracy, predicted = transfer.probe_accuracy(
        separable[:200], y[:200], separable[200:], y[200:]
    )
    assert accuracy == 1.0 and np.array_equal(predicted, y[200:])
    constant = np.ones((300, 2))  # no information: the probe predicts the commonest class
    accuracy, predicted = transfer.probe_accuracy(constant[:200], y[:200], constant[200:], y[200:])
    majority = np.bincount(y[:200]).argmax()
    assert np.all(predicted == majority) and accuracy == pytest.approx(np.mean(y[200:] == majority))
    with pytest.raises(ValueError, match="of one width"):
        transfer.probe_accuracy(constant, y, np.ones((3, 5)), y[:3])
    with pytest.raises(ValueError, match="one label per embedding expected"):
        transfer.probe_accuracy(constant, y[:10], constant, y)


def test_imbalance_measure_on_a_hand_made_fused_model():
    d = toy()
    a, b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    a_encoder = keras.Model(a, layers.Identity()(a), name="a_encoder")  # says the class
    b_encoder = keras.Model(b, layers.Dense(2, kernel_initializer="zeros")(b), name="b_encoder")
    xa, xb = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    fused = keras.Model({"a": xa, "b": xb},
                        layers.Dense(4)(layers.Concatenate()([a_encoder(xa), b_encoder(xb)])))  # fmt: skip
    probes = transfer.probe_encoders(fused, d)
    assert probes["a"][0] > 0.9
    majority = np.bincount(d.train.y).argmax()
    assert probes["b"][0] == pytest.approx(np.mean(d.test.y == majority))  # zeros: no information
    table = transfer.modality_imbalance(probes, {"a": 0.95, "b": 0.60})
    assert table.loc["b", "gap"] == pytest.approx(0.60 - probes["b"][0])
    assert table.loc["a", "gap"] == pytest.approx(0.95 - probes["a"][0])
    with pytest.raises(ValueError, match=r"unmatched: \['b'\]"):
        transfer.modality_imbalance({"a": 0.9}, {"a": 0.9, "b": 0.5})
    with pytest.raises(ValueError, match=r"has no encoder layer for \['c'\]"):
        transfer.probe_encoders(fused, d, ["c"])


def test_gradient_blend_weights_follow_generalisation_over_overfitting_squared():
    history = {"f_loss": [2.0, 1.2, 0.8], "val_f_loss": [2.0, 1.4, 1.2],
               "a_loss": [2.0, 1.0, 0.2], "val_a_loss": [2.1, 1.8, 1.9],
               "b_loss": [2.2, 2.1, 2.0], "val_b_loss": [2.3, 2.3, 2.4]}  # fmt: skip
    raw = {"f": (2.0 - 1.2) / ((1.2 - 0.8) - (2.0 - 2.0)) ** 2,
           "a": (2.1 - 1.9) / ((1.9 - 0.2) - (2.1 - 2.0)) ** 2,
           "b": 0.0}  # b's validation loss rose: no weight  # fmt: skip
    total = sum(raw.values())
    weights = transfer.gradient_blend_weights(history, ["f", "a", "b"])
    for head, w in raw.items():
        assert weights[head] == pytest.approx(w / total)
    first_two = transfer.gradient_blend_weights(history, ["f", "a"], start=0, end=1)
    f01, a01 = 0.6 / (0.2**2), 0.3 / ((0.8 - 0.1) ** 2)
    assert first_two["f"] == pytest.approx(f01 / (f01 + a01))
    assert transfer.gradient_blend_weights(history, ["b"]) == {"b": 1.0}  # none generalised
    with pytest.raises(ValueError, match=r"history needs \['c_loss', 'val_c_loss'\]"):
        transfer.gradient_blend_weights(history, ["c"])
    with pytest.raises(ValueError, match="must be epochs of the 3 recorded"):
        transfer.gradient_blend_weights(history, ["f"], end=5)


# ------------------------------------------------------------------ reuse
def test_speech_corpus_is_a_source_of_its_own(data):
    corpus = transfer.make_speech_corpus(n=60, num_speakers=6, seed=3)
    assert [len(s) for s in (corpus.train, corpus.val, corpus.test)] == [48, 6, 6]
    assert corpus.train.x["audio"].shape == (48, 4000) and corpus.class_names == data.class_names
    assert not set(corpus.class_names) & {s.name for s in data.speakers}
    by_speaker = transfer.make_speech_corpus(n=60, num_speakers=6, seed=3, label="speaker")
    np.testing.assert_array_equal(by_speaker.train.y, corpus.train.meta["speaker"])
    np.testing.assert_array_equal(by_speaker.train.x["audio"], corpus.train.x["audio"])
    assert len(by_speaker.class_names) == 6 and by_speaker.class_names[0].startswith("source_")
    with pytest.raises(ValueError, match="label must be 'digit' or 'speaker'"):
        transfer.make_speech_corpus(n=60, label="word")
    with pytest.raises(ValueError, match="n must be an integer >= 10, got 5"):
        transfer.make_speech_corpus(n=5)


def test_label_budget_is_stratified_and_keeps_val_and_test(data):
    budget = transfer.label_budget(data, 0.1, seed=0)
    counts = np.bincount(budget.train.y, minlength=10)
    expected = [max(1, round(0.1 * n)) for n in np.bincount(data.train.y)]
    np.testing.assert_array_equal(counts, expected)
    np.testing.assert_array_equal(budget.train.y, data.train.y[budget.labelled])
    np.testing.assert_array_equal(budget.train.x["audio"], data.train.x["audio"][budget.labelled])
    assert budget.test is data.test and budget.val is data.val
    assert np.bincount(transfer.label_budget(data, 0.001).train.y).min() == 1  # every class


def test_copy_encoder_and_unfreeze_top():
    enc = keras.Sequential([keras.Input((3,), name="x"), layers.Dense(4, name="low"),
                            layers.Dense(2, name="top")], name="x_encoder")  # fmt: skip
    copy = transfer.copy_encoder(enc)
    copy.get_layer("top").kernel.assign(np.zeros((4, 2)))
    assert not np.allclose(enc.get_layer("top").kernel, 0)  # the original is untouched
    assert transfer.copy_encoder(enc, trainable=False).trainable_weights == []
    assert transfer.unfreeze_top(copy, 0) == [] and copy.trainable_weights == []
    assert transfer.unfreeze_top(copy, 1) == ["top"] and len(copy.trainable_weights) == 2
    assert transfer.unfreeze_top(copy, 5) == ["low", "top"] and len(copy.trainable_weights) == 4
    with pytest.raises(ValueError, match="n_layers must be a non-negative integer"):
        transfer.unfreeze_top(copy, -1)
    with pytest.raises(TypeError, match="encoder must be a keras.Model"):
        transfer.copy_encoder(layers.Dense(2))


def test_reuse_classifier_starts_from_the_encoder_and_a_zero_head():
    enc = keras.Sequential([keras.Input((3,), name="x"), layers.Dense(4, name="low")],
                           name="x_encoder")  # fmt: skip
    model = transfer.reuse_classifier(enc, num_classes=5)
    x = {"x": np.random.default_rng(0).normal(size=(6, 3))}
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.zeros((6, 5)))  # uniform start
    np.testing.assert_array_equal(
        model.get_layer("x_encoder").get_weights()[0], enc.get_weights()[0]
    )
    assert model.get_layer("x_encoder") is not enc  # a copy: training it leaves enc alone
    frozen = transfer.reuse_classifier(enc, trainable=False, num_classes=5)
    assert [w.name for w in frozen.trainable_weights] == ["kernel", "bias"]  # the head only


def test_compare_label_budgets_trains_every_method_at_every_budget():
    d = toy(200)
    builders = {"small": lambda: small_student(), "other": lambda: small_student()}
    a = keras.Input((4,), name="a")
    identity = keras.Model(a, layers.Identity()(a), name="a_encoder")  # "a" says the class
    table, results = transfer.compare_label_budgets(
        builders, d, (0.1, 1.0), epochs={0.1: 3, 1.0: 2}, learning_rates={"small": 0.01},
        probes={"probe": identity}, batch_size=32, validate=False,
    )  # fmt: skip
    assert list(table.index) == ["probe", "small", "other"] and list(table.columns) == [0.1, 1.0]
    assert table.columns.name == "fraction of labels"
    assert (
        len(results[0.1]["small"].history["loss"]) == 3
        and len(results[1.0]["other"].history["loss"]) == 2
    )
    budget = transfer.label_budget(d, 0.1)  # the probe: a logistic regression on that subset
    expected, _ = transfer.probe_accuracy(d.train.x["a"][budget.labelled], budget.train.y,
                                          d.test.x["a"], d.test.y)  # fmt: skip
    assert table.loc["probe", 0.1] == round(expected, 3) and len(results[0.1]["probe"].runs) == 1
    with pytest.raises(ValueError, match=r"epochs gives no number for the fractions \[0.5\]"):
        transfer.compare_label_budgets(builders, d, (0.5,), epochs={0.1: 2})
    with pytest.raises(ValueError, match=r"learning_rates names unknown methods \['big'\]"):
        transfer.compare_label_budgets(builders, d, (1.0,), learning_rates={"big": 0.1})
