"""Argument checks shared by the evaluation modules (one place, one wording)."""

from __future__ import annotations

import numpy as np

__all__ = ["check_labels", "check_positive_int", "model_input_names"]


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """``value`` if it is an integer >= ``minimum`` (not a bool), else a ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        wanted = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {wanted}, got {value!r}")
    return int(value)


def _as_labels(values, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
        array = array.astype(int)  # whole floats (e.g. labels read from a table) are fine
    if array.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer class indices, got {array[:5]!r}")
    return array.astype(int)


def check_labels(
    *labels, num_classes: int | None = None, names: tuple[str, ...] = ("y_true", "y_pred")
) -> tuple[list[np.ndarray], int]:
    """Validate label arrays of one length (``y_true``, ``y_pred``, ...) and the class count.

    ``num_classes=None`` infers it as ``max(label) + 1`` over all the arrays (at least 2);
    a given ``num_classes`` must cover every label. ``names`` name the arrays in errors.

    Returns:
        ``(arrays as int arrays, num_classes)``.

    Example:
        >>> (y_true, y_pred), k = check_labels([0, 1, 1], [0, 2, 1])
        >>> k
        3
    """
    names = names[: len(labels)]
    arrays = [_as_labels(a, n) for a, n in zip(labels, names, strict=True)]
    shapes = [a.shape for a in arrays]
    if any(a.ndim != 1 or a.shape != arrays[0].shape for a in arrays) or len(arrays[0]) == 0:
        raise ValueError(
            f"{' and '.join(names)} must be non-empty 1-D arrays of one length, got shapes "
            f"{' and '.join(map(str, shapes))}"
        )
    low = min(int(a.min()) for a in arrays)
    high = max(int(a.max()) for a in arrays)
    if low < 0:
        raise ValueError(f"labels must be non-negative class indices, got a minimum of {low}")
    if num_classes is None:
        return arrays, max(high + 1, 2)
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, int | np.integer)
        or num_classes < 2
    ):
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    if high >= num_classes:
        raise ValueError(f"labels must be in [0, {num_classes - 1}], got values in [{low}, {high}]")
    return arrays, int(num_classes)


def model_input_names(model, inputs: dict) -> list[str]:
    """The names of ``model``'s inputs, after checking that ``inputs`` (a dict modality ->
    array) has every one of them; extra entries are allowed (they are not fed)."""
    if not isinstance(inputs, dict):
        raise ValueError(f"inputs must be a dict modality -> array, got {type(inputs).__name__}")
    names = [t.name for t in model.inputs]
    missing = [m for m in names if m not in inputs]
    if missing:
        raise ValueError(f"the model takes inputs {names}, but inputs has only {list(inputs)}")
    return names
