import dataclasses

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import mmtutor  # noqa: E402

mmtutor.setup(seed=0, verbose=False)

from mmtutor import plotting  # noqa: E402
from mmtutor.data import load_mmdigits  # noqa: E402
from mmtutor.encoders import build_image_encoder  # noqa: E402
from mmtutor.models import build_unimodal  # noqa: E402
from mmtutor.training import compile_classifier, train_and_evaluate  # noqa: E402


@pytest.fixture(scope="module")
def small():
    return load_mmdigits(seed=0, examples_per_image=1)


def test_train_and_evaluate_reports_and_is_deterministic(small):
    results = []
    for _ in range(2):
        mmtutor.setup(seed=0, verbose=False)
        results.append(train_and_evaluate(build_unimodal(build_image_encoder()), small, epochs=2))
    a, b = results
    assert a.history == b.history and a.test_accuracy == b.test_accuracy
    assert (
        set(a.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
        and len(a.history["loss"]) == 2
    )
    assert 0.0 <= a.test_accuracy <= 1.0 and a.seconds > 0
    assert a.params == build_unimodal(build_image_encoder()).count_params()
    assert (
        a.summary().startswith("unimodal_image: ")
        and ", 2 epochs, " in a.summary()
        and f"test accuracy {a.test_accuracy:.3f}" in a.summary()
    )
    one = dataclasses.replace(a, history={"loss": [a.history["loss"][0]]})
    assert ", 1 epoch, " in one.summary()


def test_train_and_evaluate_rejects_bad_arguments(small):
    model = build_unimodal(build_image_encoder())
    with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
        train_and_evaluate(model, small, epochs=0)
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        compile_classifier(model, learning_rate=0)

    class NoImage:
        train = type("S", (), {"x": {"audio": None}})()

    with pytest.raises(
        ValueError, match=r"the model takes inputs \['image'\], but the data has only \['audio'\]"
    ):
        train_and_evaluate(model, NoImage(), epochs=1)


def test_figures_have_the_expected_axes(small):
    x = small.test
    assert len(plotting.plot_image_grid(x.x["image"][:10], x.y[:10], ncols=5).axes) == 10
    spec = np.zeros((30, 32))
    assert (
        len(plotting.plot_waveform_and_spectrogram(x.x["audio"][0], spec).axes) == 3
    )  # + colorbar
    fig = plotting.plot_class_balance({"train": small.train.y, "test": small.test.y})
    assert len(fig.axes[0].patches) == 20
    fig = plotting.plot_history({"loss": [1, 0.5], "accuracy": [0.2, 0.4], "val_loss": [1, 0.6],
                                 "val_accuracy": [0.3, 0.4]})  # fmt: skip
    assert [len(ax.lines) for ax in fig.axes] == [2, 2]
    wav = plotting.audio_player(x.x["audio"][0]).data  # a WAV file: the rate is at bytes 24-28
    assert wav[:4] == b"RIFF" and int.from_bytes(wav[24:28], "little") == 8000


def test_figures_reject_bad_input():
    with pytest.raises(
        ValueError, match=r"images must be a non-empty array of rank 3 or 4, got shape \(8, 8\)"
    ):
        plotting.plot_image_grid(np.zeros((8, 8)))
    with pytest.raises(ValueError, match="got 2 images but 3 labels"):
        plotting.plot_image_grid(np.zeros((2, 8, 8)), [1, 2, 3])
    with pytest.raises(
        ValueError, match=r"waveform must be a non-empty array of rank 1, got shape \(2, 4000\)"
    ):
        plotting.audio_player(np.zeros((2, 4000)))
    with pytest.raises(ValueError, match="labels_by_split must name at least one split"):
        plotting.plot_class_balance({})
    with pytest.raises(ValueError, match=r"history must hold 'loss' and 'accuracy'"):
        plotting.plot_history({"loss": [1.0]})


def test_format_seconds_keeps_a_fixed_width_in_tables():
    from mmtutor.training import format_seconds

    assert format_seconds(12.34) == "12.3 s (wall)"
    assert format_seconds(5.04, width=6) == "   5.0 s (wall)"
    assert len(format_seconds(5.0, width=6)) == len(format_seconds(123.4, width=6))


def test_ablate_removes_one_modality_and_keeps_the_others():
    from mmtutor.evaluation import ablate

    x = {"a": np.arange(6.0).reshape(3, 2), "t": np.array(["x y", "x", "x"], dtype=object)}
    zero = ablate(x, "a")
    assert np.all(zero["a"] == 0) and zero["t"] is x["t"] and x["a"][0, 1] == 1  # input kept
    np.testing.assert_allclose(ablate(x, "a", "mean")["a"], [[2, 3]] * 3)
    assert list(ablate(x, "t")["t"]) == ["", "", ""]
    assert list(ablate(x, "t", "mean")["t"]) == ["x"] * 3
    shuffled = ablate(x, "a", "shuffle", seed=0)["a"]
    assert sorted(map(tuple, shuffled)) == sorted(map(tuple, x["a"]))
    with pytest.raises(
        ValueError, match="modality must be one of the inputs \\['a', 't'\\], got 'b'"
    ):
        ablate(x, "b")
    with pytest.raises(ValueError, match="how must be 'zero', 'mean' or 'shuffle', got 'drop'"):
        ablate(x, "a", "drop")


def test_compare_models_tabulates_each_model_and_its_ablations():
    from mmtutor.data import make_interactions
    from mmtutor.encoders import build_vector_encoder
    from mmtutor.models import fusion_builders
    from mmtutor.training import compare_models

    data = make_interactions("uniqueness", n=400)
    encoders = lambda: [build_vector_encoder(8, m, embedding_dim=4) for m in data.modalities]  # noqa: E731
    builders = fusion_builders(
        encoders, data.train, ["early", "late_mean"], num_classes=2, head_units=4
    )
    table, results = compare_models(builders, data, epochs=2, ablate=["m0", "m1"])
    assert list(table.index) == ["early", "late_mean"] and set(results) == set(builders)
    assert list(table.columns[-2:]) == ["without m0", "without m1"]
    for name, result in results.items():
        assert table.loc[name, "test accuracy"] == round(result.test_accuracy, 3)
        assert table.loc[name, "parameters"] == result.params
    again, _ = compare_models(builders, data, epochs=2)  # re-seeded: same numbers
    assert list(again["test accuracy"]) == list(table["test accuracy"])
    with pytest.raises(ValueError, match="cannot ablate \\['image'\\]"):
        compare_models(builders, data, ablate=["image"])
    with pytest.raises(ValueError, match="builders must be a non-empty dict"):
        compare_models({}, data)


def test_fusion_figures():
    import pandas as pd

    from mmtutor.data import make_interactions

    datasets = [make_interactions(k, n=300) for k in ("redundancy", "synergy")]
    fig = plotting.plot_interaction_data(datasets)
    assert len(fig.axes) == 2 and [ax.get_title() for ax in fig.axes] == ["redundancy", "synergy"]
    table = pd.DataFrame({"a": [0.5, 0.9], "b": [0.7, np.nan]}, index=["late", "tensor"])
    fig = plotting.plot_method_comparison(table, chance=0.5)
    assert len(fig.axes[0].patches) == 3  # the missing value draws no bar
    with pytest.raises(ValueError, match="columns must be non-empty and in the table"):
        plotting.plot_method_comparison(table, ["c"])


def test_unimodal_baselines_trains_each_present_modality(small):
    from dataclasses import replace

    from mmtutor.training import unimodal_baselines

    def drop_text(split):
        return replace(split, x={m: v for m, v in split.x.items() if m != "text"})

    two = replace(small, train=drop_text(small.train), val=drop_text(small.val),
                  test=drop_text(small.test))  # fmt: skip
    baselines = unimodal_baselines(two, epochs=1, kinds={"image": "cnn"})
    assert list(baselines) == ["image", "audio"]  # no text in the data, no text baseline
    assert [t.name for t in baselines["audio"].model.inputs] == ["audio"]
    assert all(0.0 <= r.test_accuracy <= 1.0 for r in baselines.values())
    with pytest.raises(ValueError, match="kinds keys must be modalities"):
        unimodal_baselines(small, epochs=1, kinds={"video": "cnn"})
