"""Fit one classifier and report what matters: :func:`train_and_evaluate` -> :class:`TrainResult`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np

__all__ = ["TrainResult", "compile_classifier", "format_seconds", "train_and_evaluate"]


@dataclass
class TrainResult:
    """What one training run produced: the model, its history and its test figures."""

    model: keras.Model
    history: dict[str, list[float]]
    test_loss: float
    test_accuracy: float
    seconds: float
    params: int = field(default=0)
    #: predicted class of every test example (the arg-max of the model's outputs)
    test_predictions: np.ndarray | None = field(default=None, repr=False)
    #: with several seeds (:func:`compare_models`): every run, this one first
    runs: list[TrainResult] = field(default_factory=list, repr=False)

    def summary(self) -> str:
        """One line: parameters, epochs, test loss (4 decimals) and accuracy (3 decimals)."""
        return (
            f"{self.model.name}: {self.params:,} parameters, {len(self.history['loss'])} epochs, "
            f"test loss {self.test_loss:.4f}, test accuracy {self.test_accuracy:.3f}"
        )


def compile_classifier(model: keras.Model, learning_rate: float = 1e-3) -> keras.Model:
    """Adam + sparse categorical cross-entropy on logits + accuracy; returns the model."""
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def train_and_evaluate(
    model: keras.Model,
    data,
    epochs: int = 10,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    class_weight: dict[int, float] | None = None,
    validate: bool = True,
) -> TrainResult:
    """Compile, fit on ``data.train`` (validating on ``data.val``), evaluate on ``data.test``.

    ``validate=False`` skips the per-epoch validation pass (the history then has no
    ``val_`` curves): the training itself is identical, and many small models train faster.

    The modalities fed are the model's input names, so one call serves unimodal and
    fused models alike. Training is silent (``verbose=0``); read ``result.summary()``.

    Example:
        >>> result = train_and_evaluate(model, data, epochs=5)  # doctest: +SKIP
        >>> print(result.summary())  # doctest: +SKIP
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    names = [t.name for t in model.inputs]
    missing = [n for n in names if n not in data.train.x]
    if missing:
        raise ValueError(
            f"the model takes inputs {names}, but the data has only {list(data.train.x)}"
        )
    compile_classifier(model, learning_rate)
    start = time.perf_counter()
    history = model.fit(
        data.train.inputs(names),
        data.train.y,
        validation_data=(data.val.inputs(names), data.val.y) if validate else None,
        epochs=epochs,
        batch_size=batch_size,
        class_weight=class_weight,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(data.test.inputs(names), data.test.y, verbose=0)
    return TrainResult(
        model=model,
        history={k: [float(v) for v in vals] for k, vals in history.history.items()},
        test_loss=float(loss),
        test_accuracy=float(accuracy),
        seconds=seconds,
        params=int(np.sum([np.prod(w.shape) for w in model.trainable_weights])),
        test_predictions=_predict_classes(model, data.test.inputs(names)),
    )


def _predict_classes(model, inputs):
    from mmtutor.evaluation import predict_classes

    return predict_classes(model, inputs)


def format_seconds(seconds: float, width: int = 0) -> str:
    """Wall-clock time as printed in the notebooks, e.g. ``'12.3 s (wall)'``.

    The ``(wall)`` suffix is what the test suite's sanitize file masks: timings differ run
    to run, everything else a notebook prints must not. ``width`` pads the number on the
    left (tables use 6), so a column of times keeps its width when a time gains a digit.
    """
    return f"{seconds:{width}.1f} s (wall)"
