"""mmtutor.scaling (notebook 16): file pipelines, dtype policies, the custom training loop,
logical CPUs and MirroredStrategy, FLOPs, the Pareto front, and the figures."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from mmtutor import plotting, scaling
from mmtutor.data import from_manifest, load_mmdigits

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data():
    return load_mmdigits(seed=0)


@pytest.fixture(scope="module")
def manifest(data, tmp_path_factory):
    return scaling.write_split_files(data.test, tmp_path_factory.mktemp("files"), count=10)


def _collect(ds):
    xs = {"image": [], "audio": [], "text": []}
    ys = []
    for x, y in ds:
        for k in xs:
            xs[k].append(np.asarray(x[k]))
        ys.append(np.asarray(y))
    return {k: np.concatenate(v) for k, v in xs.items()}, np.concatenate(ys)


# ------------------------------------------------------------------ pipelines
def test_files_hold_the_split_up_to_8_and_16_bit_rounding(data, manifest):
    x, y = _collect(scaling.file_pipeline(manifest, batch_size=4))
    np.testing.assert_array_equal(y, data.test.y[:10])
    np.testing.assert_allclose(x["image"], data.test.x["image"][:10], atol=0.5 / 255 + 1e-6)
    # a WAV stores int16; the decoder scales each recording back to a peak of 0.9
    original = data.test.x["audio"][:10]
    expected = original / np.abs(original).max(axis=1, keepdims=True) * 0.9
    np.testing.assert_allclose(x["audio"], expected, atol=1e-3)
    assert [t.decode() for t in x["text"]] == list(data.test.x["text"][:10])


def test_every_variant_gives_what_from_manifest_gives(manifest):
    reference = from_manifest(manifest, image_col="image", audio_col="audio", text_col="text",
                              image_size=(8, 8), labels=list(range(10)), verbose=False)  # fmt: skip
    ref_x, ref_y = _collect(reference.batch(3))
    for name, options in scaling.PIPELINE_VARIANTS.items():
        x, y = _collect(scaling.file_pipeline(manifest, batch_size=3, **options))
        order = np.lexsort((x["audio"][:, 2000], y)) if options.get("interleave") else None
        ref_order = np.lexsort((ref_x["audio"][:, 2000], ref_y)) if order is not None else None
        for k in ("image", "audio", "text"):
            got = x[k] if order is None else x[k][order]
            want = ref_x[k] if order is None else ref_x[k][ref_order]
            np.testing.assert_array_equal(got, want, err_msg=f"{name}: {k}")
        np.testing.assert_array_equal(np.sort(y), np.sort(ref_y))


def test_interleave_reads_round_robin_over_the_shards(manifest):
    _, y = _collect(scaling.file_pipeline(manifest, batch_size=10, interleave=2))
    _, y_in_order = _collect(scaling.file_pipeline(manifest, batch_size=10))
    # shard k holds rows k, k + 2, ...; interleave alternates the two shards
    expected = np.stack([y_in_order[0::2], y_in_order[1::2]], axis=1).ravel()
    np.testing.assert_array_equal(y, expected)


def test_the_vectorizer_runs_in_the_pipeline(data, manifest):
    from mmtutor.preprocessing import make_text_vectorizer

    vectorizer = make_text_vectorizer(data.train.x["text"])
    x, _ = _collect(scaling.file_pipeline(manifest, batch_size=4, vectorizer=vectorizer))
    np.testing.assert_array_equal(x["text"], vectorizer(data.test.x["text"][:10]).numpy())


def test_pipeline_rejects_bad_arguments(tmp_path, manifest):
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        scaling.file_pipeline(manifest, batch_size=0)
    bad = tmp_path / "m.csv"
    bad.write_text("image,label\na.png,1\n")
    with pytest.raises(ValueError, match=r"no column \['audio', 'text'\]"):
        scaling.file_pipeline(bad)
    with pytest.raises(ValueError, match="count must be an integer in"):
        scaling.write_split_files(load_mmdigits().test, tmp_path, count=0)


def test_measure_throughput_counts_every_example_each_epoch():
    import tensorflow as tf

    runs = scaling.measure_throughput(tf.data.Dataset.range(11).batch(4), epochs=3)
    assert [n for n, _ in runs] == [11, 11, 11] and all(s >= 0 for _, s in runs)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        scaling.measure_throughput(tf.data.Dataset.range(3), epochs=0)


def test_formats_end_with_the_masked_suffix():
    assert scaling.format_rate(12345.4) == "12,345 ex/s (wall)"
    assert scaling.format_ms(0.25) == "250.0 ms (wall)"
    with pytest.raises(ValueError, match="finite and >= 0"):
        scaling.format_rate(float("nan"))
    with pytest.raises(ValueError, match="finite and >= 0"):
        scaling.format_ms(-1.0)


# ------------------------------------------------------------------ mixed precision
def test_dtype_policy_is_restored_even_after_an_error():
    before = keras.config.dtype_policy().name
    with pytest.raises(RuntimeError), scaling.dtype_policy("mixed_bfloat16"):
        assert keras.config.dtype_policy().name == "mixed_bfloat16"
        raise RuntimeError
    assert keras.config.dtype_policy().name == before
    with pytest.raises(ValueError, match="name must be one of"):
        with scaling.dtype_policy("mixed_float8"):
            pass


def test_mixed_float16_keeps_float32_variables_and_scales_the_loss():
    with scaling.dtype_policy("mixed_float16"):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="d")])
    table = scaling.layer_dtypes(model)
    assert table.loc["d"].tolist() == ["mixed_float16", "float32", "float16"]
    assert model.layers[0].kernel.dtype == "float32"
    assert keras.ops.convert_to_numpy(model(np.ones((2, 3), "float32"))).dtype == np.float16
    model.compile(optimizer="adam", loss="mse")
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    with pytest.raises(ValueError, match=r"no layer named \['x'\]"):
        scaling.layer_dtypes(model, ["x"])


# ------------------------------------------------------------------ training loop
def _vector_data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = {"m0": rng.normal(size=(n, 5)).astype("float32")}
    return x, (x["m0"][:, 0] + x["m0"][:, 1] > 0).astype("int32")


def _build():
    from mmtutor.encoders import build_vector_encoder
    from mmtutor.models import build_unimodal

    keras.utils.set_random_seed(0)
    return build_unimodal(build_vector_encoder(5, "m0"), num_classes=2, dropout=0.0)


def test_the_custom_loop_does_what_fit_does():
    import tensorflow as tf

    from mmtutor.training import compile_classifier

    x, y = _vector_data()
    loop = scaling.train_custom_loop(tf.distribute.get_strategy(), _build, x, y, epochs=2,
                                     batch_size=32, shuffle_seed=None)  # fmt: skip
    model = compile_classifier(_build())
    history = model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    assert loop.steps == 6
    np.testing.assert_allclose(loop.losses, history.history["loss"], rtol=1e-5)
    for a, b in zip(loop.model.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_the_custom_loop_rejects_bad_input():
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    x, y = _vector_data(40)
    with pytest.raises(ValueError, match="need at least batch_size=64 examples, got 40"):
        scaling.train_custom_loop(strategy, _build, x, y)
    with pytest.raises(ValueError, match="as many examples"):
        scaling.train_custom_loop(strategy, _build, x, y[:10], batch_size=8)
    with pytest.raises(TypeError, match="x must be a dict"):
        scaling.train_custom_loop(strategy, _build, x["m0"], y, batch_size=8)


def test_tf_config_and_free_ports():
    config = json.loads(scaling.tf_config(["127.0.0.1:1000", "127.0.0.1:1001"], 1))
    assert config == {"cluster": {"worker": ["127.0.0.1:1000", "127.0.0.1:1001"]},
                      "task": {"type": "worker", "index": 1}}  # fmt: skip
    with pytest.raises(ValueError, match=r"index must be in \[0, 2\), got 2"):
        scaling.tf_config(["a:1", "b:2"], 2)
    with pytest.raises(ValueError, match="host:port"):
        scaling.tf_config(["a"], 0)
    ports = scaling.free_ports(3)
    assert len(set(ports)) == 3


MIRRORED = """
import mmtutor
mmtutor.setup(seed=0, verbose=False)
from mmtutor import scaling
print(scaling.use_logical_cpus(2))
print(scaling.use_logical_cpus(2))  # again, same count: harmless
import numpy as np, tensorflow as tf
sys_path = {tests!r}
import sys; sys.path.insert(0, sys_path)
from test_scaling import _build, _vector_data
from mmtutor.training import compile_classifier
x, y = _vector_data(128)
weights, losses = {{}}, {{}}
for name, strategy in [("one", tf.distribute.get_strategy()),
                       ("two", tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))]:
    with strategy.scope():
        model = compile_classifier(_build())
    history = model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    loop = scaling.train_custom_loop(strategy, _build, x, y, epochs=2, batch_size=32,
                                     shuffle_seed=None)
    weights[name] = (model.get_weights(), loop.model.get_weights())
    losses[name] = (history.history["loss"], loop.losses)
    print(name, strategy.num_replicas_in_sync)
for k in range(2):
    diff = max(np.abs(a - b).max() for a, b in zip(weights["one"][k], weights["two"][k]))
    print("max weight difference", k, diff)
    assert diff < 1e-5, diff
    np.testing.assert_allclose(losses["one"][k], losses["two"][k], rtol=1e-5)
try:
    scaling.use_logical_cpus(3)
except RuntimeError as exc:
    print("late:", exc)
"""


def test_mirrored_over_two_logical_cpus_matches_one_device():
    """In a fresh process (devices are fixed when TensorFlow starts): fit and the custom
    loop under MirroredStrategy over 2 logical CPUs reach the weights of one device."""
    script = MIRRORED.format(tests=str(Path(__file__).parent))
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True,
                         text=True, timeout=600, cwd=REPO)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout
    assert "['/device:CPU:0', '/device:CPU:1']" in out
    assert "one 1" in out and "two 2" in out
    assert "late: cannot split the CPU into 3 devices: TensorFlow already started with 2" in out


def test_use_logical_cpus_rejects_a_bad_count():
    with pytest.raises(ValueError, match="count must be an integer >= 1, got 0"):
        scaling.use_logical_cpus(0)


# ------------------------------------------------------------------ cost
def test_count_flops_matches_the_formula():
    model = keras.Sequential([
        keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3, padding="same"),
        keras.layers.Flatten(), keras.layers.Dense(5),
    ])  # fmt: skip
    conv = 2 * 6 * 6 * 3 * (3 * 3 * 2) + 6 * 6 * 3  # multiply-adds per output value + bias
    dense = 2 * 108 * 5 + 5
    assert scaling.count_flops(model) == conv + dense
    assert scaling.count_flops(model, batch_size=4) == 4 * (conv + dense)
    inputs = {"a": keras.Input((3,), name="a"), "b": keras.Input((2,), name="b")}
    joined = keras.layers.Concatenate()([inputs["a"], inputs["b"]])
    two = keras.Model(inputs, keras.layers.Dense(4, use_bias=False)(joined))
    assert scaling.count_flops(two) == 2 * 5 * 4
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        scaling.count_flops(model, batch_size=0)


def test_pareto_front_matches_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(20):
        costs = rng.integers(1, 6, size=8).astype(float)
        scores = rng.integers(0, 5, size=8) / 4
        front = scaling.pareto_front(costs, scores)
        brute = [
            i for i in range(8)
            if not any(costs[j] <= costs[i] and scores[j] >= scores[i]
                       and (costs[j], scores[j]) != (costs[i], scores[i]) for j in range(8))
        ]  # fmt: skip
        assert sorted(front.tolist()) == brute
        assert np.all(np.diff(costs[front]) >= 0)
    with pytest.raises(ValueError, match="1-D of one length"):
        scaling.pareto_front([1, 2], [0.5])


# ------------------------------------------------------------------ figures
def test_figures():
    fig = plotting.plot_throughput({"a": [1.0, 2.0], "b": [3.0, 4.0]}, reference=2.5)
    assert len(fig.axes[0].patches) == 4
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a", "b"]
    with pytest.raises(ValueError, match="same number"):
        plotting.plot_throughput({"a": [1.0], "b": [1.0, 2.0]})
    fig = plotting.plot_pareto([10, 100], [0.5, 0.7], ["x", "y"], front=[0, 1])
    assert [t.get_text() for t in fig.axes[0].texts] == ["x", "y"]
    with pytest.raises(ValueError, match="costs must be > 0"):
        plotting.plot_pareto([0, 1], [0.5, 0.6], ["x", "y"])
