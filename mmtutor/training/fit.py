"""Fit one classifier and report what matters: :func:`train_and_evaluate` -> :class:`TrainResult`."""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass, field

import keras
import numpy as np

__all__ = [
    "Restartable",
    "TrainResult",
    "compile_classifier",
    "fit_and_test",
    "format_seconds",
    "train_and_evaluate",
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
    #: predicted class of every test example (the arg-max of the model's outputs)
    test_predictions: np.ndarray | None = field(default=None, repr=False)
    #: with several seeds (:func:`compare_models`): every run, this one first
    runs: list[TrainResult] = field(default_factory=list, repr=False)

    def summary(self) -> str:
        """One line: parameters, epochs, test loss (4 decimals) and accuracy (3 decimals)."""
        epochs = len(self.history["loss"])
        unit = "epoch" if epochs == 1 else "epochs"
        return (
            f"{self.model.name}: {self.params:,} parameters, {epochs} {unit}, "
            f"test loss {self.test_loss:.4f}, test accuracy {self.test_accuracy:.3f}"
        )


def compile_classifier(
    model: keras.Model, learning_rate: float = 1e-3, ema_momentum: float | None = None
) -> keras.Model:
    """Adam + sparse categorical cross-entropy on logits + accuracy; returns the model.

    ``ema_momentum`` ``m`` (e.g. 0.99, the real-data recipe's full-length runs, notebook 15):
    Adam also keeps an exponential moving average of the weights, ``average = m * average +
    (1 - m) * weights`` after every step from the first step's weights on (Keras' ``use_ema``),
    and ``fit`` ends by writing the average into the model: it is the averaged model that is
    tested and kept. Averaging over about ``1 / (1 - m)`` steps smooths out the noise of the
    last mini-batches; it pays in runs many times longer than that. Per-epoch validation
    figures during ``fit`` are those of the current, not the averaged, weights.
    """
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}")
    if ema_momentum is not None and (
        isinstance(ema_momentum, bool)
        or not isinstance(ema_momentum, numbers.Real)
        or not 0 < ema_momentum < 1
    ):
        raise ValueError(
            f"ema_momentum must be None (no average) or a number in (0, 1), got {ema_momentum!r}"
        )
    if ema_momentum is None:
        optimizer = keras.optimizers.Adam(learning_rate)
    else:
        optimizer = keras.optimizers.Adam(
            learning_rate, use_ema=True, ema_momentum=float(ema_momentum)
        )
    model.compile(
        optimizer=optimizer,
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
    ema_momentum: float | None = None,
) -> TrainResult:
    """Compile, fit on ``data.train`` (validating on ``data.val``), evaluate on ``data.test``.

    ``validate=False`` skips the per-epoch validation pass (the history then has no
    ``val_`` curves): the training itself is identical, and many small models train faster.

    The modalities fed are the model's input names, so one call serves unimodal and
    fused models alike. Training is silent (``verbose=0``); read ``result.summary()``.
    ``ema_momentum``: test and keep a moving average of the weights (:func:`compile_classifier`).

    Example:
        >>> result = train_and_evaluate(model, data, epochs=5)  # doctest: +SKIP
        >>> print(result.summary())  # doctest: +SKIP
    """
    _check_fit(model, data, epochs)
    compile_classifier(model, learning_rate, ema_momentum)
    return fit_and_test(model, data, epochs, batch_size, class_weight, validate)


def fit_and_test(
    model: keras.Model,
    data,
    epochs: int = 10,
    batch_size: int = 64,
    class_weight: dict[int, float] | None = None,
    validate: bool = True,
) -> TrainResult:
    """:func:`train_and_evaluate` without the compile: fit an already compiled classifier
    (e.g. a :class:`Restartable`'s) and evaluate it on ``data.test``."""
    names = _check_fit(model, data, epochs)
    _build_training_state(model, data.train.inputs(names), data.train.y)
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
    loss, accuracy = _test_loss_and_accuracy(model, data.test.inputs(names), data.test.y)
    return TrainResult(
        model=model,
        history={k: [float(v) for v in vals] for k, vals in history.history.items()},
        test_loss=float(loss),
        test_accuracy=float(accuracy),
        seconds=seconds,
        params=int(np.sum([np.prod(w.shape) for w in model.trainable_weights])),
        test_predictions=_predict_classes(model, data.test.inputs(names)),
    )


def _build_training_state(model, inputs: dict, y) -> None:
    """Create a compiled model's optimizer, loss and metric variables before ``fit``.

    Without a distribution strategy, Keras creates them inside the first trace of the
    training step, and TensorFlow then traces the step a second time without creating
    variables: a new model's first ``fit`` pays two traces (0.3 s or more of CPU each for the
    series' models). Keras' own symbolic build (what ``fit`` does under a distribution
    strategy) creates them from one example's shapes first, so the step is traced once; the
    variables start at the same zeros, and the trained weights are the same bit for bit
    (``tests/test_training.py``). Text goes in as a string tensor (Keras' symbolic tensors
    take no NumPy object arrays). A model not yet built, or a Keras without that method, is
    left to ``fit``.
    """
    symbolic_build = getattr(model, "_symbolic_build", None)
    if symbolic_build is None or not model.built:
        return
    first = {}
    for name, values in inputs.items():
        values = np.asarray(values)[:1]
        if values.dtype.kind in "OUS":  # text: one example as a string tensor
            values = keras.ops.convert_to_tensor(values.astype(str))
        first[name] = values
    symbolic_build(data_batch=(first, np.asarray(y)[:1]))


def _test_loss_and_accuracy(model, inputs: dict, y, batch_size: int = 32) -> tuple[float, float]:
    """What ``model.evaluate(inputs, y, verbose=0)`` returns for a :func:`compile_classifier`
    model, bit for bit, without ``evaluate``'s per-call set-up (a dataset, an iterator and a
    traced test function per model, a large share of a small model's training run).

    The same batches of 32 through ``predict_on_batch``, the compiled loss of each batch,
    and Keras' running means in float32: the loss weighted by batch size, the accuracy the
    fraction of arg-max hits. Any other model (another loss, extra losses) goes through
    ``evaluate`` itself. ``tests/test_training.py`` checks the equality against ``evaluate``.
    """
    if not isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy) or model.losses:
        loss, accuracy = model.evaluate(inputs, y, verbose=0)
        return float(loss), float(accuracy)
    y = np.asarray(y)
    total, hits = np.float32(0.0), 0
    for i in range(0, len(y), batch_size):
        logits = model.predict_on_batch({k: v[i : i + batch_size] for k, v in inputs.items()})
        batch = y[i : i + batch_size]
        total = np.float32(total + np.float32(model.loss(batch, logits)) * np.float32(len(batch)))
        hits += int(np.sum(np.argmax(logits, axis=-1) == batch))
    return float(total / np.float32(len(y))), float(np.float32(hits) / np.float32(len(y)))


def _check_fit(model, data, epochs) -> list[str]:
    """The model's input names, after checking ``epochs`` and that ``data`` has them."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    names = [t.name for t in model.inputs]
    missing = [n for n in names if n not in data.train.x]
    if missing:
        raise ValueError(
            f"the model takes inputs {names}, but the data has only {list(data.train.x)}"
        )
    return names


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


class Restartable:
    """One compiled model trained from scratch many times, with its steps traced once.

    The first ``fit`` of a Keras model traces its training step (and ``evaluate``/``predict``
    their steps): one to three seconds of CPU for the series' models, often more than the
    training of a small fusion head. Training one architecture once per seed therefore pays
    for the same trace again and again. A ``Restartable`` compiles one model and, for each run,
    :meth:`start` makes it exactly the model a new run would begin with:

    - it re-seeds (``keras.utils.set_random_seed(seed)``, what ``mmtutor.setup(seed)`` does to
      the generators) and builds a new model, as the run would;
    - it copies *every* variable of that new model into the compiled one: the weights and the
      random-generator states of dropout or augmentation layers (``model.variables``);
    - it restores the optimizer's blank state (step 0, zero moments).

    Fitting the returned model then gives the same weights, bit for bit, as compiling and
    fitting the new model (``tests/test_restartable.py`` checks it), without a new trace.
    :meth:`keep` hands back that new model holding the trained state, so each run keeps a
    model of its own while the compiled one is restarted for the next. Only Keras and NumPy
    are used: the class runs as shown (call ``mmtutor.setup`` once first, for op determinism).

    Args:
        build: a function returning a new, uncompiled model (the same architecture each call)
            with its weights created (a subclassed model: called once on a small batch).
        compile: a function compiling a model in place and returning it, e.g.
            ``lambda m: compile_classifier(m, 1e-3)``.
        options: keyword arguments of ``build`` for the first model; :meth:`start` takes
            its own (e.g. a seed the model stores, or a temperature).

    Example:
        >>> runner = Restartable(build, compile_classifier)  # doctest: +SKIP
        >>> for seed in (0, 1, 2):  # doctest: +SKIP
        ...     runner.start(seed).fit(x, y, epochs=5, verbose=0)
        ...     models.append(runner.keep())
    """

    def __init__(self, build, compile, **options):
        if not callable(build) or not callable(compile):
            raise TypeError(
                "Restartable expects two functions, build() -> new model and compile(model) "
                f"-> model, got {type(build).__name__} and {type(compile).__name__}"
            )
        self.build, self.compile = build, compile
        self.model = compile(build(**options))
        self.model.optimizer.build(self.model.trainable_variables)
        self.blank = [np.array(v) for v in self.model.optimizer.variables]
        self.new = None

    def start(self, seed: int, /, **options) -> keras.Model:
        """Re-seed, build a new model (``build(**options)``) and give the compiled one its
        initial state; returns the compiled model, ready to ``fit``."""
        keras.utils.set_random_seed(int(seed))
        self.new = self.build(**options)
        self.copy(self.model.variables, self.new.variables, "the new model's variables")
        self.copy(self.model.optimizer.variables, self.blank, "the blank optimizer state")
        return self.model

    def keep(self) -> keras.Model:
        """The model :meth:`start` built, compiled, holding the compiled model's current
        (trained) variables and optimizer state: the run's own model."""
        if self.new is None:
            raise RuntimeError("keep() needs a run: call start(seed) first")
        new, self.new = self.compile(self.new), None
        new.optimizer.build(new.trainable_variables)
        self.copy(new.variables, self.model.variables, "the trained variables")
        self.copy(new.optimizer.variables, self.model.optimizer.variables, "the optimizer state")
        return new

    @staticmethod
    def copy(targets, sources, what: str) -> None:
        """Assign each of ``sources`` to the variable of ``targets`` in the same position."""
        targets, sources = list(targets), list(sources)
        shapes = [tuple(t.shape) for t in targets], [tuple(np.shape(s)) for s in sources]
        if shapes[0] != shapes[1]:
            raise ValueError(
                f"cannot restart: {what} have shapes {shapes[1]}, the compiled model's "
                f"{shapes[0]} (build() must return the same architecture each call)"
            )
        for target, source in zip(targets, sources, strict=True):
            target.assign(source)
