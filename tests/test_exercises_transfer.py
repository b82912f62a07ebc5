"""check_distillation_loss (notebook 12) accepts a right answer and rejects the plausible
wrong ones its hints are written for."""

import math

import numpy as np
import pytest
from exercise_reports import accepted, rejected

from mmtutor import exercises


def log_softmax_row(z):
    m = max(z)
    log_total = m + math.log(sum(math.exp(v - m) for v in z))
    return [v - log_total for v in z]


def loop_answer(labels, s, t, temperature, alpha, soft="kl", squared=True, swap=False, stable=True):
    """A right answer written independently of the checker (loops, the math module), and
    the wrong variants the hints name."""
    total = 0.0
    for y, srow, trow in zip(labels, s, t, strict=True):
        if stable:
            log_s1 = log_softmax_row(list(srow))
            log_t = log_softmax_row([v / temperature for v in trow])
            log_s = log_softmax_row([v / temperature for v in srow])
        else:  # exp() of the raw logits
            e = [math.exp(v) for v in srow]
            log_s1 = [math.log(v / sum(e)) for v in e]
            et = [math.exp(v / temperature) for v in trow]
            log_t = [math.log(v / sum(et)) for v in et]
            es = [math.exp(v / temperature) for v in srow]
            log_s = [math.log(v / sum(es)) for v in es]
        hard = -log_s1[int(y)]
        if soft == "ce":
            kl = -sum(math.exp(a) * b for a, b in zip(log_t, log_s, strict=True))
        elif soft == "reversed":
            kl = sum(math.exp(b) * (b - a) for a, b in zip(log_t, log_s, strict=True))
        else:
            kl = sum(math.exp(a) * (a - b) for a, b in zip(log_t, log_s, strict=True))
        kl *= temperature**2 if squared else 1.0
        a = 1 - alpha if swap else alpha
        total += a * hard + (1 - a) * kl
    return total / len(labels)


def test_a_right_answer_passes():
    accepted(exercises.check_distillation_loss(loop_answer))


def test_the_stub_fails_with_a_hint():
    rejected(exercises.check_distillation_loss(lambda y, s, t, temperature, alpha: 0.0),
             "batch of 5 examples", "expected")  # fmt: skip


@pytest.mark.parametrize(
    ("options", "hint"),
    [
        ({"squared": False}, "multiply the soft term by T ** 2"),
        ({"soft": "ce"}, "use the KL divergence, not the cross-entropy"),
        ({"soft": "reversed"}, "KL(teacher || student)"),
        ({"swap": True}, "alpha weighs the hard (label) term"),
    ],
)
def test_plausible_mistakes_are_rejected_with_their_hint(options, hint):
    def wrong(y, s, t, temperature, alpha):
        return loop_answer(y, s, t, temperature, alpha, **options)

    rejected(exercises.check_distillation_loss(wrong), "batch of 5 examples", hint)


def test_an_unstable_answer_fails_only_the_large_logits_case():
    def unstable(y, s, t, temperature, alpha):
        try:
            return loop_answer(y, s, t, temperature, alpha, stable=False)
        except (OverflowError, ValueError, ZeroDivisionError):
            return float("nan")

    report = exercises.check_distillation_loss(unstable)
    rejected(report, "large logits", "log-softmax")
    assert report.failed == ["large logits (1000) give a finite loss"]


def test_a_hard_coded_size_fails():
    first = []

    def hard_coded(y, s, t, temperature, alpha):  # right for the first case's batch only
        first.append(first[0] if first else loop_answer(y, s, t, 4.0, 0.3))
        return first[-1]

    rejected(exercises.check_distillation_loss(hard_coded), "any batch size", "do not hard-code")


def test_passing_a_value_instead_of_the_function_is_a_clear_error():
    with pytest.raises(TypeError, match="pass your function itself"):
        exercises.check_distillation_loss(0.5)
    with pytest.raises(TypeError, match="pass your function itself"):
        exercises.check_distillation_loss(np.zeros(3))
