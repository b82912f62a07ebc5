"""Figures of translation and temporal alignment (notebook 11): rows of reconstructed
images, a spoken digit sequence with its true spans, the alignment a CTC model learned,
and a dynamic-time-warping path on its cost matrix."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from mmtutor.plotting._common import check_batch

__all__ = ["plot_ctc_alignment", "plot_dtw_path", "plot_image_rows", "plot_spoken_sequence"]


def plot_image_rows(
    rows: dict[str, np.ndarray], column_titles: Sequence[str] | None = None,
    title: str | None = None,
) -> plt.Figure:  # fmt: skip
    """Grey-scale images in rows, one row per entry of ``rows`` (its name on the left), the
    same examples in every row: e.g. originals, reconstructions, and images drawn from
    another modality.

    Example:
        >>> fig = plot_image_rows({"original": np.zeros((3, 8, 8)), "from sound": np.ones((3, 8, 8))},
        ...                       column_titles=["zero", "one", "two"])
        >>> fig.axes[0].get_ylabel(), fig.axes[2].get_title()
        ('original', 'two')
    """
    if not isinstance(rows, dict) or not rows:
        raise ValueError(f"rows must be a non-empty dict name -> images, got {rows!r:.60}")
    arrays = {name: check_batch(f"rows[{name!r}]", a, (3, 4)) for name, a in rows.items()}
    arrays = {name: a[..., 0] if a.ndim == 4 else a for name, a in arrays.items()}
    counts = {len(a) for a in arrays.values()}
    if len(counts) != 1:
        raise ValueError(f"every row needs the same number of images, got {sorted(counts)}")
    n = counts.pop()
    if column_titles is not None and len(column_titles) != n:
        raise ValueError(f"got {n} images per row but {len(column_titles)} column titles")
    fig, axes = plt.subplots(len(arrays), n, figsize=(0.95 * n + 1.0, 1.05 * len(arrays) + 0.3),
                             squeeze=False)  # fmt: skip
    for r, (name, images) in enumerate(arrays.items()):
        for c in range(n):
            ax = axes[r][c]
            ax.imshow(images[c], cmap="gray_r", vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
            if r == 0 and column_titles is not None:
                ax.set_title(column_titles[c], fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


#: one colour per digit, none of them grey (the blank's colour)
_DIGIT_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
                 "tab:pink", "black", "tab:olive", "tab:cyan")  # fmt: skip


def _check_spans(starts, ends, digits) -> tuple[np.ndarray, np.ndarray, list]:
    starts = np.asarray(starts, dtype=float)
    ends = np.asarray(ends, dtype=float)
    keep = np.isfinite(starts) & np.isfinite(ends)
    starts, ends = starts[keep], ends[keep]
    digits = list(digits)
    if starts.ndim != 1 or len(starts) != len(digits) or np.any(ends < starts):
        raise ValueError(
            f"starts and ends must give one span (end >= start) per digit: {len(starts)} spans "
            f"for {len(digits)} digits"
        )
    return starts, ends, digits


def _draw_spans(ax, starts, ends, digits, label_y: float | None = None) -> None:
    for s, e, d in zip(starts, ends, digits, strict=True):
        ax.axvline(s, color="white", linewidth=0.8)
        ax.axvline(e, color="white", linewidth=0.8, linestyle="--")
        if label_y is not None:
            ax.text((s + e) / 2, label_y, str(d), ha="center", va="bottom", fontsize=9)


def plot_spoken_sequence(
    waveform: np.ndarray, spectrogram: np.ndarray, starts, ends, digits,
    sample_rate: int = 8000, frame_step: int = 128, title: str | None = None,
) -> plt.Figure:  # fmt: skip
    """A spoken digit sequence: the waveform with each digit's true span shaded and
    labelled, and its (frames, mel bins) spectrogram with the spans' starts (solid) and
    ends (dashed).

    Example:
        >>> fig = plot_spoken_sequence(np.zeros(8000), np.zeros((61, 32)), [0.1, 0.5], [0.4, 0.8],
        ...                            [4, 2], title="4 2")
        >>> fig.axes[0].get_title(), [t.get_text() for t in fig.axes[0].texts]
        ('4 2', ['4', '2'])
    """
    waveform = check_batch("waveform", waveform, (1,))
    spectrogram = check_batch("spectrogram", spectrogram, (2,))
    starts, ends, digits = _check_spans(starts, ends, digits)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.0, 4.2), sharex=True)
    t = np.arange(len(waveform)) / sample_rate
    top.plot(t, waveform, lw=0.5, color="tab:blue")
    peak = float(np.max(np.abs(waveform))) or 1.0
    for s, e, d in zip(starts, ends, digits, strict=True):
        top.axvspan(s, e, color="tab:orange", alpha=0.2)
        top.text((s + e) / 2, 1.05 * peak, str(d), ha="center", va="bottom", fontsize=9)
    top.set_ylim(-1.2 * peak, 1.35 * peak)
    top.set_ylabel("amplitude")
    extent = (0.0, spectrogram.shape[0] * frame_step / sample_rate, 0, spectrogram.shape[1])
    bottom.imshow(spectrogram.T, origin="lower", aspect="auto", extent=extent, cmap="magma")
    _draw_spans(bottom, starts, ends, digits)
    bottom.set_xlabel("time (s)")
    bottom.set_ylabel("mel bin")
    if title:
        top.set_title(title)
    fig.tight_layout()
    return fig


def plot_ctc_alignment(
    spectrogram: np.ndarray, probabilities: np.ndarray, frame_times, starts, ends, digits,
    emissions: Sequence[tuple[int, float]] | None = None, sample_rate: int = 8000,
    frame_step: int = 128, title: str | None = None,
) -> plt.Figure:  # fmt: skip
    """What a CTC model learned about *when*: the spectrogram with the true digit spans
    (white lines, solid at a start, dashed at an end), and under it, for every output frame,
    the probability of the blank (grey, dashed) and of each digit of the utterance (one
    colour each), with the digit the best path emits marked at its time.

    Args:
        spectrogram: (frames, mel bins) log-mel spectrogram of the utterance.
        probabilities: (output frames, 1 + 10) per-frame softmax, symbol 0 the blank and
            symbol d + 1 the digit d.
        frame_times: (output frames,) time of each output frame, in seconds.
        starts, ends, digits: the true spans and digits (NaN spans are skipped).
        emissions: optional ``[(digit, seconds), ...]`` (:func:`mmtutor.translation.ctc_emissions`).

    Example:
        >>> probs = np.full((10, 11), 1 / 11)
        >>> fig = plot_ctc_alignment(np.zeros((40, 32)), probs, np.linspace(0.05, 0.6, 10),
        ...                          [0.1], [0.3], [7], emissions=[(7, 0.2)])
        >>> fig.axes[1].get_ylabel(), [t.get_text() for t in fig.axes[1].texts]
        ('probability', ['7'])
    """
    spectrogram = check_batch("spectrogram", spectrogram, (2,))
    probabilities = check_batch("probabilities", probabilities, (2,))
    frame_times = np.asarray(frame_times, dtype=float)
    if frame_times.shape != (len(probabilities),) or probabilities.shape[1] < 2:
        raise ValueError(
            f"probabilities (frames, symbols) and frame_times (frames,) must agree, got shapes "
            f"{probabilities.shape} and {frame_times.shape}"
        )
    starts, ends, digits = _check_spans(starts, ends, digits)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.0, 4.4), sharex=True)
    extent = (0.0, spectrogram.shape[0] * frame_step / sample_rate, 0, spectrogram.shape[1])
    top.imshow(spectrogram.T, origin="lower", aspect="auto", extent=extent, cmap="magma")
    _draw_spans(top, starts, ends, digits)
    for s, e, d in zip(starts, ends, digits, strict=True):
        top.text((s + e) / 2, spectrogram.shape[1] - 1, str(d), ha="center", va="top",
                 fontsize=9, color="white")  # fmt: skip
    top.set_ylabel("mel bin")
    bottom.plot(frame_times, probabilities[:, 0], color="0.6", lw=1.0, ls="--", label="blank")
    for d in sorted(set(digits)):
        bottom.plot(frame_times, probabilities[:, d + 1], color=_DIGIT_COLORS[d], lw=1.4,
                    label=str(d))  # fmt: skip
    for d, when in emissions or []:
        bottom.plot([when], [1.02], marker="v", color=_DIGIT_COLORS[d % 10], markersize=7)
        bottom.text(when, 1.06, str(d), ha="center", va="bottom", fontsize=9)
    for s, e in zip(starts, ends, strict=True):
        bottom.axvspan(s, e, color="tab:orange", alpha=0.12)
    bottom.set_ylim(0, 1.2)
    bottom.set_xlabel("time (s)")
    bottom.set_ylabel("probability")
    bottom.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7, title="symbol",
                  title_fontsize=7)  # fmt: skip
    if title:
        top.set_title(title)
    fig.tight_layout()
    return fig


def plot_dtw_path(
    cost: np.ndarray, path: np.ndarray, frame_seconds: float = 0.016,
    boundaries_a=None, boundaries_b=None, labels: tuple[str, str] = ("utterance A", "utterance B"),
    title: str | None = None,
) -> plt.Figure:  # fmt: skip
    """A dynamic-time-warping path (white) on its frame-to-frame cost matrix (dark: similar
    frames, bright: different), with the true digit boundaries of each utterance as dashed
    lines: where both utterances' lines cross, a perfect alignment passes.

    Args:
        cost: (n, m) distances between the frames of A (rows) and B (columns).
        path: (K, 2) cells of the warping path (:attr:`mmtutor.translation.DTWResult.path`).
        frame_seconds: time between frames, to label the axes in seconds.
        boundaries_a, boundaries_b: optional boundary times of A and B, in seconds.

    Example:
        >>> fig = plot_dtw_path(np.ones((5, 6)), np.array([[0, 0], [1, 1], [2, 2], [3, 4], [4, 5]]),
        ...                     boundaries_a=[0.03], boundaries_b=[0.05])
        >>> fig.axes[0].get_xlabel(), len(fig.axes[0].lines)
        ('utterance B (s)', 3)
    """
    cost = check_batch("cost", cost, (2,))
    path = np.asarray(path)
    if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
        raise ValueError(f"path must be a (K, 2) array of cells, got shape {path.shape}")
    if path.min() < 0 or path[:, 0].max() >= cost.shape[0] or path[:, 1].max() >= cost.shape[1]:
        raise ValueError(f"path leaves the {cost.shape} cost matrix")
    n, m = cost.shape
    fig, ax = plt.subplots(figsize=(5.0, 4.6))
    finite = np.where(np.isfinite(cost), cost, np.nan)
    ax.imshow(finite, origin="lower", cmap="viridis", aspect="auto",
              extent=(0, m * frame_seconds, 0, n * frame_seconds))  # fmt: skip
    centre = (path + 0.5) * frame_seconds
    ax.plot(centre[:, 1], centre[:, 0], color="white", lw=1.5)
    for b in np.asarray(boundaries_a if boundaries_a is not None else [], dtype=float):
        if np.isfinite(b):
            ax.axhline(b, color="tab:orange", lw=0.8, ls="--")
    for b in np.asarray(boundaries_b if boundaries_b is not None else [], dtype=float):
        if np.isfinite(b):
            ax.axvline(b, color="tab:orange", lw=0.8, ls="--")
    ax.set_xlabel(f"{labels[1]} (s)")
    ax.set_ylabel(f"{labels[0]} (s)")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
