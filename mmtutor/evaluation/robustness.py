"""Robustness to corrupted inputs: corruptions of each modality at a severity in [0, 1],
accuracy sweeps and MultiBench's robustness figures (notebooks 13 and 14).

``inputs`` are dicts modality -> array as ``data.test.x``; models output logits.
"""

from __future__ import annotations

import numpy as np

from mmtutor.evaluation._checks import model_input_names
from mmtutor.evaluation.metrics import model_accuracy

__all__ = [
    "CORRUPTIONS",
    "snr_db",
    "corrupt",
    "robustness_sweep",
    "robustness_table",
    "relative_robustness",
    "effective_robustness",
]

#: the corruptions of each modality, by name (see :func:`corrupt`)
CORRUPTIONS: dict[str, tuple[str, ...]] = {
    "image": ("noise", "occlusion", "contrast"),
    "audio": ("noise", "dropout"),
    "text": ("word_dropout", "typos"),
}


def snr_db(severity: float) -> float:
    """Signal-to-noise ratio, in dB, of audio ``"noise"`` at ``severity`` s in (0, 1]:
    ``20 - 30 s``, i.e. +20 dB (barely audible noise) as s -> 0 down to -10 dB (noise ten
    times stronger than the signal) at s = 1.

    Example:
        >>> snr_db(0.5)
        5.0
    """
    _check_severity(severity)
    return 20.0 - 30.0 * float(severity)


def _check_severity(severity) -> None:
    if (
        isinstance(severity, bool)
        or not isinstance(severity, int | float | np.number)
        or not (0.0 <= severity <= 1.0)
    ):
        raise ValueError(f"severity must be a number in [0, 1], got {severity!r}")


def corrupt(
    inputs: dict, modality: str, kind: str, severity: float, seed: int = 0, sample_rate: int = 8000
) -> dict:
    """A copy of ``inputs`` with one modality corrupted at ``severity`` s in [0, 1].

    Severity 0 returns the inputs unchanged; the others stay untouched. Deterministic for
    a ``seed``. The kinds (:data:`CORRUPTIONS`) and what s means physically:

    - image ``"noise"``: Gaussian pixel noise of standard deviation 0.5 s, then clipped to
      [0, 1];
    - image ``"occlusion"``: a square of side round(8 s) pixels (of an 8-pixel side; in
      general round(side * s)) at a random place in each image is set to 0;
    - image ``"contrast"``: x' = m + (1 - s)(x - m), with m the image's mean (s = 1: a flat
      grey image);
    - audio ``"noise"``: white Gaussian noise at a signal-to-noise ratio of
      :func:`snr_db` (s) = 20 - 30 s dB relative to each waveform's power (+20 dB to -10 dB);
    - audio ``"dropout"``: a fraction s (rounded) of the 100-ms segments of each waveform,
      chosen at random, set to 0 (5 segments for 0.5 s at 8 kHz);
    - text ``"word_dropout"``: each word removed with probability s (s = 1: empty captions);
    - text ``"typos"``: each word, with probability s, gets one random letter replaced by
      another random lower-case letter.

    Example:
        >>> x = {"image": np.full((2, 8, 8, 1), 0.5, "float32"),
        ...      "text": np.array(["a b", "c"], object)}
        >>> corrupt(x, "image", "occlusion", 0.5)["image"].mean()
        np.float32(0.375)
    """
    if not isinstance(inputs, dict):
        raise ValueError(f"inputs must be a dict modality -> array, got {type(inputs).__name__}")
    if modality not in CORRUPTIONS or modality not in inputs:
        known = [m for m in CORRUPTIONS if m in inputs]
        raise ValueError(f"modality must be one of {known} (corruptions exist for "
                         f"{list(CORRUPTIONS)}), got {modality!r}")  # fmt: skip
    if kind not in CORRUPTIONS[modality]:
        raise ValueError(f"kind must be one of {list(CORRUPTIONS[modality])} for {modality}, "
                         f"got {kind!r}")  # fmt: skip
    _check_severity(severity)
    values = np.asarray(inputs[modality])
    if severity == 0:
        return {**inputs, modality: values.copy()}
    rng = np.random.default_rng(seed)
    s = float(severity)
    if modality == "image":
        new = _corrupt_image(values, kind, s, rng)
    elif modality == "audio":
        new = _corrupt_audio(values, kind, s, rng, sample_rate)
    else:
        new = np.array([_corrupt_text(str(t), kind, s, rng) for t in values], dtype=object)
    return {**inputs, modality: new}


def _corrupt_image(x: np.ndarray, kind: str, s: float, rng: np.random.Generator) -> np.ndarray:
    if x.ndim not in (3, 4):
        raise ValueError(f"images must be (n, h, w) or (n, h, w, c), got shape {x.shape}")
    if kind == "noise":
        return np.clip(x + rng.normal(0.0, 0.5 * s, x.shape), 0.0, 1.0).astype(x.dtype)
    if kind == "contrast":
        mean = x.mean(axis=tuple(range(1, x.ndim)), keepdims=True)
        return (mean + (1.0 - s) * (x - mean)).astype(x.dtype)
    n, h, w = x.shape[:3]
    side = int(round(min(h, w) * s))
    top, left = rng.integers(0, h - side + 1, n), rng.integers(0, w - side + 1, n)
    rows, cols = np.arange(h)[None, :, None], np.arange(w)[None, None, :]
    mask = ((rows >= top[:, None, None]) & (rows < (top + side)[:, None, None])
            & (cols >= left[:, None, None]) & (cols < (left + side)[:, None, None]))  # fmt: skip
    mask = mask.reshape(mask.shape + (1,) * (x.ndim - 3))
    return np.where(mask, 0, x).astype(x.dtype)


def _corrupt_audio(x, kind: str, s: float, rng, sample_rate: int) -> np.ndarray:
    if x.ndim != 2:
        raise ValueError(f"waveforms must be (n, samples), got shape {x.shape}")
    if kind == "noise":
        power = np.mean(np.square(x, dtype=np.float64), axis=1, keepdims=True)
        noise_power = power / 10 ** (snr_db(s) / 10)
        return (x + rng.normal(size=x.shape) * np.sqrt(noise_power)).astype(x.dtype)
    segment = int(round(0.1 * sample_rate))
    n_segments = int(np.ceil(x.shape[1] / segment))
    drop = int(round(s * n_segments))
    order = np.argsort(rng.random((len(x), n_segments)), axis=1)[:, :drop]
    keep = np.ones((len(x), n_segments), dtype=bool)
    np.put_along_axis(keep, order, False, axis=1)
    mask = np.repeat(keep, segment, axis=1)[:, : x.shape[1]]
    return np.where(mask, x, 0).astype(x.dtype)


_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def _corrupt_text(text: str, kind: str, s: float, rng: np.random.Generator) -> str:
    words = text.split()
    if kind == "word_dropout":
        return " ".join(w for w, u in zip(words, rng.random(len(words)), strict=True) if u >= s)
    out = []
    for word, u in zip(words, rng.random(len(words)), strict=True):
        letters = [i for i, ch in enumerate(word) if ch.isalpha()]
        if u < s and letters:
            i = letters[int(rng.integers(len(letters)))]
            choices = _LETTERS[_LETTERS != word[i].lower()]
            word = word[:i] + str(choices[int(rng.integers(len(choices)))]) + word[i + 1 :]
        out.append(word)
    return " ".join(out)


def _check_severities(severities) -> tuple[float, ...]:
    severities = tuple(float(s) for s in severities)
    if not severities:
        raise ValueError("severities must be a non-empty sequence of numbers in [0, 1]")
    for s in severities:
        _check_severity(s)
    return severities


def robustness_sweep(
    model, inputs: dict, y: np.ndarray, modality: str, kind: str,
    severities=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), seed: int = 0,
):  # fmt: skip
    """Test accuracy as one modality is corrupted (:func:`corrupt`) at increasing severity.

    Every severity uses the same ``seed``, so the corruption grows smoothly; severity 0 is
    the clean accuracy exactly.

    Returns:
        a pandas Series indexed by severity, named ``"<modality> <kind>"``.

    Example:
        >>> robustness_sweep(model, data.test.x, data.test.y, "audio", "noise")  # doctest: +SKIP
    """
    import pandas as pd

    severities = _check_severities(severities)
    corrupt(inputs, modality, kind, 0.0)  # validates modality and kind before any work
    model_input_names(model, inputs)  # a clear error before any work
    y = np.asarray(y)
    values = [model_accuracy(model, corrupt(inputs, modality, kind, s, seed), y)
              for s in severities]  # fmt: skip
    return pd.Series(values, index=pd.Index(severities, name="severity"), name=f"{modality} {kind}")


def robustness_table(
    models: dict, inputs: dict, y: np.ndarray, modality: str, kind: str,
    severities=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), seed: int = 0,
):  # fmt: skip
    """:func:`robustness_sweep` for several models: a pandas DataFrame indexed by severity,
    one column of accuracies per model (``models``: name -> model).

    Example:
        >>> robustness_table({"late": late, "concat": concat}, data.test.x, data.test.y,
        ...                  "image", "noise")  # doctest: +SKIP
    """
    import pandas as pd

    if not isinstance(models, dict) or not models:
        raise ValueError(
            f"models must be a non-empty dict name -> model, got {type(models).__name__}"
        )
    columns = {name: robustness_sweep(model, inputs, y, modality, kind, severities, seed)
               for name, model in models.items()}  # fmt: skip
    table = pd.DataFrame(columns)
    table.columns.name = f"{modality} {kind}"
    return table


def _curve(accuracies, name: str) -> np.ndarray:
    values = np.asarray(accuracies, dtype=float)
    if values.ndim != 1 or len(values) < 2 or not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must be 2+ finite accuracies, one per severity, got {values!r}")
    return values


def relative_robustness(accuracies, severities=None) -> float:
    """MultiBench's *relative robustness* (Liang et al., 2021): the area under the curve of
    accuracy against corruption severity, by the trapezoidal rule (``np.trapezoid``).

    It rewards a model that is accurate *and* stays accurate as the input degrades. The
    MultiBench code (``eval_scripts/robustness.py``) sums trapezoids of width 0.1 over
    levels spaced 0.1 apart on [0, 1]; here the widths are the given ``severities`` (by
    default the index of a pandas Series, else evenly spaced on [0, 1]), which is the same
    number for 11 levels 0, 0.1, ..., 1. (MultiBench then min-max normalises the figure
    across the methods compared on a task, for its leaderboard.)

    Example:
        >>> relative_robustness([1.0, 0.5, 0.0])
        0.5
    """
    values = _curve(accuracies, "accuracies")
    if severities is None:
        index = getattr(accuracies, "index", None)  # a pandas Series: its index
        severities = (
            np.asarray(index, float)
            if not callable(index) and index is not None
            else np.linspace(0, 1, len(values))
        )
    x = np.asarray(severities, dtype=float)
    if x.shape != values.shape or np.any(np.diff(x) <= 0):
        raise ValueError(f"severities must be {len(values)} increasing numbers, got {x!r}")
    return float(np.trapezoid(values, x))


def effective_robustness(accuracies, reference_accuracies) -> float:
    r"""MultiBench's *effective robustness* (Liang et al., 2021, after Taori et al., 2020):
    how much better a model holds up than a reference (in MultiBench: late fusion) once both
    start from the same clean accuracy.

    The reference curve :math:`r` is shifted to start at the model's clean accuracy,
    :math:`\beta_s = r_s + (f_0 - r_0)`, and the figure is :math:`\sum_s (f_s - \beta_s)`
    over the severity levels :math:`s` (a sum, as in MultiBench's
    ``eval_scripts/robustness.py``, not a mean). Positive: the model loses less accuracy
    than the reference as corruption grows; 0 for the reference itself.

    Example:
        >>> effective_robustness([0.9, 0.8, 0.7], [0.8, 0.6, 0.4])
        0.3
    """
    f = _curve(accuracies, "accuracies")
    r = _curve(reference_accuracies, "reference_accuracies")
    if f.shape != r.shape:
        raise ValueError(f"accuracies and reference_accuracies must have one length, got "
                         f"{len(f)} and {len(r)}")  # fmt: skip
    return round(float(np.sum(f - (r + (f[0] - r[0])))), 12)
