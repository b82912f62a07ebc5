"""Checks and pieces shared by the figure modules."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["check_batch", "panel_grid"]


def check_batch(name: str, x: np.ndarray, ndims: tuple[int, ...]) -> np.ndarray:
    """``x`` as an array if it is non-empty and of a rank in ``ndims``; else a ValueError."""
    x = np.asarray(x)
    if x.ndim not in ndims or len(x) == 0:
        ranks = " or ".join(map(str, ndims))
        raise ValueError(f"{name} must be a non-empty array of rank {ranks}, got shape {x.shape}")
    return x


def panel_grid(panels, ncols: int, cell: tuple[float, float], title: str | None, fontsize=7):
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
