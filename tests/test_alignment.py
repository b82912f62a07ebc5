"""mmtutor.alignment: the contrastive losses against their formulas written out by hand, the
learnable temperature, the dual encoder (training without labels, gradients, saving, the
copy promise) and the embedding helpers."""

import inspect
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from copy_check import exec_copy
from keras import layers, ops  # noqa: E402
from scipy.special import logsumexp  # noqa: E402

from mmtutor import alignment  # noqa: E402
from mmtutor.alignment import CLIPLoss, DualEncoder, SigLIPLoss  # noqa: E402


def unit(rng, n, d):
    z = rng.normal(size=(n, d))
    return (z / np.linalg.norm(z, axis=1, keepdims=True)).astype("float32")


def numpy(x):
    return np.asarray(ops.convert_to_numpy(x), dtype=float)


# ------------------------------------------------------------------ CLIP / InfoNCE
def info_nce_by_hand(z_a, z_b, temperature):
    """Cross-entropy of each row of the similarity matrix (a -> b) and of each column
    (b -> a) against the diagonal, averaged: written with explicit log-softmax sums."""
    s = z_a.astype(float) @ z_b.astype(float).T / temperature
    n = len(s)
    rows = [-(s[i, i] - logsumexp(s[i, :])) for i in range(n)]
    cols = [-(s[j, j] - logsumexp(s[:, j])) for j in range(n)]
    return (sum(rows) / n + sum(cols) / n) / 2


@pytest.mark.parametrize("temperature", [0.07, 0.5, 1.0])
def test_info_nce_is_the_cross_entropy_over_the_similarity_matrix(temperature):
    rng = np.random.default_rng(0)
    z_a, z_b = unit(rng, 7, 5), unit(rng, 7, 5)
    got = float(CLIPLoss(temperature=temperature)([z_a, z_b]))
    assert got == pytest.approx(info_nce_by_hand(z_a, z_b, temperature), rel=1e-5)


def test_info_nce_is_symmetric_and_each_direction_differs():
    rng = np.random.default_rng(1)
    z_a, z_b = unit(rng, 6, 4), unit(rng, 6, 4)
    loss = CLIPLoss(temperature=0.2)
    assert float(loss([z_a, z_b])) == pytest.approx(float(loss([z_b, z_a])), rel=1e-6)
    s = z_a.astype(float) @ z_b.T / 0.2
    one_way = np.mean([-(s[i, i] - logsumexp(s[i])) for i in range(6)])
    assert abs(float(loss([z_a, z_b])) - one_way) > 1e-3  # not a single direction


def test_info_nce_bounds_random_and_perfect_batches():
    rng = np.random.default_rng(2)
    z = unit(rng, 16, 64)
    same = float(CLIPLoss(temperature=1.0)([z, z[::-1]]))
    assert same > 1.0  # pairs swapped: the diagonal is not the best match
    z = np.eye(16, dtype="float32")
    assert float(CLIPLoss(temperature=0.01)([z, z])) == pytest.approx(0.0, abs=1e-6)
    constant = np.ones((16, 4), "float32") / 2.0
    assert float(CLIPLoss(temperature=0.1)([constant, constant])) == pytest.approx(np.log(16))


def test_temperature_receives_a_gradient_and_stays_within_its_clip():
    rng = np.random.default_rng(3)
    z_a = unit(rng, 8, 4)
    for z_b, bound in ((z_a, np.log(100.0)), (-z_a, 0.0)):  # aligned: scale up; opposed: down
        loss = CLIPLoss(temperature=0.07)
        loss([z_a, z_b])
        with tf.GradientTape() as tape:
            value = loss([z_a, z_b])
        gradient = float(tape.gradient(value, loss.log_scale))
        assert gradient != 0.0 and np.isfinite(gradient)
        optimizer = keras.optimizers.SGD(learning_rate=50.0)
        for _ in range(5):
            with tf.GradientTape() as tape:
                value = loss([z_a, z_b])
            optimizer.apply([tape.gradient(value, loss.log_scale)], [loss.log_scale])
        # pushed to the bound, not past it
        assert float(numpy(loss.log_scale)) == pytest.approx(bound)
        assert 0.01 - 1e-7 <= loss.temperature() <= 1.0 + 1e-7


def test_a_fixed_temperature_is_not_trained():
    loss = CLIPLoss(temperature=0.3, learnable=False)
    loss.build(None)
    assert loss.trainable_weights == [] and loss.temperature() == pytest.approx(0.3)


# ------------------------------------------------------------------ SigLIP
def siglip_by_hand(z_a, z_b, temperature, bias):
    total = 0.0
    n = len(z_a)
    for i in range(n):
        for j in range(n):
            logit = float(z_a[i] @ z_b[j]) / temperature + bias
            label = 1.0 if i == j else -1.0
            total += np.log1p(np.exp(-label * logit))  # -log sigmoid(label * logit)
    return total / n


def test_siglip_matches_its_formula_on_a_small_case():
    rng = np.random.default_rng(4)
    z_a, z_b = unit(rng, 5, 3), unit(rng, 5, 3)
    got = float(SigLIPLoss(temperature=0.5, bias=-2.0)([z_a, z_b]))
    assert got == pytest.approx(siglip_by_hand(z_a, z_b, 0.5, -2.0), rel=1e-5)
    # by hand: a_i is orthogonal to its pair b_i and parallel to the other b_j, so with
    # temperature 0.5 and bias 0.5 the pairs' logits are 0.5 (label +1) and the others'
    # 1 / 0.5 + 0.5 = 2.5 (label -1): loss = [2 log(1 + e^-0.5) + 2 log(1 + e^2.5)] / 2
    z = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    w = np.array([[0.0, 1.0], [1.0, 0.0]], "float32")
    expected = np.log1p(np.exp(-0.5)) + np.log1p(np.exp(2.5))
    assert float(SigLIPLoss(temperature=0.5, bias=0.5)([z, w])) == pytest.approx(expected)


def test_siglip_bias_and_temperature_receive_gradients():
    rng = np.random.default_rng(5)
    z_a, z_b = unit(rng, 6, 4), unit(rng, 6, 4)
    loss = SigLIPLoss()
    loss([z_a, z_b])
    with tf.GradientTape() as tape:
        value = loss([z_a, z_b])
    grads = tape.gradient(value, [loss.log_scale, loss.bias])
    assert all(g is not None and float(g) != 0.0 for g in grads)
    # at the paper's start (bias -10) the 6 pairs have logits near -10: badly wrong, so the
    # loss falls if the bias rises (the 30 negatives, already right, pull far less)
    assert float(grads[1]) < 0


@pytest.mark.parametrize("cls", [CLIPLoss, SigLIPLoss])
def test_losses_reject_mismatched_batches_and_bad_options(cls):
    rng = np.random.default_rng(6)
    with pytest.raises(ValueError, match=r"one shape \(n, d\), got shapes \(4, 3\) and \(5, 3\)"):
        cls()([unit(rng, 4, 3), unit(rng, 5, 3)])
    with pytest.raises(ValueError, match=r"got shapes \(4, 3\) and \(4, 2\)"):
        cls()([unit(rng, 4, 3), unit(rng, 4, 2)])
    wanted = r"temperature must be a number in \[1 / max_scale, 1\] = \[0.01, 1\], got 0"
    with pytest.raises(ValueError, match=wanted):
        cls(temperature=0)
    with pytest.raises(ValueError, match="max_scale must be a number > 1"):
        cls(max_scale=1)
    if cls is SigLIPLoss:
        with pytest.raises(ValueError, match="bias must be a finite number"):
            cls(bias=float("nan"))


# ------------------------------------------------------------------ DualEncoder
def encoders(d_a=3, d_b=5, width=8):
    a = keras.Sequential([keras.Input((d_a,), name="a"), layers.Dense(width, activation="relu")],
                         name="a_encoder")  # fmt: skip
    b = keras.Sequential([keras.Input((d_b,), name="b"), layers.Dense(width, activation="relu")],
                         name="b_encoder")  # fmt: skip
    return a, b


def paired_data(n=256, seed=0):
    """Two views of one latent class: a and b share only which of 4 clusters they are in."""
    rng = np.random.default_rng(seed)
    c = rng.integers(0, 4, n)
    centres_a, centres_b = rng.normal(size=(4, 3)) * 3, rng.normal(size=(4, 5)) * 3
    x = {"a": (centres_a[c] + rng.normal(size=(n, 3))).astype("float32"),
         "b": (centres_b[c] + rng.normal(size=(n, 5))).astype("float32")}  # fmt: skip
    return x, c


def test_dual_encoder_outputs_unit_vectors_and_encode_matches_call():
    keras.utils.set_random_seed(0)
    model = DualEncoder(*encoders(), embedding_dim=4)
    x, _ = paired_data(10)
    z_a, z_b = model(x)
    assert tuple(z_a.shape) == (10, 4) and tuple(z_b.shape) == (10, 4)
    np.testing.assert_allclose(np.linalg.norm(numpy(z_a), axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(numpy(model.encode(x["b"], "b")), numpy(z_b), atol=1e-6)
    z = alignment.embed_split(model, x, batch_size=3)
    np.testing.assert_allclose(z["a"], numpy(z_a), atol=1e-6)


def test_fit_without_labels_aligns_the_pairs_and_trains_both_towers():
    keras.utils.set_random_seed(0)
    model = DualEncoder(*encoders(), embedding_dim=4, loss=CLIPLoss(temperature=0.1))
    before = {v.path: numpy(v).copy() for v in model.trainable_variables}
    x, c = paired_data()
    model.compile(keras.optimizers.Adam(0.01))
    history = model.fit(x, epochs=15, batch_size=32, verbose=0)
    loss = history.history["loss"]
    assert loss[-1] < loss[0] - 0.5 and "temperature" in history.history
    changed = [p for p, w in before.items() if not np.allclose(w, numpy(next(
        v for v in model.trainable_variables if v.path == p)))]  # fmt: skip
    assert len(changed) == len(before), set(before) - set(changed)  # every weight moved
    z = alignment.embed_split(model, x)
    s = alignment.similarity_matrix(z["a"], z["b"])
    same = c[:, None] == c[None, :]
    assert s[same].mean() > s[~same].mean() + 0.5  # the shared cluster is found, no labels


def test_labels_given_to_fit_are_ignored():
    x, c = paired_data(64)
    histories = []
    for y in (None, c):
        keras.utils.set_random_seed(0)
        model = DualEncoder(*encoders(), embedding_dim=4)
        model.compile(keras.optimizers.Adam(0.01))
        histories.append(model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0))
    assert histories[0].history["loss"] == pytest.approx(histories[1].history["loss"])


def test_siglip_dual_encoder_trains():
    keras.utils.set_random_seed(0)
    model = DualEncoder(*encoders(), embedding_dim=4, loss=SigLIPLoss())
    x, _ = paired_data()
    model.compile(keras.optimizers.Adam(0.01))
    loss = model.fit(x, epochs=5, batch_size=32, verbose=0).history["loss"]
    assert loss[-1] < loss[0]
    evaluation = model.evaluate(x, batch_size=32, verbose=0, return_dict=True)
    assert np.isfinite(evaluation["loss"])


def test_save_and_load_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    model = DualEncoder(*encoders(), embedding_dim=4, loss=SigLIPLoss(temperature=0.2, bias=-3.0))
    x, _ = paired_data(32)
    model.compile(keras.optimizers.Adam(0.01))
    model.fit(x, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "dual.keras"
    model.save(path)
    again = keras.models.load_model(path)
    assert isinstance(again, DualEncoder) and isinstance(again.contrastive, SigLIPLoss)
    for got, want in zip(again(x), model(x), strict=True):
        np.testing.assert_allclose(numpy(got), numpy(want), atol=1e-6)
    assert again.contrastive.temperature() == pytest.approx(model.contrastive.temperature())
    assert float(again.contrastive.bias) == pytest.approx(float(model.contrastive.bias))


def test_round_trip_with_series_encoders_on_mmdigits(tmp_path):
    """An image and a text encoder (its vocabulary inside) survive saving."""
    from mmtutor.data import load_mmdigits
    from mmtutor.encoders import build_encoder

    data = load_mmdigits(seed=0)
    keras.utils.set_random_seed(0)
    model = DualEncoder(build_encoder("image", data.train, embedding_dim=16),
                        build_encoder("text", data.train, embedding_dim=16), embedding_dim=8)  # fmt: skip
    x = {m: data.train.x[m][:64] for m in ("image", "text")}
    model.compile(keras.optimizers.Adam(1e-3))
    model.fit(x, epochs=1, batch_size=32, verbose=0)
    model.save(tmp_path / "image_text.keras")
    again = keras.models.load_model(tmp_path / "image_text.keras")
    want, got = alignment.embed_split(model, x), alignment.embed_split(again, x)
    for m in ("image", "text"):
        np.testing.assert_allclose(got[m], want[m], atol=1e-6)


def test_dual_encoder_rejects_bad_arguments():
    a, b = encoders()
    with pytest.raises(TypeError, match="two single-input keras.Model encoders, got Dense"):
        DualEncoder(layers.Dense(3), b)
    twin = keras.Sequential([keras.Input((5,), name="a"), layers.Dense(8)], name="twin")
    with pytest.raises(ValueError, match="the two encoders take the same input 'a'"):
        DualEncoder(a, twin)
    with pytest.raises(ValueError, match="embedding_dim must be a positive integer, got 0"):
        DualEncoder(a, b, embedding_dim=0)
    with pytest.raises(TypeError, match="loss must be a CLIPLoss or SigLIPLoss layer"):
        DualEncoder(a, b, loss="clip")
    model = DualEncoder(a, b)
    with pytest.raises(ValueError, match=r"expects a dict with \['a', 'b'\], got \['a'\]"):
        model({"a": np.ones((2, 3))})
    with pytest.raises(ValueError, match="modality must be one of"):
        model.encode(np.ones((2, 3)), "image")
    with pytest.raises(ValueError, match=r"the model embeds \['a', 'b'\], but the split has only"):
        alignment.embed_split(model, {"c": np.ones((2, 3))})
    assert list(alignment.embed_split(model, {"b": np.ones((2, 5))})) == ["b"]  # one is enough


# ------------------------------------------------------------------ copy promise
@pytest.mark.parametrize("cls", [CLIPLoss, SigLIPLoss, DualEncoder], ids=lambda c: c.__name__)
def test_shown_source_runs_when_copied_with_plain_imports(cls):
    """What ``show_source`` prints, pasted into a namespace with only keras, layers, ops and
    numpy (the losses' sources with the model's), gives the package's outputs."""
    classes = [CLIPLoss, SigLIPLoss, DualEncoder] if cls is DualEncoder else [cls]
    source = "\n\n".join(inspect.getsource(c) for c in classes)
    namespace = {"keras": keras, "layers": layers, "ops": ops, "np": np}
    exec_copy(source, namespace, f"<copy of {cls.__name__}>")
    x, _ = paired_data(16)
    rng = np.random.default_rng(0)
    z_a, z_b = unit(rng, 6, 4), unit(rng, 6, 4)
    if cls is DualEncoder:
        keras.utils.set_random_seed(0)
        original = DualEncoder(*encoders(), embedding_dim=4)
        keras.utils.set_random_seed(0)
        copy = namespace["DualEncoder"](*encoders(), embedding_dim=4, loss=namespace["CLIPLoss"]())
        copy.set_weights(original.get_weights())
        for got, want in zip(copy(x), original(x), strict=True):
            np.testing.assert_allclose(numpy(got), numpy(want), atol=1e-6)
        copy.compile(keras.optimizers.Adam(0.01))
        assert np.isfinite(copy.fit(x, epochs=1, batch_size=8, verbose=0).history["loss"][0])
    else:
        got = float(namespace[cls.__name__](temperature=0.2)([z_a, z_b]))
        assert got == pytest.approx(float(cls(temperature=0.2)([z_a, z_b])), rel=1e-6)


# ------------------------------------------------------------------ helpers
def test_similarity_matrix_is_the_cosine_of_every_pair():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    by_hand = [[x @ y / np.linalg.norm(x) / np.linalg.norm(y) for y in b] for x in a]
    np.testing.assert_allclose(alignment.similarity_matrix(a, b), by_hand)
    with pytest.raises(ValueError, match=r"one embedding size, got shapes \(5, 3\) and \(4, 2\)"):
        alignment.similarity_matrix(a, rng.normal(size=(4, 2)))
    zero = alignment.similarity_matrix(np.zeros((1, 3)), b)  # no direction: similarity 0
    np.testing.assert_array_equal(zero, np.zeros((1, 4)))
    with pytest.raises(ValueError, match="non-empty finite 2-D array"):
        alignment.similarity_matrix(np.ones(3), b)


def test_zero_shot_picks_the_most_similar_prompt():
    prompts = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    queries = np.array([[0.1, 0.0, 5.0], [2.0, 1.0, 0.0], [0.0, 3.0, 2.9], [-1.0, -1.0, -0.5]])
    np.testing.assert_array_equal(alignment.zero_shot_classify(queries, prompts), [2, 0, 1, 2])


def test_label_subset_is_stratified_and_seeded():
    y = np.repeat(np.arange(4), [10, 20, 30, 200])
    idx = alignment.label_subset(y, 0.1, seed=0)
    np.testing.assert_array_equal(np.bincount(y[idx]), [1, 2, 3, 20])
    assert np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(idx, alignment.label_subset(y, 0.1, seed=0))
    assert not np.array_equal(idx, alignment.label_subset(y, 0.1, seed=1))
    assert np.bincount(y[alignment.label_subset(y, 0.001)]).tolist() == [1, 1, 1, 1]
    with pytest.raises(ValueError, match=r"fraction must be a number in \(0, 1\], got 0"):
        alignment.label_subset(y, 0)


def test_linear_probe_reads_what_the_features_carry():
    rng = np.random.default_rng(8)
    y = rng.integers(0, 3, 600)
    informative = np.eye(3)[y] * 2 + rng.normal(size=(600, 3)) * 0.3
    noise = rng.normal(size=(600, 3))
    accuracy, predicted = alignment.linear_probe(informative[:400], y[:400], informative[400:],
                                                 y[400:], fraction=0.1)  # fmt: skip
    assert accuracy > 0.95 and accuracy == pytest.approx(np.mean(predicted == y[400:]))
    chance, _ = alignment.linear_probe(noise[:400], y[:400], noise[400:], y[400:])
    assert chance < 0.5
    with pytest.raises(ValueError, match="one label per embedding expected"):
        alignment.linear_probe(noise[:400], y[:300], noise[400:], y[400:])


# ------------------------------------------------------------------ figures
def test_alignment_figures_draw_and_reject_bad_input():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from mmtutor import plotting

    fig = plotting.plot_similarity_matrices({"a": np.eye(4), "b": -np.eye(4)}, labels=[1, 0, 1, 0],
                                            class_names=["zero", "one"])  # fmt: skip
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["zero", "one"]
    with pytest.raises(ValueError, match="square of side 3"):
        plotting.plot_similarity_matrices({"a": np.eye(4)}, labels=[0, 1, 2])
    with pytest.raises(ValueError, match="non-empty dict"):
        plotting.plot_similarity_matrices(np.eye(3))
    fig = plotting.plot_retrieved_images(np.zeros((2, 3, 8, 8, 1)), np.eye(2, 3, dtype=bool),
                                         ["q1", "q2"])  # fmt: skip
    frames = [ax.spines["top"].get_edgecolor() for ax in fig.axes]
    assert frames.count(frames[0]) == 2  # the two correct matches share the green frame
    with pytest.raises(ValueError, match="must agree"):
        plotting.plot_retrieved_images(np.zeros((2, 3, 8, 8)), np.ones((2, 2), bool), ["q1", "q2"])
    table = pd.DataFrame({"R@1": [0.5, 0.7]}, index=pd.Index([0.1, 1.0], name="temperature"))
    fig = plotting.plot_sweeps({"T": table}, "R@1", chance=0.1)
    assert fig.axes[0].get_xscale() == "log" and fig.axes[0].get_xlabel() == "temperature"
    with pytest.raises(ValueError, match="is empty"):
        plotting.plot_sweeps({"T": table.iloc[:0]}, "R@1")
    plt.close("all")
