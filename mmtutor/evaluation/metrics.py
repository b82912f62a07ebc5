"""Predictions and classification metrics (notebooks 02-04 start it; notebook 14 extends it).

Metrics are scikit-learn's (``sklearn.metrics``) with this series' conventions: labels are
class indices 0 .. k-1, and ``num_classes=None`` infers k from the data as
``max(label) + 1`` over ``y_true`` and ``y_pred`` (at least 2), the same rule everywhere
(:func:`mmtutor.evaluation.bootstrap_ci` too). Pass ``num_classes`` when a class may be
absent from both, e.g. on a small or imbalanced test set.
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics

from mmtutor.evaluation._checks import check_labels, model_input_names

__all__ = [
    "predict_classes",
    "model_accuracy",
    "embed",
    "accuracy",
    "macro_f1",
    "confusion_matrix",
    "per_class_report",
    "most_confused_pairs",
    "mean_by_class",
]


def predict_classes(model, inputs, batch_size: int = 1024) -> np.ndarray:
    """Arg-max class of a classifier's outputs (logits or probabilities).

    Runs ``model.predict_on_batch`` on chunks of ``batch_size`` examples: for the small
    test sets of this series that is one call, about three times faster than
    ``model.predict``, whose per-call set-up dominates when a robustness sweep evaluates
    a model dozens of times.

    Example:
        >>> import keras
        >>> a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
        >>> ignore_b = keras.layers.Dense(2, kernel_initializer="zeros")
        >>> model = keras.Model({"a": a, "b": b}, keras.layers.Add()([a, ignore_b(b)]))  # logits a
        >>> x = {"a": np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 3.0], [1.0, 0.0]]),
        ...      "b": np.ones((4, 2))}
        >>> predict_classes(model, x)
        array([0, 1, 1, 0])
    """
    if isinstance(inputs, dict):
        n = len(next(iter(inputs.values())))
        chunks = (
            {k: v[i : i + batch_size] for k, v in inputs.items()} for i in range(0, n, batch_size)
        )
    else:
        n = len(inputs)
        chunks = (inputs[i : i + batch_size] for i in range(0, n, batch_size))
    if n == 0:
        raise ValueError("predict_classes: expected at least one example, got 0")
    outputs = [np.asarray(model.predict_on_batch(chunk)) for chunk in chunks]
    return np.argmax(np.concatenate(outputs), axis=-1)


def model_accuracy(model, inputs: dict, y: np.ndarray) -> float:
    """Accuracy of ``model``'s arg-max predictions on ``inputs`` (a dict modality -> array;
    only the model's own inputs are fed). Through :func:`predict_classes`, so a table that
    evaluates many models and ablations costs a fraction of ``model.evaluate`` calls.

    Example:
        >>> import keras
        >>> a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
        >>> ignore_b = keras.layers.Dense(2, kernel_initializer="zeros")
        >>> model = keras.Model({"a": a, "b": b}, keras.layers.Add()([a, ignore_b(b)]))  # logits a
        >>> x = {"a": np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 3.0], [1.0, 0.0]]),
        ...      "b": np.ones((4, 2))}
        >>> model_accuracy(model, {**x, "text": np.array(["unused"] * 4)}, np.array([0, 1, 1, 1]))
        0.75
    """
    names = model_input_names(model, inputs)
    return accuracy(y, predict_classes(model, {m: inputs[m] for m in names}))


def embed(encoder, inputs, batch_size: int = 256) -> np.ndarray:
    """The encoder's embeddings of ``inputs`` as a NumPy array (batch, embedding_dim).

    Example:
        >>> import keras
        >>> encoder = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
        ...                             keras.layers.Dense(64)])
        >>> tuple(embed(encoder, np.zeros((540, 8, 8, 1))).shape)
        (540, 64)
    """
    return np.asarray(encoder.predict(inputs, batch_size=batch_size, verbose=0))


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The fraction of examples whose predicted class is the true class
    (``sklearn.metrics.accuracy_score``).

    Example:
        >>> accuracy(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]))
        0.75
    """
    (y_true, y_pred), _ = check_labels(y_true, y_pred)
    return float(metrics.accuracy_score(y_true, y_pred))


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None) -> float:
    r"""The unweighted mean over classes of :math:`F_1 = 2PR / (P + R)`.

    Every class counts equally, however rare, so a model that ignores a rare class scores
    low even when its accuracy is high. A class never true and never predicted scores 0:
    scikit-learn's ``f1_score(..., average="macro", labels=range(num_classes),
    zero_division=0)``.

    Args:
        num_classes: the number of classes k; None infers it from the data as
            ``max(label) + 1`` over ``y_true`` and ``y_pred`` (at least 2).

    Example:
        >>> round(macro_f1(np.array([0, 0, 0, 1]), np.array([0, 0, 0, 0])), 4)
        0.4286
    """
    (y_true, y_pred), k = check_labels(y_true, y_pred, num_classes=num_classes)
    return float(
        metrics.f1_score(y_true, y_pred, average="macro", labels=range(k), zero_division=0)
    )


def confusion_matrix(
    y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None
) -> np.ndarray:
    """Counts ``C[i, j]`` of examples of true class i predicted as j
    (``sklearn.metrics.confusion_matrix`` over the labels 0 .. k-1).

    Args:
        num_classes: the number of classes k; None infers it from the data as
            ``max(label) + 1`` over ``y_true`` and ``y_pred`` (at least 2).

    Example:
        >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]))
        array([[1, 0],
               [1, 1]])
    """
    (y_true, y_pred), k = check_labels(y_true, y_pred, num_classes=num_classes)
    return metrics.confusion_matrix(y_true, y_pred, labels=range(k))


def per_class_report(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None):
    """Precision, recall, F1 and support (number of true examples) of every class.

    Args:
        num_classes: the number of classes k; None infers it from the data as
            ``max(label) + 1`` over ``y_true`` and ``y_pred`` (at least 2).

    Returns:
        a pandas DataFrame indexed by class (0 .. k-1, index name ``"class"``), computed
        with scikit-learn's ``precision_recall_fscore_support(..., zero_division=0)``.

    Example:
        >>> per_class_report(np.array([0, 0, 1]), np.array([0, 1, 1]))["recall"].tolist()
        [0.5, 1.0]
    """
    import pandas as pd

    (y_true, y_pred), k = check_labels(y_true, y_pred, num_classes=num_classes)
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=range(k), zero_division=0
    )
    return pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": support},
        index=pd.RangeIndex(k, name="class"),
    )


def most_confused_pairs(matrix: np.ndarray, k: int = 5) -> list[tuple[int, int, int]]:
    """The ``k`` largest off-diagonal cells as ``(true, predicted, count)``, largest first
    (ties in row-major order).

    Example:
        >>> most_confused_pairs(np.array([[5, 2, 0], [1, 5, 3], [0, 0, 5]]), k=2)
        [(1, 2, 3), (0, 1, 2)]
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square, got shape {matrix.shape}")
    off = matrix.copy()
    np.fill_diagonal(off, -1)
    order = np.argsort(-off, axis=None, kind="stable")[:k]
    return [
        (int(i), int(j), int(off[i, j]))
        for i, j in zip(*np.unravel_index(order, off.shape), strict=True)
    ]


def mean_by_class(values: np.ndarray, y: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """The mean of ``values`` (n, ...) over the examples of each class: (k, ...), NaN for a
    class without examples.

    Used to read fusion weights (gates, attention) class by class (notebooks 07-08).

    Args:
        num_classes: the number of classes k; None infers it from the data as
            ``max(label) + 1`` over ``y`` (at least 2).

    Example:
        >>> mean_by_class(np.array([[1.0], [3.0], [5.0]]), np.array([0, 0, 1]))[:, 0]
        array([2., 5.])
    """
    values, y = np.asarray(values), np.asarray(y)
    if values.ndim < 1 or y.shape != values.shape[:1] or len(y) == 0:
        raise ValueError(
            f"values must be (n, ...) with one row per label (n >= 1), got shapes "
            f"{values.shape} and {y.shape}"
        )
    (y,), k = check_labels(y, num_classes=num_classes, names=("y",))
    return np.stack(
        [
            values[y == c].mean(axis=0) if np.any(y == c) else np.full(values.shape[1:], np.nan)
            for c in range(k)
        ]
    )
