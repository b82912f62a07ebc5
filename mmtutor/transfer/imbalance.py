"""Modality imbalance in end-to-end training, and gradient blending (notebook 12).

Trained end to end, a fused model can lean on the modality that lowers the loss fastest;
the other encoders then get little gradient and learn less than they would alone (Wang
et al., 2020; Peng et al., 2022). The measure used here is a *linear probe* of each
encoder inside the fused model: a logistic regression (scikit-learn) fitted on that
encoder's embeddings of the training split and scored on the test split, next to the same
probe of the encoder of a unimodal model (:func:`modality_imbalance`).

The remedy is gradient blending (Wang et al., 2020): give each encoder a classifier and a
loss of its own (:func:`mmtutor.transfer.build_blended_model`) and weigh the losses by how
much each head *generalises* per unit of *overfitting* (:func:`gradient_blend_weights`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["gradient_blend_weights", "modality_imbalance", "probe_accuracy", "probe_encoders"]


def probe_accuracy(z_train, y_train, z_test, y_test) -> tuple[float, np.ndarray]:
    """A linear probe: logistic regression on standardised features, fitted on
    ``(z_train, y_train)``, scored on ``(z_test, y_test)``; returns (accuracy, predictions).

    scikit-learn's ``LogisticRegression`` (run on one BLAS thread, which is faster for a
    problem this small than many threads competing for two cores).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> y = rng.integers(0, 3, 300)
        >>> z = np.eye(3)[y] + 0.3 * rng.normal(size=(300, 3))  # class i: near the i-th axis
        >>> accuracy, _ = probe_accuracy(z[:200], y[:200], z[200:], y[200:])
        >>> accuracy > 0.9
        True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    z_train, z_test = np.asarray(z_train, dtype=float), np.asarray(z_test, dtype=float)
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    if z_train.ndim != 2 or z_test.ndim != 2 or z_train.shape[1] != z_test.shape[1]:
        raise ValueError(
            "z_train and z_test must be (examples, features) of one width, got shapes "
            f"{z_train.shape} and {z_test.shape}"
        )
    if len(y_train) != len(z_train) or len(y_test) != len(z_test):
        raise ValueError(
            f"one label per embedding expected, got {len(z_train)} and {len(y_train)} (train), "
            f"{len(z_test)} and {len(y_test)} (test)"
        )
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    with threadpool_limits(1):
        predicted = probe.fit(z_train, y_train).predict(z_test)
    return float(np.mean(predicted == y_test)), predicted


def probe_encoders(model, data, modalities=None) -> dict[str, tuple[float, np.ndarray]]:
    """Probe each encoder inside ``model`` on its own: modality -> (test accuracy, test
    predictions) of :func:`probe_accuracy` on the embeddings of
    ``model.get_layer("<modality>_encoder")``.

    ``modalities``: default, every input of ``model`` that has an encoder of that name.

    Example:
        >>> probes = probe_encoders(fused, data)  # doctest: +SKIP
        >>> {m: round(accuracy, 3) for m, (accuracy, _) in probes.items()}  # doctest: +SKIP
    """
    from mmtutor.evaluation import embed

    names = [t.name for t in model.inputs]
    layer_names = {layer.name for layer in model.layers}
    if modalities is None:
        modalities = [m for m in names if f"{m}_encoder" in layer_names]
    missing = [m for m in modalities if f"{m}_encoder" not in layer_names]
    if missing or not modalities:
        raise ValueError(
            f"model {model.name!r} has no encoder layer for {missing or 'any input'}; its "
            f"layers are {sorted(layer_names)}"
        )
    out = {}
    for m in modalities:
        encoder = model.get_layer(f"{m}_encoder")
        z_train, z_test = embed(encoder, data.train.x[m]), embed(encoder, data.test.x[m])
        out[m] = probe_accuracy(z_train.reshape(len(z_train), -1), data.train.y,
                                z_test.reshape(len(z_test), -1), data.test.y)  # fmt: skip
    return out


def modality_imbalance(inside: dict, alone: dict):
    """The imbalance table: for each modality, the probe accuracy of its encoder ``alone``
    (trained in a unimodal model) and ``inside`` the fused model, and the ``gap``
    (alone - inside). A large positive gap: the encoder learned less inside the fused
    model than it could on its own. Arguments are :func:`probe_encoders` results (or
    modality -> accuracy).

    Example:
        >>> table = modality_imbalance({"audio": 0.70, "image": 0.35}, {"audio": 0.72, "image": 0.70})
        >>> table.loc["image"].tolist()
        [0.7, 0.35, 0.35]
    """
    import pandas as pd

    def accuracy(value):
        return float(value[0] if isinstance(value, tuple | list) else value)

    missing = sorted(set(inside) ^ set(alone))
    if missing:
        raise ValueError(f"inside and alone must cover the same modalities; unmatched: {missing}")
    rows = {m: {"alone": accuracy(alone[m]), "inside": accuracy(inside[m])} for m in inside}
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("modality")
    table["gap"] = (table["alone"] - table["inside"]).round(12)
    return table


def gradient_blend_weights(history: dict, heads, start: int = 0, end: int = -1) -> dict[str, float]:
    r"""Gradient-blending weights (Wang et al., 2020) from the history of a multi-head model
    trained with validation data (:func:`mmtutor.transfer.train_multitask` with
    ``validate=True``: per-epoch ``<head>_loss`` and ``val_<head>_loss``).

    For each head ``k`` between epochs ``start`` and ``end``:

    - generalisation :math:`\Delta G_k = L^{val}_{start} - L^{val}_{end}` (how much the
      validation loss fell);
    - overfitting :math:`O = L^{val} - L^{train}`, :math:`\Delta O_k = O_{end} - O_{start}`;
    - weight :math:`w_k \propto \Delta G_k / \Delta O_k^2`, normalised to sum to 1.

    A head that generalises much and overfits little gets a large weight. A head whose
    validation loss did not fall gets 0; an overfitting change smaller than 0.01 in size
    counts as 0.01 (no division by zero); if no head generalised, the weights are equal.
    Hand-written because notebook 12 teaches it. (Keras' training loss is the mean over the
    epoch's batches, in training mode: an approximation of the paper's loss at the
    checkpoint.)

    Example:
        >>> h = {"a_loss": [2.0, 1.0], "val_a_loss": [2.1, 1.5],   # G 0.6, O +0.4
        ...      "b_loss": [2.0, 0.5], "val_b_loss": [2.1, 1.9]}   # G 0.2, O +1.3
        >>> {k: round(w, 3) for k, w in gradient_blend_weights(h, ["a", "b"]).items()}
        {'a': 0.969, 'b': 0.031}
    """
    heads = list(heads)
    if not isinstance(history, dict) or not heads:
        raise ValueError(
            f"history must be a dict of per-epoch losses and heads non-empty, got {heads!r}"
        )
    raw = {}
    for head in heads:
        keys = (f"{head}_loss", f"val_{head}_loss")
        if not all(k in history for k in keys):
            raise ValueError(
                f"history needs {list(keys)} (train the multi-head model with validation "
                f"data), got keys {sorted(history)}"
            )
        train, val = (np.asarray(history[k], dtype=float) for k in keys)
        if len(train) != len(val) or len(train) < 2:
            raise ValueError(f"head {head!r} needs 2+ epochs of training and validation loss")
        try:
            gain = val[start] - val[end]
            over = (val[end] - train[end]) - (val[start] - train[start])
        except IndexError:
            raise ValueError(
                f"start={start} and end={end} must be epochs of the {len(train)} recorded"
            ) from None
        raw[head] = max(float(gain), 0.0) / max(abs(float(over)), 0.01) ** 2
    total = sum(raw.values())
    if total == 0:
        return {head: 1.0 / len(raw) for head in raw}
    return {head: float(w / total) for head, w in raw.items()}
