"""Helpers added for notebooks 07-08: frozen-encoder fusion comparison, per-class means, heat maps."""

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import mmtutor  # noqa: E402

mmtutor.setup(seed=0, verbose=False)

from mmtutor import plotting  # noqa: E402
from mmtutor.data import load_mmdigits  # noqa: E402
from mmtutor.encoders import build_encoder  # noqa: E402
from mmtutor.evaluation import mean_by_class  # noqa: E402
from mmtutor.training import compare_frozen_fusion, embed_splits  # noqa: E402

MODALITIES = ["image", "text"]


@pytest.fixture(scope="module")
def small():
    return load_mmdigits(seed=0, examples_per_image=1)


@pytest.fixture(scope="module")
def encoders(small):
    return {m: build_encoder(m, small.train, embedding_dim=8) for m in MODALITIES}


def test_embed_splits_shapes_and_labels(small, encoders):
    embedded = embed_splits(small, encoders)
    for name in ("train", "val", "test"):
        split, orig = getattr(embedded, name), getattr(small, name)
        assert set(split.x) == set(MODALITIES)
        assert all(split.x[m].shape == (len(orig), 8) for m in MODALITIES)
        np.testing.assert_array_equal(split.y, orig.y)
    with pytest.raises(ValueError, match="no input for"):
        embed_splits(small, {"video": encoders["image"]})
    with pytest.raises(ValueError, match="non-empty dict"):
        embed_splits(small, {})


@pytest.fixture(scope="module")
def frozen_twice(small, encoders):
    """The same comparison run twice: once embedding the splits itself, once on embeddings
    given by embed_splits (computed separately). Equal tables say the run is deterministic
    and that given embeddings are what it computes itself."""
    before = [w.copy() for w in encoders["image"].get_weights()]
    # one method per front end and projection kind (plain embeddings, Dense(16) projections,
    # the weight-free features of "early"): the mechanism, not each method
    methods = ["concat", "tensor", "early"]
    options = {"epochs": 1, "head_units": 8, "ablate": ["text"]}
    own = compare_frozen_fusion(encoders, small, methods, **options)[0]
    embedded = embed_splits(small, encoders)
    reused = compare_frozen_fusion(encoders, small, methods, embedded=embedded, **options)[0]
    return methods, before, own, reused


def test_compare_frozen_fusion_trains_only_fusion_and_is_deterministic(encoders, frozen_twice):
    methods, before, table, again = frozen_twice
    assert list(table.index) == methods
    assert {"parameters", "test accuracy", "without text"} <= set(table.columns)
    assert table.drop(columns="train time").equals(again.drop(columns="train time"))
    # the encoders are untouched: only fusion + head are trained
    for a, b in zip(before, encoders["image"].get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # concat on two 8-d embeddings: Dense(16 -> 8) + Dense(8 -> 10)
    assert table.loc["concat", "parameters"] == 16 * 8 + 8 + 8 * 10 + 10
    # tensor: a Dense(16) projection per modality first -> 17 * 17 features
    assert table.loc["tensor", "parameters"] == 2 * (8 * 16 + 16) + (17 * 17 + 1) * 8 + 90
    assert ((table["test accuracy"] >= 0) & (table["test accuracy"] <= 1)).all()


def test_compare_frozen_fusion_reuses_given_embeddings(small, encoders, frozen_twice):
    # the comparison of frozen_twice: one run embeds the splits itself, one is given them
    _, _, own, reused = frozen_twice
    assert "concat" in own.index and "without text" in own.columns
    assert own.drop(columns="train time").equals(reused.drop(columns="train time"))
    wrong = embed_splits(small, {"image": encoders["image"]})
    with pytest.raises(ValueError, match="embedded holds modalities"):
        compare_frozen_fusion(encoders, small, ["concat"], embedded=wrong)


def test_frozen_heads_with_missing_handling_agree_with_their_models_on_raw_inputs(small, encoders):
    """The "without" column of a dropout head (embeddings flagged with their raw input's
    presence) equals the accuracy of the same head put back on raw inputs with
    attach_front_ends, on the ablated raw test inputs."""
    from mmtutor.evaluation import ablate, model_accuracy
    from mmtutor.models import attach_front_ends

    table, results = compare_frozen_fusion(
        encoders, small, ["gated", "late_mean"], epochs=1, head_units=8, ablate=MODALITIES,
        how="zero", model_options={"modality_dropout": 0.3, "missing": "token"},
    )  # fmt: skip
    for method in ("gated", "late_mean"):
        head = results[method].model
        assert all(t.shape[-1] == 9 for t in head.inputs)  # 8 features + the presence flag
        model = attach_front_ends(head, encoders)
        x = small.test.inputs(MODALITIES)
        assert table.loc[method, "test accuracy"] == round(
            model_accuracy(model, x, small.test.y), 3
        )
        for m in MODALITIES:
            expected = model_accuracy(model, ablate(x, m, how="zero"), small.test.y)
            assert table.loc[method, f"without {m}"] == round(expected, 3)


def test_compare_frozen_fusion_errors(small, encoders):
    with pytest.raises(ValueError, match="methods must be"):
        compare_frozen_fusion(encoders, small, ["nope"])
    with pytest.raises(ValueError, match="2\\+ entries"):
        compare_frozen_fusion({"image": encoders["image"]}, small, ["concat"])
    with pytest.raises(ValueError, match="cannot ablate"):
        compare_frozen_fusion(encoders, small, ["concat"], ablate=["audio"])
    with pytest.raises(ValueError, match=r"fusion_options names unknown methods \['FiLM'\]"):
        compare_frozen_fusion(encoders, small, ["concat"], fusion_options={"FiLM": {"target": 1}})


def test_mean_by_class():
    values = np.array([[1.0, 0.0], [3.0, 2.0], [5.0, 4.0]])
    out = mean_by_class(values, np.array([0, 0, 2]), num_classes=3)
    np.testing.assert_allclose(out[0], [2.0, 1.0])
    assert np.isnan(out[1]).all()
    np.testing.assert_allclose(out[2], [5.0, 4.0])
    with pytest.raises(ValueError, match="one row per label"):
        mean_by_class(values, np.array([0, 1]))
    with pytest.raises(ValueError, match="labels must be in"):
        mean_by_class(values, np.array([0, 1, 5]), num_classes=3)


def test_plot_fusion_weights():
    fig = plotting.plot_fusion_weights(np.full((3, 2), 0.5), ["a", "b", "c"], ["x", "y"], title="t")
    assert len(fig.axes) == 2  # heat map + colour bar
    fig = plotting.plot_fusion_weights(
        np.ones((2, 3, 2)), ["a", "b", "c"], ["x", "y"], panel_titles=["h1", "h2"]
    )
    assert len(fig.axes) == 3
    with pytest.raises(ValueError, match="must have shape"):
        plotting.plot_fusion_weights(np.ones((2, 2)), ["a", "b", "c"], ["x", "y"])
    with pytest.raises(ValueError, match="panel titles"):
        plotting.plot_fusion_weights(np.ones((2, 3, 2)), ["a", "b", "c"], ["x", "y"], ["h1"])


def test_identity_front_end_is_not_trainable(small, encoders):
    from mmtutor.training.frozen import _identity_encoder

    assert _identity_encoder("image", 8).count_params() == 0
    assert isinstance(_identity_encoder("image", 8, units=4).layers[-1], keras.layers.Dense)
    flagged = _identity_encoder("image", 3, flagged=True)
    out = flagged.predict(np.array([[1.0, 2.0, 3.0, 1.0]], "float32"), verbose=0)
    np.testing.assert_array_equal(out, [[1.0, 2.0, 3.0]])  # the presence flag is cut off


def test_frozen_ablation_and_robustness_equal_the_heads_on_raw_inputs(small, encoders):
    """Embedding each damaged input once for every head gives the same accuracies as
    putting each head (every seed's) back on raw inputs and evaluating it there."""
    from mmtutor.evaluation import modality_ablation, robustness_table
    from mmtutor.models import attach_front_ends
    from mmtutor.training import frozen_ablation, frozen_robustness

    _, plain = compare_frozen_fusion(encoders, small, ["concat"], epochs=1, head_units=8,
                                     seeds=[0, 1])  # fmt: skip
    _, dropped = compare_frozen_fusion(encoders, small, ["gated"], epochs=1, head_units=8,
                                       model_options={"modality_dropout": 0.3})  # fmt: skip
    results = {"concat": plain["concat"], "gated + dropout": dropped["gated"]}
    x, y = small.test.inputs(MODALITIES), small.test.y
    table, preds = frozen_ablation(results, encoders, x, y, how="zero", return_predictions=True)
    assert preds["without image"]["concat"].shape == (2, len(y))
    curves = frozen_robustness(results, encoders, x, y, "image", "occlusion", (0.0, 0.5, 1.0))
    for name, result in results.items():
        on_raw = [attach_front_ends(run.model, encoders) for run in (result.runs or [result])]
        expected = {k: np.mean([modality_ablation(m, x, y, how="zero")[k] for m in on_raw])
                    for k in table.columns}  # fmt: skip
        for k, v in expected.items():
            assert table.loc[name, k] == pytest.approx(v, abs=1e-9), (name, k)
        swept = robustness_table({i: m for i, m in enumerate(on_raw)}, x, y, "image",
                                 "occlusion", (0.0, 0.5, 1.0))  # fmt: skip
        np.testing.assert_allclose(curves[name].to_numpy(), swept.mean(axis=1).to_numpy())
    with pytest.raises(ValueError, match="modality must be one of the encoders"):
        frozen_robustness(results, encoders, x, y, "audio", "noise")
