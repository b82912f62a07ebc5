"""Checkers for notebooks 05-09: fusion layers, late combiners, attention, synergy data."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mmtutor.exercises.report import CheckReport, close, require_callable, run_checks

__all__ = [
    "check_concat_layer",
    "check_mean_of_probabilities",
    "check_outer_product_fusion",
    "check_attention",
    "check_xor_data",
]


# --------------------------------------------------------------------------- 05 early fusion
def check_concat_layer(layer_class) -> CheckReport:
    """Notebook 05: a Keras layer class whose instances flatten each input of a list and
    concatenate them: ``[(b, 3), (b, 4, 2)] -> (b, 11)``."""
    import keras

    require_callable(layer_class, "layer class")
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(2, 3)).astype("f"), rng.normal(size=(2, 4, 2)).astype("f")]
    expected = np.concatenate([x.reshape(2, -1) for x in xs], axis=1)

    def is_layer():
        layer = layer_class()
        return None if isinstance(layer, keras.layers.Layer) else "subclass keras.layers.Layer"

    def values():
        got = keras.ops.convert_to_numpy(layer_class()(xs))
        return (
            None
            if close(got, expected)
            else (
                f"got shape {got.shape}, expected {expected.shape}: flatten each input to "
                "(batch, -1), then concatenate on the last axis"
            )
        )

    def symbolic():
        inputs = [keras.Input((3,)), keras.Input((4, 2))]
        out = layer_class()(inputs)
        if tuple(out.shape) != (None, 11):
            return (f"in a functional model the output shape is {tuple(out.shape)}, expected "
                    "(None, 11): reshape with (-1, features), not with the batch size")  # fmt: skip
        return None

    def config():
        layer = layer_class(name="fuse")
        again = layer_class.from_config(layer.get_config())
        return None if again.name == "fuse" else "get_config/from_config must round-trip"

    return run_checks("check_concat_layer", [
        ("it is a Keras layer", is_layer),
        ("it flattens and concatenates, in order", values),
        ("it works on symbolic inputs (batch size unknown)", symbolic),
        ("its config round-trips", config),
    ])  # fmt: skip


# --------------------------------------------------------------------------- 06 late fusion
def check_mean_of_probabilities(fn: Callable) -> CheckReport:
    """Notebook 06: ``fn(logits_list)`` takes M arrays of logits (n, classes) and returns
    the log of the mean of their softmax probabilities (n, classes), computed stably."""
    require_callable(fn, "function")
    from scipy.special import logsumexp

    rng = np.random.default_rng(0)
    logits = [rng.normal(size=(4, 5)) * 3 for _ in range(3)]

    def reference(ls):
        log_p = [z - logsumexp(z, axis=1, keepdims=True) for z in ls]
        return logsumexp(np.stack(log_p), axis=0) - np.log(len(ls))

    def values():
        got = np.asarray(fn([z.copy() for z in logits]))
        return (
            None
            if close(got, reference(logits), 1e-4)
            else ("softmax each modality's logits, average the probabilities, take the log")
        )

    def is_distribution():
        got = np.exp(np.asarray(fn(logits), dtype=float))
        return None if np.allclose(got.sum(1), 1, atol=1e-4) else "exp(output) must sum to 1"

    def stable():
        big = [np.array([[1000.0, 0.0, -1000.0]]), np.array([[0.0, 800.0, 0.0]])]
        got = np.asarray(fn(big), dtype=float)
        if not np.all(np.isfinite(got[:, :2])) or not close(
            got[:, :2], reference(big)[:, :2], 1e-3
        ):
            return ("logits of 1000 overflow exp(): subtract each row's maximum first (or use "
                    "scipy.special.logsumexp)")  # fmt: skip
        return None

    return run_checks("check_mean_of_probabilities", [
        ("log of the mean of the probabilities", values),
        ("the result is a log-distribution", is_distribution),
        ("large logits (1000) give finite results", stable),
    ])  # fmt: skip


# --------------------------------------------------------------------------- 07 intermediate
def check_outer_product_fusion(layer_class) -> CheckReport:
    """Notebook 07: a Keras layer class fusing two embeddings by the outer product of
    ``[z_1; 1]`` and ``[z_2; 1]``, flattened: (b, d1), (b, d2) -> (b, (d1 + 1)(d2 + 1))."""
    import keras

    require_callable(layer_class, "layer class")
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(3, 2)).astype("f"), rng.normal(size=(3, 4)).astype("f")
    a1 = np.concatenate([a, np.ones((3, 1), "f")], 1)
    b1 = np.concatenate([b, np.ones((3, 1), "f")], 1)
    expected = np.einsum("bi,bj->bij", a1, b1).reshape(3, -1)

    def values():
        got = keras.ops.convert_to_numpy(layer_class()([a, b]))
        if got.shape != expected.shape:
            return f"got shape {got.shape}, expected {expected.shape}: append a 1 to each input"
        return None if close(got, expected) else "flatten [z_1; 1] ⊗ [z_2; 1] in row-major order"

    def keeps_unimodal_terms():
        got = keras.ops.convert_to_numpy(layer_class()([a, b]))
        has = all(np.any(np.all(np.isclose(got, col[:, None]), axis=0)) for col in a.T)
        return None if has else "the appended 1 must keep every z_1 feature alone in the output"

    def symbolic():
        out = layer_class()([keras.Input((2,)), keras.Input((4,))])
        return (
            None
            if tuple(out.shape) == (None, 15)
            else (f"symbolic output shape {tuple(out.shape)}, expected (None, 15)")
        )

    return run_checks("check_outer_product_fusion", [
        ("the flattened outer product with ones appended", values),
        ("each unimodal feature survives (the role of the 1)", keeps_unimodal_terms),
        ("it works on symbolic inputs", symbolic),
    ])  # fmt: skip


# --------------------------------------------------------------------------- 08 attention
def check_attention(fn: Callable) -> CheckReport:
    """Notebook 08: ``fn(q, k, v, mask=None)`` is scaled dot-product attention on NumPy
    arrays: q (n, Tq, d), k (n, Tk, d), v (n, Tk, dv), mask (n, Tq, Tk) bool or None;
    returns ``(output (n, Tq, dv), weights (n, Tq, Tk))``."""
    require_callable(fn, "function")
    rng = np.random.default_rng(0)
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 6))

    def reference(mask=None):
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(4)
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        w = np.exp(scores - scores.max(-1, keepdims=True))
        w /= w.sum(-1, keepdims=True)
        return w @ v, w

    def weights():
        _, w = fn(q, k, v)
        w = np.asarray(w)
        if w.shape != (2, 3, 5) or not np.allclose(w.sum(-1), 1, atol=1e-5):
            return "weights: a softmax over the keys (last axis), one row per query"
        if not close(w, reference()[1]):
            return "divide the scores q k^T by sqrt(d), the size of a key"
        return None

    def output():
        out, _ = fn(q, k, v)
        return None if close(out, reference()[0]) else "the output is the weights times v"

    def masked():
        mask = np.ones((2, 3, 5), bool)
        mask[:, :, 3:] = False
        out, w = fn(q, k, v, mask=mask)
        if not np.allclose(np.asarray(w)[:, :, 3:], 0, atol=1e-6):
            return "masked keys must get weight 0: set their scores to -inf before the softmax"
        return None if close(out, reference(mask)[0]) else "renormalise over the kept keys"

    return run_checks("check_attention", [
        ("weights are a scaled softmax over the keys", weights),
        ("output = weights @ v", output),
        ("masked keys get no weight", masked),
    ])  # fmt: skip


# --------------------------------------------------------------------------- 09 interactions
def check_xor_data(fn: Callable) -> CheckReport:
    """Notebook 09: ``fn(n, rng)`` returns ``(x0, x1, y)``: two modalities (n, features)
    and binary labels such that neither modality alone predicts ``y`` but both do (synergy)."""
    require_callable(fn, "function")
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    def data(seed):
        x0, x1, y = fn(2000, np.random.default_rng(seed))
        return np.asarray(x0, float), np.asarray(x1, float), np.asarray(y).astype(int)

    def shapes():
        x0, x1, y = data(0)
        if x0.ndim != 2 or x1.ndim != 2 or y.shape != (2000,) or set(np.unique(y)) != {0, 1}:
            return "x0 and x1 are (n, features) arrays, y holds n labels 0/1 of both classes"
        return None

    def alone(which):
        def run():
            x0, x1, y = data(0)
            x = (x0, x1)[which]
            split = 1500
            for model in (LogisticRegression(), KNeighborsClassifier(15)):
                score = model.fit(x[:split], y[:split]).score(x[split:], y[split:])
                if score > 0.6:
                    return (f"modality {which} alone predicts y with accuracy {score:.3f}: "
                            "y must depend on both (y = a0 XOR a1)")  # fmt: skip
            return None

        return run

    def together():
        x0, x1, y = data(0)
        x = np.concatenate([x0, x1], axis=1)
        score = KNeighborsClassifier(15).fit(x[:1500], y[:1500]).score(x[1500:], y[1500:])
        if score < 0.85:
            return f"both modalities together reach only {score:.3f}: lower the noise"
        return None

    return run_checks("check_xor_data", [
        ("shapes and binary labels", shapes),
        ("modality 0 alone is at chance", alone(0)),
        ("modality 1 alone is at chance", alone(1)),
        ("together they predict the label", together),
    ])  # fmt: skip
