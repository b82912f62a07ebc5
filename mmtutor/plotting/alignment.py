"""Figures of contrastive alignment (notebook 10): similarity matrices, retrieved examples,
hyper-parameter sweeps."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from mmtutor.plotting._common import check_batch

__all__ = ["plot_similarity_matrices", "plot_retrieved_images", "plot_sweeps"]


def plot_similarity_matrices(
    matrices: dict[str, np.ndarray],
    labels: Sequence[int] | None = None,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
) -> plt.Figure:
    """Heat maps of similarity matrices (queries x gallery), one panel per entry of
    ``matrices``, on one colour scale.

    With ``labels`` (the class of each row and column, the same examples on both sides),
    rows and columns are sorted by class and thin lines separate the classes, so a model
    that groups examples by class shows bright blocks on the diagonal. Paired examples sit
    on the diagonal itself.

    Example:
        >>> s = np.eye(4)
        >>> fig = plot_similarity_matrices({"a": s, "b": -s}, labels=[1, 0, 1, 0])
        >>> [ax.get_title() for ax in fig.axes[:2]]
        ['a', 'b']
    """
    if not isinstance(matrices, dict) or not matrices:
        raise ValueError(
            f"matrices must be a non-empty dict name -> 2-D array, got {matrices!r:.60}"
        )
    arrays = {name: check_batch(f"matrices[{name!r}]", m, (2,)) for name, m in matrices.items()}
    shapes = {a.shape for a in arrays.values()}
    if labels is not None:
        labels = np.asarray(labels)
        if any(s != (len(labels), len(labels)) for s in shapes):
            raise ValueError(
                f"with labels, every matrix must be square of side {len(labels)}, got shapes "
                f"{sorted(shapes)}"
            )
    order = np.argsort(labels, kind="stable") if labels is not None else None
    low = min(float(a.min()) for a in arrays.values())
    high = max(float(a.max()) for a in arrays.values())
    n = len(arrays)
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n + 0.8, 3.6), squeeze=False)
    image = None
    for ax, (name, a) in zip(axes[0], arrays.items(), strict=True):
        if order is not None:
            a = a[np.ix_(order, order)]
        image = ax.imshow(a, cmap="viridis", vmin=low, vmax=high, interpolation="nearest")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("gallery")
        if order is not None:
            sorted_labels = labels[order]
            edges = np.flatnonzero(np.diff(sorted_labels)) + 0.5
            for e in edges:
                ax.axhline(e, color="white", linewidth=0.4)
                ax.axvline(e, color="white", linewidth=0.4)
            starts = np.concatenate([[-0.5], edges])
            ends = np.concatenate([edges, [len(sorted_labels) - 0.5]])
            classes = sorted_labels[np.concatenate([[0], (edges + 0.5).astype(int)])]
            names = [class_names[c] if class_names is not None else str(c) for c in classes]
            ax.set_yticks((starts + ends) / 2, names, fontsize=7)
            ax.set_xticks([])
        else:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0][0].set_ylabel("queries")
    fig.colorbar(image, ax=list(axes[0]), shrink=0.8, label="cosine similarity")
    if title:
        fig.suptitle(title)
    return fig


def plot_retrieved_images(
    images: np.ndarray,
    correct: np.ndarray,
    row_titles: Sequence[str],
    title: str | None = None,
) -> plt.Figure:
    """The top-K retrieved images of several queries, one row per query, best first; a green
    frame marks a correct match, a red one a wrong match.

    Args:
        images: (queries, K, h, w) or (queries, K, h, w, 1) grey-scale images in [0, 1].
        correct: (queries, K) booleans.
        row_titles: one description per query, shown left of its row.

    Example:
        >>> fig = plot_retrieved_images(np.zeros((2, 3, 8, 8)), np.eye(2, 3, dtype=bool),
        ...                             ["query 1", "query 2"])
        >>> len(fig.axes)
        6
    """
    images = check_batch("images", images, (4, 5))
    if images.ndim == 5:
        images = images[..., 0]
    correct = np.asarray(correct, dtype=bool)
    if correct.shape != images.shape[:2] or len(row_titles) != len(images):
        raise ValueError(
            f"images {images.shape[:2]} (queries, K), correct {correct.shape} and "
            f"{len(row_titles)} row titles must agree"
        )
    q, k = correct.shape
    fig, axes = plt.subplots(q, k, figsize=(1.1 * k + 1.6, 1.2 * q + 0.4), squeeze=False)
    for i in range(q):
        for j in range(k):
            ax = axes[i][j]
            ax.imshow(images[i, j], cmap="gray_r", vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(True)
                spine.set_color("tab:green" if correct[i, j] else "tab:red")
                spine.set_linewidth(2.5)
            if i == 0:
                ax.set_title(f"#{j + 1}", fontsize=8)
        axes[i][0].set_ylabel(row_titles[i], rotation=0, ha="right", va="center", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_sweeps(tables: dict, ylabel: str, chance: float | None = None) -> plt.Figure:
    """One panel per hyper-parameter sweep: each ``tables[name]`` is a DataFrame indexed by
    the swept value (e.g. the temperature) with one column per curve; the x axis is
    logarithmic, as the values usually span several orders of magnitude.

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"R@1": [0.5, 0.7]}, index=pd.Index([0.1, 1.0], name="temperature"))
        >>> [ax.get_xlabel() for ax in plot_sweeps({"T": t}, "R@1").axes]
        ['temperature']
    """
    if not isinstance(tables, dict) or not tables:
        raise ValueError(f"tables must be a non-empty dict name -> DataFrame, got {tables!r:.60}")
    n = len(tables)
    fig, axes = plt.subplots(1, n, figsize=(4.0 * n + 0.6, 3.3), squeeze=False, sharey=True)
    for ax, (name, t) in zip(axes[0], tables.items(), strict=True):
        if len(t) == 0 or len(t.columns) == 0:
            raise ValueError(f"tables[{name!r}] is empty")
        x = np.asarray(t.index, dtype=float)
        for column in t.columns:
            ax.plot(x, t[column].astype(float).to_numpy(), "o-", ms=4, label=str(column))
        if chance is not None:
            ax.axhline(chance, color="black", linestyle="--", linewidth=1, label="chance")
        ax.set_xscale("log")
        ax.set_xticks(x, [f"{v:g}" for v in x])
        ax.minorticks_off()
        ax.set_xlabel(t.index.name or "value")
        ax.set_title(str(name), fontsize=9)
    axes[0][0].set_ylabel(ylabel)
    axes[0][-1].legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig
