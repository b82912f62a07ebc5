"""Figures of transfer and co-learning (notebook 12): the encoders of a fused model next to
the same encoders trained alone."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_modality_imbalance"]


def plot_modality_imbalance(
    tables: dict, chance: float | None = None, title: str | None = None
) -> plt.Figure:
    """Grouped bars, one group per modality: the linear-probe accuracy of its encoder
    trained *alone*, then *inside* each fused model of ``tables`` (name ->
    :func:`mmtutor.transfer.modality_imbalance` table, indexed by modality with columns
    ``alone`` and ``inside``; ``alone`` is taken from the first table).

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"alone": [0.76, 1.0], "inside": [0.64, 1.0]},
        ...                  index=pd.Index(["image", "audio"], name="modality"))
        >>> fig = plot_modality_imbalance({"plain": t, "blended": t.assign(inside=[0.74, 1.0])})
        >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        ['alone', 'inside plain', 'inside blended']
    """
    if not isinstance(tables, dict) or not tables:
        raise ValueError(f"tables must be a non-empty dict name -> table, got {tables!r:.60}")
    first = next(iter(tables.values()))
    for name, t in tables.items():
        if not {"alone", "inside"} <= set(t.columns) or list(t.index) != list(first.index):
            raise ValueError(
                f"tables[{name!r}] must have columns 'alone' and 'inside' and the modalities "
                f"{list(first.index)}, got columns {list(t.columns)}, index {list(t.index)}"
            )
    bars = {"alone": first["alone"]} | {f"inside {n}": t["inside"] for n, t in tables.items()}
    modalities = list(first.index)
    width = 0.8 / len(bars)
    fig, ax = plt.subplots(figsize=(1.6 * len(modalities) + 3.2, 3.4))
    x = np.arange(len(modalities))
    for k, (label, values) in enumerate(bars.items()):
        ax.bar(x + (k - (len(bars) - 1) / 2) * width, values.astype(float).to_numpy(),
               width=width, label=label)  # fmt: skip
    if chance is not None:
        ax.axhline(chance, color="black", linestyle="--", linewidth=1, label="chance")
    ax.set_xticks(x, modalities)
    ax.set_ylim(0, 1)
    ax.set_ylabel("linear-probe test accuracy")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
