"""Metrics and analyses of trained models (notebooks 02-04 start it; notebook 14 extends it)."""

from __future__ import annotations

import numpy as np

__all__ = ["predict_classes", "confusion_matrix", "most_confused_pairs", "embed"]


def _check_labels(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape or len(y_true) == 0:
        raise ValueError(
            f"y_true and y_pred must be non-empty 1-D arrays of one length, got shapes "
            f"{y_true.shape} and {y_pred.shape}"
        )
    return y_true.astype(int), y_pred.astype(int)


def predict_classes(model, inputs, batch_size: int = 256) -> np.ndarray:
    """Arg-max class of a classifier's outputs (logits or probabilities)."""
    return np.argmax(model.predict(inputs, batch_size=batch_size, verbose=0), axis=-1)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Counts ``C[i, j]`` of examples of true class i predicted as j.

    Example:
        >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), num_classes=2)
        array([[1, 0],
               [1, 1]])
    """
    y_true, y_pred = _check_labels(y_true, y_pred)
    if min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= num_classes:
        raise ValueError(f"labels must be in [0, {num_classes - 1}], got values outside")
    return np.bincount(y_true * num_classes + y_pred, minlength=num_classes**2).reshape(
        num_classes, num_classes
    )


def most_confused_pairs(matrix: np.ndarray, k: int = 5) -> list[tuple[int, int, int]]:
    """The ``k`` largest off-diagonal cells as ``(true, predicted, count)``, largest first."""
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


def embed(encoder, inputs, batch_size: int = 256) -> np.ndarray:
    """The encoder's embeddings of ``inputs`` as a NumPy array (batch, embedding_dim)."""
    return np.asarray(encoder.predict(inputs, batch_size=batch_size, verbose=0))
