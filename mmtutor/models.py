"""Assemble encoders and a head into trainable models (unimodal and fused).

One vocabulary across every builder: ``head_units`` is the width of the classifier head's
hidden layer (0: a linear head), ``num_classes`` its output size, ``dropout`` the dropout
before the logits; ``fusion_options`` are the fusion layer's constructor options (a dict);
``modality_dropout`` and ``missing`` turn on missing-modality handling (notebook 13).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from mmtutor import fusion as fusion_layers

__all__ = [
    "FUSION_METHODS",
    "attach_front_ends",
    "build_early_fusion",
    "build_feature_extractor",
    "build_fusion_model",
    "build_late_fusion",
    "build_unimodal",
    "check_methods",
    "model_inputs",
    "fusion_builders",
    "handles_missing",
]


def _classifier_head(x, num_classes: int, head_units: int, dropout: float):
    if head_units:
        x = layers.Dense(head_units, activation="relu")(x)
    if dropout:
        x = layers.Dropout(dropout)(x)
    return layers.Dense(num_classes, name="logits")(x)


def _check_head(num_classes: int, head_units: int, dropout: float) -> None:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    if isinstance(head_units, bool) or not isinstance(head_units, int) or head_units < 0:
        raise ValueError(f"head_units must be a non-negative integer, got {head_units!r}")
    if isinstance(dropout, bool) or not isinstance(dropout, int | float) or not 0 <= dropout < 1:
        raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")


def build_unimodal(
    encoder: keras.Model, num_classes: int = 10, head_units: int = 0, dropout: float = 0.2
) -> keras.Model:
    """Encoder -> (hidden layer) -> (dropout) -> logits: the single-modality baseline.

    The model's input keeps the encoder's input name, so it accepts the MM-Digits input
    dict (``model.fit(data.train.inputs(["image"]), data.train.y)``). Outputs are logits.

    Example:
        >>> from mmtutor.encoders import build_image_encoder
        >>> build_unimodal(build_image_encoder()).output_shape
        (None, 10)
    """
    if not isinstance(encoder, keras.Model):
        raise TypeError(f"encoder must be a keras.Model, got {type(encoder).__name__}")
    _check_head(num_classes, head_units, dropout)
    inputs = {t.name: t for t in encoder.inputs}
    x = encoder(list(inputs.values())[0] if len(inputs) == 1 else inputs)
    outputs = _classifier_head(x, num_classes, head_units, dropout)
    return keras.Model(inputs, outputs, name=f"unimodal_{encoder.name.removesuffix('_encoder')}")


def model_inputs(encoders, what: str, minimum: int = 2) -> dict:
    """Fresh named ``keras.Input``s, one per single-input encoder, checked for clashes.

    ``what`` names the caller in the errors; ``minimum`` is the fewest encoders it takes.

    Example:
        >>> from mmtutor.encoders import build_vector_encoder
        >>> encoders = [build_vector_encoder(3, "a"), build_vector_encoder(5, "b")]
        >>> {name: x.shape for name, x in model_inputs(encoders, "example").items()}
        {'a': (None, 3), 'b': (None, 5)}
    """
    if not isinstance(encoders, list | tuple) or len(encoders) < minimum:
        raise ValueError(
            f"{what} expects a list of {minimum}+ encoders, got {type(encoders).__name__} "
            f"of length {len(encoders) if hasattr(encoders, '__len__') else '?'}"
        )
    inputs = {}
    for enc in encoders:
        if not isinstance(enc, keras.Model) or len(enc.inputs) != 1:
            raise TypeError(f"each encoder must be a single-input keras.Model, got {enc!r:.60}")
        name = enc.inputs[0].name
        if name in inputs:
            raise ValueError(f"two encoders take the same input {name!r}")
        inputs[name] = keras.Input(
            shape=enc.inputs[0].shape[1:], dtype=enc.inputs[0].dtype, name=name
        )
    return inputs


def handles_missing(modality_dropout: float = 0.0, missing: str | None = None) -> bool:
    """Validate the missing-modality options; True if a model built with them needs the
    machinery (:class:`~mmtutor.fusion.MaskMissing` + :class:`~mmtutor.fusion.ModalityDropout`).

    Example:
        >>> handles_missing(0.0, None), handles_missing(0.3), handles_missing(missing="token")
        (False, True, True)
    """
    if missing not in (None, "zero", "token"):
        raise ValueError(f"missing must be None, 'zero' or 'token', got {missing!r}")
    if isinstance(modality_dropout, bool) or not isinstance(modality_dropout, int | float) \
            or not 0.0 <= modality_dropout < 1.0:  # fmt: skip
        raise ValueError(f"modality_dropout must be a number in [0, 1), got {modality_dropout!r}")
    return missing is not None or modality_dropout > 0


def _encode_all(encoders, inputs, modality_dropout: float = 0.0, missing: str | None = None):
    """Each encoder on its input. With missing-modality handling, each embedding gets the
    presence flag of its raw input (:class:`~mmtutor.fusion.MaskMissing`), then
    :class:`~mmtutor.fusion.ModalityDropout` fills missing ones (and drops modalities in
    training)."""
    on = handles_missing(modality_dropout, missing)
    embeddings = []
    for enc in encoders:
        name = enc.inputs[0].name
        z = enc(inputs[name])
        if on:
            z = fusion_layers.MaskMissing(name=f"{name}_mask_missing")([inputs[name], z])
        embeddings.append(z)
    if on:
        embeddings = fusion_layers.ModalityDropout(
            modality_dropout, fill=missing or "zero", name="modality_dropout"
        )(embeddings)
    return embeddings


def build_fusion_model(
    encoders: list[keras.Model],
    fusion: str | keras.Layer = "concat",
    fusion_options: dict | None = None,
    head_units: int = 64,
    num_classes: int = 10,
    dropout: float = 0.2,
    modality_dropout: float = 0.0,
    missing: str | None = None,
    name: str | None = None,
) -> keras.Model:
    """Encoders -> fusion layer -> head: any encoder combines with any fusion layer.

    Args:
        encoders: 2+ single-input models (e.g. from :mod:`mmtutor.encoders`), each
            taking a different named input.
        fusion: a layer from :mod:`mmtutor.fusion` or its name in
            :data:`mmtutor.fusion.FUSION_LAYERS`; ``fusion_options`` (a dict) go to its
            constructor (:func:`mmtutor.fusion.get`).
        head_units, num_classes, dropout: the classification head: one hidden layer of
            ``head_units`` ReLU units (0: none), dropout, then ``num_classes`` logits.
        modality_dropout, missing: missing-modality handling (notebook 13). With either
            set, each embedding carries its raw input's presence flag, and a missing one is
            replaced by zeros (``missing="zero"``, the default) or a learned token
            (``"token"``); in training each modality is also dropped with probability
            ``modality_dropout`` (:class:`mmtutor.fusion.ModalityDropout`).
        name: the model's name (default ``<fusion>_fusion``).

    Returns:
        a model taking the dict of raw inputs and returning logits; the fusion layer is
        ``model.get_layer("fusion")``.

    Example:
        >>> from mmtutor.encoders import build_image_encoder, build_audio_encoder
        >>> encs = [build_image_encoder(), build_audio_encoder()]
        >>> build_fusion_model(encs, "tensor", head_units=16).output_shape
        (None, 10)
    """
    inputs = model_inputs(encoders, "build_fusion_model")
    _check_head(num_classes, head_units, dropout)
    if isinstance(fusion, str):
        layer = fusion_layers.get(fusion, name="fusion", **(fusion_options or {}))
    else:
        layer = fusion_layers.get(fusion, **(fusion_options or {}))
    embeddings = _encode_all(encoders, inputs, modality_dropout, missing)
    outputs = _classifier_head(layer(embeddings), num_classes, head_units, dropout)
    kind = fusion if isinstance(fusion, str) else type(layer).__name__.lower()
    return keras.Model(inputs, outputs, name=name or f"{kind}_fusion")


def build_late_fusion(
    encoders: list[keras.Model],
    combine: str = "mean",
    num_classes: int = 10,
    dropout: float = 0.2,
    modality_dropout: float = 0.0,
    missing: str | None = None,
    name: str | None = None,
) -> keras.Model:
    """Decision-level fusion: each encoder gets its own classifier (``<input>_logits``),
    and only the class scores are combined, by ``combine`` in ``"mean"``, ``"weighted"``,
    ``"stacking"`` or ``"product_of_experts"`` (see :mod:`mmtutor.fusion`).

    Trained end to end on the combined output. No modality sees another's features, so
    the model is a sum of per-modality terms: it cannot learn an interaction (notebook 09).
    ``modality_dropout`` and ``missing`` act on the embeddings as in
    :func:`build_fusion_model` (a missing modality's classifier then sees zeros or a token).

    Example:
        >>> from mmtutor.encoders import build_image_encoder, build_audio_encoder
        >>> build_late_fusion([build_image_encoder(), build_audio_encoder()]).output_shape
        (None, 10)
    """
    late = ("mean", "weighted", "stacking", "product_of_experts")
    if combine not in late:
        raise ValueError(f"combine must be one of {list(late)}, got {combine!r}")
    _check_head(num_classes, 0, dropout)
    inputs = model_inputs(encoders, "build_late_fusion")
    logits = []
    embeddings = _encode_all(encoders, inputs, modality_dropout, missing)
    for enc, x in zip(encoders, embeddings, strict=True):
        modality = enc.inputs[0].name
        if dropout:
            x = layers.Dropout(dropout, name=f"{modality}_dropout")(x)
        logits.append(layers.Dense(num_classes, name=f"{modality}_logits")(x))
    outputs = fusion_layers.get(combine, name="fusion")(logits)
    return keras.Model(inputs, outputs, name=name or f"late_{combine}_fusion")


def build_feature_extractor(modality: str, values) -> keras.Model:
    """Raw input -> a flat vector of low-level features, with no learned weights: the
    input of early (feature-level) fusion.

    - ``"image"``: the pixels, flattened (64 values);
    - ``"audio"``: the normalised log-mel spectrogram, flattened (frames x mel bins);
    - ``"text"``: a multi-hot bag of words over the training vocabulary;
    - any other name: the array, flattened (e.g. the controlled-interaction data).

    ``values`` are the training values of that modality (to fit the vocabulary or the
    spectrogram statistics and to learn the input shape).

    Example:
        >>> import numpy as np
        >>> build_feature_extractor("image", np.zeros((4, 8, 8, 1))).output_shape
        (None, 64)
    """
    from mmtutor import preprocessing

    values = np.asarray(values)
    if values.ndim < 1 or len(values) == 0:
        raise ValueError(
            f"values must be a non-empty batch of {modality!r} inputs, got shape {values.shape}"
        )
    if modality == "text":
        vectorizer = preprocessing.make_text_vectorizer(values)
        inputs = keras.Input(shape=(), dtype="string", name="text")
        x = layers.CategoryEncoding(vectorizer.vocabulary_size(), output_mode="multi_hot")(
            vectorizer(inputs)
        )
    elif modality == "audio":
        inputs = keras.Input(shape=values.shape[1:], name="audio")
        x = preprocessing.LogMelSpectrogram(name="log_mel")(inputs)
        x = preprocessing.make_spectrogram_normalizer(values)(x)
        x = layers.Flatten()(x)
    else:
        inputs = keras.Input(shape=values.shape[1:], name=modality)
        x = layers.Flatten()(inputs)
    return keras.Model(inputs, x, name=f"{modality}_features")


def build_early_fusion(
    train,
    modalities: list[str] | None = None,
    head_units: int = 64,
    num_classes: int = 10,
    dropout: float = 0.2,
    modality_dropout: float = 0.0,
    missing: str | None = None,
) -> keras.Model:
    """Early (input-level) fusion: low-level features of every modality
    (:func:`build_feature_extractor`) concatenated, then one MLP learns from all of them.

    Args:
        train: a training split with ``x`` (dict of modality arrays), used to fit the
            feature extractors.
        modalities: which of ``train.x`` to fuse (default: all, 2 or more).
        head_units, num_classes, dropout, modality_dropout, missing: as in
            :func:`build_fusion_model`.

    Example:
        >>> from mmtutor.data import load_mmdigits
        >>> build_early_fusion(load_mmdigits().train).output_shape
        (None, 10)
    """
    modalities = list(train.x) if modalities is None else list(modalities)
    unknown = [m for m in modalities if m not in train.x]
    if unknown:
        raise ValueError(f"unknown modalities {unknown}; the split has {list(train.x)}")
    _check_head(num_classes, head_units, dropout)
    extractors = [build_feature_extractor(m, train.x[m]) for m in modalities]
    return build_fusion_model(
        extractors, "concat", head_units=head_units, num_classes=num_classes, dropout=dropout,
        modality_dropout=modality_dropout, missing=missing, name="early_fusion",
    )  # fmt: skip


#: every fusion method of the series, by family (names used in the results tables)
FUSION_METHODS: dict[str, tuple[str, ...]] = {
    "early": ("early",),
    "late": ("late_mean", "late_weighted", "late_stacking", "late_product_of_experts"),
    "intermediate": ("concat", "tensor", "low_rank", "gated", "film", "bilinear"),
    "attention": ("cross_attention", "transformer"),
    "graph": ("graph",),
}


def check_methods(methods) -> list[str]:
    """``methods`` as a list of names of :data:`FUSION_METHODS` (``None``: all of them).

    Example:
        >>> check_methods(["gated", "late_mean"])
        ['gated', 'late_mean']
    """
    known = [m for family in FUSION_METHODS.values() for m in family]
    methods = known if methods is None else list(methods)
    unknown = [m for m in methods if m not in known]
    if unknown or not methods:
        raise ValueError(f"methods must be a non-empty subset of {known}, got {methods}")
    return methods


def fusion_builders(
    make_encoders,
    train=None,
    methods=None,
    head_units: int = 64,
    num_classes: int = 10,
    fusion_options: dict[str, dict] | None = None,
    model_options: dict | None = None,
) -> dict:
    """Name -> function building a fresh fusion model, for every method in ``methods``
    (default: all of :data:`FUSION_METHODS`), ready for
    :func:`mmtutor.training.compare_models`.

    Args:
        make_encoders: a function returning a fresh list of encoders (one per modality);
            called once per model, so no two models share weights.
        train: the training split, needed by ``"early"`` (its feature extractors are
            fitted on it).
        head_units, num_classes: the head of every model (late fusion has no hidden layer).
        fusion_options: per-method options of the fusion layer, e.g.
            ``{"low_rank": {"rank": 8}}``.
        model_options: options of every model builder, e.g.
            ``{"modality_dropout": 0.3, "missing": "token"}`` (notebook 13).

    Example:
        >>> from mmtutor.encoders import build_vector_encoder
        >>> encs = lambda: [build_vector_encoder(8, "m0"), build_vector_encoder(8, "m1")]
        >>> sorted(fusion_builders(encs, methods=["tensor", "late_mean"]))
        ['late_mean', 'tensor']
    """
    methods = check_methods(methods)
    if "early" in methods and train is None:
        raise ValueError("early fusion needs the training split: pass train=data.train")
    fusion_options, model_options = dict(fusion_options or {}), dict(model_options or {})
    unknown = [m for m in fusion_options if m not in check_methods(None)]
    if unknown:
        raise ValueError(f"fusion_options names unknown methods {unknown}")

    def builder(method):
        if method == "early":
            names = [enc.inputs[0].name for enc in make_encoders()]
            return lambda: build_early_fusion(train, names, head_units=head_units,
                                              num_classes=num_classes, **model_options)  # fmt: skip
        if method.startswith("late_"):
            combine = method.removeprefix("late_")
            return lambda: build_late_fusion(make_encoders(), combine, num_classes=num_classes,
                                             name=method, **model_options)  # fmt: skip
        return lambda: build_fusion_model(
            make_encoders(), method, fusion_options.get(method), head_units=head_units,
            num_classes=num_classes, name=method, **model_options,
        )  # fmt: skip

    return {m: builder(m) for m in methods}


def attach_front_ends(head: keras.Model, front_ends: dict, name: str | None = None) -> keras.Model:
    """A model on raw inputs: each modality's frozen front end, then ``head``.

    The frozen-encoder protocol (:func:`mmtutor.training.compare_frozen_fusion`) trains a
    fusion head on precomputed embeddings; this puts the encoders back in front of it so the
    result takes the raw input dict like any end-to-end model (for ablation, corruption,
    saliency). The front ends are not trainable in the result.

    A head that handles missing modalities (it contains a
    :class:`~mmtutor.fusion.ModalityDropout`) takes each embedding with its presence flag:
    then each front end is followed by :class:`~mmtutor.fusion.MaskMissing`, so a missing
    raw input (all zeros; an empty caption) reaches the head flagged as missing.

    Example:
        >>> results = compare_frozen_fusion(encoders, data, ["gated"])[1]  # doctest: +SKIP
        >>> model = attach_front_ends(results["gated"].model, encoders)  # doctest: +SKIP
        >>> model.predict(data.test.x).shape  # doctest: +SKIP
        (1000, 10)
    """
    if not isinstance(head, keras.Model):
        raise TypeError(f"head must be a keras.Model, got {type(head).__name__}")
    if not isinstance(front_ends, dict) or not front_ends:
        raise ValueError(
            f"front_ends must be a dict modality -> model, got {type(front_ends).__name__}"
        )
    names = [t.name for t in head.inputs]
    if sorted(names) != sorted(front_ends):
        raise ValueError(f"head takes inputs {names}, but front_ends are for {list(front_ends)}")
    flagged = any(isinstance(layer, fusion_layers.ModalityDropout) for layer in head.layers)
    inputs, embeddings = {}, {}
    for m in names:
        front = front_ends[m]
        front.trainable = False
        inputs[m] = keras.Input(shape=front.inputs[0].shape[1:], dtype=front.inputs[0].dtype,
                                name=m)  # fmt: skip
        z = front(inputs[m])
        if flagged:
            z = fusion_layers.MaskMissing(name=f"{m}_mask_missing")([inputs[m], z])
        embeddings[m] = z
    outputs = head(embeddings if len(names) > 1 else embeddings[names[0]])
    return keras.Model(inputs, outputs, name=name or f"{head.name}_on_inputs")
