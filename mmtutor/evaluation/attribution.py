"""Which modality and which input values a model uses: ablation, permutation importance
and gradient saliency (notebooks 05-09 ablate; notebook 14 teaches the rest).

``inputs`` are dicts modality -> array as ``data.test.x``; models output logits.
"""

from __future__ import annotations

import numpy as np

from mmtutor.evaluation._checks import check_positive_int, model_input_names
from mmtutor.evaluation.metrics import model_accuracy
from mmtutor.evaluation.stats import mean_std

__all__ = ["ablate", "modality_ablation", "permutation_importance", "saliency"]


def ablate(inputs: dict, modality: str, how: str = "zero", seed: int = 0) -> dict:
    """A copy of ``inputs`` with one modality's information removed at test time.

    ``how="zero"``: zeros (text: empty captions); ``"mean"``: every example gets the
    batch mean (text: the most common caption); ``"shuffle"``: the modality is permuted
    across examples (it keeps its distribution but no longer matches the label).
    The other modalities are untouched.

    Example:
        >>> import numpy as np
        >>> ablate({"a": np.ones((2, 3)), "b": np.ones(2)}, "a")["a"].sum()
        np.float64(0.0)
    """
    if not isinstance(inputs, dict) or modality not in inputs:
        known = list(inputs) if isinstance(inputs, dict) else inputs
        raise ValueError(f"modality must be one of the inputs {known!r}, got {modality!r}")
    if how not in ("zero", "mean", "shuffle"):
        raise ValueError(f"how must be 'zero', 'mean' or 'shuffle', got {how!r}")
    values = np.asarray(inputs[modality])
    if how == "shuffle":
        new = values[np.random.default_rng(seed).permutation(len(values))]
    elif values.dtype.kind in "OUS":  # text
        if how == "zero":
            new = np.full(values.shape, "", dtype=object)
        else:
            texts, counts = np.unique(values.astype(str), return_counts=True)
            new = np.full(values.shape, texts[np.argmax(counts)], dtype=object)
    elif how == "zero":
        new = np.zeros_like(values)
    else:
        new = np.broadcast_to(values.mean(axis=0), values.shape).astype(values.dtype)
    return {**inputs, modality: new}


def _check_modalities(modalities, names: list[str]) -> list[str]:
    modalities = list(names) if modalities is None else list(modalities)
    unknown = [m for m in modalities if m not in names]
    if unknown or not modalities:
        raise ValueError(f"modalities must be a non-empty subset of the model's inputs {names}, "
                         f"got {modalities}")  # fmt: skip
    return modalities


def modality_ablation(
    model, inputs: dict, y: np.ndarray, how: str = "zero", modalities=None
) -> dict:
    """Test accuracy with all modalities, then with each one removed in turn by :func:`ablate`.

    ``how``: ``"zero"``, ``"mean"`` or ``"shuffle"`` (see :func:`ablate`). The drop from
    ``"all"`` to ``"without m"`` says how much the model *needs* ``m`` given the others; a
    redundant modality can be important alone yet cost little when removed.

    Returns:
        ``{"all": accuracy, "without <m>": accuracy, ...}`` over the model's inputs (or
        ``modalities``).

    Example:
        >>> import keras
        >>> a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
        >>> ignore_b = keras.layers.Dense(2, kernel_initializer="zeros")
        >>> model = keras.Model({"a": a, "b": b}, keras.layers.Add()([a, ignore_b(b)]))  # logits a
        >>> x = {"a": np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 3.0], [1.0, 0.0]]),
        ...      "b": np.ones((4, 2))}
        >>> modality_ablation(model, x, np.array([0, 1, 1, 1]))  # the model ignores b
        {'all': 0.75, 'without a': 0.25, 'without b': 0.75}
    """
    names = model_input_names(model, inputs)
    modalities = _check_modalities(modalities, names)
    y = np.asarray(y)
    out = {"all": model_accuracy(model, inputs, y)}
    for m in modalities:
        out[f"without {m}"] = model_accuracy(model, ablate(inputs, m, how=how), y)
    return out


def permutation_importance(
    model, inputs: dict, y: np.ndarray, n_repeats: int = 5, seed: int = 0, modalities=None
):
    """Permutation importance of each modality (Breiman, 2001), at the level of whole modalities.

    Shuffles one modality across the test examples (each example keeps its other inputs
    but gets another example's, say, audio), ``n_repeats`` times, and records the drop in
    accuracy. Shuffling keeps the modality's distribution, so unlike zeroing it does not
    feed the model inputs it never saw; a modality the model ignores scores exactly 0.
    Hand-written because notebook 14 teaches it (scikit-learn's
    ``sklearn.inspection.permutation_importance`` permutes columns of one feature
    matrix, not whole modalities of a multi-input model).

    Returns:
        a pandas DataFrame indexed by modality: ``accuracy drop`` (mean over repeats),
        ``std`` (over repeats) and ``clean accuracy``.

    Example:
        >>> import keras
        >>> a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
        >>> ignore_b = keras.layers.Dense(2, kernel_initializer="zeros")
        >>> model = keras.Model({"a": a, "b": b}, keras.layers.Add()([a, ignore_b(b)]))  # logits a
        >>> x = {"a": np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 3.0], [1.0, 0.0]]),
        ...      "b": np.ones((4, 2))}
        >>> importance = permutation_importance(model, x, np.array([0, 1, 1, 1]), n_repeats=3)
        >>> importance["accuracy drop"].round(3).to_dict()  # the model ignores b
        {'a': 0.333, 'b': 0.0}
    """
    import pandas as pd

    names = model_input_names(model, inputs)
    modalities = _check_modalities(modalities, names)
    n_repeats = check_positive_int(n_repeats, "n_repeats")
    y = np.asarray(y)
    clean = model_accuracy(model, inputs, y)
    rng = np.random.default_rng(seed)
    rows = {}
    for m in modalities:
        drops = []
        for _ in range(n_repeats):
            shuffled = {**inputs, m: np.asarray(inputs[m])[rng.permutation(len(y))]}
            drops.append(clean - model_accuracy(model, shuffled, y))
        rows[m] = {"accuracy drop": float(np.mean(drops)), "std": mean_std(drops)[1],
                   "clean accuracy": clean}  # fmt: skip
    return pd.DataFrame(rows).T.rename_axis("modality")


def saliency(
    model, inputs: dict, modality: str, class_index=None, batch_size: int = 256
) -> np.ndarray:
    r"""Gradient saliency (Simonyan et al., 2014): :math:`|\partial z_c / \partial x|` per value.

    ``z_c`` is the logit of class ``c`` (the predicted class unless ``class_index``, an int
    or one per example, says otherwise), ``x`` the ``modality`` input; the other inputs are
    held fixed. A large value means a small change of that pixel (or audio sample) would
    change the class score most: it says where the model is *sensitive*, which is not
    the same as what it *uses* (check with ablation). Only numeric modalities have
    gradients; text (strings) raises an error: use :func:`permutation_importance`.
    Examples are independent, so one backward pass serves ``batch_size`` of them; the
    result does not depend on ``batch_size``, only the memory does.

    Returns:
        an array of the modality input's shape, non-negative.

    Example:
        >>> import keras
        >>> a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
        >>> ignore_b = keras.layers.Dense(2, kernel_initializer="zeros")
        >>> model = keras.Model({"a": a, "b": b}, keras.layers.Add()([a, ignore_b(b)]))  # logits a
        >>> x = {"a": np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 3.0], [1.0, 0.0]]),
        ...      "b": np.ones((4, 2))}
        >>> saliency(model, x, "a")[:2]  # logits = a: the predicted class's own input
        array([[1., 0.],
               [0., 1.]], dtype=float32)
        >>> float(saliency(model, x, "b").max())  # an ignored input has no gradient
        0.0
    """
    import tensorflow as tf

    names = model_input_names(model, inputs)
    if modality not in names:
        raise ValueError(f"modality must be one of the model's inputs {names}, got {modality!r}")
    batch_size = check_positive_int(batch_size, "batch_size")
    values = np.asarray(inputs[modality])
    if values.dtype.kind in "OUSb":
        raise ValueError(
            f"saliency needs a numeric input; {modality!r} holds strings, which have no "
            "gradient (the vectorizer maps them to integer tokens). Use "
            "permutation_importance or modality_ablation for text"
        )
    n = len(values)
    if class_index is not None:
        index = np.asarray(class_index)
        if index.dtype.kind not in "iu" or index.ndim > 1 or index.size not in (1, n):
            raise ValueError(f"class_index must be an integer or {n} integers (one per "
                             f"example), got {class_index!r:.80}")  # fmt: skip
        index = np.broadcast_to(index.reshape(-1), (n,)).astype(np.int64)
    x = {m: np.asarray(inputs[m]) for m in names}
    x = {m: v.astype(str) if v.dtype == object else v for m, v in x.items()}
    out = []
    for start in range(0, n, batch_size):
        part = slice(start, start + batch_size)
        target = tf.constant(values[part].astype(np.float32))
        with tf.GradientTape() as tape:
            tape.watch(target)
            logits = model({**{m: tf.constant(v[part]) for m, v in x.items()}, modality: target},
                           training=False)  # fmt: skip
            if class_index is None:
                chosen = tf.stop_gradient(tf.argmax(logits, axis=-1))
            else:
                chosen = tf.constant(index[part])
                if int(index[part].max()) >= logits.shape[-1] or int(index[part].min()) < 0:
                    raise ValueError(f"class_index must be in [0, {logits.shape[-1] - 1}], "
                                     f"got {class_index!r:.80}")  # fmt: skip
            total = tf.reduce_sum(tf.gather(logits, chosen, axis=1, batch_dims=1))
        grad = tape.gradient(total, target)  # the examples are independent: one pass for all
        out.append(np.zeros(target.shape, np.float32) if grad is None else np.abs(grad.numpy()))
    return np.concatenate(out)
