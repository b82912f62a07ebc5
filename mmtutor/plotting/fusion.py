"""Figures of fusion weights: late-fusion modality weights (notebook 06), gates,
attention and graph edges per class (notebooks 07-08)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "plot_modality_weights",
    "plot_fusion_weights",
]


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

    Example:
        >>> weights = np.array([[0.7, 0.3], [0.2, 0.8]])
        >>> fig = plot_fusion_weights(weights, ["zero", "one"], ["image", "audio"])
        >>> [t.get_text() for t in fig.axes[0].texts]
        ['0.70', '0.30', '0.20', '0.80']
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
