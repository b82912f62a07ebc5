"""Checkers for notebook 10: contrastive losses written by the learner."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mmtutor.exercises.report import CheckReport, close, require_callable, run_checks

__all__ = ["check_siglip_loss"]


def _siglip_reference(z_a, z_b, temperature: float, bias: float, signs=None) -> float:
    """SigLIP written out with NumPy (Zhai et al., 2023, algorithm 1): label +1 on the
    diagonal, -1 elsewhere, ``-sum log sigmoid(label * (<a_i, b_j> / t + bias)) / n``, with
    ``log sigmoid(x) = -log(1 + exp(-x))`` computed by ``np.logaddexp``."""
    n = len(z_a)
    logits = z_a @ z_b.T / temperature + bias
    signs = 2.0 * np.eye(n) - 1.0 if signs is None else signs
    return float(np.sum(np.logaddexp(0.0, -signs * logits)) / n)


def _unit(rng, n: int, d: int) -> np.ndarray:
    z = rng.normal(size=(n, d))
    return z / np.linalg.norm(z, axis=1, keepdims=True)


def check_siglip_loss(fn: Callable) -> CheckReport:
    """Notebook 10: ``fn(z_a, z_b, temperature, bias)`` is the SigLIP loss of a batch of n
    paired, unit-length embeddings (NumPy arrays (n, d)), returned as a float:

    ``-1/n sum_i sum_j log sigmoid(label_ij * (<a_i, b_j> / temperature + bias))``, with
    ``label_ij = +1`` if ``i == j`` (a pair) and ``-1`` otherwise.

    The expected values are computed here with NumPy from that formula, never from ``fn``.

    Example:
        >>> report = check_siglip_loss(lambda z_a, z_b, temperature, bias: 0.0)  # a stub
        >>> report.passed, report.failed[0]
        (False, 'the SigLIP loss of a batch of 6 pairs')
    """
    require_callable(fn, "function")
    rng = np.random.default_rng(0)
    z_a, z_b = _unit(rng, 6, 4), _unit(rng, 6, 4)
    t, b = 0.5, -2.0
    n = len(z_a)
    expected = _siglip_reference(z_a, z_b, t, b)

    def value(a=z_a, bb=z_b, temperature=t, bias=b):
        got = fn(a.copy(), bb.copy(), temperature, bias)
        got = np.asarray(got, dtype=float)
        if got.shape not in ((), (1,)):
            raise ValueError(
                f"return one number (the batch's loss), got an array of shape {got.shape}"
            )
        return float(got.reshape(()))

    def formula():
        got = value()
        if close(got, expected, 1e-4):
            return None
        if close(got, expected * n / n**2, 1e-4):
            return "divide the sum over the n * n pairs by n, the batch size (not by n * n)"
        if close(got, _siglip_reference(z_a, z_b, t, 0.0), 1e-4):
            return "add the bias to every logit: <a_i, b_j> / temperature + bias"
        if close(got, _siglip_reference(z_a, z_b, 1.0 / t, b), 1e-4):
            return "divide the similarities by the temperature (you multiplied)"
        if close(got, _siglip_reference(z_a, z_b, t, b, signs=np.ones((n, n))), 1e-4):
            return "the labels are +1 on the diagonal (pairs) and -1 everywhere else"
        if close(got, _siglip_reference(z_a, z_b, t, b, signs=-(2.0 * np.eye(n) - 1.0)), 1e-4):
            return "the signs are swapped: +1 for the pairs (diagonal), -1 for the others"
        return (f"got {got:.4f}, expected {expected:.4f}: logits = z_a @ z_b.T / temperature + "
                "bias, then -sum(log sigmoid(labels * logits)) / n")  # fmt: skip

    def pairs_matter():
        order = np.roll(np.arange(n), 1)  # b shifted: no example sits with its pair any more
        shuffled = _siglip_reference(z_a, z_b[order], t, b)
        got = value(bb=z_b[order])
        if close(got, shuffled, 1e-4):
            return None
        return (f"with b shifted by one row (no example next to its pair) the loss is "
                f"{shuffled:.4f}, you return {got:.4f}: the pairs are (a_i, b_i), row i and "
                "column i")  # fmt: skip

    def other_batch():
        a, bb = _unit(rng, 9, 3), _unit(rng, 9, 3)
        got = value(a, bb, 0.1, -5.0)
        want = _siglip_reference(a, bb, 0.1, -5.0)
        if close(got, want, 1e-4):
            return None
        return (f"a batch of 9 pairs in 3-d, temperature 0.1, bias -5 gives {want:.4f}, you "
                f"return {got:.4f}: compute everything from the arguments, do not hard-code a "
                "size")  # fmt: skip

    def stable():
        # every pair points the opposite way: with temperature 0.001 the diagonal logits are
        # -1 / 0.001 - 10 = -1010, and exp(1010) overflows even in float64
        a, bb = np.eye(4), -np.eye(4)
        got = value(a, bb, 0.001, -10.0)
        want = _siglip_reference(a, bb, 0.001, -10.0)
        if not np.isfinite(got) or not close(got, want, 1e-3):
            return ("with temperature 0.001 the logits reach -1010 and exp(1010) overflows: "
                    "compute log sigmoid(x) as -np.logaddexp(0, -x)")  # fmt: skip
        return None

    return run_checks("check_siglip_loss", [
        ("the SigLIP loss of a batch of 6 pairs", formula),
        ("the pairs are on the diagonal", pairs_matter),
        ("any batch size, embedding size, temperature and bias", other_batch),
        ("very confident logits give a finite loss", stable),
    ])  # fmt: skip
