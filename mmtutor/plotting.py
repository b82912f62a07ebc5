"""Every figure the notebooks draw. Each function returns the Matplotlib ``Figure``;
notebooks end the cell with ``plt.show()`` so that no object repr is printed.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "plot_image_grid",
    "plot_waveform_and_spectrogram",
    "plot_class_balance",
    "plot_spectrogram_grid",
    "plot_filterbank",
    "plot_history",
    "plot_confusion_matrix",
    "plot_embeddings_2d",
    "plot_conv_filters",
    "plot_feature_maps",
    "plot_spectrogram_feature_maps",
    "plot_filter_responses",
    "plot_attention",
    "audio_player",
    "plot_interaction_data",
    "plot_method_comparison",
    "plot_feature_distributions",
    "plot_modality_weights",
]


def _check_batch(name: str, x: np.ndarray, ndims: tuple[int, ...]) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim not in ndims or len(x) == 0:
        raise ValueError(f"{name} must be a non-empty array of rank {' or '.join(map(str, ndims))}, "
                         f"got shape {x.shape}")  # fmt: skip
    return x


def plot_image_grid(
    images: np.ndarray,
    labels: Sequence[int] | None = None,
    class_names: Sequence[str] | None = None,
    ncols: int = 8,
    title: str | None = None,
) -> plt.Figure:
    """A grid of grey-scale images with their labels as titles.

    Args:
        images: (n, h, w) or (n, h, w, 1) array.
        labels: optional n labels shown above the images.
        class_names: optional names to show instead of the label numbers.
        ncols: images per row.
        title: optional figure title.
    """
    images = _check_batch("images", images, (3, 4))
    if images.ndim == 4:
        images = images[..., 0]
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"got {len(images)} images but {len(labels)} labels")
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.1 * ncols, 1.25 * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap="gray_r", vmin=0.0, vmax=1.0)
            if labels is not None:
                lab = int(labels[i])
                ax.set_title(class_names[lab] if class_names else str(lab), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_waveform_and_spectrogram(
    waveform: np.ndarray,
    spectrogram: np.ndarray,
    sample_rate: int = 8000,
    frame_step: int = 128,
    title: str | None = None,
) -> plt.Figure:
    """The waveform over time, and under it its (frames, mel bins) log-mel spectrogram."""
    waveform = _check_batch("waveform", waveform, (1,))
    spectrogram = _check_batch("spectrogram", spectrogram, (2,))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.4, 4.2), sharex=True)
    t = np.arange(len(waveform)) / sample_rate
    top.plot(t, waveform, lw=0.6)
    top.set_ylabel("amplitude")
    extent = (0.0, spectrogram.shape[0] * frame_step / sample_rate, 0, spectrogram.shape[1])
    img = bottom.imshow(spectrogram.T, origin="lower", aspect="auto", extent=extent, cmap="magma")
    bottom.set_xlabel("time (s)")
    bottom.set_ylabel("mel bin")
    fig.colorbar(img, ax=[top, bottom], label="log power", shrink=0.5)
    if title:
        top.set_title(title)
    return fig


def plot_spectrogram_grid(
    spectrograms: np.ndarray,
    titles: Sequence[str],
    ncols: int = 5,
    frame_step: int = 128,
    sample_rate: int = 8000,
) -> plt.Figure:
    """Small panels of (frames, mel bins) spectrograms on one colour scale."""
    spectrograms = _check_batch("spectrograms", spectrograms, (3,))
    if len(titles) != len(spectrograms):
        raise ValueError(f"got {len(spectrograms)} spectrograms but {len(titles)} titles")
    nrows = int(np.ceil(len(spectrograms) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.9 * ncols, 1.7 * nrows), squeeze=False,
                             sharex=True, sharey=True)  # fmt: skip
    lo, hi = np.percentile(spectrograms, [2, 99.5])
    extent = (0.0, spectrograms.shape[1] * frame_step / sample_rate, 0, spectrograms.shape[2])
    for i, ax in enumerate(axes.flat):
        if i >= len(spectrograms):
            ax.axis("off")
            continue
        ax.imshow(spectrograms[i].T, origin="lower", aspect="auto", extent=extent, cmap="magma",
                  vmin=lo, vmax=hi)  # fmt: skip
        ax.set_title(titles[i], fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel("time (s)", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("mel bin", fontsize=8)
    fig.tight_layout()
    return fig


def plot_filterbank(weights: np.ndarray, sample_rate: int = 8000) -> plt.Figure:
    """The triangular mel filters: weights (fft bins, mel bins) over frequency in Hz."""
    weights = _check_batch("weights", weights, (2,))
    freqs = np.linspace(0, sample_rate / 2, weights.shape[0])
    fig, ax = plt.subplots(figsize=(6.4, 2.6))
    ax.plot(freqs, weights, lw=0.8)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("weight")
    ax.set_title(f"{weights.shape[1]} mel filters: narrow at low frequencies, wide at high")
    return fig


def plot_class_balance(
    labels_by_split: dict[str, np.ndarray], class_names: Sequence[str] | None = None
) -> plt.Figure:
    """Grouped bars: the fraction of each class in each split."""
    if not labels_by_split:
        raise ValueError("labels_by_split must name at least one split")
    num_classes = int(max(np.max(y) for y in labels_by_split.values())) + 1
    width = 0.8 / len(labels_by_split)
    fig, ax = plt.subplots(figsize=(7.0, 3.0))
    for k, (name, y) in enumerate(labels_by_split.items()):
        frac = np.bincount(np.asarray(y), minlength=num_classes) / len(y)
        ax.bar(np.arange(num_classes) + k * width, frac, width, label=f"{name} (n={len(y)})")
    ax.set_xticks(np.arange(num_classes) + 0.4 - width / 2)
    ax.set_xticklabels(class_names or [str(c) for c in range(num_classes)])
    ax.set_ylabel("fraction of split")
    ax.legend(fontsize=8, ncols=len(labels_by_split))
    return fig


def plot_history(history: dict[str, list[float]], metric: str = "accuracy") -> plt.Figure:
    """Training and validation curves of ``metric`` (and loss) per epoch."""
    if metric not in history or "loss" not in history:
        raise ValueError(f"history must hold 'loss' and {metric!r}, got keys {sorted(history)}")
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.0))
    for ax, key in zip(axes, ("loss", metric), strict=True):
        epochs = np.arange(1, len(history[key]) + 1)
        ax.plot(epochs, history[key], label="train")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(
    matrix: np.ndarray, class_names: Sequence[str] | None = None, title: str | None = None
) -> plt.Figure:
    """A confusion matrix (rows: true class, columns: predicted), each row as fractions."""
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
                ax.text(
                    j,
                    i,
                    f"{rates[i, j]:.2f}"[1:],
                    ha="center",
                    va="center",
                    fontsize=7,
                    color=color,
                )
    ax.set_xticks(range(k), names, rotation=90 if max(map(len, names)) > 2 else 0, fontsize=8)
    ax.set_yticks(range(k), names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(img, ax=ax, shrink=0.8, label="fraction of the true class")
    if title:
        ax.set_title(title)
    return fig


def plot_embeddings_2d(
    embeddings: np.ndarray,
    labels: np.ndarray,
    method: str = "pca",
    seed: int = 0,
    title: str | None = None,
) -> plt.Figure:
    """Project embeddings to 2-D (``"pca"`` or ``"tsne"``) and scatter them coloured by class."""
    embeddings = _check_batch("embeddings", embeddings, (2,))
    labels = np.asarray(labels)
    if len(labels) != len(embeddings):
        raise ValueError(f"got {len(embeddings)} embeddings but {len(labels)} labels")
    if method == "pca":
        from sklearn.decomposition import PCA

        points = PCA(n_components=2, random_state=seed).fit_transform(embeddings)
    elif method == "tsne":
        from sklearn.manifold import TSNE

        points = TSNE(n_components=2, random_state=seed, init="pca").fit_transform(embeddings)
    else:
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")
    fig, ax = plt.subplots(figsize=(5.0, 4.2))
    for c in np.unique(labels):
        pts = points[labels == c]
        ax.scatter(
            pts[:, 0], pts[:, 1], s=8, alpha=0.7, color=plt.cm.tab10(int(c) % 10), label=str(c)
        )
    ax.legend(markerscale=2, fontsize=7, ncols=2, title="class", title_fontsize=8)
    ax.set_xlabel(f"{method.upper()} 1")
    ax.set_ylabel(f"{method.upper()} 2")
    if title:
        ax.set_title(title)
    return fig


def _panel_grid(panels, ncols: int, cell: tuple[float, float], title: str | None, fontsize=7):
    """Draw ``panels`` ((array, title, imshow options) each) on a grid of ``ncols`` columns;
    the cells after the last panel stay empty. Returns (figure, axes)."""
    nrows = int(np.ceil(len(panels) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(cell[0] * ncols, cell[1] * nrows), squeeze=False
    )
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    for ax, (array, name, options) in zip(axes.flat, panels, strict=False):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.imshow(array, **options)
        ax.set_title(name, fontsize=fontsize)
    if title:
        fig.suptitle(title)
    return fig, axes


# --- image (notebook 02) ---


def plot_conv_filters(kernel: np.ndarray, ncols: int = 8, title: str | None = None) -> plt.Figure:
    """The 2-D filters of a convolution on one input channel, on one symmetric colour scale.

    Args:
        kernel: (kh, kw, 1, n) or (kh, kw, n) weights, e.g. ``conv.get_weights()[0]``.
        ncols: filters per row.
        title: optional figure title.

    Red weights add the pixel, blue ones subtract it; white is zero.
    """
    kernel = np.asarray(kernel)
    if kernel.ndim == 4 and kernel.shape[2] == 1:
        kernel = kernel[:, :, 0, :]
    if kernel.ndim != 3 or kernel.shape[-1] == 0:
        raise ValueError(
            f"kernel must have shape (kh, kw, 1, n) or (kh, kw, n), got {kernel.shape}"
        )
    limit = float(np.abs(kernel).max()) or 1.0
    options = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}
    panels = [(kernel[:, :, i], str(i), options) for i in range(kernel.shape[-1])]
    fig, _ = _panel_grid(panels, ncols, (0.9, 0.95), title)
    fig.tight_layout()
    return fig


def plot_feature_maps(
    image: np.ndarray, maps: np.ndarray, ncols: int = 8, title: str | None = None
) -> plt.Figure:
    """One input image, then each channel of a layer's output for it (its feature maps).

    Args:
        image: (h, w) or (h, w, 1) input image.
        maps: (h', w', channels) activations of one example.
        ncols: panels per row (the image takes the first).
        title: optional figure title.
    """
    image, maps = np.asarray(image), np.asarray(maps)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim != 2 or maps.ndim != 3:
        raise ValueError(
            f"image must be (h, w[, 1]) and maps (h, w, channels), got {image.shape} and {maps.shape}"
        )
    panels = [(image, "input", {"cmap": "gray_r", "vmin": 0.0, "vmax": 1.0})]
    panels += [(maps[:, :, c], str(c), {"cmap": "viridis"}) for c in range(maps.shape[-1])]
    fig, _ = _panel_grid(panels, ncols, (0.9, 0.95), title)
    fig.tight_layout()
    return fig


# --- audio (notebook 04) ---


def plot_spectrogram_feature_maps(
    spectrogram: np.ndarray, maps: np.ndarray, ncols: int = 5, title: str | None = None
) -> plt.Figure:
    """A (frames, mel bins) spectrogram, then each channel of a 2-D conv layer's output for it.

    Time runs left to right and frequency bottom to top in every panel; each panel has its
    own colour scale (a feature map's values mean nothing on the input's scale).

    Args:
        spectrogram: (frames, bins) input of the network (e.g. the normalised log-mel).
        maps: (frames', bins', channels) activations of one example.
        ncols: panels per row (the spectrogram takes the first).
        title: optional figure title.
    """
    spectrogram, maps = np.asarray(spectrogram), np.asarray(maps)
    if spectrogram.ndim != 2 or maps.ndim != 3:
        raise ValueError(
            f"spectrogram must be (frames, bins) and maps (frames, bins, channels), "
            f"got {spectrogram.shape} and {maps.shape}"
        )
    options = {"origin": "lower", "aspect": "auto", "cmap": "magma"}
    panels = [(spectrogram.T, "input", options)]
    panels += [(maps[:, :, c].T, f"channel {c}", options) for c in range(maps.shape[-1])]
    fig, axes = _panel_grid(panels, ncols, (1.8, 1.6), title, fontsize=8)
    axes[0, 0].set_ylabel("frequency", fontsize=8)
    axes[0, 0].set_xlabel("time", fontsize=8)
    fig.tight_layout()
    return fig


def plot_filter_responses(
    kernels: np.ndarray,
    sample_rate: int = 8000,
    mel_weights: np.ndarray | None = None,
    title: str | None = None,
) -> plt.Figure:
    """A learned 1-D filterbank: some kernels, all magnitude responses, and their centres.

    Left: four kernels over time (lowest to highest peak frequency). Middle: every
    filter's magnitude response in dB (each row scaled to its own peak), rows sorted by
    peak frequency. Right: the sorted peak frequencies, and, given ``mel_weights``
    (fft bins, mel bins), the centres of the mel filters on the same relative scale.

    Args:
        kernels: (taps, filters) or (taps, 1, filters) weights.
        sample_rate: samples per second.
        mel_weights: optional mel filterbank, e.g. ``LogMelSpectrogram()._mel.numpy()``.
        title: optional figure title.
    """
    from mmtutor.evaluation import filter_frequency_responses

    freqs, responses, peaks = filter_frequency_responses(kernels, sample_rate)
    kernels = np.asarray(kernels).reshape(np.shape(kernels)[0], -1)
    order = np.argsort(peaks, kind="stable")
    db = 20 * np.log10(responses[order] / responses[order].max(axis=1, keepdims=True) + 1e-6)
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(11.0, 3.2))
    t_ms = np.arange(len(kernels)) / sample_rate * 1000
    picks = order[np.linspace(0, len(order) - 1, 4).astype(int)]
    for k, f in enumerate(picks):
        left.plot(t_ms, kernels[:, f] / np.abs(kernels[:, f]).max() - 2.2 * k, lw=0.8)
        left.text(t_ms[-1], -2.2 * k + 0.6, f"{peaks[f]:.0f} Hz", fontsize=7, ha="right")
    left.set_yticks([])
    left.set_xlabel("time (ms)")
    left.set_title("kernels, low to high peak", fontsize=9)
    extent = (0.0, freqs[-1], 0, len(order))
    img = middle.imshow(db, origin="lower", aspect="auto", extent=extent, cmap="magma",
                        vmin=-30, vmax=0)  # fmt: skip
    fig.colorbar(img, ax=middle, label="dB re. peak")
    middle.set_xlabel("frequency (Hz)")
    middle.set_ylabel("filter (sorted)")
    middle.set_title("magnitude responses", fontsize=9)
    rank = (np.arange(len(order)) + 0.5) / len(order)
    right.plot(rank, peaks[order], "o", ms=3, label="learned filters (peak)")
    if mel_weights is not None:
        mel_weights = np.asarray(mel_weights)
        mel_freqs = np.linspace(0, sample_rate / 2, mel_weights.shape[0])
        centres = np.sort(mel_freqs[np.argmax(mel_weights, axis=0)])
        right.plot((np.arange(len(centres)) + 0.5) / len(centres), centres, "-", color="grey",
                   label="mel filters (centre)")  # fmt: skip
    right.set_xlabel("filter rank / number of filters")
    right.set_ylabel("frequency (Hz)")
    right.legend(fontsize=7)
    right.set_title("where the filters sit", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


# --- text (notebook 03) ---


def plot_attention(
    scores: np.ndarray, tokens: Sequence[str], title: str | None = None
) -> plt.Figure:
    """Self-attention weights as heat maps, one panel per head: row i is how much word i
    attends to each word (rows sum to 1).

    Args:
        scores: (heads, n, n) or (n, n) weights for the n words of one caption (padding cut).
        tokens: the n words, labelling rows (queries) and columns (keys).
        title: optional figure title.
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 2:
        scores = scores[None]
    n = len(tokens)
    if scores.ndim != 3 or scores.shape[1:] != (n, n) or n == 0:
        raise ValueError(
            f"scores must have shape (heads, {n}, {n}) or ({n}, {n}) for {n} tokens, "
            f"got shape {scores.shape}"
        )
    heads = len(scores)
    side = 0.32 * n + 1.2
    fig, axes = plt.subplots(1, heads, figsize=(side * heads + 0.8, side), squeeze=False)
    for h, ax in enumerate(axes[0]):
        img = ax.imshow(scores[h], cmap="viridis", vmin=0.0, vmax=float(scores.max()))
        ax.set_xticks(range(n), tokens, rotation=90, fontsize=8)
        ax.set_yticks(range(n), tokens if h == 0 else [""] * n, fontsize=8)
        ax.set_xlabel("attends to (key)")
        ax.set_title(f"head {h + 1}", fontsize=9)
    axes[0][0].set_ylabel("word (query)")
    fig.colorbar(img, ax=list(axes[0]), shrink=0.8, label="attention weight")
    if title:
        fig.suptitle(title)
    return fig


# --- evaluation (notebooks 13-14) ---
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
        gaps = np.abs(np.asarray(curve["accuracy"])[full] - np.asarray(curve["confidence"])[full])
        ece = float(np.sum(count[full] * gaps) / max(count.sum(), 1))
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
    images = _check_batch("images", images, (3, 4))
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
        waveforms = _check_batch("waveforms", waveforms, (2,))
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
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(7.0, 2.0 * n) if with_audio else (1.7 * n, 2.0),
                             gridspec_kw={"width_ratios": [1, 3]} if with_audio else None)  # fmt: skip
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


__all__ += [
    "plot_modality_importance",
    "plot_reliability_diagram",
    "plot_robustness_curves",
    "plot_saliency",
]


def audio_player(waveform: np.ndarray, sample_rate: int = 8000):
    """An ``IPython.display.Audio`` player for one waveform (normalised to its peak)."""
    from IPython.display import Audio

    waveform = _check_batch("waveform", waveform, (1,))
    return Audio(waveform, rate=sample_rate)


# --- fusion comparisons (notebooks 05-09) ---
def plot_interaction_data(datasets: Sequence, max_points: int = 600) -> plt.Figure:
    """One panel per controlled-interaction dataset (:func:`mmtutor.data.make_interactions`):
    modality ``m0`` against ``m1``, each reduced to its first principal component, coloured
    by the label. Redundancy puts the classes on a diagonal, uniqueness splits them along
    ``m0`` only, synergy makes a checkerboard (XOR) that no single axis separates.
    """
    if not datasets:
        raise ValueError("datasets must be a non-empty list of InteractionData")
    fig, axes = plt.subplots(1, len(datasets), figsize=(3.3 * len(datasets), 3.2), squeeze=False)
    for ax, d in zip(axes[0], datasets, strict=True):
        split = d.train
        coords = []
        for m in ("m0", "m1"):
            x = split.x[m][:max_points] - split.x[m].mean(axis=0)
            _, _, vt = np.linalg.svd(x, full_matrices=False)
            pc = x @ vt[0]
            coords.append(
                pc
                * np.sign(np.corrcoef(pc, split.meta["attributes"][:max_points, int(m[1])])[0, 1])
            )
        y = split.y[:max_points]
        for label, colour in ((0, "tab:blue"), (1, "tab:orange")):
            ax.scatter(coords[0][y == label], coords[1][y == label], s=6, alpha=0.6,
                       color=colour, label=f"y = {label}")  # fmt: skip
        ax.set_title(d.kind)
        ax.set_xlabel("m0 (first principal component)")
        ax.set_ylabel("m1 (first principal component)")
    axes[0][0].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def plot_method_comparison(
    table, columns: Sequence[str] | None = None, chance: float | None = None,
    title: str | None = None, xlabel: str = "test accuracy",
) -> plt.Figure:  # fmt: skip
    """Horizontal bars, one group per method (row of ``table``, a pandas DataFrame) and one
    bar per column in ``columns`` (default: all numeric columns), with an optional dashed
    line at chance level. Missing values (a method without that figure) are left out.
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


# --- notebooks 05-06 ---
def plot_feature_distributions(
    features: dict[str, np.ndarray], bins: int = 40, title: str | None = None
) -> plt.Figure:
    """One histogram per modality of the values of its low-level features (what early
    fusion concatenates), titled with the number of features: shows at a glance that the
    modalities differ in scale, sparsity and size.

    Args:
        features: modality name -> (examples, features) array, e.g. the outputs of
            :func:`mmtutor.models.build_feature_extractor`.
        bins: histogram bins per panel.
        title: optional figure title.

    Example:
        >>> fig = plot_feature_distributions({"a": np.zeros((4, 3)), "b": np.ones((4, 5))})
        >>> len(fig.axes)
        2
    """
    if not isinstance(features, dict) or not features:
        raise ValueError("features must be a non-empty dict modality -> (examples, features) array")
    arrays = {name: _check_batch(f"features[{name!r}]", z, (2,)) for name, z in features.items()}
    fig, axes = plt.subplots(1, len(arrays), figsize=(3.2 * len(arrays), 2.8), squeeze=False)
    for ax, (name, z) in zip(axes[0], arrays.items(), strict=True):
        ax.hist(z.ravel().astype(float), bins=bins, color="tab:blue")
        ax.set_yscale("log")
        ax.set_title(f"{name}: {z.shape[1]:,} features", fontsize=10)
        ax.set_xlabel("feature value")
    axes[0][0].set_ylabel("count (log scale)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_modality_weights(weights: dict[str, float], title: str | None = None) -> plt.Figure:
    """Bars of how much a late-fusion model trusts each modality (e.g. the learned
    ``WeightedFusion.modality_weights()``), with a dashed line at the uniform weight 1/M.

    Example:
        >>> fig = plot_modality_weights({"image": 0.3, "audio": 0.5, "text": 0.2})
        >>> len(fig.axes)
        1
    """
    if not isinstance(weights, dict) or len(weights) < 2:
        raise ValueError(f"weights must be a dict of 2+ modality -> weight, got {weights!r:.80}")
    values = np.asarray([float(v) for v in weights.values()])
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"weights must be finite and non-negative, got {values}")
    fig, ax = plt.subplots(figsize=(4.2, 2.8))
    ax.bar(list(weights), values, color="tab:blue")
    ax.axhline(1 / len(values), color="black", linestyle="--", linewidth=1, label="uniform 1/M")
    for k, v in enumerate(values):
        ax.text(k, v, f"{v:.2f}", ha="center", va="bottom", fontsize=9)
    ax.set_ylim(0, max(1.0, float(values.max()) * 1.15))
    ax.set_ylabel("weight")
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


# --- notebooks 07-08 ---
def plot_fusion_weights(
    weights: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str],
    panel_titles: Sequence[str] | None = None, title: str | None = None,
    xlabel: str = "modality", ylabel: str = "class",
) -> plt.Figure:  # fmt: skip
    """Fusion weights as annotated heat maps: gates of :class:`~mmtutor.fusion.GatedFusion`,
    attention of the attention layers, edge weights of :class:`~mmtutor.fusion.GraphFusion`.

    Args:
        weights: (rows, cols), or (panels, rows, cols) for one panel each (e.g. per head);
            typically averaged per class with :func:`mmtutor.evaluation.mean_by_class`.
        row_labels, col_labels: names of the rows (e.g. classes) and columns (e.g. modalities).
        panel_titles: one title per panel (3-D ``weights`` only).
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim == 2:
        weights = weights[None]
    shape = (len(row_labels), len(col_labels))
    if weights.ndim != 3 or weights.shape[1:] != shape or 0 in shape:
        raise ValueError(
            f"weights must have shape {shape} or (panels, *{shape}) for {shape[0]} row and "
            f"{shape[1]} column labels, got shape {weights.shape}"
        )
    if panel_titles is not None and len(panel_titles) != len(weights):
        raise ValueError(f"need {len(weights)} panel titles, got {len(panel_titles)}")
    n = len(weights)
    width, height = 0.75 * shape[1] + 1.4, 0.32 * shape[0] + 1.3
    fig, axes = plt.subplots(1, n, figsize=(width * n + 0.8, height), squeeze=False)
    vmax = float(weights.max())
    for k, ax in enumerate(axes[0]):
        img = ax.imshow(weights[k], cmap="viridis", vmin=0.0, vmax=vmax, aspect="auto")
        for (i, j), value in np.ndenumerate(weights[k]):
            color = "black" if value > 0.6 * vmax else "white"
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7, color=color)
        ax.set_xticks(range(shape[1]), col_labels, fontsize=8)
        ax.set_yticks(range(shape[0]), row_labels if k == 0 else [""] * shape[0], fontsize=8)
        ax.set_xlabel(xlabel)
        if panel_titles is not None:
            ax.set_title(panel_titles[k], fontsize=9)
    axes[0][0].set_ylabel(ylabel)
    fig.colorbar(img, ax=list(axes[0]), shrink=0.8, label="weight")
    if title:
        fig.suptitle(title)
    return fig


__all__ += ["plot_fusion_weights"]
