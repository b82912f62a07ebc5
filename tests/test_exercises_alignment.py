"""check_siglip_loss (notebook 10) accepts a right answer and rejects the plausible wrong
ones its hints are written for."""

import numpy as np
import pytest
from exercise_reports import accepted, rejected

from mmtutor import exercises


def siglip(z_a, z_b, temperature, bias):
    """A right answer, written independently of the checker: loops over the pairs."""
    n = len(z_a)
    total = 0.0
    for i in range(n):
        for j in range(n):
            x = (1.0 if i == j else -1.0) * (float(np.dot(z_a[i], z_b[j])) / temperature + bias)
            total += max(-x, 0.0) + np.log1p(np.exp(-abs(x)))  # -log sigmoid(x), stably
    return total / n


def test_a_right_answer_passes():
    accepted(exercises.check_siglip_loss(siglip))

    def vectorised(z_a, z_b, temperature, bias):
        logits = z_a @ z_b.T / temperature + bias
        labels = 2 * np.eye(len(z_a)) - 1
        return np.sum(np.logaddexp(0, -labels * logits)) / len(z_a)

    accepted(exercises.check_siglip_loss(vectorised))


def test_the_stub_fails_with_a_hint():
    rejected(exercises.check_siglip_loss(lambda z_a, z_b, t, b: 0.0), "batch of 6 pairs",
             "expected")  # fmt: skip


def test_plausible_mistakes_are_rejected_with_their_hint():
    def mean_over_pairs(z_a, z_b, t, b):  # divides by n * n
        return siglip(z_a, z_b, t, b) / len(z_a)

    rejected(exercises.check_siglip_loss(mean_over_pairs), "batch of 6 pairs", "not by n * n")
    rejected(exercises.check_siglip_loss(lambda a, c, t, b: siglip(a, c, t, 0.0)),
             "batch of 6 pairs", "add the bias")  # fmt: skip
    rejected(exercises.check_siglip_loss(lambda a, c, t, b: siglip(a, c, 1.0 / t, b)),
             "batch of 6 pairs", "you multiplied")  # fmt: skip

    def all_positive(z_a, z_b, t, b):
        logits = z_a @ z_b.T / t + b
        return np.sum(np.logaddexp(0, -logits)) / len(z_a)

    rejected(exercises.check_siglip_loss(all_positive), "batch of 6 pairs", "-1 everywhere else")

    def unstable(z_a, z_b, t, b):
        logits = z_a @ z_b.T / t + b
        labels = 2 * np.eye(len(z_a)) - 1
        return -np.sum(np.log(1.0 / (1.0 + np.exp(-labels * logits)))) / len(z_a)

    report = exercises.check_siglip_loss(unstable)
    rejected(report, "finite loss", "np.logaddexp")
    assert "batch of 6 pairs" not in report.failed  # right on tame logits

    def hard_coded(z_a, z_b, t, b):
        return siglip(z_a[:6], z_b[:6], 0.5, -2.0)  # the first case's batch and options

    rejected(exercises.check_siglip_loss(hard_coded), "any batch size", "do not hard-code a size")


def test_passing_a_value_instead_of_the_function_is_a_clear_error():
    with pytest.raises(TypeError, match="pass your function itself"):
        exercises.check_siglip_loss(0.5)
