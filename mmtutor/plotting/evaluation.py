"""Figures of evaluation: confusion matrices (notebooks 02-04), method comparisons
(notebooks 05-15), reliability diagrams, robustness curves, saliency and modality
importance (notebooks 13-14)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from mmtutor.plotting._common import check_batch

__all__ = [
    "plot_confusion_matrix",
    "plot_method_comparison",
    "plot_reliability_diagram",
    "plot_robustness_curves",
    "plot_saliency",
    "plot_modality_importance",
]


def plot_confusion_matrix(
    matrix: np.ndarray, class_names: Sequence[str] | None = None, title: str | None = None
) -> plt.Figure:
    """A confusion matrix (rows: true class, columns: predicted), each row as fractions.

    Cells of 0.05 and more show their fraction with two decimals and no leading zero
    (".97"), and "1" for a fraction that rounds to 1.00.

    Example:
        >>> fig = plot_confusion_matrix(np.array([[9, 1], [0, 10]]), ["even", "odd"])
        >>> [t.get_text() for t in fig.axes[0].texts]
        ['.90', '.10', '1']
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square, got shape {matrix.shape}")
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    k = len(matrix)
    names = list(class_names) if class_names else [str(c) for c in range(k)]
    fig, ax = plt.subplots(figsize=(4.6, 4.0))
    img = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    for i in range(k):
        for j in range(k):
            if rates[i, j] >= 0.05:
                color = "white" if rates[i, j] > 0.6 else "black"
                text = "1" if rates[i, j] >= 0.995 else f"{rates[i, j]:.2f}".lstrip("0")
                ax.text(j, i, text, ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(k), names, rotation=90 if max(map(len, names)) > 2 else 0, fontsize=8)
    ax.set_yticks(range(k), names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(img, ax=ax, shrink=0.8, label="fraction of the true class")
    if title:
        ax.set_title(title)
    return fig


def plot_method_comparison(
    table, columns: Sequence[str] | None = None, chance: float | None = None,
    title: str | None = None, xlabel: str = "test accuracy",
) -> plt.Figure:  # fmt: skip
    """Horizontal bars, one group per method (row of ``table``, a pandas DataFrame) and one
    bar per column in ``columns`` (default: all numeric columns), with an optional dashed
    line at chance level. Missing values (a method without that figure) are left out.
    With several columns or a chance line, the legend sits outside the axes, on the right.

    Example:
        >>> import pandas as pd
        >>> table = pd.DataFrame({"test accuracy": [0.9, 0.8]}, index=["late", "early"])
        >>> fig = plot_method_comparison(table, chance=0.1)
        >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
        ['late', 'early']
    """
    columns = list(table.select_dtypes("number").columns) if columns is None else list(columns)
    missing = [c for c in columns if c not in table.columns]
    if missing or not columns or len(table) == 0:
        raise ValueError(
            f"columns must be non-empty and in the table {list(table.columns)}, got {columns}"
        )
    methods = list(table.index)
    height = 0.8 / len(columns)
    fig, ax = plt.subplots(figsize=(8.0, 0.35 * len(methods) * max(1, len(columns) * 0.6) + 1.2))
    for k, column in enumerate(columns):
        values = table[column].astype(float).to_numpy()
        pos = np.arange(len(methods)) + (k - (len(columns) - 1) / 2) * height
        ok = ~np.isnan(values)
        ax.barh(pos[ok], values[ok], height=height, label=column)
    ax.set_yticks(range(len(methods)), methods)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    if chance is not None:
        ax.axvline(chance, color="black", linestyle="--", linewidth=1, label="chance")
    if len(columns) > 1 or chance is not None:
        # outside the axes, on the right: inside, it would hide the bars of the last methods
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_reliability_diagram(curves: dict, title: str | None = None) -> plt.Figure:
    """Reliability diagrams: accuracy against confidence per bin, one line per model.

    Top: each curve of :func:`mmtutor.evaluation.reliability_curve` (empty bins skipped)
    against the diagonal of perfect calibration; points under the diagonal are
    over-confident. The legend gives each curve's expected calibration error. Bottom: the
    fraction of examples in each confidence bin (where the ECE's weight lies).

    Example:
        >>> from mmtutor.evaluation import reliability_curve
        >>> curve = reliability_curve(np.array([[0.9, 0.1], [0.3, 0.7]]), np.array([0, 0]))
        >>> len(plot_reliability_diagram({"model": curve}).axes)
        2
    """
    from mmtutor.evaluation import ece_of_curve

    if not isinstance(curves, dict) or not curves:
        raise ValueError("curves must be a non-empty dict name -> reliability_curve(...)")
    needed = {"edges", "confidence", "accuracy", "count"}
    for name, curve in curves.items():
        if not isinstance(curve, dict) or not needed <= set(curve):
            raise ValueError(f"curves[{name!r}] must be a reliability_curve dict with keys "
                             f"{sorted(needed)}")  # fmt: skip
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(5.0, 5.2), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1]})  # fmt: skip
    top.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
    width = 1.0 / len(next(iter(curves.values()))["count"]) / (len(curves) + 1)
    for k, (name, curve) in enumerate(curves.items()):
        count = np.asarray(curve["count"], dtype=float)
        full = count > 0
        ece = ece_of_curve(curve)
        top.plot(np.asarray(curve["confidence"])[full], np.asarray(curve["accuracy"])[full],
                 "o-", ms=4, label=f"{name} (ECE {ece:.3f})")  # fmt: skip
        edges = np.asarray(curve["edges"])
        bottom.bar(edges[:-1] + (k + 0.5) * width, count / max(count.sum(), 1), width=width,
                   label=name)  # fmt: skip
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_ylabel("accuracy in bin")
    top.legend(loc="upper left", fontsize=8)
    bottom.set_xlabel("confidence (largest class probability)")
    bottom.set_ylabel("fraction")
    if title:
        top.set_title(title)
    fig.tight_layout()
    return fig


def plot_robustness_curves(
    table, title: str | None = None, ylabel: str = "test accuracy", chance: float | None = 0.1
) -> plt.Figure:
    """Accuracy against corruption severity, one line per method (column of ``table``, a
    DataFrame of :func:`mmtutor.evaluation.robustness_table` indexed by severity).

    A dict name -> table draws one panel per table (e.g. per corruption), sharing the
    y axis. A dashed line marks chance level (``chance=None``: none).

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"a": [0.9, 0.5], "b": [0.8, 0.7]}, index=[0.0, 1.0])
        >>> len(plot_robustness_curves({"noise": t, "blur": t}).axes)
        2
    """
    tables = table if isinstance(table, dict) else {title or "": table}
    if not tables or any(len(t) == 0 or len(t.columns) == 0 for t in tables.values()):
        raise ValueError(
            "table must be a non-empty DataFrame (severity x method) or a dict of them"
        )
    n = len(tables)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n + 1.0, 3.4), squeeze=False, sharey=True)
    for ax, (name, t) in zip(axes[0], tables.items(), strict=True):
        x = np.asarray(t.index, dtype=float)
        for column in t.columns:
            ax.plot(x, t[column].astype(float).to_numpy(), "o-", ms=4, label=str(column))
        if chance is not None:
            ax.axhline(chance, color="black", linestyle="--", linewidth=1, label="chance")
        ax.set_xlabel("severity")
        ax.set_ylim(0, 1.02)
        if name and isinstance(table, dict):
            ax.set_title(str(name))
    axes[0][0].set_ylabel(ylabel)
    axes[0][-1].legend(loc="lower left", fontsize=8)
    if title and isinstance(table, dict):
        fig.suptitle(title)
    elif title:
        axes[0][0].set_title(title)
    fig.tight_layout()
    return fig


def plot_saliency(
    images: np.ndarray,
    image_saliency: np.ndarray,
    waveforms: np.ndarray | None = None,
    audio_saliency: np.ndarray | None = None,
    sample_rate: int = 8000,
    titles: Sequence[str] | None = None,
) -> plt.Figure:
    """Gradient saliency overlays, one row per example (:func:`mmtutor.evaluation.saliency`).

    Image: the digit in grey with its saliency on top in red, more opaque where larger.
    Audio (when given): the log-mel spectrogram (the audio encoder's own front end,
    :class:`mmtutor.preprocessing.LogMelSpectrogram`) with the saliency's *time envelope*
    drawn over it: the mean absolute gradient in each STFT frame (32 ms windows, 16 ms
    hop). A per-sample gradient of a waveform oscillates as fast as the audio itself and
    is unreadable; the envelope shows *when* the model listens, aligned with the
    spectrogram's frames. Each saliency is scaled to its own maximum.

    Example:
        >>> x = np.random.default_rng(0).random((2, 8, 8, 1))
        >>> len(plot_saliency(x, x).axes)
        2
    """
    images = check_batch("images", images, (3, 4))
    image_saliency = np.asarray(image_saliency)
    if image_saliency.shape != images.shape:
        raise ValueError(f"image_saliency must have the images' shape {images.shape}, got "
                         f"{image_saliency.shape}")  # fmt: skip
    images, image_saliency = (
        images.reshape(images.shape[:3]),
        image_saliency.reshape(images.shape[:3]),
    )
    with_audio = waveforms is not None
    if with_audio:
        waveforms = check_batch("waveforms", waveforms, (2,))
        audio_saliency = np.asarray(audio_saliency)
        if len(waveforms) != len(images) or audio_saliency.shape != waveforms.shape:
            raise ValueError(
                f"waveforms and audio_saliency must have one shape, one row per image; got "
                f"{waveforms.shape} and {audio_saliency.shape} for {len(images)} images"
            )
    n = len(images)
    if titles is not None and len(titles) != n:
        raise ValueError(f"need {n} titles, got {len(titles)}")
    ncols = 2 if with_audio else n
    nrows = n if with_audio else 1
    fig, axes = plt.subplots(
        nrows,
        ncols,
        squeeze=False,
        figsize=(7.0, 2.0 * n) if with_audio else (1.7 * n, 2.0),
        gridspec_kw={"width_ratios": [1, 3]} if with_audio else None,
    )
    if with_audio:
        from mmtutor.preprocessing import LogMelSpectrogram

        frontend = LogMelSpectrogram(sample_rate=sample_rate)
        spectrograms = np.asarray(frontend(waveforms.astype("float32")))
    for i in range(n):
        ax = axes[i][0] if with_audio else axes[0][i]
        ax.imshow(images[i], cmap="gray_r", vmin=0.0, vmax=1.0)
        heat = image_saliency[i] / max(float(image_saliency[i].max()), 1e-12)
        overlay = np.zeros(heat.shape + (4,))
        overlay[..., 0], overlay[..., 3] = 1.0, 0.8 * heat  # red, opaque where salient
        ax.imshow(overlay)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(titles[i] if titles is not None else "image saliency", fontsize=8)
        if not with_audio:
            continue
        ax = axes[i][1]
        frames = spectrograms.shape[1]
        duration = frames * frontend.frame_step / sample_rate
        ax.imshow(spectrograms[i].T, origin="lower", aspect="auto", cmap="magma",
                  extent=(0.0, duration, 0, spectrograms.shape[2]))  # fmt: skip
        starts = np.arange(frames) * frontend.frame_step
        envelope = np.array([np.abs(audio_saliency[i, s : s + frontend.frame_length]).mean()
                             for s in starts])  # fmt: skip
        envelope = envelope / max(float(envelope.max()), 1e-12)
        t = (starts + frontend.frame_length / 2) / sample_rate
        ax.plot(t, envelope * spectrograms.shape[2] * 0.95, color="cyan", lw=1.5,
                label="audio saliency (envelope)")  # fmt: skip
        ax.set_ylabel("mel bin", fontsize=8)
        ax.set_xlim(0, duration)
        if i == n - 1:
            ax.set_xlabel("time (s)")
        if i == 0:
            ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    return fig


def plot_modality_importance(importance, title: str | None = None,
                             xlabel: str = "accuracy drop") -> plt.Figure:  # fmt: skip
    """Horizontal bars of how much each modality matters, with error bars.

    ``importance``: the DataFrame of :func:`mmtutor.evaluation.permutation_importance`
    (bars: ``accuracy drop``, error bars: ``std``; any table whose first numeric column is
    the value and with an optional ``std`` column works), or a dict modality -> value or
    -> (value, std).

    Example:
        >>> len(plot_modality_importance({"image": (0.1, 0.01), "audio": 0.3}).axes)
        1
    """
    if isinstance(importance, dict):
        if not importance:
            raise ValueError("importance must be a non-empty dict or DataFrame")
        pairs = [v if isinstance(v, tuple | list) else (v, 0.0) for v in importance.values()]
        names = list(importance)
        values = np.array([float(p[0]) for p in pairs])
        errors = np.array([float(p[1]) for p in pairs])
    else:
        numeric = list(importance.select_dtypes("number").columns)
        if len(importance) == 0 or not numeric:
            raise ValueError(
                f"importance must have a numeric column, got {list(importance.columns)}"
            )
        names = [str(i) for i in importance.index]
        values = importance[numeric[0]].astype(float).to_numpy()
        std = importance["std"] if "std" in importance.columns else np.zeros(len(values))
        errors = np.asarray(std, dtype=float)
    fig, ax = plt.subplots(figsize=(5.0, 0.5 * len(names) + 1.2))
    ax.barh(names, values, xerr=errors, color="tab:blue", capsize=4)
    for k, v in enumerate(values):
        ax.text(v, k, f" {v:.3f}", va="center", ha="left" if v >= 0 else "right", fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.invert_yaxis()
    ax.set_xlim(
        min(0.0, float(values.min()) * 1.2), max(float((values + errors).max()) * 1.25, 0.05)
    )
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
