"""mmtutor.plotting: the text each figure draws (titles, tick labels, cell annotations,
legend entries), and that importing the package changes no global setting."""

import matplotlib

matplotlib.use("Agg")

import subprocess  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from mmtutor import evaluation as ev  # noqa: E402
from mmtutor import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def _ticks(labels) -> list[str]:
    return [t.get_text() for t in labels]


def test_confusion_matrix_cells_show_rates_and_a_full_row_as_1():
    """Defect: a rate >= 0.995 was written ".00" (the leading "1" of "1.00" was cut)."""
    matrix = np.array([[20, 0, 0], [1, 8, 1], [0, 3, 97]])
    fig = plotting.plot_confusion_matrix(matrix, ["a", "b", "c"], title="test split")
    ax = fig.axes[0]
    # row by row, cells >= 0.05 only: 20/20; 1/10, 8/10, 1/10; 3/100 hidden, 97/100
    assert _texts(ax) == ["1", ".10", ".80", ".10", ".97"]
    assert [t.get_position() for t in ax.texts] == [(0, 0), (0, 1), (1, 1), (2, 1), (2, 2)]
    assert _ticks(ax.get_xticklabels()) == ["a", "b", "c"]
    assert _ticks(ax.get_yticklabels()) == ["a", "b", "c"]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("predicted", "true", "test split")
    rounded_up = plotting.plot_confusion_matrix(np.array([[996, 4], [0, 0]])).axes[0]
    assert _texts(rounded_up) == ["1"]  # 0.996 prints as 1; the empty row draws nothing
    assert _ticks(rounded_up.get_xticklabels()) == ["0", "1"]


def test_method_comparison_labels_methods_columns_and_chance():
    table = pd.DataFrame(
        {"test accuracy": [0.5, 0.9], "without audio": [0.7, np.nan]}, index=["late", "tensor"]
    )
    fig = plotting.plot_method_comparison(table, chance=0.1, title="fusion methods")
    ax = fig.axes[0]
    assert _ticks(ax.get_yticklabels()) == ["late", "tensor"]
    assert _legend(ax) == ["chance", "test accuracy", "without audio"]  # lines before bars
    assert (ax.get_title(), ax.get_xlabel()) == ("fusion methods", "test accuracy")
    widths = sorted(round(p.get_width(), 6) for p in ax.patches)
    assert widths == [0.5, 0.7, 0.9]  # the missing value draws no bar
    one = plotting.plot_method_comparison(table, ["test accuracy"], xlabel="accuracy").axes[0]
    assert one.get_legend() is None and one.get_xlabel() == "accuracy"


def test_reliability_diagram_legend_gives_each_curve_its_ece():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), 300)
    y = rng.integers(0, 3, 300)
    sharp = ev.softmax(np.log(probs) * 4)
    curves = {"raw": ev.reliability_curve(probs, y), "sharp": ev.reliability_curve(sharp, y)}
    fig = plotting.plot_reliability_diagram(curves, title="reliability")
    top, bottom = fig.axes
    expected = [
        "perfect calibration",
        f"raw (ECE {ev.expected_calibration_error(probs, y):.3f})",
        f"sharp (ECE {ev.expected_calibration_error(sharp, y):.3f})",
    ]
    assert _legend(top) == expected
    assert top.get_title() == "reliability" and top.get_ylabel() == "accuracy in bin"
    assert bottom.get_xlabel() == "confidence (largest class probability)"
    heights = np.array([p.get_height() for p in bottom.patches]).reshape(2, -1)
    np.testing.assert_allclose(heights.sum(axis=1), 1.0)  # fractions of each model's examples


def test_robustness_curves_titles_and_legend():
    table = pd.DataFrame(
        {"late": [0.9, 0.5], "early": [0.8, 0.7]}, index=pd.Index([0.0, 1.0], name="severity")
    )
    fig = plotting.plot_robustness_curves({"noise": table, "occlusion": table}, title="image")
    assert [ax.get_title() for ax in fig.axes] == ["noise", "occlusion"]
    assert fig.get_suptitle() == "image"
    assert _legend(fig.axes[1]) == ["late", "early", "chance"]
    assert fig.axes[0].get_ylabel() == "test accuracy" and fig.axes[0].get_xlabel() == "severity"
    single = plotting.plot_robustness_curves(table, title="audio noise", chance=None)
    assert single.axes[0].get_title() == "audio noise" and single.get_suptitle() == ""
    assert _legend(single.axes[0]) == ["late", "early"]
    np.testing.assert_allclose(single.axes[0].lines[0].get_ydata(), [0.9, 0.5])


def test_modality_importance_and_weights_annotate_their_values():
    fig = plotting.plot_modality_importance({"image": (0.1234, 0.01), "audio": 0.3})
    assert _texts(fig.axes[0]) == [" 0.123", " 0.300"]
    assert _ticks(fig.axes[0].get_yticklabels()) == ["image", "audio"]
    fig = plotting.plot_modality_weights({"image": 0.25, "audio": 0.75}, title="weights")
    assert _texts(fig.axes[0]) == ["0.25", "0.75"] and _legend(fig.axes[0]) == ["uniform 1/M"]


def test_every_figure_name_of_the_old_module_is_still_exported():
    names = [
        "audio_player", "plot_attention", "plot_class_balance", "plot_confusion_matrix",
        "plot_conv_filters", "plot_embeddings_2d", "plot_feature_distributions",
        "plot_feature_maps", "plot_filter_responses", "plot_filterbank", "plot_fusion_weights",
        "plot_history", "plot_image_grid", "plot_interaction_data", "plot_method_comparison",
        "plot_modality_importance", "plot_modality_weights", "plot_reliability_diagram",
        "plot_robustness_curves", "plot_saliency", "plot_spectrogram_feature_maps",
        "plot_spectrogram_grid", "plot_waveform_and_spectrogram",
    ]  # fmt: skip
    assert not set(names) - set(plotting.__all__), sorted(set(names) - set(plotting.__all__))
    assert all(callable(getattr(plotting, name)) for name in names)


def test_importing_the_packages_changes_no_global_setting():
    """rcParams (the backend included), environment variables and NumPy print options are
    the same before and after ``import mmtutor.plotting`` / ``mmtutor.evaluation``."""
    code = (
        "import os, matplotlib, numpy as np\n"
        "before = (matplotlib.rcParams.copy(), dict(os.environ), np.get_printoptions())\n"
        "import mmtutor.plotting, mmtutor.evaluation\n"
        "after = (matplotlib.rcParams.copy(), dict(os.environ), np.get_printoptions())\n"
        "assert before[0] == after[0], 'rcParams changed'\n"
        "assert before[1] == after[1], 'environment changed'\n"
        "assert before[2] == after[2], 'print options changed'\n"
        "assert matplotlib.rcParams._get('backend') == before[0]._get('backend')\n"
        "print('unchanged')\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "MPLBACKEND"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.stdout.strip() == "unchanged", result.stderr


def test_audio_player_of_silence_is_silent():
    """Defect: a silent waveform was divided by its peak of 0 (NaN samples cast to int16,
    with a RuntimeWarning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wav = plotting.audio_player(np.zeros(800)).data
    assert wav[:4] == b"RIFF" and int.from_bytes(wav[24:28], "little") == 8000
    samples = np.frombuffer(wav[44:], dtype="<i2")
    assert len(samples) == 800 and not samples.any()
    tone = np.frombuffer(plotting.audio_player(0.1 * np.sin(np.arange(800) / 3)).data[44:], "<i2")
    assert np.abs(tone).max() == 32767  # other waveforms are scaled to their peak
    with pytest.raises(ValueError, match="waveform must be finite"):
        plotting.audio_player(np.full(800, np.nan))
