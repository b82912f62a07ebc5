"""Multitask learning (Caruana, 1997) on a shared multimodal model (notebook 12).

One model, several heads: the encoders and the fused representation are shared, and each
task adds its own classifier and its own loss; the training loss is the weighted sum
``sum_k w_k L_k`` (Keras: one loss per named output and ``loss_weights``).

- :func:`task_labels`: the labels of MM-Digits' tasks (digit, its caption attributes such
  as parity, and the speaker) for a split;
- :func:`build_multitask_model`: encoders -> fusion -> a shared hidden layer -> one
  logits output per task;
- :func:`build_blended_model`: encoders -> fusion -> the digit head, plus one head per
  *encoder* (the multi-head model of gradient blending, :mod:`mmtutor.transfer.imbalance`);
- :func:`train_multitask`: compile with a loss per output and weights, fit, evaluate every
  head on the test split -> :class:`MultitaskResult`;
- :func:`compare_multitask`: several task sets, each trained once per seed, in one table.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass, field

import keras
import numpy as np
from keras import layers

from mmtutor import fusion as fusion_layers
from mmtutor.data import DIGIT_ATTRIBUTES
from mmtutor.models import model_inputs
from mmtutor.training import Restartable, TrainResult

__all__ = [
    "MultitaskResult",
    "build_blended_model",
    "build_multitask_model",
    "compare_multitask",
    "task_labels",
    "task_results",
]


def _attribute_classes(attribute: str) -> np.ndarray:
    """Class index of each digit 0-9 for a caption attribute: its phrases in order of first
    appearance (``"loops"``: no loop 0, one loop 1, two loops 2... as the digits meet them)."""
    phrases = DIGIT_ATTRIBUTES[attribute]
    order = list(dict.fromkeys(phrases))
    return np.array([order.index(p) for p in phrases], dtype=np.int32)


def task_labels(split, tasks, speakers=None) -> dict[str, np.ndarray]:
    """The labels of each task in ``tasks`` for the examples of ``split`` (an MM-Digits split).

    - ``"digit"``: the label ``split.y`` (10 classes);
    - a caption attribute of :data:`mmtutor.data.DIGIT_ATTRIBUTES` (``"parity"``, ``"size"``,
      ``"loops"``, ``"prime"``, ``"strokes"``): the class of the digit's phrase, in the
      order the digits 0-9 first use them (``"parity"``: even 0, odd 1; ``"loops"``: one
      loop 0, none 1, two 2);
    - ``"speaker"``: the index of ``split.meta["speaker"]`` in ``speakers`` (the names, in
      order; default: the sorted names found in the split; pass ``data.speakers`` so every
      split numbers the speakers alike).

    Example:
        >>> from types import SimpleNamespace
        >>> split = SimpleNamespace(y=np.array([0, 1, 8]),
        ...                         meta={"speaker": np.array(["b", "a", "b"])})
        >>> labels = task_labels(split, ["digit", "parity", "loops", "speaker"])
        >>> {task: v.tolist() for task, v in labels.items()}
        {'digit': [0, 1, 8], 'parity': [0, 1, 0], 'loops': [0, 1, 2], 'speaker': [1, 0, 1]}
    """
    known = ["digit", *DIGIT_ATTRIBUTES, "speaker"]
    tasks = list(tasks)
    unknown = [t for t in tasks if t not in known]
    if unknown or not tasks:
        raise ValueError(f"tasks must be a non-empty list of {known}, got {tasks}")
    y = np.asarray(split.y).astype(np.int32)
    out = {}
    for task in tasks:
        if task == "digit":
            out[task] = y
        elif task == "speaker":
            names = [str(n) for n in np.asarray(split.meta["speaker"])]
            if speakers is None:
                order = sorted(set(names))
            else:
                order = [str(getattr(s, "name", s)) for s in speakers]
            missing = sorted(set(names) - set(order))
            if missing:
                raise ValueError(f"speakers {missing} of the split are not in speakers={order}")
            index = {name: i for i, name in enumerate(order)}
            out[task] = np.array([index[n] for n in names], dtype=np.int32)
        else:
            out[task] = _attribute_classes(task)[y]
    return out


def _check_tasks(tasks) -> dict[str, int]:
    if not isinstance(tasks, dict) or not tasks:
        raise ValueError(f"tasks must be a non-empty dict task -> number of classes, got {tasks!r}")
    bad = {t: n for t, n in tasks.items()
           if not isinstance(t, str) or not t.isidentifier() or isinstance(n, bool)
           or not isinstance(n, int | np.integer) or n < 2}  # fmt: skip
    if bad:
        raise ValueError(
            f"each task needs an identifier name and an integer >= 2 classes, got {bad}"
        )
    return {t: int(n) for t, n in tasks.items()}


def _inputs_and_embeddings(encoders, what: str):
    inputs = model_inputs(encoders, what, minimum=1)
    return inputs, [enc(inputs[enc.inputs[0].name]) for enc in encoders]


def build_multitask_model(
    encoders: list[keras.Model],
    tasks: dict[str, int],
    fusion: str = "concat",
    fusion_options: dict | None = None,
    head_units: int = 64,
    dropout: float = 0.2,
    name: str = "multitask",
) -> keras.Model:
    """Shared encoders -> fusion -> shared ``Dense(head_units, relu)`` -> dropout -> one
    logits output per task (``tasks``: name -> number of classes), each named after its task.

    With one encoder the fusion step is skipped. Train it with :func:`train_multitask`.

    Example:
        >>> from mmtutor.encoders import build_vector_encoder
        >>> encoders = [build_vector_encoder(4, "a"), build_vector_encoder(3, "b")]
        >>> model = build_multitask_model(encoders, {"digit": 10, "parity": 2})
        >>> {task: tuple(logits.shape) for task, logits in model.output.items()}
        {'digit': (None, 10), 'parity': (None, 2)}
    """
    tasks = _check_tasks(tasks)
    if isinstance(head_units, bool) or not isinstance(head_units, int) or head_units < 1:
        raise ValueError(f"head_units must be a positive integer, got {head_units!r}")
    inputs, embeddings = _inputs_and_embeddings(encoders, "build_multitask_model")
    if len(embeddings) > 1:
        h = fusion_layers.get(fusion, name="fusion", **(fusion_options or {}))(embeddings)
    else:
        h = embeddings[0]
    h = layers.Dense(head_units, activation="relu", name="shared")(h)
    if dropout:
        h = layers.Dropout(dropout, name="shared_dropout")(h)
    outputs = {task: layers.Dense(n, name=task)(h) for task, n in tasks.items()}
    return keras.Model(inputs, outputs, name=name)


def build_blended_model(
    encoders: list[keras.Model],
    fusion: str = "concat",
    fusion_options: dict | None = None,
    head_units: int = 64,
    num_classes: int = 10,
    dropout: float = 0.2,
    name: str = "blended",
) -> keras.Model:
    """The multi-head model of gradient blending (Wang et al., 2020): the fused classifier
    of :func:`mmtutor.models.build_fusion_model` (output ``"fused"``) plus a linear
    classifier on each encoder's embedding (output key: the encoder's input name; layer
    ``<input>_logits``), so
    that each encoder also gets a loss of its own. At test time only ``"fused"`` is used.

    Example:
        >>> from mmtutor.encoders import build_vector_encoder
        >>> encoders = [build_vector_encoder(4, "a"), build_vector_encoder(3, "b")]
        >>> sorted(build_blended_model(encoders).output)
        ['a', 'b', 'fused']
    """
    inputs, embeddings = _inputs_and_embeddings(encoders, "build_blended_model")
    if len(embeddings) < 2:
        raise ValueError(f"build_blended_model expects 2+ encoders, got {len(embeddings)}")
    if isinstance(head_units, bool) or not isinstance(head_units, int) or head_units < 0:
        raise ValueError(f"head_units must be a non-negative integer, got {head_units!r}")
    h = fusion_layers.get(fusion, name="fusion", **(fusion_options or {}))(embeddings)
    if head_units:
        h = layers.Dense(head_units, activation="relu")(h)
    if dropout:
        h = layers.Dropout(dropout)(h)
    outputs = {"fused": layers.Dense(num_classes, name="fused")(h)}
    for m, z in zip(inputs, embeddings, strict=True):
        outputs[m] = layers.Dense(num_classes, name=f"{m}_logits")(z)
    return keras.Model(inputs, outputs, name=name)


@dataclass
class MultitaskResult(TrainResult):
    """A :class:`~mmtutor.training.TrainResult` of a multi-output model: ``test_accuracy``
    and ``test_predictions`` are those of the ``main`` output; ``task_accuracy`` and
    ``task_predictions`` hold every output's."""

    main: str = ""
    task_accuracy: dict[str, float] = field(default_factory=dict)
    task_predictions: dict[str, np.ndarray] = field(default_factory=dict, repr=False)


def _targets(split, targets, outputs):
    if callable(targets):
        labels = targets(split)
    else:
        labels = targets
    missing = [o for o in outputs if o not in labels]
    if missing:
        raise ValueError(f"no labels for the outputs {missing}; the targets give {list(labels)}")
    return {o: np.asarray(labels[o]) for o in outputs}


def train_multitask(
    model: keras.Model,
    data,
    targets,
    loss_weights: dict[str, float] | None = None,
    main: str | None = None,
    epochs: int = 10,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    validate: bool = False,
) -> MultitaskResult:
    """Compile ``model`` (a dict of named logits outputs) with one sparse cross-entropy per
    output, weighted by ``loss_weights`` (default 1 each), fit it on ``data.train`` and
    evaluate every output on ``data.test``.

    Args:
        model: e.g. :func:`build_multitask_model` or :func:`build_blended_model`.
        data: train/val/test splits whose ``x`` hold the model's inputs.
        targets: a function ``split -> {output: labels}`` (e.g.
            ``lambda s: task_labels(s, tasks, data.speakers)``).
        loss_weights: output -> weight of its loss (Keras' ``loss_weights``).
        main: the output whose accuracy is ``result.test_accuracy`` (default: the first).
        validate: also compute validation losses per epoch (for gradient blending's
            weights, :func:`mmtutor.transfer.gradient_blend_weights`).

    Example:
        >>> result = train_multitask(model, data, targets, {"digit": 1.0, "parity": 0.5})  # doctest: +SKIP
        >>> result.task_accuracy  # doctest: +SKIP
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if not isinstance(model.output, dict):
        raise TypeError("model must have a dict of named outputs (one per task)")
    outputs = list(model.output)
    weights = {o: 1.0 for o in outputs} | dict(loss_weights or {})
    unknown = [o for o in weights if o not in outputs]
    if unknown:
        raise ValueError(f"loss_weights name outputs {unknown}; the model has {outputs}")
    main = outputs[0] if main is None else main
    if main not in outputs:
        raise ValueError(f"main must be one of the outputs {outputs}, got {main!r}")
    _compile_multitask(model, weights, learning_rate)
    return _fit_multitask(model, data, targets, main, epochs, batch_size, validate)


def _compile_multitask(model, weights: dict, learning_rate: float):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss={o: keras.losses.SparseCategoricalCrossentropy(from_logits=True) for o in weights},
        loss_weights=weights,
    )
    return model


def _fit_multitask(model, data, targets, main, epochs, batch_size, validate) -> MultitaskResult:
    """Fit a compiled multitask model and evaluate every output (:func:`train_multitask`)."""
    outputs = list(model.output)
    main = outputs[0] if main is None else main
    names = [t.name for t in model.inputs]
    start = time.perf_counter()
    validation = None
    if validate:
        validation = (data.val.inputs(names), _targets(data.val, targets, outputs))
    history = model.fit(
        data.train.inputs(names), _targets(data.train, targets, outputs),
        validation_data=validation, epochs=epochs, batch_size=batch_size, verbose=0,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    test = _targets(data.test, targets, outputs)
    logits = model.predict(data.test.inputs(names), batch_size=1024, verbose=0)
    predictions = {o: np.argmax(logits[o], axis=-1) for o in outputs}
    accuracy = {o: float(np.mean(predictions[o] == test[o])) for o in outputs}
    return MultitaskResult(
        model=model,
        history={k: [float(v) for v in vals] for k, vals in history.history.items()},
        test_loss=float("nan"),
        test_accuracy=accuracy[main],
        seconds=seconds,
        params=int(np.sum([np.prod(w.shape) for w in model.trainable_weights])),
        test_predictions=predictions[main],
        main=main,
        task_accuracy=accuracy,
        task_predictions=predictions,
    )


def compare_multitask(
    make_encoders,
    data,
    task_sets: dict[str, dict[str, float]],
    num_classes: dict[str, int],
    targets,
    seeds=0,
    head_units: int = 64,
    **fit_options,
):
    """Train one :func:`build_multitask_model` per entry of ``task_sets`` (name -> {task:
    loss weight}) on fresh encoders (``make_encoders()``), once per seed (re-seeded with
    ``mmtutor.setup``), and tabulate the mean test accuracy of every task it learns.

    Each task's ``test_predictions`` are kept for every run, so
    ``mmtutor.training.compare_paired(results_for(task), y, pairs)`` can say whether adding
    tasks helps or hurts one of them. ``fit_options`` go to :func:`train_multitask`.

    Returns:
        ``(table, results)``: a DataFrame (rows: task sets; columns: tasks; blank where a
        set does not learn the task) and a dict name -> :class:`MultitaskResult` of the
        first seed, whose ``runs`` holds every seed's.

    Example:
        >>> sets = {"digit": {"digit": 1.0}, "digit + parity": {"digit": 1.0, "parity": 1.0}}  # doctest: +SKIP
        >>> table, results = compare_multitask(encoders, data, sets, {"digit": 10, "parity": 2},  # doctest: +SKIP
        ...                                    targets, seeds=(0, 1, 2))
    """
    import pandas as pd

    from mmtutor.config import setup

    seeds = [seeds] if isinstance(seeds, int | np.integer) else list(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be an integer or distinct integers, got {seeds!r}")
    rows, results = {}, {}
    for index, (name, weights) in enumerate(task_sets.items()):
        missing = [t for t in weights if t not in num_classes]
        if missing:
            raise ValueError(f"task set {name!r} uses tasks {missing} with no num_classes")

        def build(weights=weights, index=index):
            return build_multitask_model(make_encoders(), {t: num_classes[t] for t in weights},
                                         head_units=head_units, name=f"multitask_{index}")  # fmt: skip

        runs = []
        if len(seeds) == 1:
            setup(seed=int(seeds[0]), verbose=False)
            runs.append(train_multitask(build(), data, targets, weights, **fit_options))
        else:  # one trace for every seed, the same weights as a new model per seed
            options = _FIT_DEFAULTS | fit_options  # train_multitask's own defaults
            epochs = options["epochs"]
            if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
                raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
            rate = options.pop("learning_rate")
            runner = Restartable(build, lambda m, w=weights, r=rate: _compile_multitask(m, w, r))
            for seed in seeds:
                model = runner.start(seed)
                run = _fit_multitask(model, data, targets, None, **options)
                run.model = runner.keep()
                runs.append(run)
        results[name] = runs[0]
        results[name].runs = runs
        rows[name] = {t: round(float(np.mean([r.task_accuracy[t] for r in runs])), 3)
                      for t in weights}  # fmt: skip
    columns = list(dict.fromkeys(t for w in task_sets.values() for t in w))
    return pd.DataFrame.from_dict(rows, orient="index")[columns].rename_axis("tasks"), results


#: the fit options of :func:`train_multitask` and their defaults, read from its signature
#: (the restart path of :func:`compare_multitask` fits with the same ones)
_FIT_DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(train_multitask).parameters.items()
    if name in ("epochs", "batch_size", "learning_rate", "validate")
}


def task_results(results: dict, task: str) -> dict:
    """``results`` of :func:`compare_multitask` seen through one ``task``: name -> a result
    whose ``test_predictions`` (and every run's) are that task's, for the task sets that
    learn it; what :func:`mmtutor.training.compare_paired` reads.

    Example:
        >>> view = task_results(results, "parity")  # doctest: +SKIP
        >>> compare_paired(view, parity_labels, [("all four", "digit + parity")])  # doctest: +SKIP
    """
    from types import SimpleNamespace

    out = {}
    for name, result in results.items():
        if task in result.task_predictions:
            runs = [SimpleNamespace(test_predictions=r.task_predictions[task])
                    for r in (result.runs or [result])]  # fmt: skip
            out[name] = SimpleNamespace(test_predictions=runs[0].test_predictions, runs=runs)
    if not out:
        raise ValueError(f"no task set learns {task!r}")
    return out
