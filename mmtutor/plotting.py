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
    "audio_player",
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


def audio_player(waveform: np.ndarray, sample_rate: int = 8000):
    """An ``IPython.display.Audio`` player for one waveform (normalised to its peak)."""
    from IPython.display import Audio

    waveform = _check_batch("waveform", waveform, (1,))
    return Audio(waveform, rate=sample_rate)
