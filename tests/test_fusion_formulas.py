"""Fusion layers against their documented formulas, parameter counts and the copy promise:
what ``mmtutor.show_source`` prints runs on its own (plain Keras, no hidden base class)."""

import ast
import inspect
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from copy_check import exec_copy
from keras import layers, ops  # noqa: E402

from mmtutor import fusion  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SMALL = {  # small sizes keep the tests fast
    "low_rank": {"units": 6, "rank": 3},
    "gated": {"units": 6},
    "bilinear": {"units": 6, "factor": 8},
    "cross_attention": {"units": 8, "num_heads": 2},
    "transformer": {"units": 8, "num_heads": 2},
    "graph": {"units": 8, "steps": 2},
}
LATE = ("mean", "weighted", "stacking", "product_of_experts")


def sample(dims, batch=5, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(batch, d)).astype("float32") for d in dims]


def numpy(x):
    return keras.ops.convert_to_numpy(x)


def relu(x):
    return np.maximum(x, 0.0)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def dense(layer, x, activation=None):
    w, b = (numpy(v) for v in layer.weights)
    y = x @ w + b
    return {"tanh": np.tanh, "relu": relu, None: lambda v: v}[activation](y)


def layer_norm(layer, x):
    gamma, beta = (numpy(v) for v in layer.weights)
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + layer.epsilon) * gamma + beta


def mha(att, q, kv, mask=None):
    """Keras MultiHeadAttention written out in NumPy: (b, Tq, u), (b, Tk, u) -> out, scores."""
    wq, bq, wk, bk, wv, bv, wo, bo = (numpy(v) for v in att.weights)
    qh = np.einsum("btu,uhd->bthd", q, wq) + bq
    kh = np.einsum("btu,uhd->bthd", kv, wk) + bk
    vh = np.einsum("btu,uhd->bthd", kv, wv) + bv
    logits = np.einsum("bqhd,bkhd->bhqk", qh, kh) / np.sqrt(wq.shape[-1])
    if mask is not None:
        logits = np.where(mask[:, None], logits, -1e9)
    scores = softmax(logits)
    ctx = np.einsum("bhqk,bkhd->bqhd", scores, vh)
    return np.einsum("bqhd,hdu->bqu", ctx, wo) + bo, scores


# ------------------------------------------------------------------ formulas
def test_gated_fusion_matches_its_formula():
    xs = sample([3, 4, 5])
    layer = fusion.GatedFusion(units=6)
    out, gates = (numpy(t) for t in layer(xs, return_gates=True))
    h = np.stack([dense(t, x, "tanh") for t, x in zip(layer.transforms, xs, strict=True)], 1)
    g = softmax(dense(layer.gate, np.concatenate(xs, 1)).reshape(5, 3, 6), axis=1)
    np.testing.assert_allclose(gates, g, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, (g * h).sum(1), rtol=1e-5, atol=1e-6)


def test_film_fusion_matches_its_formula_and_passes_the_target_at_zero():
    xs = sample([3, 4, 5])
    layer = fusion.FiLMFusion(target=1)
    out = numpy(layer(xs))
    gamma_beta = dense(layer.film, np.concatenate([xs[0], xs[2]], 1))
    gamma, beta = gamma_beta[:, :4], gamma_beta[:, 4:]
    np.testing.assert_allclose(out, (1 + gamma) * xs[1] + beta, rtol=1e-5, atol=1e-6)
    layer.film.set_weights([np.zeros_like(w) for w in layer.film.get_weights()])
    np.testing.assert_allclose(numpy(layer(xs)), xs[1], rtol=1e-6)  # gamma = beta = 0


def test_bilinear_pooling_matches_its_formula():
    xs = sample([3, 4])
    layer = fusion.BilinearPooling(units=6, factor=8)
    out = numpy(layer(xs))
    z = dense(layer.projections[0], xs[0], "tanh") * dense(layer.projections[1], xs[1], "tanh")
    h = dense(layer.out, z)
    h = np.sign(h) * (np.sqrt(np.abs(h) + 0.01) - np.sqrt(0.01))
    np.testing.assert_allclose(out, h / np.linalg.norm(h, axis=1, keepdims=True), rtol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)


def test_bilinear_pooling_gradient_stays_bounded_near_zero():
    # the plain signed square root sqrt(|h| + 1e-8) has a slope of 5,000 at h = 0
    layer = fusion.BilinearPooling(units=4, factor=4)
    xs = [np.zeros((1, 3), "float32"), np.zeros((1, 3), "float32")]
    layer(xs)
    layer.out.set_weights([np.zeros((4, 4), "float32"), np.array([1e-6, 2.0, -3.0, 1.0], "f")])
    h = tf.Variable([[1e-6, 2.0, -3.0, 1.0]])
    with tf.GradientTape() as tape:  # the signed square root alone, as the layer computes it
        eps = 0.01
        root = tf.sign(h) * (tf.sqrt(tf.abs(h) + eps) - np.sqrt(eps))
    slope = tape.gradient(root, h).numpy()
    assert slope.max() <= 1 / (2 * np.sqrt(eps)) + 1e-6
    x = [tf.Variable(np.full((1, 3), 1e-4, "float32")), tf.Variable(np.zeros((1, 3), "f"))]
    with tf.GradientTape() as tape:
        out = layer(x)
    grads = tape.gradient(out, x)
    assert all(np.all(np.isfinite(g.numpy())) and np.abs(g.numpy()).max() < 50 for g in grads)


def test_graph_fusion_matches_its_formula():
    xs = sample([3, 4, 5])
    layer = fusion.GraphFusion(units=8, steps=2)
    out, alpha = (numpy(t) for t in layer(xs, return_attention_scores=True))
    h = np.stack([dense(p, x) for p, x in zip(layer.projections, xs, strict=True)], axis=1)
    for u, a_src, a_dst in layer.messages:
        m = h @ numpy(u.kernel)
        e = (m @ numpy(a_dst))[:, :, None] + (m @ numpy(a_src))[:, None, :]
        a = softmax(np.where(e > 0, e, 0.2 * e))
        h = relu(np.einsum("bij,bju->biu", a, m) + h)
    np.testing.assert_allclose(alpha, a, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, h.mean(1), rtol=1e-4, atol=1e-5)


def test_single_stream_transformer_matches_its_formula():
    xs = sample([3, 4, 5])
    layer = fusion.SingleStreamTransformer(units=8, num_heads=2, num_layers=1)
    out, scores = (numpy(t) for t in layer(xs, return_attention_scores=True))
    tokens = [np.zeros((5, 8), "float32")] + [
        dense(p, x) for p, x in zip(layer.projections, xs, strict=True)
    ]
    h = np.stack(tokens, 1) + numpy(layer.type_embedding)[None]
    att, ff1, ff2, n1, n2 = layer.blocks[0]
    a, s = mha(att, h, h)
    h = layer_norm(n1, h + a)
    h = layer_norm(n2, h + dense(ff2, dense(ff1, h, "relu")))
    np.testing.assert_allclose(scores, s, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out, h[:, 0], rtol=1e-4, atol=1e-4)


def test_cross_modal_attention_matches_its_formula():
    xs = sample([3, 4, 5])
    layer = fusion.CrossModalAttention(units=8, num_heads=2, query=1)
    out, scores = (numpy(t) for t in layer(xs, return_attention_scores=True))
    tokens = [dense(p, x)[:, None] for p, x in zip(layer.projections, xs, strict=True)]
    kv = np.concatenate([np.repeat(numpy(layer.null), 5, 0), tokens[0], tokens[2]], axis=1)
    a, s = mha(layer.attention, tokens[1], kv)
    np.testing.assert_allclose(scores, s, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out, layer_norm(layer.norm, tokens[1] + a)[:, 0], atol=1e-4)


def test_cross_modal_attention_never_attends_to_padding():
    rng = np.random.default_rng(0)
    seq = rng.normal(size=(2, 6, 3)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0]], bool)
    other = rng.normal(size=(2, 4)).astype("float32")
    for query in (0, 1):  # the sequence as keys, then as queries
        layer = fusion.CrossModalAttention(units=8, query=query)
        out, scores = layer([seq, other], mask=[mask, None], return_attention_scores=True)
        changed = seq.copy()
        changed[~mask] = 100.0  # what sits in the padding must not matter
        out2 = layer([changed, other], mask=[mask, None])
        np.testing.assert_allclose(numpy(out), numpy(out2), rtol=1e-5, atol=1e-5)
        if query == 1:  # keys: null token, then the 6 positions
            assert np.all(numpy(scores)[..., 1:][np.broadcast_to(~mask[:, None, None], (2, 2, 1, 6))]
                          < 1e-6)  # fmt: skip
    # a Keras mask from Embedding(mask_zero=True) reaches the layer by itself: a padded
    # sequence gives what the same sequence without padding gives
    embedding, cross = layers.Embedding(20, 3, mask_zero=True), fusion.CrossModalAttention(8)
    ids, vec = keras.Input((6,), dtype="int32"), keras.Input((4,))
    model = keras.Model([ids, vec], cross([embedding(ids), vec]))
    v = np.ones((1, 4), "float32")
    short = cross([embedding(np.array([[3, 4, 5]])), v])
    np.testing.assert_allclose(model([np.array([[3, 4, 5, 0, 0, 0]]), v]), short, atol=1e-5)


# ------------------------------------------------------------------ documented parameter counts
def test_every_documented_parameter_count_holds():
    d, u = [3, 4, 5], 8
    count = fusion.count_fusion_params
    m = len(d)
    assert count("concat", d) == count("tensor", d) == count("mean", [4, 4]) == 0
    assert count("product_of_experts", [4, 4]) == 0
    assert count("weighted", [4, 4, 4]) == 3
    assert count("stacking", [4, 4]) == (2 * 4 + 1) * 4
    assert count("low_rank", d, units=u, rank=2) == 2 * u * sum(x + 1 for x in d) + u
    assert count("gated", d, units=u) == sum((x + 1) * u for x in d) + m * (sum(d) + 1) * u
    assert count("film", d) == (4 + 5 + 1) * 2 * 3
    assert count("bilinear", d, units=u, factor=6) == sum((x + 1) * 6 for x in d) + (6 + 1) * u
    projections = sum((x + 1) * u for x in d)
    assert count("cross_attention", d, units=u, num_heads=2) == (
        projections + 4 * (u + 1) * u + 3 * u
    )
    block = 4 * (u + 1) * u + (u + 1) * 2 * u + (2 * u + 1) * u + 4 * u
    assert count("transformer", d, units=u, num_heads=2, num_layers=2) == (
        projections + (m + 1) * u + 2 * block
    )
    assert count("graph", d, units=u, steps=3) == projections + 3 * (u * u + 2 * u)


# ------------------------------------------------------------------ copyable source
COPYABLE = sorted(set(fusion.FUSION_LAYERS.values()) | {fusion.MaskMissing, fusion.ModalityDropout},
                  key=lambda c: c.__name__)  # fmt: skip


def _inputs_for(cls):
    if cls is fusion.MaskMissing:
        return [np.array([[0.0, 0.0], [1.0, 2.0], [0.5, 0.0]], "float32"), sample([4], 3)[0]]
    if cls is fusion.ModalityDropout:
        xs = sample([4, 5], 3)
        return [np.concatenate([x, np.array([[1.0], [0.0], [1.0]], "f")], 1) for x in xs]
    if cls.__name__ in ("MeanFusion", "WeightedFusion", "StackingFusion", "ProductOfExperts"):
        return sample([4, 4, 4], 3)
    return sample([3, 4, 5], 3)


@pytest.mark.parametrize("cls", COPYABLE, ids=lambda c: c.__name__)
def test_shown_source_runs_when_copied_with_plain_keras_imports(cls, tmp_path):
    """Copy the class as ``show_source`` prints it (plus ``check_fusion``, shown once in
    notebook 07) into a namespace holding only keras, layers, ops and numpy: it must run and
    give the package's outputs with the same weights."""
    name = next(k for k, v in fusion.FUSION_LAYERS.items() if v is cls) if cls in \
        fusion.FUSION_LAYERS.values() else None  # fmt: skip
    options = {"fill": "token"} if cls is fusion.ModalityDropout else SMALL.get(name, {})
    source = inspect.getsource(fusion.check_fusion) + "\n\n" + inspect.getsource(cls)
    namespace = {"keras": keras, "layers": layers, "ops": ops, "np": np, "numpy": np}
    exec_copy(source, namespace, f"<copy of {cls.__name__}>")
    copy = namespace[cls.__name__](**options)
    original = cls(**options)
    x = _inputs_for(cls)
    expected = original(x)
    copy(x)
    if original.weights:
        copy.set_weights([numpy(w) for w in original.weights])
    got = copy(x)
    for e, g in zip(*(t if isinstance(t, list) else [t] for t in (expected, got)), strict=True):
        np.testing.assert_allclose(numpy(g), numpy(e), rtol=1e-6, atol=1e-6)


def test_shown_sources_use_only_plain_names():
    """No hidden base class or private helper: each layer subclasses keras Layer directly
    and calls, among module-level names of mmtutor.fusion, only ``check_fusion``."""
    allowed = {"keras", "layers", "ops", "np", "check_fusion"}
    module_names = set(vars(fusion))
    for cls in COPYABLE:
        assert cls.__bases__ == (layers.Layer,), cls
        tree = ast.parse(inspect.getsource(cls))
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        leaked = (used & module_names) - allowed - {cls.__name__}
        assert not leaked, (cls.__name__, leaked)


# ------------------------------------------------------------------ get
def test_get_builds_by_name_and_passes_layers_through():
    layer = fusion.get("gated", units=5)
    assert isinstance(layer, fusion.GatedFusion) and layer.units == 5
    assert fusion.get(layer) is layer
    with pytest.raises(ValueError, match="can only be given with a fusion named by a string"):
        fusion.get(layer, units=3)
    with pytest.raises(ValueError, match="fusion must be a layer or one of .*got 'sum'"):
        fusion.get("sum")
    with pytest.raises(ValueError, match="GatedFusion: units must be a positive integer, got 0"):
        fusion.get("gated", units=0)


# ------------------------------------------------------------------ package hygiene
def test_no_module_imports_another_modules_private_name():
    offenders = []
    for path in sorted((REPO / "mmtutor").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mmtutor"):
                private = [a.name for a in node.names if a.name.startswith("_")]
                if private:
                    offenders.append(f"{path.relative_to(REPO)}: from {node.module} import "
                                     f"{', '.join(private)}")  # fmt: skip
    assert not offenders, offenders


MODULES = ["mmtutor", "mmtutor.config", "mmtutor.data", "mmtutor.preprocessing",
           "mmtutor.encoders", "mmtutor.fusion", "mmtutor.models", "mmtutor.training",
           "mmtutor.evaluation", "mmtutor.plotting", "mmtutor.exercises", "mmtutor.alignment",
           "mmtutor.translation", "mmtutor.transfer", "mmtutor.scaling", "mmtutor.progress",
           "mmtutor.data.sequences", "mmtutor.evaluation.sequences",
           "mmtutor.plotting.translation", "mmtutor.exercises.translation"]  # fmt: skip


def test_importing_a_module_changes_no_process_setting():
    """Settings belong to mmtutor.setup(): importing leaves the environment, NumPy's print
    options and Matplotlib's backend and style as they were."""
    probe = (
        "import os, sys, json, numpy as np, matplotlib\n"
        "before = (dict(os.environ), np.get_printoptions(), matplotlib.get_backend(),"
        " dict(matplotlib.rcParams))\n"
        "import importlib\n"
        "for name in sys.argv[1:]: importlib.import_module(name)\n"
        "after = (dict(os.environ), np.get_printoptions(), matplotlib.get_backend(),"
        " dict(matplotlib.rcParams))\n"
        "changed = [k for k in set(before[0]) | set(after[0]) if before[0].get(k) != after[0].get(k)]\n"
        "print(json.dumps({'env': changed, 'np': before[1] != after[1], 'backend': before[2] !="
        " after[2], 'rc': [k for k in before[3] if before[3][k] != after[3].get(k)]}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "MPLBACKEND"))}
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run([sys.executable, "-c", probe, *MODULES], capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    import json

    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"env": [], "np": False, "backend": False, "rc": []}, report
