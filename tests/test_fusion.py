"""Fusion layers (mmtutor.fusion) and the models that assemble them (mmtutor.models)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from mmtutor import fusion  # noqa: E402
from mmtutor.data import make_interactions  # noqa: E402
from mmtutor.models import (  # noqa: E402
    build_early_fusion,
    build_feature_extractor,
    build_fusion_model,
    build_late_fusion,
)

LATE = ("mean", "weighted", "stacking", "product_of_experts")
OPTIONS = {  # small sizes keep the tests fast
    "low_rank": {"units": 6, "rank": 3},
    "gated": {"units": 6},
    "bilinear": {"units": 6, "factor": 8},
    "cross_attention": {"units": 8, "num_heads": 2},
    "transformer": {"units": 8, "num_heads": 2},
    "graph": {"units": 8, "steps": 2},
}
EXPECTED_SIZE = {  # output features for inputs of sizes dims
    "concat": lambda dims: sum(dims),
    "tensor": lambda dims: int(np.prod([d + 1 for d in dims])),
    "film": lambda dims: dims[0],
}


def make(name):
    return fusion.FUSION_LAYERS[name](**OPTIONS.get(name, {}))


def sample(dims, batch=5, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(batch, d)).astype("float32") for d in dims]


@pytest.mark.parametrize("m", [2, 3])
@pytest.mark.parametrize("name", sorted(fusion.FUSION_LAYERS))
def test_output_shape_for_two_and_three_modalities(name, m):
    dims = [4] * m if name in LATE else [3, 4, 5][:m]
    out = make(name)(sample(dims))
    size = EXPECTED_SIZE.get(name, lambda d: OPTIONS.get(name, {}).get("units", 4))(dims)
    assert tuple(out.shape) == (5, size)
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(out)))


def test_dict_inputs_work_like_lists():
    xs = sample([3, 4])
    layer = fusion.TensorFusion()
    np.testing.assert_allclose(layer({"a": xs[0], "b": xs[1]}), layer(xs))


def test_tensor_fusion_is_the_outer_product_with_ones():
    xs = sample([2, 3, 2])
    a, b, c = (np.concatenate([x, np.ones((5, 1), "float32")], axis=1) for x in xs)
    expected = np.einsum("bi,bj,bk->bijk", a, b, c).reshape(5, -1)
    out = fusion.TensorFusion()(xs)
    assert out.shape == (5, 3 * 4 * 3)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_low_rank_fusion_equals_tensor_fusion_times_the_rebuilt_full_matrix():
    xs = sample([2, 3, 4])
    layer = fusion.LowRankFusion(units=5, rank=3)
    out = keras.ops.convert_to_numpy(layer(xs))
    factors = [keras.ops.convert_to_numpy(f) for f in layer.factors]  # (r, d_i + 1, units)
    # W[j1, j2, j3, o] = sum_k A_k[j1, o] B_k[j2, o] C_k[j3, o], rebuilt here by hand
    full = np.einsum("kau,kbu,kcu->abcu", *factors).reshape(-1, 5)
    z = keras.ops.convert_to_numpy(fusion.TensorFusion()(xs))
    bias = keras.ops.convert_to_numpy(layer.bias)
    np.testing.assert_allclose(out, z @ full + bias, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.full_weight()), full, rtol=1e-5)


def test_late_fusion_layers_match_their_formulas():
    xs = sample([4, 4, 4])
    probs = [np.exp(x) / np.exp(x).sum(1, keepdims=True) for x in xs]
    mean = keras.ops.convert_to_numpy(fusion.MeanFusion()(xs))
    np.testing.assert_allclose(np.exp(mean), np.mean(probs, axis=0), rtol=1e-4)
    poe = keras.ops.convert_to_numpy(keras.ops.softmax(fusion.ProductOfExperts()(xs)))
    product = np.prod(probs, axis=0)
    np.testing.assert_allclose(poe, product / product.sum(1, keepdims=True), rtol=1e-4)
    weighted = fusion.WeightedFusion()
    np.testing.assert_allclose(np.exp(weighted(xs)), np.mean(probs, axis=0), rtol=1e-4)
    np.testing.assert_allclose(weighted.modality_weights(), [1 / 3] * 3, rtol=1e-6)


@pytest.mark.parametrize("name", ["cross_attention", "transformer", "graph"])
def test_attention_layers_return_weights_that_sum_to_one(name):
    out, weights = make(name)(sample([3, 4, 5]), return_attention_scores=True)
    weights = keras.ops.convert_to_numpy(weights)
    expected = {
        "cross_attention": (5, 2, 1, 3),  # null token + 2 other modalities
        "transformer": (5, 2, 4, 4),  # [CLS] + 3 modalities
        "graph": (5, 3, 3),
    }[name]
    assert weights.shape == expected and out.shape[0] == 5
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)


def test_cross_attention_accepts_token_sequences():
    x_seq = np.random.default_rng(0).normal(size=(5, 7, 3)).astype("float32")
    out, w = fusion.CrossModalAttention(units=8)(
        [x_seq, sample([4])[0]], return_attention_scores=True
    )
    assert out.shape == (5, 8) and w.shape == (5, 2, 7, 2)


def test_gated_fusion_gates_are_a_distribution_over_modalities():
    out, gates = fusion.GatedFusion(units=6)(sample([3, 4, 5]), return_gates=True)
    assert out.shape == (5, 6) and gates.shape == (5, 3, 6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(gates).sum(1), 1.0, rtol=1e-5)


def mlp_encoder(name, d, width=6):
    x = keras.Input((d,), name=name)
    return keras.Model(x, keras.layers.Dense(width, activation="tanh")(x), name=f"{name}_enc")


@pytest.mark.parametrize("name", sorted(fusion.FUSION_LAYERS))
def test_gradients_reach_every_encoder_and_the_model_round_trips(name, tmp_path):
    keras.utils.set_random_seed(0)
    encoders = [mlp_encoder(f"m{i}", d) for i, d in enumerate([3, 4, 5])]
    if name in LATE:
        model = build_late_fusion(encoders, combine=name, num_classes=3)
    else:
        model = build_fusion_model(encoders, name, OPTIONS.get(name), head_units=4, num_classes=3)
    x = {f"m{i}": v for i, v in enumerate(sample([3, 4, 5], batch=6, seed=1))}
    y = np.array([0, 1, 2, 0, 1, 2])
    with tf.GradientTape(persistent=True) as tape:
        loss = keras.losses.sparse_categorical_crossentropy(y, model(x), from_logits=True)
    for enc in encoders:
        grads = tape.gradient(loss, enc.trainable_weights)
        assert all(g is not None for g in grads), (name, enc.name)
        assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads), (name, enc.name)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(
        model.predict(x, verbose=0), loaded.predict(x, verbose=0), rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("name", sorted(fusion.FUSION_LAYERS))
def test_one_modality_batch_mismatch_and_rank_mismatch_are_rejected(name):
    dims = [4, 4] if name in LATE else [3, 4]
    with pytest.raises(ValueError, match="fuses 2 or more modalities, got 1"):
        make(name)(sample(dims[:1]))
    with pytest.raises(ValueError, match="different batch sizes"):
        make(name)([sample(dims[:1], batch=5)[0], sample(dims[1:], batch=6)[0]])
    if name not in ("concat", "cross_attention"):  # these two accept sequences by design
        with pytest.raises(ValueError, match=r"expects every modality as \(batch, features\)"):
            make(name)([sample(dims[:1])[0], np.zeros((5, 2, 4), "float32")])
    with pytest.raises(ValueError, match="a list or dict of 2 or more modality tensors"):
        make(name)(np.zeros((5, 4), "float32"))


def test_layer_arguments_and_late_sizes_are_checked():
    with pytest.raises(ValueError, match="units must be a positive integer, got 0"):
        fusion.LowRankFusion(units=0)
    with pytest.raises(ValueError, match=r"the same size; got shapes \[\(5, 4\), \(5, 3\)\]"):
        fusion.MeanFusion()(sample([4, 3]))
    with pytest.raises(ValueError, match="target=2 but only 2 modalities"):
        fusion.FiLMFusion(target=2)(sample([3, 4]))
    with pytest.raises(ValueError, match="fusion must be a layer or one of"):
        build_fusion_model([mlp_encoder("a", 2), mlp_encoder("b", 2)], "sum")
    with pytest.raises(ValueError, match="combine must be one of"):
        build_late_fusion([mlp_encoder("a", 2), mlp_encoder("b", 2)], combine="max")
    with pytest.raises(ValueError, match="expects a list of 2\\+ encoders"):
        build_fusion_model([mlp_encoder("a", 2)], "concat")


def test_count_fusion_params_matches_the_documented_formulas():
    dims, u, r = [3, 4, 5], 6, 2
    assert fusion.count_fusion_params("tensor", dims) == 0
    assert (
        fusion.count_fusion_params("low_rank", dims, units=u, rank=r)
        == r * u * sum(d + 1 for d in dims) + u
    )
    assert fusion.count_fusion_params("film", dims) == (4 + 5 + 1) * 2 * 3
    assert fusion.count_fusion_params("stacking", [4, 4]) == (2 * 4 + 1) * 4


def test_feature_extractors_and_early_fusion():
    data = make_interactions("synergy", n=300)
    model = build_early_fusion(data.train, num_classes=2, head_units=8)
    assert model.output_shape == (None, 2) and model.get_layer("fusion").output.shape == (None, 16)
    text = build_feature_extractor("text", np.array(["an odd digit", "an even digit"], object))
    bag = keras.ops.convert_to_numpy(text(tf.constant(["odd odd digit"])))
    assert bag.shape[0] == 1 and set(np.unique(bag)) == {0.0, 1.0}  # multi-hot, not counts
    assert build_feature_extractor("audio", np.zeros((3, 4000), "float32")).output_shape == (
        None,
        30 * 32,
    )
    with pytest.raises(ValueError, match="unknown modalities \\['image'\\]"):
        build_early_fusion(data.train, modalities=["image", "m0"])
    with pytest.raises(ValueError, match="non-empty batch"):
        build_feature_extractor("image", np.zeros((0, 8, 8, 1)))


# ------------------------------------------------------------------ controlled interactions
@pytest.mark.parametrize("kind", ["redundancy", "uniqueness", "synergy"])
def test_interaction_labels_follow_the_documented_rule(kind):
    d = make_interactions(kind, num_modalities=3, n=600, seed=3)
    a, y = d.train.meta["attributes"], d.train.y
    assert d.modalities == ["m0", "m1", "m2"] and d.train.x["m2"].shape == (len(y), 8)
    if kind == "redundancy":
        assert np.all(a == a[:, :1]) and np.all(y == a[:, 0])
    elif kind == "uniqueness":
        assert np.all(y == a[:, 0]) and 0.4 < np.mean(a[:, 1] == y) < 0.6
    else:
        assert np.all(y == a[:, 0] ^ a[:, 1] ^ a[:, 2])
    assert len(d.train) + len(d.val) + len(d.test) == 600


def test_interactions_are_deterministic_and_each_modality_shows_its_attribute():
    a, b = make_interactions(seed=1, n=1000), make_interactions(seed=1, n=1000)
    np.testing.assert_array_equal(a.train.x["m1"], b.train.x["m1"])
    assert not np.array_equal(a.train.x["m1"], make_interactions(seed=2, n=1000).train.x["m1"])
    # the attribute is readable from its modality: the sign of the projection on the
    # mean difference of the two classes recovers it (noise 0.4 -> about 0.6 % error)
    for i in range(2):
        x, attr = a.train.x[f"m{i}"], a.train.meta["attributes"][:, i]
        direction = x[attr == 1].mean(0) - x[attr == 0].mean(0)
        assert np.mean((x @ direction > 0) == attr) > 0.97


def test_synergy_is_invisible_to_each_modality_alone():
    from sklearn.linear_model import LogisticRegression

    d = make_interactions("synergy", n=3000)
    for m in d.modalities:
        clf = LogisticRegression().fit(d.train.x[m], d.train.y)
        assert clf.score(d.test.x[m], d.test.y) < 0.6
    both = np.concatenate([d.train.x["m0"], d.train.x["m1"]], axis=1)
    clf = LogisticRegression().fit(both, d.train.y)  # additive in the modalities: no XOR
    assert clf.score(np.concatenate([d.test.x["m0"], d.test.x["m1"]], 1), d.test.y) < 0.6


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "xor"}, "kind must be one of"),
        ({"num_modalities": 4}, r"num_modalities must be an integer in \[2, 3\], got 4"),
        ({"noise": -0.1}, r"noise must be a number in \[0, 2\], got -0.1"),
        ({"n": 50}, r"n must be an integer in \[200, 100000\], got 50"),
        ({"fractions": (0.5, 0.5, 0.5)}, "fractions must be 3 positive numbers summing to 1"),
    ],
)
def test_interaction_parameters_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_interactions(**kwargs)
