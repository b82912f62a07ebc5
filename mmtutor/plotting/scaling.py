"""Figures of notebook 16: pipeline throughput, and accuracy against cost (the Pareto front)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_pareto", "plot_throughput"]


def plot_throughput(rates: dict[str, Sequence[float]], reference: float | None = None,
                    title: str | None = None) -> plt.Figure:  # fmt: skip
    """Horizontal bars of examples per second for each pipeline, one bar per epoch measured
    (epoch 1, epoch 2, ...), with an optional dashed line at ``reference`` (e.g. the rate
    at which the model trains on in-memory arrays).

    Example:
        >>> fig = plot_throughput({"naive": [900, 950], "parallel": [1800, 1900]}, reference=1500)
        >>> len(fig.axes[0].patches), fig.axes[0].get_xlabel()
        (4, 'examples per second')
    """
    if not isinstance(rates, dict) or not rates:
        raise ValueError(
            f"rates must be a non-empty dict name -> rates per epoch, got {rates!r:.80}"
        )
    values = [np.asarray(v, float) for v in rates.values()]
    epochs = {len(v) for v in values}
    if (
        len(epochs) != 1
        or 0 in epochs
        or not all(np.all(np.isfinite(v) & (v >= 0)) for v in values)
    ):
        raise ValueError("every pipeline needs the same number (>= 1) of finite rates >= 0")
    (count,) = epochs
    names = list(rates)
    fig, ax = plt.subplots(figsize=(6.4, 0.5 + 0.45 * len(names) * max(count, 1) / 1.5))
    height = 0.8 / count
    y = np.arange(len(names))
    for e in range(count):
        ax.barh(y + (e - (count - 1) / 2) * height, [v[e] for v in values], height,
                label=f"epoch {e + 1}")  # fmt: skip
    if reference is not None:
        ax.axvline(reference, color="black", linestyle="--", linewidth=1, label="model training")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlabel("examples per second")
    ax.legend(fontsize=8, loc="lower right")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_pareto(costs: Sequence[float], scores: Sequence[float], labels: Sequence[str],
                front: Sequence[int] = (), xlabel: str = "FLOPs per example",
                ylabel: str = "test accuracy", title: str | None = None) -> plt.Figure:  # fmt: skip
    """Each method as a point (cost, score) with its label, on a logarithmic cost axis;
    the points of ``front`` (indices, e.g. from :func:`mmtutor.scaling.pareto_front`)
    joined by a line.

    Example:
        >>> fig = plot_pareto([1e3, 1e4, 1e5], [0.90, 0.95, 0.93], ["a", "b", "c"], front=[0, 1])
        >>> fig.axes[0].get_xscale(), len(fig.axes[0].texts)
        ('log', 3)
    """
    costs, scores = np.asarray(costs, float), np.asarray(scores, float)
    if not (len(costs) == len(scores) == len(labels)) or len(costs) == 0:
        raise ValueError(
            f"costs, scores and labels must have one length >= 1, got {len(costs)}, "
            f"{len(scores)} and {len(labels)}"
        )
    if np.any(costs <= 0):
        raise ValueError(f"costs must be > 0 (a logarithmic axis), got {costs}")
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.scatter(costs, scores, color="tab:blue", zorder=3)
    for c, s, name in zip(costs, scores, labels, strict=True):
        ax.annotate(name, (c, s), textcoords="offset points", xytext=(5, 4), fontsize=8)
    front = list(front)
    if front:
        ax.plot(costs[front], scores[front], color="tab:orange", zorder=2,
                label="Pareto front")  # fmt: skip
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
