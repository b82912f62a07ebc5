"""The frozen-encoder protocol (notebooks 07, 08, 13-15): embed once, train only fusion heads."""

from __future__ import annotations

import keras
import numpy as np

from mmtutor.training.compare import compare_models

__all__ = [
    "FROZEN_PROTOCOL",
    "compare_frozen_fusion",
    "embed_splits",
    "frozen_ablation",
    "frozen_robustness",
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
    from mmtutor.progress import steps

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
    runs = len(methods) * len(np.atleast_1d(seeds))
    with steps(runs, "compare_frozen_fusion"):  # one progress line for every run
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
                accuracies = [
                    model_accuracy(run.model, x, data.test.y) for run in result[method].runs
                ]
                table[f"without {modality}"] = round(float(np.mean(accuracies)), 3)
            tables.append(table)
            results |= result
    return pd.concat(tables), results


def _flagged_head(model) -> bool:
    from mmtutor.fusion import ModalityDropout

    return any(isinstance(layer, ModalityDropout) for layer in model.layers)


def _run_predictions(result, embeddings: dict, raw: dict) -> np.ndarray:
    """(runs, n) predicted classes of a frozen head's runs on precomputed embeddings; a head
    that handles missing modalities gets each embedding with its raw input's presence flag."""
    from mmtutor.evaluation import predict_classes

    runs = result.runs or [result]
    flagged = _with_flags(embeddings, raw) if _flagged_head(runs[0].model) else embeddings
    return np.stack([predict_classes(run.model, flagged) for run in runs])


def _mean_run_accuracy(result, embeddings: dict, raw: dict, y) -> float:
    return float(np.mean(_run_predictions(result, embeddings, raw) == np.asarray(y)))


def _check_frozen(results: dict, encoders: dict, inputs: dict) -> None:
    if not isinstance(results, dict) or not results:
        raise ValueError(
            f"results must be a non-empty dict method -> TrainResult, got {results!r:.60}"
        )
    missing = [m for m in encoders if m not in inputs]
    if missing:
        raise ValueError(f"inputs lack {missing}; the encoders are for {list(encoders)}")


def frozen_ablation(
    results: dict, encoders: dict, inputs: dict, y, how: str = "zero",
    return_predictions: bool = False,
):  # fmt: skip
    """:func:`mmtutor.evaluation.modality_ablation` for heads trained on frozen encoders
    (:func:`compare_frozen_fusion`): test accuracy with every modality, then with each one
    removed by :func:`mmtutor.evaluation.ablate` (``how``), the mean over each method's seeds.

    Each removed modality is embedded once and shared by every head and seed (the encoders
    are frozen, so every head sees the same embeddings): the same numbers as putting each
    head back on raw inputs with :func:`mmtutor.models.attach_front_ends`, much faster.

    Returns:
        a pandas DataFrame, one row per method: ``all``, ``without <m>``...; with
        ``return_predictions``, also ``{column: {method: (runs, n) predicted classes}}``, for
        paired comparisons (:func:`mmtutor.evaluation.paired_bootstrap`).

    Example:
        >>> frozen_ablation(results, encoders, data.test.x, data.test.y, how="mean")  # doctest: +SKIP
    """
    import pandas as pd

    from mmtutor.evaluation import ablate

    _check_frozen(results, encoders, inputs)
    raw = {m: np.asarray(inputs[m]) for m in encoders}
    clean = _embed_inputs(encoders, raw)
    columns = {"all": (clean, raw)}
    for m in encoders:
        removed = ablate(raw, m, how=how)
        z = _embed_inputs({m: encoders[m]}, removed)
        columns[f"without {m}"] = ({**clean, **z}, removed)
    y = np.asarray(y)
    predictions = {
        col: {name: _run_predictions(result, z, r) for name, result in results.items()}
        for col, (z, r) in columns.items()
    }
    table = pd.DataFrame(
        {col: {name: float(np.mean(p == y)) for name, p in preds.items()}
         for col, preds in predictions.items()}
    ).rename_axis("method")  # fmt: skip
    return (table, predictions) if return_predictions else table


def frozen_robustness(
    results: dict,
    encoders: dict,
    inputs: dict,
    y,
    modality: str,
    kind: str,
    severities=(0.0, 0.25, 0.5, 0.75, 1.0),
    seed: int = 0,
):
    """:func:`mmtutor.evaluation.robustness_table` for heads trained on frozen encoders: test
    accuracy as ``modality`` is corrupted (:func:`mmtutor.evaluation.corrupt`, ``kind``) at
    each severity, the mean over each method's seeds. Each corrupted input is embedded once
    and shared by every head (as :func:`frozen_ablation`).

    Returns:
        a pandas DataFrame indexed by severity, one column per method.

    Example:
        >>> frozen_robustness(results, encoders, data.test.x, data.test.y, "audio", "noise")  # doctest: +SKIP
    """
    import pandas as pd

    from mmtutor.evaluation import corrupt

    _check_frozen(results, encoders, inputs)
    if modality not in encoders:
        raise ValueError(
            f"modality must be one of the encoders' {list(encoders)}, got {modality!r}"
        )
    raw = {m: np.asarray(inputs[m]) for m in encoders}
    clean = _embed_inputs(encoders, raw)
    rows = {}
    for s in severities:
        damaged = corrupt(raw, modality, kind, s, seed)
        z = {**clean, **_embed_inputs({modality: encoders[modality]}, damaged)}
        rows[float(s)] = {name: _mean_run_accuracy(r, z, damaged, y) for name, r in results.items()}
    table = pd.DataFrame(rows).T.rename_axis("severity")
    table.columns.name = f"{modality} {kind}"
    return table
