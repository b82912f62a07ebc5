"""Mixed precision (notebook 16): build a model under a dtype policy, and see what it changed.

A *mixed* policy keeps every variable in float32 and computes in a 16-bit type:

- ``"mixed_bfloat16"``: bfloat16 has float32's 8 exponent bits (same range, ~1e-38 to
  3e38) and 7 mantissa bits (2-3 significant digits): no loss scaling needed;
- ``"mixed_float16"``: float16 has 10 mantissa bits but 5 exponent bits (largest 65,504,
  smallest normal 6.1e-5): small gradients underflow to 0, so the loss is multiplied by a
  large factor before the gradient and the gradient divided after
  (``keras.optimizers.LossScaleOptimizer``; ``compile`` wraps the optimizer itself).

Keras reads the global policy when a layer is *created*; :func:`dtype_policy` sets it for a
``with`` block and puts the previous one back, so nothing else in the process changes.
"""

from __future__ import annotations

from contextlib import contextmanager

__all__ = ["POLICIES", "dtype_policy", "layer_dtypes"]

#: the policies notebook 16 compares
POLICIES: tuple[str, ...] = ("float32", "mixed_bfloat16", "mixed_float16")


@contextmanager
def dtype_policy(name: str):
    """Build layers under the Keras dtype policy ``name`` inside the ``with`` block.

    Example:
        >>> import keras
        >>> with dtype_policy("mixed_float16"):
        ...     dense = keras.layers.Dense(2)
        >>> dense.dtype_policy.name, keras.config.dtype_policy().name
        ('mixed_float16', 'float32')
    """
    import keras

    known = ("float32", "float16", "bfloat16", "mixed_float16", "mixed_bfloat16")
    if name not in known:
        raise ValueError(f"name must be one of {list(known)}, got {name!r}")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def layer_dtypes(model, names: list[str] | None = None):
    """A table of each layer's policy, variable dtype and compute dtype (``names``: these
    layers only; default: every layer with weights, nested models unrolled).

    Example:
        >>> import keras
        >>> with dtype_policy("mixed_bfloat16"):
        ...     model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> layer_dtypes(model).iloc[0].tolist()
        ['mixed_bfloat16', 'float32', 'bfloat16']
    """
    import pandas as pd

    def walk(layer):
        for inner in getattr(layer, "layers", []):
            yield from walk(inner)
        if not hasattr(layer, "layers"):
            yield layer

    layers = [layer for layer in walk(model) if layer.weights or names]
    if names is not None:
        found = {layer.name: layer for layer in walk(model)}
        unknown = [n for n in names if n not in found]
        if unknown:
            raise ValueError(f"no layer named {unknown} in {model.name}")
        layers = [found[n] for n in names]
    rows = {
        layer.name: {
            "policy": layer.dtype_policy.name,
            "variables": layer.variable_dtype,
            "compute": layer.compute_dtype,
        }
        for layer in layers
    }
    return pd.DataFrame(rows).T.rename_axis("layer")
