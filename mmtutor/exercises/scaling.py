"""Checker for notebook 16: the per-replica loss of a distributed training step."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mmtutor.exercises.report import CheckReport, close, require_callable, run_checks

__all__ = ["check_replica_loss"]


def check_replica_loss(fn: Callable) -> CheckReport:
    """Notebook 16: ``fn(per_example_loss, global_batch_size)`` is the loss one replica
    returns in a distributed step (what ``tf.nn.compute_average_loss`` computes): the sum
    of its examples' losses divided by the *global* batch size, so that the replicas'
    losses (and gradients), summed by the all-reduce, make the global batch's mean.

    The checker simulates the replicas with NumPy: it splits a global batch, calls ``fn``
    on each part and sums the results, as the all-reduce does; the expected value is the
    mean over the whole batch, computed on the whole batch.

    Example:
        >>> check_replica_loss(lambda loss, n: np.sum(loss) / n).passed
        True
    """
    require_callable(fn, "function")
    rng = np.random.default_rng(0)
    losses = rng.uniform(0.1, 3.0, size=8).astype(np.float32)

    def replicas(parts):
        def run():
            chunks = np.array_split(losses, parts)
            summed = sum(float(np.asarray(fn(chunk, len(losses)))) for chunk in chunks)
            if close(summed, losses.mean()):
                return None
            if close(summed, parts * losses.mean()):
                return (f"the {parts} replicas' losses add up to {parts} times the mean: "
                        "divide by the global batch size, not by the replica's examples")  # fmt: skip
            return f"the replicas' losses add up to {summed:.4f}, expected the mean {losses.mean():.4f}"

        return run

    def scalar():
        out = np.asarray(fn(losses[:4], 8))
        return None if out.shape == () else f"return one number (a scalar), got shape {out.shape}"

    def global_size():
        # the last step of an epoch: a replica holds 3 examples of a global batch of 8
        got = float(np.asarray(fn(losses[:3], 8)))
        if close(got, losses[:3].sum() / 8):
            return None
        return ("divide by the global_batch_size argument even when the replica holds fewer "
                f"examples: got {got:.4f}, expected {losses[:3].sum() / 8:.4f}")  # fmt: skip

    return run_checks("check_replica_loss", [
        ("it returns a scalar", scalar),
        ("one replica: the mean of the batch", replicas(1)),
        ("two replicas: their losses sum to the batch's mean", replicas(2)),
        ("four replicas: their losses sum to the batch's mean", replicas(4)),
        ("a replica with fewer examples divides by the global batch", global_size),
    ])  # fmt: skip
