"""mmtutor.evaluation.sequences: token accuracy and exact match on hand-computed cases, the
edit distance against known cases, a brute-force recursion and TensorFlow's
``tf.edit_distance``, the digit error rate, and the alignment errors in milliseconds."""

import functools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mmtutor import evaluation as ev  # noqa: E402
from mmtutor.evaluation.sequences import (  # noqa: E402
    alignment_error_ms,
    boundary_error_ms,
    digit_error_rate,
    edit_distance,
    exact_match,
    token_accuracy,
)


# ------------------------------------------------------------------ token accuracy, exact match
def test_token_accuracy_counts_reference_positions():
    refs = [["an", "odd", "number"], ["an", "even"], ["one"]]
    hyps = [["an", "even", "number", "and"], ["an"], ["two", "one"]]
    # right: an, number (2 of 3); an (1 of 2); nothing (0 of 1) -> 3 of 6
    assert token_accuracy(refs, hyps) == pytest.approx(3 / 6)
    assert token_accuracy(refs, refs) == 1.0
    assert token_accuracy([[1, 2]], [[]]) == 0.0


def test_exact_match_needs_the_same_tokens_and_length():
    assert exact_match([[4, 0, 7], [1, 2], [3]], [[4, 0, 7], [1, 2, 2], [3]]) == pytest.approx(
        2 / 3
    )
    assert exact_match([np.array([1, 2])], [[1, 2]]) == 1.0  # arrays and lists compare alike
    assert exact_match([["a"]], [["b"]]) == 0.0


@pytest.mark.parametrize("metric", [token_accuracy, exact_match, digit_error_rate])
def test_pair_metrics_reject_bad_input(metric):
    with pytest.raises(ValueError, match="of one length"):
        metric([[1]], [[1], [2]])
    with pytest.raises(ValueError, match="not a string"):
        metric(["ab"], [["a", "b"]])
    with pytest.raises(ValueError, match="non-empty lists"):
        metric([], [])


# ------------------------------------------------------------------ edit distance
@pytest.mark.parametrize(
    ("reference", "hypothesis", "distance"),
    [
        ("kitten", "sitting", 3),  # the textbook case: 2 substitutions, 1 insertion
        ("flaw", "lawn", 2),
        ("", "abc", 3),
        ("abc", "", 3),
        ("", "", 0),
        ([4, 0, 7, 1], [4, 0, 7, 1], 0),
        ([4, 0, 7, 1], [4, 7, 1, 1], 2),
        ([1, 2, 3], [3, 2, 1], 2),
    ],
)
def test_edit_distance_known_cases(reference, hypothesis, distance):
    assert edit_distance(reference, hypothesis) == distance


def levenshtein_by_recursion(a, b):
    """The definition, recursively: the last token matches, or is substituted, deleted or
    inserted."""

    @functools.cache
    def d(i, j):
        if i == 0 or j == 0:
            return i + j
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))

    return d(len(a), len(b))


def test_edit_distance_matches_a_recursion_and_tensorflow():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    for _ in range(40):
        a = tuple(rng.integers(0, 4, size=rng.integers(1, 8)).tolist())
        b = tuple(rng.integers(0, 4, size=rng.integers(1, 8)).tolist())
        expected = levenshtein_by_recursion(a, b)
        assert edit_distance(a, b) == expected
        sparse = [tf.sparse.from_dense(tf.constant([list(s)], tf.int64) + 1) for s in (b, a)]
        tf_distance = tf.edit_distance(sparse[0], sparse[1], normalize=False).numpy()[0]
        assert edit_distance(a, b) == int(tf_distance)


def test_edit_distance_is_symmetric_and_bounded():
    rng = np.random.default_rng(1)
    for _ in range(20):
        a, b = rng.integers(0, 3, size=5).tolist(), rng.integers(0, 3, size=7).tolist()
        assert edit_distance(a, b) == edit_distance(b, a)
        assert 7 - 5 <= edit_distance(a, b) <= 7


def test_edit_distance_rejects_non_sequences():
    with pytest.raises(ValueError, match="reference must be a sequence"):
        edit_distance(3, [1])


# ------------------------------------------------------------------ digit error rate
def test_digit_error_rate_is_total_edits_over_reference_digits():
    refs = [[4, 0, 7, 1], [2, 2], [9]]
    hyps = [[4, 7, 1, 1], [2, 2], [9, 9, 9]]
    assert digit_error_rate(refs, hyps) == pytest.approx((2 + 0 + 2) / 7)
    assert digit_error_rate([[1]], [[2, 3, 4]]) == 3.0  # insertions can push it past 1
    assert digit_error_rate(refs, refs) == 0.0
    with pytest.raises(ValueError, match="no digit"):
        digit_error_rate([[]], [[1]])


# ------------------------------------------------------------------ alignment errors
def test_alignment_error_is_the_distance_to_the_true_span():
    times = [0.25, 0.70, 0.05, np.nan]
    starts = [0.10, 0.50, 0.10, 0.20]
    ends = [0.40, 0.60, 0.30, 0.30]
    # inside (0 ms), 100 ms after the end, 50 ms before the start; the NaN is skipped
    assert alignment_error_ms(times, starts, ends) == pytest.approx(50.0)
    grid = np.array([[0.25, np.nan], [0.70, 0.05]])
    assert alignment_error_ms(grid, [[0.1, 0.2], [0.5, 0.1]], [[0.4, 0.3], [0.6, 0.3]]) == \
        pytest.approx(50.0)  # fmt: skip


def test_boundary_error_is_the_mean_absolute_difference():
    assert boundary_error_ms([0.12, 0.50, np.nan], [0.10, 0.56, 0.90]) == pytest.approx(40.0)
    assert boundary_error_ms([1.0], [1.0]) == 0.0


def test_alignment_errors_reject_bad_input():
    with pytest.raises(ValueError, match="one shape"):
        alignment_error_ms([0.1, 0.2], [0.0], [0.3])
    with pytest.raises(ValueError, match="no position has a finite value"):
        boundary_error_ms([np.nan], [0.1])
    with pytest.raises(ValueError, match="end must be at or after its start"):
        alignment_error_ms([0.1], [0.3], [0.2])


def test_the_metrics_are_exported_by_mmtutor_evaluation():
    for name in ("token_accuracy", "exact_match", "edit_distance", "digit_error_rate",
                 "alignment_error_ms", "boundary_error_ms"):  # fmt: skip
        assert name in ev.__all__ and callable(getattr(ev, name))
