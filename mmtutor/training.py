"""Training helpers: compile and fit a classifier on MM-Digits and report what matters."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np

__all__ = [
    "FROZEN_PROTOCOL",
    "Stacking",
    "TrainResult",
    "compare_encoders",
    "compare_frozen_fusion",
    "compare_models",
    "compare_paired",
    "compile_classifier",
    "embed_splits",
    "fit_stacking",
    "format_seconds",
    "train_and_evaluate",
    "unimodal_baselines",
]


#: The series' protocol for comparing fusion heads on frozen encoders (notebooks 07, 08, 13,
#: 15): ``compare_frozen_fusion(encoders, data, methods, **FROZEN_PROTOCOL)``. Every head
#: (64 hidden units by default) trains 6 epochs of batches of 256 at learning rate 0.01,
#: once per seed; no validation pass (the heads are compared on the test split only once).
FROZEN_PROTOCOL: dict = {
    "epochs": 6,
    "batch_size": 256,
    "learning_rate": 1e-2,
    "seeds": (0, 1, 2),
    "validate": False,
}


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
    builders = {
        kind: (
            lambda kind=kind: build_unimodal(
                build_encoder(modality, data.train, kind=kind, embedding_dim=embedding_dim)
            )
        )
        for kind in kinds
    }
    table, results = compare_models(builders, data, epochs=epochs, seeds=seed, **fit_options)
    return table.rename_axis("encoder"), results


def compare_models(
    builders: dict,
    data,
    epochs: int = 10,
    seeds: int | list[int] | tuple[int, ...] = 0,
    ablate: list[str] | tuple[str, ...] = (),
    **fit_options,
):
    """Train one model per entry of ``builders`` (name -> function returning a fresh,
    uncompiled model) on ``data`` and tabulate them.

    Each run re-seeds first (``mmtutor.setup(seed, verbose=False)``), so a row does not
    depend on the rows before it. With several ``seeds``, every model is trained once per
    seed and the table gives the mean over the runs, plus a ``std`` column (the sample
    standard deviation of the test accuracy): the spread that comes from training alone.
    For every modality in ``ablate``, the table also gives the test accuracy with that
    modality zeroed at test time (:func:`mmtutor.evaluation.ablate`; a model that does not
    take it is left blank).

    Returns:
        ``(table, results)``: a pandas DataFrame indexed by name (parameters, epochs,
        train time, test loss, test accuracy[, std][, without <modality>...]) and a dict
        name -> :class:`TrainResult` of the first seed, whose ``runs`` holds every seed's.

    Example:
        >>> from mmtutor.models import build_late_fusion  # doctest: +SKIP
        >>> table, _ = compare_models({"late": lambda: build_late_fusion(encs())}, data)  # doctest: +SKIP
    """
    import pandas as pd

    from mmtutor.config import setup
    from mmtutor.evaluation import ablate as ablate_inputs
    from mmtutor.evaluation import model_accuracy

    if not isinstance(builders, dict) or not builders or not all(map(callable, builders.values())):
        raise ValueError(
            "builders must be a non-empty dict name -> function returning a model, got "
            f"{type(builders).__name__}"
        )
    seeds = _check_seeds(seeds)
    unknown = [m for m in ablate if m not in data.test.x]
    if unknown:
        raise ValueError(f"cannot ablate {unknown}: the data has {list(data.test.x)}")
    rows, results = [], {}
    for name, build in builders.items():
        runs, without = [], {m: [] for m in ablate}
        for seed in seeds:
            setup(seed=seed, verbose=False)
            result = train_and_evaluate(build(), data, epochs=epochs, **fit_options)
            runs.append(result)
            names = [t.name for t in result.model.inputs]
            for modality in ablate:
                if modality in names:
                    x = ablate_inputs(data.test.inputs(names), modality, how="zero")
                    without[modality].append(model_accuracy(result.model, x, data.test.y))
        result = runs[0]
        result.runs = runs
        results[name] = result
        accuracies = [r.test_accuracy for r in runs]
        row = {
            "method": name,
            "parameters": result.params,
            "epochs": epochs,
            "train time": format_seconds(float(np.mean([r.seconds for r in runs])), width=6),
            "test loss": round(float(np.mean([r.test_loss for r in runs])), 4),
            "test accuracy": round(float(np.mean(accuracies)), 3),
        }
        if len(seeds) > 1:
            row["std"] = round(float(np.std(accuracies, ddof=1)), 3)
        for modality in ablate:
            row[f"without {modality}"] = (
                round(float(np.mean(without[modality])), 3) if without[modality] else None
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index("method"), results


def _check_seeds(seeds) -> list[int]:
    seeds = [seeds] if isinstance(seeds, int | np.integer) else list(seeds)
    bad = [s for s in seeds if isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 0]
    if not seeds or bad or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be a non-negative integer or distinct ones, got {seeds!r}")
    return [int(s) for s in seeds]


def compare_paired(results: dict, y, pairs: list[tuple[str, str]], **bootstrap_options):
    """Paired comparisons of methods trained by :func:`compare_models` or
    :func:`compare_frozen_fusion`: for each ``(a, b)``, the test-accuracy difference
    ``a - b`` (mean over the seeds) with a paired bootstrap interval over the test examples
    (:func:`mmtutor.evaluation.paired_bootstrap` on every run's predictions) and the verdict
    it supports: "beats" only when the 95% interval excludes 0, else "ties with".

    Returns:
        a pandas DataFrame indexed by ``"a vs b"``: ``difference``, ``low``, ``high`` and
        ``verdict`` (a sentence, :func:`mmtutor.evaluation.paired_verdict`).

    Example:
        >>> compare_paired(results, data.test.y, [("gated", "concat")])  # doctest: +SKIP
    """
    import pandas as pd

    from mmtutor.evaluation import paired_bootstrap, paired_verdict

    rows = {}
    for a, b in pairs:
        missing = [m for m in (a, b) if m not in results]
        if missing:
            raise ValueError(f"no results for {missing}; the results are for {list(results)}")
        preds = [np.stack([r.test_predictions for r in (results[m].runs or [results[m]])])
                 for m in (a, b)]  # fmt: skip
        difference, low, high = paired_bootstrap(y, *preds, **bootstrap_options)
        rows[f"{a} vs {b}"] = {"difference": round(difference, 3), "low": round(low, 3),
                               "high": round(high, 3),
                               "verdict": paired_verdict(a, b, difference, low, high)}  # fmt: skip
    return pd.DataFrame(rows).T.rename_axis("comparison")


def unimodal_baselines(
    data, epochs: int = 10, kinds: dict[str, str] | None = None, seed: int = 0, **fit_options
):
    """The single-modality baselines the fusion chapters must beat, recomputed in-process.

    Trains the default (or given) encoder kind of each modality present in ``data``
    (MM-Digits: image, text, audio; AV-MNIST: image, audio), as notebooks 02-04 do.
    ``fit_options`` go to :func:`train_and_evaluate` (e.g. ``validate=False`` when only the
    trained model and its test accuracy are needed, not the validation curve).

    Returns:
        dict modality -> :class:`TrainResult`.
    """
    from mmtutor.encoders import KINDS

    kinds = kinds or {}
    unknown = [m for m in kinds if m not in KINDS]
    if unknown:
        raise ValueError(f"kinds keys must be modalities {list(KINDS)}, got {unknown}")
    present = [m for m in KINDS if m in data.train.x]
    if not present:
        raise ValueError(
            f"data has none of the modalities {list(KINDS)}; its inputs are {list(data.train.x)}"
        )
    out = {}
    for modality in present:
        kind = kinds.get(modality, KINDS[modality][0])
        _, results = compare_encoders(
            modality, data, [kind], epochs=epochs, seed=seed, **fit_options
        )
        out[modality] = results[kind]
    return out


def embed_splits(data, front_ends: dict):
    """``data`` with every input replaced by its front end's output, computed once.

    ``front_ends`` maps a modality to a model that takes that modality's raw input (a
    trained encoder, or a weight-free :func:`mmtutor.models.build_feature_extractor`).
    Returns an object with ``train``, ``val`` and ``test`` splits (same labels and
    metadata) whose ``x[modality]`` are NumPy arrays (n, features): what a fusion layer
    on top of *frozen* front ends sees. Taught in notebook 07.

    Example:
        >>> encoders = {m: r.model.get_layer(f"{m}_encoder") for m, r in baselines.items()}  # doctest: +SKIP
        >>> embed_splits(data, encoders).train.x["audio"].shape  # doctest: +SKIP
        (2000, 64)
    """
    from dataclasses import replace
    from types import SimpleNamespace

    if not isinstance(front_ends, dict) or not front_ends:
        raise ValueError(
            f"front_ends must be a non-empty dict modality -> model, got {type(front_ends).__name__}"
        )
    unknown = [m for m in front_ends if m not in data.train.x]
    if unknown:
        raise ValueError(f"no input for {unknown}: the data has {list(data.train.x)}")
    splits = {}
    for name in ("train", "val", "test"):
        split = getattr(data, name)
        splits[name] = replace(split, x=_embed_inputs(front_ends, split.x))
    return SimpleNamespace(**splits)


def _embed_inputs(front_ends: dict, inputs: dict) -> dict:
    """``{modality: front_end(inputs[modality])}`` as flat NumPy arrays."""
    from mmtutor.evaluation import embed

    return {
        m: embed(model, inputs[m]).reshape(len(inputs[m]), -1) for m, model in front_ends.items()
    }


def _identity_encoder(name: str, dim: int, units: int = 0, flagged: bool = False) -> keras.Model:
    """A pass-through "encoder" for a precomputed feature vector of ``dim`` features (input
    named ``name``), or, with ``units``, a trained linear projection of it to ``units``.

    ``flagged``: the input carries a presence flag as an extra last feature
    (:class:`mmtutor.fusion.MaskMissing`'s output), which is cut off here; the model that
    uses the encoder reads presence from its input (all zeros when missing).
    """
    inputs = keras.Input(shape=(dim + int(flagged),), name=name)
    x = inputs
    if flagged:  # keep the first dim features (standard layers only, so the head saves)
        x = keras.layers.Reshape((dim + 1, 1))(x)
        x = keras.layers.Cropping1D((0, 1))(x)
        x = keras.layers.Reshape((dim,))(x)
    layer = (
        keras.layers.Dense(units, name=f"{name}_projection") if units else keras.layers.Identity()
    )
    return keras.Model(inputs, layer(x), name=f"{name}_encoder")


def _with_flags(embedded: dict, raw: dict) -> dict:
    """Embeddings with the presence flag of their raw input appended (as MaskMissing does)."""
    from mmtutor.fusion import is_present

    out = {}
    for m, z in embedded.items():
        p = is_present(raw[m]).astype(z.dtype)[:, None]
        out[m] = np.concatenate([z * p, p], axis=1)
    return out


def compare_frozen_fusion(
    encoders: dict,
    data,
    methods: list[str] | tuple[str, ...] | None = None,
    epochs: int = 10,
    head_units: int = 64,
    fusion_options: dict[str, dict] | None = None,
    model_options: dict | None = None,
    ablate: list[str] | tuple[str, ...] = (),
    how: str = "zero",
    project: dict[str, int] | None = None,
    seeds: int | list[int] | tuple[int, ...] = 0,
    embedded=None,
    **fit_options,
):
    """Compare fusion methods on top of *frozen*, already trained encoders.

    Each encoder's embeddings of every split are computed once (:func:`embed_splits`);
    then, for each method of :data:`mmtutor.models.FUSION_METHODS`, only the fusion layer
    and its head (late fusion: the per-modality classifiers and the combiner) are trained
    on those embeddings, through :func:`compare_models` (re-seeded per method; with several
    ``seeds`` each head is trained once per seed, and the table gives means and the
    accuracy's ``std``: the series' comparison protocol uses ``seeds=(0, 1, 2)`` and
    :func:`compare_paired` for its "beats" and "ties"). Every method
    sees the same features and the same head (``head_units``), and a run costs seconds
    instead of an end-to-end training. ``"early"`` fuses the weight-free low-level features
    of :func:`mmtutor.models.build_feature_extractor` (also computed once) with the same
    head: the model :func:`mmtutor.models.build_early_fusion` builds end to end.

    ``project`` maps a method to a size ``k``: each embedding first goes through a trained
    ``Dense(k)`` (default ``{"tensor": 16}``: tensor fusion of three 64-d embeddings would
    feed ``65**3 = 274,625`` features to the head, 17.6 million weights; with ``k = 16``,
    ``17**3 = 4,913``).

    ``fusion_options`` (per method, e.g. ``{"low_rank": {"rank": 1}}``) and
    ``model_options`` (every model, e.g. ``{"modality_dropout": 0.3, "missing": "token"}``,
    notebook 13) go to :func:`mmtutor.models.fusion_builders`. With missing-modality
    handling the heads take each embedding with its raw input's presence flag appended
    (:class:`mmtutor.fusion.MaskMissing`'s convention), and
    :func:`mmtutor.models.attach_front_ends` gives them that from raw inputs.

    ``embedded``: the result of ``embed_splits(data, encoders)``, when several calls share
    the same frozen encoders (notebook 13 makes four); default: computed here.

    ``"without <modality>"`` columns: test accuracy when that modality's *raw* input is
    removed by :func:`mmtutor.evaluation.ablate` (``how``: ``"zero"``, ``"mean"`` or
    ``"shuffle"``) and passed through its frozen front end, as :func:`compare_models`
    does for end-to-end models.

    Returns:
        ``(table, results)`` as :func:`compare_models`. ``parameters`` counts the weights
        trained in the run (fusion + head). Each result's model takes the embeddings (a
        dict modality -> (batch, embedding_dim), plus the flag with missing handling), not
        raw inputs.

    Example:
        >>> encoders = {m: r.model.get_layer(f"{m}_encoder") for m, r in baselines.items()}  # doctest: +SKIP
        >>> table, results = compare_frozen_fusion(encoders, data, ["concat", "gated"])  # doctest: +SKIP
    """
    from dataclasses import replace
    from types import SimpleNamespace

    import pandas as pd

    from mmtutor.evaluation import ablate as ablate_inputs
    from mmtutor.evaluation import model_accuracy
    from mmtutor.models import (
        build_feature_extractor,
        check_methods,
        fusion_builders,
        handles_missing,
    )

    methods = check_methods(methods)
    if not isinstance(encoders, dict) or len(encoders) < 2:
        raise ValueError(
            "encoders must be a dict modality -> trained encoder with 2+ entries, got "
            f"{type(encoders).__name__}"
        )
    missing = [m for m in ablate if m not in encoders]
    if missing:
        raise ValueError(f"cannot ablate {missing}: the encoders are for {list(encoders)}")
    if embedded is not None and sorted(embedded.train.x) != sorted(encoders):
        raise ValueError(
            f"embedded holds modalities {sorted(embedded.train.x)}, the encoders are for "
            f"{sorted(encoders)}"
        )
    fusion_options, model_options = dict(fusion_options or {}), dict(model_options or {})
    unknown = sorted(set(fusion_options) - set(check_methods(None)))
    if unknown:
        raise ValueError(f"fusion_options names unknown methods {unknown}")
    flagged = handles_missing(**model_options)
    modalities = list(encoders)
    front_ends = {"encoders": encoders}
    if "early" in methods:
        front_ends["features"] = {m: build_feature_extractor(m, data.train.x[m])
                                  for m in modalities}  # fmt: skip
    features, ablated = {}, {}
    for key, models in front_ends.items():
        split_set = embedded if key == "encoders" and embedded is not None else None
        split_set = split_set or embed_splits(data, models)
        ablated[key] = {}
        for m in ablate:
            raw = ablate_inputs(data.test.inputs([m]), m, how=how)
            ablated[key][m] = _embed_inputs({m: models[m]}, raw)[m]
            if flagged:
                ablated[key][m] = _with_flags({m: ablated[key][m]}, raw)[m]
        if flagged:  # each split's embeddings with their presence flags
            split_set = SimpleNamespace(**{
                name: replace(s, x=_with_flags(s.x, getattr(data, name).x))
                for name, s in vars(split_set).items()
            })  # fmt: skip
        features[key] = split_set

    project = {"tensor": 16} if project is None else dict(project)

    def identity(key, units=0):
        dims = {m: features[key].train.x[m].shape[1] - int(flagged) for m in modalities}
        return [_identity_encoder(m, dims[m], units, flagged) for m in modalities]

    tables, results = [], {}
    for method in methods:
        key = "features" if method == "early" else "encoders"
        if method == "early":  # the features are precomputed: concatenation + the same head
            builders = fusion_builders(
                lambda: identity("features"),
                None,
                ["concat"],
                head_units=head_units,
                model_options=model_options,
            )
            builders = {"early": builders["concat"]}
        else:
            units = project.get(method, 0)
            options = {method: fusion_options[method]} if method in fusion_options else None
            builders = fusion_builders(lambda units=units: identity("encoders", units), None,
                                       [method], head_units=head_units, fusion_options=options,
                                       model_options=model_options)  # fmt: skip
        table, result = compare_models(builders, features[key], epochs=epochs, seeds=seeds,
                                       **fit_options)  # fmt: skip
        for modality in ablate:
            x = {**features[key].test.x, modality: ablated[key][modality]}
            accuracies = [model_accuracy(run.model, x, data.test.y) for run in result[method].runs]
            table[f"without {modality}"] = round(float(np.mean(accuracies)), 3)
        tables.append(table)
        results |= result
    return pd.concat(tables), results


@dataclass
class Stacking:
    """Classical stacking (Wolpert, 1992): base models trained on the training split, and a
    meta-classifier fitted afterwards on their class probabilities for *held-out* examples
    (the validation split), which the base models never trained on. Built by
    :func:`fit_stacking`; taught in notebook 06."""

    models: dict
    meta: object
    test_accuracy: float

    def features(self, inputs: dict) -> np.ndarray:
        """The base models' class probabilities, side by side: (n, M * classes)."""
        from scipy.special import softmax

        from mmtutor.evaluation import embed

        logits = [embed(model, {t.name: inputs[t.name] for t in model.inputs})
                  for model in self.models.values()]  # fmt: skip
        return np.concatenate([softmax(z, axis=-1) for z in logits], axis=1)

    def predict(self, inputs: dict) -> np.ndarray:
        """Predicted classes of the stacked ensemble."""
        return self.meta.predict(self.features(inputs))


def fit_stacking(models: dict, data, meta=None) -> Stacking:
    """Fit a stacking meta-classifier on trained base models' validation-split predictions.

    Args:
        models: name -> trained classifier (logits), e.g. the unimodal baselines'
            ``result.model``; each reads its own inputs from the input dict.
        data: a dataset with ``val`` (held out from the base models' training: the
            meta-classifier is fitted there) and ``test`` splits.
        meta: a scikit-learn classifier (default: multinomial logistic regression).

    Returns:
        a :class:`Stacking` with the fitted meta-classifier and its test accuracy.

    Example:
        >>> stack = fit_stacking({m: r.model for m, r in baselines.items()}, data)  # doctest: +SKIP
        >>> round(stack.test_accuracy, 3)  # doctest: +SKIP
        0.93
    """
    from sklearn.linear_model import LogisticRegression

    if not isinstance(models, dict) or len(models) < 2:
        raise ValueError(f"models must be a dict of 2+ trained models, got {models!r:.80}")
    stack = Stacking(models=dict(models), meta=meta or LogisticRegression(max_iter=1000),
                     test_accuracy=float("nan"))  # fmt: skip
    stack.meta.fit(stack.features(data.val.x), data.val.y)
    stack.test_accuracy = float(np.mean(stack.predict(data.test.x) == data.test.y))
    return stack
