"""Pretrain an encoder, then reuse it: a source corpus, label budgets, freezing and
fine-tuning (notebook 12).

- :func:`make_speech_corpus`: a large labelled *source* corpus, synthesized: spoken digits
  by other speakers in cleaner recordings (or labelled by speaker), like the public corpus
  a practitioner pretrains on;
- :func:`label_budget`: the target data with only a fraction of its training labels;
- :func:`copy_encoder`: an independent copy of a (pretrained) encoder, frozen or not;
- :func:`reuse_classifier`: a classifier on such a copy, its new head started at zero;
- :func:`unfreeze_top`: make only the top layers of an encoder trainable (gradual
  unfreezing, one stage at a time);
- :func:`compare_label_budgets`: train every method at every label budget (learning curves).

Saving and loading an encoder are Keras' own calls: ``encoder.save("audio_encoder.keras")``
and ``keras.models.load_model("audio_encoder.keras")`` (import :mod:`mmtutor.encoders`
first, so the package's layers are registered).
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import keras
import numpy as np

from mmtutor.data import CLASS_NAMES, SAMPLE_RATE, Split, SplitSet
from mmtutor.data.speech import add_noise_at_snr, make_speakers, synthesize_digits

__all__ = [
    "compare_label_budgets",
    "copy_encoder",
    "label_budget",
    "make_speech_corpus",
    "reuse_classifier",
    "unfreeze_top",
]


def make_speech_corpus(
    n: int = 3000,
    num_speakers: int = 48,
    snr_db: float = 6.0,
    label: str = "digit",
    seed: int = 1,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> SplitSet:
    """A synthesized source corpus: ``n`` spoken digits (MM-Digits' synthesizer, 0.5 s at
    8 kHz) by ``num_speakers`` speakers of its own, none of them MM-Digits' 12, with
    background noise at ``snr_db`` ± 6 dB (cleaner than MM-Digits' -9 ± 12 dB).

    ``label="digit"`` labels each clip with its digit, ``"speaker"`` with its speaker's
    index. Split at random into train/val/test by ``fractions``; ``x`` holds ``"audio"``
    only, ``meta`` the digit and speaker of every clip.

    Example:
        >>> corpus = make_speech_corpus(n=50, num_speakers=5)
        >>> corpus.train.x["audio"].shape, corpus.class_names[:2]
        ((40, 4000), ('zero', 'one'))
        >>> make_speech_corpus(n=50, num_speakers=5, label="speaker").class_names[:2]
        ('source_speaker_00', 'source_speaker_01')
    """
    for name, value, low in (("n", n, 10), ("num_speakers", num_speakers, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if label not in ("digit", "speaker"):
        raise ValueError(f"label must be 'digit' or 'speaker', got {label!r}")
    fr = np.asarray(fractions, dtype=float)
    if fr.shape != (3,) or np.any(fr <= 0) or not np.isclose(fr.sum(), 1.0):
        raise ValueError(
            f"fractions must be three positive numbers summing to 1, got {fractions!r}"
        )
    rng = np.random.default_rng(seed)
    speakers = [replace(s, name=f"source_{s.name}") for s in make_speakers(num_speakers, rng)]
    digits = rng.integers(0, 10, n).astype(np.int32)
    speaker_ids = rng.integers(0, num_speakers, n).astype(np.int32)
    clean = synthesize_digits(digits, speakers, speaker_ids, rng)
    audio = add_noise_at_snr(clean, rng.uniform(snr_db - 6.0, snr_db + 6.0, n), rng)
    y = digits if label == "digit" else speaker_ids
    order = rng.permutation(n)
    cuts = np.round(np.cumsum(fr)[:2] * n).astype(int)

    def take(idx):
        idx = np.sort(idx)
        return Split(x={"audio": audio[idx]}, y=y[idx],
                     meta={"digit": digits[idx], "speaker": speaker_ids[idx]})  # fmt: skip

    names = CLASS_NAMES if label == "digit" else tuple(s.name for s in speakers)
    params = {"n": n, "num_speakers": num_speakers, "snr_db": snr_db, "label": label,
              "seed": seed}  # fmt: skip
    return SplitSet(take(order[: cuts[0]]), take(order[cuts[0] : cuts[1]]),
                    take(order[cuts[1] :]), SAMPLE_RATE, names, params)  # fmt: skip


def label_budget(data, fraction: float, seed: int = 0):
    """``data`` with the labels of only a ``fraction`` of its training examples: the
    training split keeps a class-stratified random subset
    (:func:`mmtutor.alignment.label_subset`: every class keeps at least one example);
    validation and test splits are unchanged. ``fraction=1.0`` keeps every example.
    ``result.labelled`` holds the indices of the kept examples in ``data.train``.

    Example:
        >>> from mmtutor.data import load_mmdigits
        >>> data = load_mmdigits()
        >>> [len(label_budget(data, f).train) for f in (0.01, 0.1, 1.0)]
        [26, 250, 2516]
    """
    from mmtutor.alignment import label_subset

    keep = label_subset(data.train.y, fraction, seed)
    train = data.train
    small = replace(train, x={k: v[keep] for k, v in train.x.items()}, y=train.y[keep],
                    meta={k: np.asarray(v)[keep] for k, v in train.meta.items()})  # fmt: skip
    return SimpleNamespace(train=small, val=data.val, test=data.test, labelled=keep)


def copy_encoder(encoder: keras.Model, trainable: bool = True) -> keras.Model:
    """An independent copy of ``encoder`` with the same weights (``keras.models.clone_model``
    + ``set_weights``), trainable or frozen: every run of a comparison starts from the same
    pretrained weights, and training one copy leaves the original untouched.

    Example:
        >>> enc = keras.Sequential([keras.Input((3,), name="x"), keras.layers.Dense(2)], name="x_encoder")
        >>> frozen = copy_encoder(enc, trainable=False)
        >>> frozen.name, len(frozen.trainable_weights), bool(np.all(frozen.get_weights()[0] == enc.get_weights()[0]))
        ('x_encoder', 0, True)
    """
    if not isinstance(encoder, keras.Model):
        raise TypeError(f"encoder must be a keras.Model, got {type(encoder).__name__}")
    copy = keras.models.clone_model(encoder)
    copy.set_weights(encoder.get_weights())
    copy.trainable = bool(trainable)
    return copy


def reuse_classifier(
    encoder: keras.Model, trainable: bool = True, num_classes: int = 10, dropout: float = 0.2
) -> keras.Model:
    """A classifier for fine-tuning (or, with ``trainable=False``, for the frozen protocol)
    on a copy of a pretrained ``encoder`` (:func:`copy_encoder`): the encoder, dropout and a
    new linear head (:func:`mmtutor.models.build_unimodal`) whose weights start at **zero**.

    A randomly initialised head on pretrained features starts with large, confidently wrong
    logits; fine-tuned at a low learning rate, some seeds never recover from it in a short
    run. A zero head starts from uniform predictions (every class 1/num_classes), the same
    for every seed, and its first gradients point every class towards its own examples.

    Example:
        >>> enc = keras.Sequential([keras.Input((3,), name="x"), keras.layers.Dense(4)],
        ...                        name="x_encoder")
        >>> model = reuse_classifier(enc, num_classes=5)
        >>> model.predict({"x": np.ones((1, 3))}, verbose=0).round(3).tolist()
        [[0.0, 0.0, 0.0, 0.0, 0.0]]
    """
    from mmtutor.models import build_unimodal

    model = build_unimodal(copy_encoder(encoder, trainable), num_classes=num_classes,
                           dropout=dropout)  # fmt: skip
    head = model.get_layer("logits")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])
    return model


def unfreeze_top(encoder: keras.Model, n_layers: int) -> list[str]:
    """Make only the top ``n_layers`` layers *with weights* of ``encoder`` trainable, the
    rest frozen; returns the names of the trainable layers. Gradual unfreezing (Howard &
    Ruder, 2018) calls it with a growing ``n_layers`` between stages of training,
    recompiling each time (Keras reads ``trainable`` at ``compile``). ``0`` freezes all.

    Example:
        >>> enc = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="low"),
        ...                         keras.layers.Dense(2, name="top")])
        >>> unfreeze_top(enc, 1), len(enc.trainable_weights)
        (['top'], 2)
    """
    if not isinstance(encoder, keras.Model):
        raise TypeError(f"encoder must be a keras.Model, got {type(encoder).__name__}")
    weighted = [layer for layer in encoder.layers if layer.weights]
    if isinstance(n_layers, bool) or not isinstance(n_layers, int) or n_layers < 0:
        raise ValueError(f"n_layers must be a non-negative integer, got {n_layers!r}")
    encoder.trainable = True
    top = weighted[len(weighted) - n_layers :] if n_layers else []
    for layer in encoder.layers:
        layer.trainable = layer in top
    return [layer.name for layer in top]


def compare_label_budgets(
    builders: dict,
    data,
    fractions=(0.01, 0.1, 1.0),
    epochs: dict | int = 10,
    learning_rates: dict | None = None,
    seeds=0,
    subset_seed: int = 0,
    probes: dict | None = None,
    **fit_options,
):
    """Learning curves: train each method of ``builders`` (name -> function returning a
    fresh classifier) with the labels of each ``fraction`` of the training split
    (:func:`label_budget`, the same subset for every method and seed), as
    :func:`mmtutor.training.compare_models` does (re-seeded per run; one traced model per
    method serves every budget and seed, :class:`mmtutor.training.Restartable`).

    ``probes`` (name -> encoder) adds *frozen* encoders read by a linear probe
    (:func:`mmtutor.transfer.probe_accuracy`: a logistic regression on the embeddings,
    computed once per split) on the same label subsets: the frozen-encoder protocol without
    a training run per budget. A probe is deterministic, so it has one run whatever ``seeds``.

    Args:
        epochs: an int, or fraction -> epochs (a smaller budget needs more epochs for the
            same number of steps).
        learning_rates: method -> learning rate (default: ``fit_options``' or 1e-3), e.g.
            a lower one for fine-tuning.
        seeds: seeds of each run (``compare_models``' protocol).

    Returns:
        ``(table, results)``: a DataFrame of mean test accuracies (rows: methods; columns:
        the label fractions, named ``"fraction of labels"``) and results[fraction][method], a
        :class:`~mmtutor.training.TrainResult` whose ``runs`` hold every seed.

    Example:
        >>> table, results = compare_label_budgets(builders, data, epochs={0.01: 30, 1.0: 5})  # doctest: +SKIP
    """
    import pandas as pd

    from mmtutor.evaluation import embed
    from mmtutor.training import Restartable, compile_classifier, train_seeds
    from mmtutor.transfer.imbalance import probe_accuracy

    fractions = tuple(fractions)
    if not fractions or not all(
        isinstance(f, int | float) and not isinstance(f, bool) and 0 < f <= 1 for f in fractions
    ):
        raise ValueError(f"fractions must be numbers in (0, 1], got {fractions!r}")
    epochs_of = epochs if isinstance(epochs, dict) else dict.fromkeys(fractions, epochs)
    missing = [f for f in fractions if f not in epochs_of]
    if missing:
        raise ValueError(f"epochs gives no number for the fractions {missing}")
    learning_rates = dict(learning_rates or {})
    unknown = [m for m in learning_rates if m not in builders]
    if unknown:
        raise ValueError(f"learning_rates names unknown methods {unknown}")
    embedded = {}
    for name, encoder in (probes or {}).items():
        modality = encoder.inputs[0].name
        embedded[name] = {split: embed(encoder, getattr(data, split).x[modality])
                          for split in ("train", "test")}  # fmt: skip
    default_rate = fit_options.pop("learning_rate", 1e-3)
    rates = {name: learning_rates.get(name, default_rate) for name in builders}
    # one traced model per method for every budget and seed (Restartable): the same weights
    # as a new model per run, bit for bit
    runners = {name: Restartable(build, lambda m, r=rates[name]: compile_classifier(m, r))
               for name, build in builders.items()}  # fmt: skip
    table, results = {}, {}
    for fraction in fractions:
        subset = label_budget(data, fraction, subset_seed)
        results[fraction] = {}
        for name, z in embedded.items():
            accuracy, predicted = probe_accuracy(z["train"][subset.labelled], subset.train.y,
                                                 z["test"], data.test.y)  # fmt: skip
            run = SimpleNamespace(test_accuracy=accuracy, test_predictions=predicted)
            results[fraction][name] = SimpleNamespace(**vars(run), runs=[run])
            table.setdefault(name, {})[fraction] = round(accuracy, 3)
        for name, build in builders.items():
            runs = list(train_seeds(build, subset, seeds, epochs=epochs_of[fraction],
                                    learning_rate=rates[name], runner=runners[name],
                                    **fit_options))  # fmt: skip
            runs[0].runs = runs
            results[fraction][name] = runs[0]
            table.setdefault(name, {})[fraction] = round(
                float(np.mean([r.test_accuracy for r in runs])), 3
            )
    frame = pd.DataFrame.from_dict(table, orient="index").rename_axis("method")
    frame.columns.name = "fraction of labels"
    return frame, results
