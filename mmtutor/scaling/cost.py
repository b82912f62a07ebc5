"""What a model costs (notebook 16): floating-point operations from TensorFlow's profiler,
and the Pareto front of accuracy against cost."""

from __future__ import annotations

import numpy as np

__all__ = ["count_flops", "pareto_front"]


def count_flops(model, batch_size: int = 1) -> int:
    """Floating-point operations of one forward pass of ``model`` on a batch of
    ``batch_size``, counted by TensorFlow's profiler (``tf.compat.v1.profiler``, option
    ``float_operation``) on the graph of ``model(x, training=False)``.

    The profiler counts each op from its registered statistics and the shapes in the graph:
    a matrix product ``(b, n) @ (n, m)`` is ``2 b n m`` (a multiply and an add per term), a
    convolution likewise per output value, an element-wise op one per value. Ops without a
    registered count (FFTs, string ops, lookups) count 0, so the log-mel front end's STFT
    and the text vectorizer are left out.

    Example:
        >>> import keras
        >>> dense = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4)])
        >>> count_flops(dense)  # 2 * 8 * 4 for the product + 4 for the bias
        68
    """
    import tensorflow as tf

    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not getattr(model, "inputs", None):
        raise ValueError(f"model must be a built Keras model with inputs, got {model!r:.60}")
    specs = {t.name: tf.TensorSpec((batch_size, *t.shape[1:]), t.dtype) for t in model.inputs}
    try:
        as_dict = isinstance(model.input, dict)
    except AttributeError:  # a Sequential model has no .input until it is called
        as_dict = False
    arg = specs if as_dict else (
        list(specs.values()) if len(specs) > 1 else next(iter(specs.values())))  # fmt: skip
    graph = tf.function(lambda x: model(x, training=False)).get_concrete_function(arg).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return int(tf.compat.v1.profiler.profile(graph=graph, options=options).total_float_ops)


def pareto_front(costs, scores) -> np.ndarray:
    """Indices of the points no other point beats: a point is on the front when no other
    costs less or the same *and* scores higher or the same, with one of the two strict.
    Sorted by cost. Written out here (a few lines of NumPy) because notebook 16 teaches it.

    Example:
        >>> pareto_front([1, 2, 3, 4], [0.90, 0.95, 0.94, 0.96]).tolist()
        [0, 1, 3]
    """
    costs, scores = np.asarray(costs, float), np.asarray(scores, float)
    if costs.shape != scores.shape or costs.ndim != 1 or len(costs) == 0:
        raise ValueError(
            f"costs and scores must be 1-D of one length, got shapes {costs.shape} and {scores.shape}"
        )
    if not (np.all(np.isfinite(costs)) and np.all(np.isfinite(scores))):
        raise ValueError("costs and scores must be finite")
    dominated = [
        bool(np.any((costs <= c) & (scores >= s) & ((costs < c) | (scores > s))))
        for c, s in zip(costs, scores, strict=True)
    ]
    front = np.flatnonzero(~np.asarray(dominated))
    return front[np.argsort(costs[front], kind="stable")]
