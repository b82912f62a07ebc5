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
    "plot_history",
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


def audio_player(waveform: np.ndarray, sample_rate: int = 8000):
    """An ``IPython.display.Audio`` player for one waveform (normalised to its peak)."""
    from IPython.display import Audio

    waveform = _check_batch("waveform", waveform, (1,))
    return Audio(waveform, rate=sample_rate)
