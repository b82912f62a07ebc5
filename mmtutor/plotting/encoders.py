"""Figures of what encoders learn: convolution filters and feature maps (notebook 02),
attention (notebook 03), filterbanks and their responses (notebooks 01, 04), embeddings
in 2-D."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from mmtutor.plotting._common import check_batch, panel_grid

__all__ = [
    "plot_conv_filters",
    "plot_feature_maps",
    "plot_spectrogram_feature_maps",
    "plot_filterbank",
    "plot_filter_responses",
    "plot_embeddings_2d",
    "plot_attention",
]


def plot_conv_filters(kernel: np.ndarray, ncols: int = 8, title: str | None = None) -> plt.Figure:
    """The 2-D filters of a convolution on one input channel, on one symmetric colour scale.

    Args:
        kernel: (kh, kw, 1, n) or (kh, kw, n) weights, e.g. ``conv.get_weights()[0]``.
        ncols: filters per row.
        title: optional figure title.

    Red weights add the pixel, blue ones subtract it; white is zero.

    Example:
        >>> fig = plot_conv_filters(np.zeros((3, 3, 1, 4)), ncols=4)
        >>> [ax.get_title() for ax in fig.axes]
        ['0', '1', '2', '3']
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
    fig, _ = panel_grid(panels, ncols, (0.9, 0.95), title)
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

    Example:
        >>> fig = plot_feature_maps(np.zeros((8, 8, 1)), np.zeros((4, 4, 2)), ncols=3)
        >>> [ax.get_title() for ax in fig.axes]
        ['input', '0', '1']
    """
    image, maps = np.asarray(image), np.asarray(maps)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim != 2 or maps.ndim != 3:
        raise ValueError(
            f"image must be (h, w[, 1]) and maps (h, w, channels), got {image.shape} and "
            f"{maps.shape}"
        )
    panels = [(image, "input", {"cmap": "gray_r", "vmin": 0.0, "vmax": 1.0})]
    panels += [(maps[:, :, c], str(c), {"cmap": "viridis"}) for c in range(maps.shape[-1])]
    fig, _ = panel_grid(panels, ncols, (0.9, 0.95), title)
    fig.tight_layout()
    return fig


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

    Example:
        >>> fig = plot_spectrogram_feature_maps(np.zeros((61, 32)), np.zeros((30, 16, 2)), ncols=3)
        >>> [ax.get_title() for ax in fig.axes]
        ['input', 'channel 0', 'channel 1']
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
    fig, axes = panel_grid(panels, ncols, (1.8, 1.6), title, fontsize=8)
    axes[0, 0].set_ylabel("frequency", fontsize=8)
    axes[0, 0].set_xlabel("time", fontsize=8)
    fig.tight_layout()
    return fig


def plot_filterbank(weights: np.ndarray, sample_rate: int = 8000) -> plt.Figure:
    """The triangular mel filters: weights (fft bins, mel bins) over frequency in Hz.

    Example:
        >>> plot_filterbank(np.zeros((257, 32))).axes[0].get_title()
        '32 mel filters: narrow at low frequencies, wide at high'
    """
    weights = check_batch("weights", weights, (2,))
    freqs = np.linspace(0, sample_rate / 2, weights.shape[0])
    fig, ax = plt.subplots(figsize=(6.4, 2.6))
    ax.plot(freqs, weights, lw=0.8)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("weight")
    ax.set_title(f"{weights.shape[1]} mel filters: narrow at low frequencies, wide at high")
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
        mel_weights: optional mel filterbank, e.g. ``LogMelSpectrogram().mel_weights.numpy()``.
        title: optional figure title.

    Example:
        >>> taps = np.cos(2 * np.pi * np.outer(np.arange(64), [3000, 500, 2000, 1000]) / 8000)
        >>> fig = plot_filter_responses(taps)
        >>> [t.get_text() for t in fig.axes[0].texts]  # four kernels, low to high peak
        ['500 Hz', '1000 Hz', '2000 Hz', '3000 Hz']
    """
    from mmtutor.encoders.inspect import filter_frequency_responses

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


def plot_embeddings_2d(
    embeddings: np.ndarray,
    labels: np.ndarray,
    method: str = "pca",
    seed: int = 0,
    title: str | None = None,
) -> plt.Figure:
    """Project embeddings to 2-D (``"pca"`` or ``"tsne"``) and scatter them coloured by class.

    Example:
        >>> points = np.random.default_rng(0).normal(size=(30, 5))
        >>> fig = plot_embeddings_2d(points, np.arange(30) % 3)
        >>> fig.axes[0].get_xlabel(), [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        ('PCA 1', ['0', '1', '2'])
    """
    embeddings = check_batch("embeddings", embeddings, (2,))
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


def plot_attention(
    scores: np.ndarray, tokens: Sequence[str], title: str | None = None
) -> plt.Figure:
    """Self-attention weights as heat maps, one panel per head: row i is how much word i
    attends to each word (rows sum to 1).

    Args:
        scores: (heads, n, n) or (n, n) weights for the n words of one caption (padding cut).
        tokens: the n words, labelling rows (queries) and columns (keys).
        title: optional figure title.

    Example:
        >>> fig = plot_attention(np.full((2, 3, 3), 1 / 3), ["an", "odd", "digit"])
        >>> [ax.get_title() for ax in fig.axes[:2]]
        ['head 1', 'head 2']
        >>> [t.get_text() for t in fig.axes[0].get_xticklabels()]
        ['an', 'odd', 'digit']
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
