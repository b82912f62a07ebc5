"""Figures of training: learning curves (notebooks 02-04 onwards)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "plot_history",
]


def plot_history(history: dict[str, list[float]], metric: str = "accuracy") -> plt.Figure:
    """Training and validation curves of ``metric`` (and loss) per epoch.

    Example:
        >>> fig = plot_history({"loss": [1.0, 0.5], "accuracy": [0.6, 0.8],
        ...                     "val_loss": [1.1, 0.7], "val_accuracy": [0.5, 0.7]})
        >>> [ax.get_ylabel() for ax in fig.axes]
        ['loss', 'accuracy']
        >>> [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
        ['train', 'validation']
    """
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
