"""Dynamic time warping (Sakoe & Chiba, 1978): the classic explicit alignment of two
feature sequences (notebook 11).

Hand-written because notebook 11 teaches it; the frame-to-frame distances come from
SciPy (``scipy.spatial.distance.cdist``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist

__all__ = ["DTWResult", "dtw", "dtw_map", "warp_times"]


@dataclass(frozen=True)
class DTWResult:
    """What :func:`dtw` found.

    ``cost`` (n, m) is the distance of every frame of ``x`` to every frame of ``y``;
    ``accumulated`` (n, m) the cost of the cheapest warping path from (0, 0) to each cell;
    ``path`` (K, 2) the cells ``(i, j)`` of the cheapest path from (0, 0) to (n-1, m-1);
    ``distance`` its total cost, ``accumulated[-1, -1]``.
    """

    distance: float
    path: np.ndarray
    cost: np.ndarray
    accumulated: np.ndarray


def _check_sequence(name: str, x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or len(x) == 0 or not np.all(np.isfinite(x)):
        raise ValueError(
            f"{name} must be a non-empty finite (frames, features) or (frames,) array, "
            f"got shape {x.shape}"
        )
    return x


def dtw(x, y, metric: str = "euclidean", window: int | None = None) -> DTWResult:
    """Align two sequences of feature frames with dynamic time warping.

    A warping path pairs the frames of ``x`` (n frames) and ``y`` (m frames) from the first
    pair (0, 0) to the last (n-1, m-1), moving one step at a time down, right or diagonally,
    so it never goes back in time in either sequence. DTW finds the path of least total
    cost, by the recursion

    ``D[i, j] = c[i, j] + min(D[i-1, j], D[i, j-1], D[i-1, j-1])``, ``D[0, 0] = c[0, 0]``,

    where ``c[i, j]`` is the distance between frame i of x and frame j of y (``metric``:
    any of ``scipy.spatial.distance.cdist``'s), then walks back from (n-1, m-1) taking the
    cheapest predecessor each time (the diagonal first on ties). ``window``: a Sakoe-Chiba
    band, cells with ``|i - j * (n-1)/(m-1)| > window`` are forbidden (None: no band).

    Example:
        >>> result = dtw([0.0, 1.0, 2.0], [0.0, 0.0, 1.0, 2.0])
        >>> result.distance, result.path.tolist()
        (0.0, [[0, 0], [0, 1], [1, 2], [2, 3]])
    """
    x, y = _check_sequence("x", x), _check_sequence("y", y)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y need the same number of features, got {x.shape} and {y.shape}")
    n, m = len(x), len(y)
    if window is not None and (
        isinstance(window, bool) or not isinstance(window, int) or window < 0
    ):
        raise ValueError(f"window must be None or a non-negative integer, got {window!r}")
    cost = cdist(x, y, metric=metric)
    if window is not None:
        slope = (n - 1) / (m - 1) if m > 1 else 0.0
        far = np.abs(np.arange(n)[:, None] - np.arange(m)[None, :] * slope) > window
        cost = np.where(far, np.inf, cost)
    acc = np.full((n, m), np.inf)
    acc[0] = np.cumsum(cost[0])  # the first row and column have one way in
    acc[:, 0] = np.cumsum(cost[:, 0])
    for i in range(1, n):
        for j in range(1, m):
            acc[i, j] = cost[i, j] + min(acc[i - 1, j], acc[i, j - 1], acc[i - 1, j - 1])
    if not np.isfinite(acc[-1, -1]):
        raise ValueError(f"no warping path fits in window={window} for lengths {n} and {m}")
    path = [(n - 1, m - 1)]
    i, j = n - 1, m - 1
    while (i, j) != (0, 0):
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            steps = ((i - 1, j - 1), (i - 1, j), (i, j - 1))  # the diagonal wins ties
            i, j = min(steps, key=lambda s: acc[s])
        path.append((i, j))
    return DTWResult(float(acc[-1, -1]), np.array(path[::-1]), cost, acc)


def dtw_map(path, n_frames: int | None = None) -> np.ndarray:
    """Where each frame of the first sequence lands in the second: for every ``i``, the mean
    ``j`` of the path's cells ``(i, j)`` (a frame matched to several frames maps to their
    middle). ``n_frames``: the first sequence's length (default: from the path).

    Example:
        >>> dtw_map(np.array([[0, 0], [0, 1], [1, 2], [2, 3]]))
        array([0.5, 2. , 3. ])
    """
    path = np.asarray(path)
    if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0 or path.dtype.kind not in "iu":
        raise ValueError(
            f"path must be a (K, 2) integer array of cells, got {path.dtype} {path.shape}"
        )
    n = int(path[:, 0].max()) + 1 if n_frames is None else n_frames
    counts = np.bincount(path[:, 0], minlength=n)
    if len(counts) != n or np.any(counts == 0):
        raise ValueError(f"the path must visit every one of the {n} frames of the first sequence")
    return np.bincount(path[:, 0], weights=path[:, 1], minlength=n) / counts


def warp_times(path, times_x, times_y, t) -> np.ndarray:
    """The times in the second sequence that a warping path matches to times ``t`` (seconds)
    in the first: ``t`` is placed between the first sequence's frames (``times_x``, the
    time of each frame), carried through :func:`dtw_map`, and read on ``times_y``; both
    steps interpolate linearly. NaN stays NaN.

    Example:
        >>> path = np.array([[0, 0], [1, 2], [2, 4]])  # the second sequence is twice as slow
        >>> warp_times(path, [0.0, 0.1, 0.2], [0.0, 0.1, 0.2, 0.3, 0.4], [0.05, 0.2])
        array([0.1, 0.4])
    """
    times_x = np.asarray(times_x, dtype=float)
    times_y = np.asarray(times_y, dtype=float)
    for name, times in (("times_x", times_x), ("times_y", times_y)):
        if times.ndim != 1 or len(times) == 0 or np.any(np.diff(times) <= 0):
            raise ValueError(f"{name} must be a non-empty increasing 1-D array of frame times")
    where = dtw_map(path, len(times_x))
    if where.max() > len(times_y) - 1:
        raise ValueError(
            f"the path reaches frame {where.max():.0f} of a {len(times_y)}-frame times_y"
        )
    t = np.asarray(t, dtype=float)
    frame_x = np.interp(t, times_x, np.arange(len(times_x)))
    frame_y = np.interp(frame_x, np.arange(len(where)), where)
    return np.where(np.isnan(t), np.nan, np.interp(frame_y, np.arange(len(times_y)), times_y))
