"""Figures of the data: images, waveforms and spectrograms, class balance, controlled
interactions, feature distributions; an audio player (notebooks 00, 01, 05, 09)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from mmtutor.plotting._common import check_batch

__all__ = [
    "plot_image_grid",
    "plot_waveform_and_spectrogram",
    "plot_spectrogram_grid",
    "plot_class_balance",
    "plot_interaction_data",
    "plot_feature_distributions",
    "audio_player",
]


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

    Example:
        >>> fig = plot_image_grid(np.zeros((3, 8, 8)), [0, 1, 2], ["zero", "one", "two"], ncols=3)
        >>> [ax.get_title() for ax in fig.axes]
        ['zero', 'one', 'two']
    """
    images = check_batch("images", images, (3, 4))
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
    """The waveform over time, and under it its (frames, mel bins) log-mel spectrogram.

    Example:
        >>> fig = plot_waveform_and_spectrogram(np.zeros(8000), np.zeros((61, 32)), title="silence")
        >>> fig.axes[0].get_title(), fig.axes[1].get_xlabel()
        ('silence', 'time (s)')
    """
    waveform = check_batch("waveform", waveform, (1,))
    spectrogram = check_batch("spectrogram", spectrogram, (2,))
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
    """Small panels of (frames, mel bins) spectrograms on one colour scale.

    Example:
        >>> spectrograms = np.random.default_rng(0).random((3, 61, 32))
        >>> fig = plot_spectrogram_grid(spectrograms, ["a", "b", "c"], ncols=2)
        >>> [ax.get_title() for ax in fig.axes]  # the fourth cell stays empty
        ['a', 'b', 'c', '']
    """
    spectrograms = check_batch("spectrograms", spectrograms, (3,))
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


def plot_class_balance(
    labels_by_split: dict[str, np.ndarray], class_names: Sequence[str] | None = None
) -> plt.Figure:
    """Grouped bars: the fraction of each class in each split.

    Example:
        >>> fig = plot_class_balance({"train": np.array([0, 0, 1]), "test": np.array([0, 1])})
        >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        ['train (n=3)', 'test (n=2)']
    """
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


def plot_interaction_data(datasets: Sequence, max_points: int = 600) -> plt.Figure:
    """One panel per controlled-interaction dataset (:func:`mmtutor.data.make_interactions`):
    modality ``m0`` against ``m1``, each reduced to its first principal component, coloured
    by the label. Redundancy puts the classes on a diagonal, uniqueness splits them along
    ``m0`` only, synergy makes a checkerboard (XOR) that no single axis separates.

    Example:
        >>> from mmtutor.data import make_interactions
        >>> datasets = [make_interactions(kind, n=300) for kind in ("redundancy", "synergy")]
        >>> fig = plot_interaction_data(datasets)
        >>> [ax.get_title() for ax in fig.axes]
        ['redundancy', 'synergy']
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
    arrays = {name: check_batch(f"features[{name!r}]", z, (2,)) for name, z in features.items()}
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


def audio_player(waveform: np.ndarray, sample_rate: int = 8000):
    """An ``IPython.display.Audio`` player for one waveform (normalised to its peak; a
    silent waveform stays silent).

    Example:
        >>> audio_player(np.sin(np.arange(800) / 3)).data[:4]  # a WAV file
        b'RIFF'
    """
    from IPython.display import Audio

    waveform = check_batch("waveform", waveform, (1,))
    if not np.all(np.isfinite(waveform)):
        raise ValueError("waveform must be finite, got NaN or infinite samples")
    return Audio(waveform, rate=sample_rate, normalize=bool(np.any(waveform != 0)))
