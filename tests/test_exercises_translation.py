"""check_dtw (notebook 11) accepts right answers and rejects the plausible wrong ones its
hints are written for."""

import numpy as np
import pytest
from exercise_reports import accepted, rejected

from mmtutor import exercises


def by_loops(cost):
    """A right answer, written independently of the checker: padding with infinity."""
    n, m = cost.shape
    padded = np.full((n + 1, m + 1), np.inf)
    padded[0, 0] = 0.0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            padded[i, j] = cost[i - 1, j - 1] + min(padded[i - 1, j], padded[i, j - 1],
                                                    padded[i - 1, j - 1])  # fmt: skip
    return padded[1:, 1:]


def by_antidiagonals(cost):
    """Another right answer: cells filled by increasing i + j, with NumPy fancy indexing."""
    n, m = cost.shape
    acc = np.full((n, m), np.inf)
    acc[0, 0] = cost[0, 0]
    for s in range(1, n + m - 1):
        i = np.arange(max(0, s - m + 1), min(n, s + 1))
        j = s - i
        up = np.where(i > 0, acc[np.maximum(i - 1, 0), j], np.inf)
        left = np.where(j > 0, acc[i, np.maximum(j - 1, 0)], np.inf)
        diag = np.where((i > 0) & (j > 0), acc[np.maximum(i - 1, 0), np.maximum(j - 1, 0)], np.inf)
        acc[i, j] = cost[i, j] + np.minimum(np.minimum(up, left), diag)
    return acc


def test_right_answers_pass():
    accepted(exercises.check_dtw(by_loops))
    accepted(exercises.check_dtw(by_antidiagonals))


def test_the_notebook_stub_fails_with_a_hint():
    rejected(exercises.check_dtw(lambda cost: np.zeros_like(cost)), "3 x 3", "expected")


def wrong(variant):
    """by_loops with one plausible mistake."""

    def fn(cost):
        n, m = cost.shape
        acc = np.zeros_like(cost)
        for i in range(n):
            for j in range(m):
                before = []
                if i > 0:
                    before.append(acc[i - 1, j])
                if j > 0:
                    before.append(acc[i, j - 1])
                if i > 0 and j > 0 and variant != "no diagonal":
                    before.append(acc[i - 1, j - 1])
                if not before or (variant == "first row not cumulative" and (i == 0 or j == 0)):
                    acc[i, j] = cost[i, j]
                else:
                    pick = max(before) if variant == "max" else min(before)
                    acc[i, j] = pick + (0.0 if variant == "no cost" else cost[i, j])
        return acc

    return fn


@pytest.mark.parametrize(
    ("variant", "hint"),
    [
        ("no diagonal", "step diagonally"),
        ("first row not cumulative", "first row and column are cumulative"),
        ("max", "cheapest predecessor (min)"),
        ("no cost", "add the cell's own cost"),
    ],
)
def test_plausible_mistakes_are_rejected_with_their_hint(variant, hint):
    rejected(exercises.check_dtw(wrong(variant)), "3 x 3", hint)


def test_in_place_and_hard_coded_answers_are_rejected():
    def in_place(cost):
        out = by_loops(cost)
        cost[...] = out  # overwrites the caller's matrix
        return out

    report = exercises.check_dtw(in_place)
    rejected(report, "left unchanged", "np.zeros_like(cost)")
    assert "a 3 x 3 cost matrix" not in report.failed  # its values are right

    def square_only(cost):
        out = by_loops(cost[:3, :3])
        return np.pad(out, ((0, cost.shape[0] - 3), (0, cost.shape[1] - 3)))

    report = exercises.check_dtw(square_only)
    rejected(report, "4 x 6")
    rejected(report, "7 x 3")


def test_a_wrong_shape_and_a_value_instead_of_a_function_are_clear_errors():
    rejected(exercises.check_dtw(lambda cost: cost[:-1]), "3 x 3", "cost's shape")
    with pytest.raises(TypeError, match="pass your function itself"):
        exercises.check_dtw(np.zeros((3, 3)))
