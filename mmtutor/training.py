"""Training helpers: compile and fit a classifier on MM-Digits and report what matters."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from mmtutor.config import _quiet_env

_quiet_env()

import keras  # noqa: E402

__all__ = [
    "TrainResult",
    "compare_encoders",
    "compile_classifier",
    "format_seconds",
    "train_and_evaluate",
    "unimodal_baselines",
]


@dataclass
class TrainResult:
    """What one training run produced: the model, its history and its test figures."""

    model: keras.Model
    history: dict[str, list[float]]
    test_loss: float
    test_accuracy: float
    seconds: float
    params: int = field(default=0)

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
) -> TrainResult:
    """Compile, fit on ``data.train`` (validating on ``data.val``), evaluate on ``data.test``.

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
        validation_data=(data.val.inputs(names), data.val.y),
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
    )


def format_seconds(seconds: float) -> str:
    """Wall-clock time as printed in the notebooks, e.g. ``'12.3 s (wall)'``.

    The ``(wall)`` suffix is what the test suite's sanitize file masks: timings differ run
    to run, everything else a notebook prints must not.
    """
    return f"{seconds:.1f} s (wall)"


def compare_encoders(
    modality: str,
    data,
    kinds: list[str] | tuple[str, ...] | None = None,
    epochs: int = 10,
    embedding_dim: int = 64,
    seed: int = 0,
    **fit_options,
):
    """Train one unimodal classifier per encoder ``kind`` of ``modality`` and tabulate them.

    Each run re-seeds (``mmtutor.setup(seed, verbose=False)``) so its result does not
    depend on the runs before it.

    Returns:
        ``(table, results)``: a pandas DataFrame (kind, parameters, epochs, train time,
        test loss, test accuracy) and a dict kind -> :class:`TrainResult`.

    Example:
        >>> table, results = compare_encoders("image", data, epochs=5)  # doctest: +SKIP
    """
    import pandas as pd

    from mmtutor.config import setup
    from mmtutor.encoders import KINDS, build_encoder
    from mmtutor.models import build_unimodal

    if modality not in KINDS:
        raise ValueError(f"modality must be one of {list(KINDS)}, got {modality!r}")
    kinds = KINDS[modality] if kinds is None else tuple(kinds)
    unknown = [k for k in kinds if k not in KINDS[modality]]
    if unknown or not kinds:
        raise ValueError(
            f"kinds must be a non-empty subset of {list(KINDS[modality])}, got {list(kinds)}"
        )
    rows, results = [], {}
    for kind in kinds:
        setup(seed=seed, verbose=False)
        encoder = build_encoder(modality, data.train, kind=kind, embedding_dim=embedding_dim)
        result = train_and_evaluate(build_unimodal(encoder), data, epochs=epochs, **fit_options)
        results[kind] = result
        rows.append(
            {
                "encoder": kind,
                "parameters": result.params,
                "epochs": epochs,
                "train time": format_seconds(result.seconds),
                "test loss": round(result.test_loss, 4),
                "test accuracy": round(result.test_accuracy, 3),
            }
        )
    return pd.DataFrame(rows).set_index("encoder"), results


def unimodal_baselines(data, epochs: int = 10, kinds: dict[str, str] | None = None, seed: int = 0):
    """The single-modality baselines the fusion chapters must beat, recomputed in-process.

    Trains the default (or given) encoder kind of each modality, as notebooks 02-04 do.

    Returns:
        dict modality -> :class:`TrainResult`.
    """
    from mmtutor.encoders import KINDS

    kinds = kinds or {}
    unknown = [m for m in kinds if m not in KINDS]
    if unknown:
        raise ValueError(f"kinds keys must be modalities {list(KINDS)}, got {unknown}")
    out = {}
    for modality in KINDS:
        kind = kinds.get(modality, KINDS[modality][0])
        _, results = compare_encoders(modality, data, [kind], epochs=epochs, seed=seed)
        out[modality] = results[kind]
    return out
