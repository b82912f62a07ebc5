"""Checkers for notebook 11: dynamic time warping written by the learner."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mmtutor.exercises.report import CheckReport, close, require_callable, run_checks

__all__ = ["check_dtw"]


def _accumulate(cost: np.ndarray, steps=((1, 0), (0, 1), (1, 1)), pick=min,
                first_cumulative: bool = True, add_cost: bool = True) -> np.ndarray:  # fmt: skip
    """The DTW recursion written out with loops, and the variants of plausible mistakes:
    other ``steps`` (a missing diagonal), ``pick=max``, a first row and column that are not
    cumulative, or the cost of the cell left out."""
    n, m = cost.shape
    acc = np.full((n, m), np.nan)
    for i in range(n):
        for j in range(m):
            before = [acc[i - di, j - dj] for di, dj in steps if i - di >= 0 and j - dj >= 0]
            if not before:
                acc[i, j] = cost[i, j]
            elif not first_cumulative and (i == 0 or j == 0):
                acc[i, j] = cost[i, j]
            else:
                acc[i, j] = pick(before) + (cost[i, j] if add_cost else 0.0)
    return acc


def check_dtw(fn: Callable) -> CheckReport:
    """Notebook 11: ``fn(cost)`` takes a (n, m) matrix of frame-to-frame distances and
    returns the (n, m) matrix ``D`` of accumulated costs of dynamic time warping:

    ``D[0, 0] = c[0, 0]``; ``D[i, j] = c[i, j] + min(D[i-1, j], D[i, j-1], D[i-1, j-1])``
    over the neighbours that exist (the first row and column have one way in).

    The expected matrices are computed here with plain loops, never from ``fn``.

    Example:
        >>> report = check_dtw(lambda cost: np.zeros_like(cost))  # a stub
        >>> report.passed, report.failed[0]
        (False, 'a 3 x 3 cost matrix')
    """
    require_callable(fn, "function")
    rng = np.random.default_rng(0)
    square = np.array([[1.0, 3.0, 5.0], [2.0, 1.0, 4.0], [6.0, 2.0, 1.0]])

    def run(cost):
        got = np.asarray(fn(cost.copy()), dtype=float)
        if got.shape != cost.shape:
            raise ValueError(f"return a matrix of the cost's shape {cost.shape}, got {got.shape}")
        return got

    def diagnose(cost, got) -> str | None:
        expected = _accumulate(cost)
        if close(got, expected):
            return None
        mistakes = [
            (_accumulate(cost, steps=((1, 0), (0, 1))),
             "a warping path may also step diagonally: take the min over D[i-1, j], D[i, j-1] "
             "and D[i-1, j-1]"),
            (_accumulate(cost, first_cumulative=False),
             "the first row and column are cumulative: D[0, j] = D[0, j-1] + c[0, j] (one way in)"),
            (_accumulate(cost, pick=max), "take the cheapest predecessor (min), not the dearest"),
            (_accumulate(cost, add_cost=False),
             "add the cell's own cost: D[i, j] = c[i, j] + min(...)"),
        ]  # fmt: skip
        for wrong, hint in mistakes:
            if close(got, wrong):
                return hint
        return (f"D[-1, -1] is {got[-1, -1]:.3f}, expected {expected[-1, -1]:.3f}: "
                "D[i, j] = c[i, j] + min(D[i-1, j], D[i, j-1], D[i-1, j-1])")  # fmt: skip

    def small():
        return diagnose(square, run(square))

    def rectangular():
        cost = rng.uniform(0.0, 2.0, size=(4, 6))
        return diagnose(cost, run(cost))

    def tall():
        cost = rng.uniform(0.0, 2.0, size=(7, 3))
        return diagnose(cost, run(cost))

    def untouched():
        cost = rng.uniform(0.0, 2.0, size=(3, 5))
        kept = cost.copy()
        fn(cost)
        return None if np.array_equal(cost, kept) else (
            "your function changed the cost matrix it was given: fill a new matrix "
            "(np.zeros_like(cost)) instead"
        )  # fmt: skip

    def distance():
        from mmtutor.translation import dtw

        x, y = rng.normal(size=(9, 2)), rng.normal(size=(12, 2))
        result = dtw(x, y)
        got = run(result.cost)[-1, -1]
        if close(got, result.distance):
            return None
        return (f"on two sequences of 9 and 12 frames, D[-1, -1] should be the DTW distance "
                f"{result.distance:.3f}, got {got:.3f}")  # fmt: skip

    return run_checks("check_dtw", [
        ("a 3 x 3 cost matrix", small),
        ("a 4 x 6 cost matrix (more frames in the second sequence)", rectangular),
        ("a 7 x 3 cost matrix (more frames in the first sequence)", tall),
        ("the cost matrix is left unchanged", untouched),
        ("D[-1, -1] is the DTW distance of two sequences", distance),
    ])  # fmt: skip
