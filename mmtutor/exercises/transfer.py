"""Checkers for notebook 12: the distillation loss written by the learner."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import log_softmax

from mmtutor.exercises.report import CheckReport, close, require_callable, run_checks

__all__ = ["check_distillation_loss"]


def _reference(labels, s, t, temperature, alpha, soft="kl", squared=True, hard_weight=None):
    """Hinton et al. (2015), written out with SciPy's log-softmax: the batch mean of
    ``alpha * CE(y, softmax(s)) + (1 - alpha) * T^2 * KL(softmax(t/T) || softmax(s/T))``.

    The keyword arguments build the plausible wrong versions the hints are for: ``soft``
    ``"ce"`` (cross-entropy with the soft targets instead of the KL divergence),
    ``"reversed"`` (KL the other way round), ``"no_t_student"`` (the student's softmax
    without the temperature); ``squared=False`` (no ``T^2``); ``hard_weight`` (the weight of
    the hard term, to swap ``alpha`` and ``1 - alpha``)."""
    n = len(labels)
    hard = -log_softmax(s, axis=1)[np.arange(n), labels]
    log_t = log_softmax(t / temperature, axis=1)
    log_s = log_softmax(s / (1.0 if soft == "no_t_student" else temperature), axis=1)
    if soft == "ce":
        per = -np.sum(np.exp(log_t) * log_s, axis=1)
    elif soft == "reversed":
        per = np.sum(np.exp(log_s) * (log_s - log_t), axis=1)
    else:
        per = np.sum(np.exp(log_t) * (log_t - log_s), axis=1)
    per = per * (temperature**2 if squared else 1.0)
    a = alpha if hard_weight is None else hard_weight
    return float(np.mean(a * hard + (1.0 - a) * per))


def check_distillation_loss(fn: Callable) -> CheckReport:
    """Notebook 12: ``fn(labels, student_logits, teacher_logits, temperature, alpha)`` is the
    distillation loss of Hinton et al. (2015), the mean over the batch of

    ``alpha * CE(labels, softmax(s)) + (1 - alpha) * T**2 * KL(softmax(t / T) || softmax(s / T))``

    for NumPy arrays: ``labels`` (n,) integers, logits (n, classes). The expected values are
    computed here with SciPy's ``log_softmax``, never from ``fn``.

    Example:
        >>> report = check_distillation_loss(lambda y, s, t, temperature, alpha: 0.0)  # a stub
        >>> report.passed, report.failed[0]
        (False, 'the loss of a batch of 5 examples, T = 4, alpha = 0.3')
    """
    require_callable(fn, "function")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 5)
    s, t = rng.normal(size=(5, 4)) * 2, rng.normal(size=(5, 4)) * 2
    temperature, alpha = 4.0, 0.3
    expected = _reference(labels, s, t, temperature, alpha)

    def value(y=labels, student=s, teacher=t, temp=temperature, a=alpha):
        got = np.asarray(fn(y.copy(), student.copy(), teacher.copy(), temp, a), dtype=float)
        if got.shape not in ((), (1,)):
            raise ValueError(
                f"return one number (the batch mean), got an array of shape {got.shape}"
            )
        return float(got.reshape(()))

    def formula():
        got = value()
        if close(got, expected, 1e-4):
            return None
        wrong = {
            "multiply the soft term by T ** 2 (Hinton et al.: its gradients shrink as 1 / T ** 2)":
                {"squared": False},
            "use the KL divergence, not the cross-entropy with the soft targets (they differ by "
            "the teacher's entropy, so a student equal to its teacher would not score 0)":
                {"soft": "ce"},
            "KL(teacher || student): the teacher's probabilities weigh the log-ratio, "
            "sum p_t * (log p_t - log p_s)": {"soft": "reversed"},
            "divide the student's logits by T too in the soft term": {"soft": "no_t_student"},
            "alpha weighs the hard (label) term, 1 - alpha the soft one": {"hard_weight": 1 - alpha},
        }  # fmt: skip
        for hint, options in wrong.items():
            if close(got, _reference(labels, s, t, temperature, alpha, **options), 1e-4):
                return hint
        return (f"got {got:.4f}, expected {expected:.4f}: mean of alpha * hard + (1 - alpha) * "
                "T ** 2 * KL(softmax(t / T) || softmax(s / T))")  # fmt: skip

    def reduces_to_cross_entropy():
        hard_teacher = 50.0 * np.eye(4)[labels]  # one-hot after the softmax
        want = float(np.mean(-log_softmax(s, axis=1)[np.arange(5), labels]))
        got = value(teacher=hard_teacher, temp=1.0, a=0.5)
        if close(got, want, 1e-4):
            return None
        return (f"with T = 1 and a one-hot teacher both terms are the cross-entropy ({want:.4f}); "
                f"you return {got:.4f}")  # fmt: skip

    def other_batch():
        y = rng.integers(0, 7, 9)
        a, b = rng.normal(size=(9, 7)), rng.normal(size=(9, 7))
        want = _reference(y, a, b, 2.0, 0.8)
        got = value(y, a, b, 2.0, 0.8)
        if close(got, want, 1e-4):
            return None
        return (f"9 examples, 7 classes, T = 2, alpha = 0.8 give {want:.4f}, you return {got:.4f}: "
                "compute everything from the arguments, do not hard-code a size")  # fmt: skip

    def stable():
        big_s = np.array([[1000.0, 0.0, -1000.0]])
        big_t = np.array([[0.0, 1000.0, 0.0]])
        want = _reference(np.array([0]), big_s, big_t, 2.0, 0.5)
        got = value(np.array([0]), big_s, big_t, 2.0, 0.5)
        if np.isfinite(got) and close(got, want, 1e-3):
            return None
        return ("logits of 1000 overflow exp(): use a log-softmax (scipy.special.log_softmax, "
                "or subtract each row's maximum first)")  # fmt: skip

    return run_checks("check_distillation_loss", [
        ("the loss of a batch of 5 examples, T = 4, alpha = 0.3", formula),
        ("T = 1 with a one-hot teacher gives the cross-entropy", reduces_to_cross_entropy),
        ("any batch size, number of classes, T and alpha", other_batch),
        ("large logits (1000) give a finite loss", stable),
    ])  # fmt: skip
