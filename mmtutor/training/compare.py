"""Train several models under one protocol and tabulate them: seeds, ablations, paired comparisons."""

from __future__ import annotations

import numpy as np

from mmtutor.training.fit import format_seconds, train_and_evaluate

__all__ = [
    "compare_encoders",
    "compare_models",
    "compare_paired",
    "train_seeds",
    "unimodal_baselines",
]


def compare_encoders(
    modality: str,
    data,
    kinds: list[str] | tuple[str, ...] | None = None,
    epochs: int = 10,
    embedding_dim: int = 64,
    seeds: int | list[int] | tuple[int, ...] = 0,
    **fit_options,
):
    """Train one unimodal classifier per encoder ``kind`` of ``modality`` and tabulate them.

    Each run re-seeds (``mmtutor.setup(seed, verbose=False)``) so its result does not
    depend on the runs before it; with several ``seeds`` each kind is trained once per seed
    (as :func:`compare_models`).

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
    table, results = compare_models(builders, data, epochs=epochs, seeds=seeds, **fit_options)
    return table.rename_axis("encoder"), results


def compare_models(
    builders: dict,
    data,
    epochs: int = 10,
    seeds: int | list[int] | tuple[int, ...] = 0,
    ablate: list[str] | tuple[str, ...] = (),
    runners: dict | None = None,
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

    ``runners``: a dict shared by several calls that train the same architectures (e.g. one
    call per dataset of one shape, notebook 09): each name's traced model
    (:class:`~mmtutor.training.Restartable`) is kept there and restarted by the next call
    instead of traced again. Each run still starts from the model its builder returns
    (every variable copied), so the results are those of a new model, bit for bit.

    Returns:
        ``(table, results)``: a pandas DataFrame indexed by name (parameters, epochs,
        train time, test loss, test accuracy[, std][, without <modality>...]) and a dict
        name -> :class:`TrainResult` of the first seed, whose ``runs`` holds every seed's.

    Example:
        >>> from mmtutor.models import build_late_fusion  # doctest: +SKIP
        >>> table, _ = compare_models({"late": lambda: build_late_fusion(encs())}, data)  # doctest: +SKIP
    """
    import pandas as pd

    from mmtutor.evaluation import ablate as ablate_inputs
    from mmtutor.evaluation import model_accuracy
    from mmtutor.progress import steps
    from mmtutor.training.fit import Restartable, compile_classifier

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
    with steps(len(builders) * len(seeds), "compare_models") as bar:  # progress, not output
        for name, build in builders.items():
            runs, without = [], {m: [] for m in ablate}
            runner = None
            # shared only by the same architecture, learning rate and average
            if runners is not None:
                rate = float(fit_options.get("learning_rate", 1e-3))
                ema = fit_options.get("ema_momentum")
                key = (name, rate, ema, _architecture(build()))
                if key not in runners:
                    runners[key] = Restartable(
                        build, lambda m, r=rate, e=ema: compile_classifier(m, r, e)
                    )
                runner = runners[key]
            for result in train_seeds(build, data, seeds, epochs=epochs, bar=bar, name=name,
                                      runner=runner, **fit_options):  # fmt: skip
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


def train_seeds(
    build, data, seeds, epochs: int = 10, learning_rate: float = 1e-3, bar=None, name: str = "",
    runner=None, ema_momentum: float | None = None, **fit_options,
):  # fmt: skip
    """Train ``build()`` once per seed, each run re-seeded (``mmtutor.setup(seed)``) and
    fitted by :func:`train_and_evaluate`; yields each run's :class:`TrainResult`.

    With several seeds the runs share one :class:`~mmtutor.training.Restartable`: the same
    weights as a new model per seed, bit for bit, but TensorFlow traces the training step
    once instead of once per seed. Each result keeps its own model. ``runner``: a
    ``Restartable`` compiled with ``learning_rate`` and ``ema_momentum``, of ``build`` or of
    a builder of the same architecture, to use (and share with other calls, e.g. one per
    label budget) instead of a new one; its runs start from the models ``build`` returns.
    """
    from mmtutor.config import setup
    from mmtutor.training.fit import Restartable, compile_classifier, fit_and_test

    seeds = _check_seeds(seeds)
    if runner is None and len(seeds) > 1:
        runner = Restartable(build, lambda m: compile_classifier(m, learning_rate, ema_momentum))
    if runner is not None:
        runner.build = build  # each run starts from the model this builder returns
    for seed in seeds:
        if bar is not None:
            bar.next(f"{name}, seed {seed}")
        if runner is None:
            setup(seed=seed, verbose=False)
            yield train_and_evaluate(build(), data, epochs=epochs, learning_rate=learning_rate,
                                     ema_momentum=ema_momentum, **fit_options)  # fmt: skip
        else:
            result = fit_and_test(runner.start(seed), data, epochs=epochs, **fit_options)
            result.model = runner.keep()
            yield result


def _architecture(model) -> str:
    """What two builds of a model must share for one traced model to serve both: each layer's
    class and configuration (without its name, which Keras numbers per build), in order, and
    the shapes of the variables. Values that live in variables (weights, adapted
    normalisation statistics, random-generator states) may differ: a restart copies them."""

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in sorted(value.items()) if k != "name"}
        if isinstance(value, list | tuple):
            return [strip(v) for v in value]
        return value

    def leaves(layer):
        children = getattr(layer, "layers", None)
        if children:
            for child in children:
                yield from leaves(child)
        else:
            try:
                config = strip(layer.get_config())
            except NotImplementedError:
                config = None
            yield type(layer).__name__, config

    shapes = [tuple(v.shape) for v in model.variables]
    return repr((list(leaves(model)), shapes))


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
    (MM-Digits: image, text, audio; AV-MNIST: image, audio), as notebooks 02-04 do; the
    default is :func:`mmtutor.encoders.default_kind` of the training inputs (the real-data
    kinds for AV-MNIST's 28x28 images and 1-s recordings).
    ``fit_options`` go to :func:`train_and_evaluate` (e.g. ``validate=False`` when only the
    trained model and its test accuracy are needed, not the validation curve).

    Notebooks 07, 08, 13 and 14 train the same baselines; each run is kept in the model
    cache (:mod:`mmtutor.training.cache`, keyed on the package's code, the data, the options
    and the libraries), so the second notebook loads bit-identical models instead of training
    again. Either way the random state is then reset to ``seed`` (``mmtutor.setup``), so what
    follows does not depend on whether the models were trained or loaded.

    Returns:
        dict modality -> :class:`TrainResult`.
    """
    from mmtutor.config import setup
    from mmtutor.encoders import KINDS, default_kind
    from mmtutor.training.cache import load_results, results_key, save_results, training_lock

    kinds = kinds or {}
    unknown = [m for m in kinds if m not in KINDS]
    if unknown:
        raise ValueError(f"kinds keys must be modalities {list(KINDS)}, got {unknown}")
    present = [m for m in KINDS if m in data.train.x]
    if not present:
        raise ValueError(
            f"data has none of the modalities {list(KINDS)}; its inputs are {list(data.train.x)}"
        )
    # the kind build_encoder picks for these inputs: MM-Digits' small encoders, the real-data
    # recipe for 28x28 images and 1-s recordings (notebook 15)
    chosen = {m: kinds.get(m, default_kind(m, data.train)) for m in present}
    key = results_key("unimodal_baselines", data, epochs=epochs, kinds=chosen, seed=seed,
                      **fit_options)  # fmt: skip
    out = load_results(key)
    if out is None:
        with training_lock(key):  # another process training this key: wait, then load it
            out = load_results(key)
            if out is None:
                out = {}
                for modality, kind in chosen.items():
                    _, results = compare_encoders(
                        modality, data, [kind], epochs=epochs, seeds=seed, **fit_options
                    )
                    out[modality] = results[kind]
                save_results(key, out)
    setup(seed=seed, verbose=False)  # the same random state after a cache hit or a training
    return out
