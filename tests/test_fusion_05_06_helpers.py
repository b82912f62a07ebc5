"""Tests of the plotting helpers added for notebooks 05-06 (early and late fusion)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mmtutor import plotting  # noqa: E402


def test_plot_feature_distributions_one_panel_per_modality():
    rng = np.random.default_rng(0)
    features = {"image": rng.random((5, 64)), "audio": rng.normal(size=(5, 960))}
    fig = plotting.plot_feature_distributions(features, title="features")
    assert len(fig.axes) == 2
    assert fig.axes[1].get_title() == "audio: 960 features"
    plt.close(fig)


@pytest.mark.parametrize(
    ("features", "match"),
    [({}, "non-empty dict"), ({"image": np.zeros(4)}, "rank 2"), ([np.zeros((2, 2))], "dict")],
)
def test_plot_feature_distributions_rejects_bad_input(features, match):
    with pytest.raises(ValueError, match=match):
        plotting.plot_feature_distributions(features)


def test_plot_modality_weights_bars_and_uniform_line():
    fig = plotting.plot_modality_weights({"image": 0.3, "audio": 0.5, "text": 0.2}, title="w")
    ax = fig.axes[0]
    assert len(ax.patches) == 3
    assert ax.lines[0].get_ydata()[0] == pytest.approx(1 / 3)
    plt.close(fig)


@pytest.mark.parametrize(
    ("weights", "match"),
    [({"image": 1.0}, "2\\+ modality"), ({"a": -0.1, "b": 1.1}, "non-negative"),
     ({"a": float("nan"), "b": 1.0}, "finite")],
)  # fmt: skip
def test_plot_modality_weights_rejects_bad_input(weights, match):
    with pytest.raises(ValueError, match=match):
        plotting.plot_modality_weights(weights)
