"""Reproducible, quiet set-up for every notebook: ``mmtutor.setup(seed=...)``.

Taught in notebook 00. Importing this module (or any module of the package) changes no
process-wide setting: no environment variable, Matplotlib backend or NumPy print option.
Only :func:`setup` does, and it sets TensorFlow's variables before importing TensorFlow,
because TensorFlow reads them once, at import time.
"""

from __future__ import annotations

import inspect
import os
import random
from pathlib import Path

import numpy as np

__all__ = ["setup", "data_home", "show_source", "threads_set", "PLOT_STYLE", "NOTEBOOK_ENV"]

#: Environment under which the stored notebook outputs were produced; the test suite
#: (conftest.py at the repository root) and tools/execute_notebooks.py both start kernels
#: with it.
#: PYTHONHASHSEED must be set before a kernel starts, so it cannot live in setup().
NOTEBOOK_ENV: dict[str, str] = {
    "PYTHONHASHSEED": "0",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "CUDA_VISIBLE_DEVICES": "",
}

#: Matplotlib settings applied by :func:`setup` so that every figure of the series looks alike.
PLOT_STYLE: dict[str, object] = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 90,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": "medium",
    "image.cmap": "viridis",
    "font.size": 10,
}

_THREADS_SET: tuple[int, int] | None = None


def _quiet_env() -> None:
    """Set the variables TensorFlow reads at import time (no effect once it is imported).

    Called by :func:`setup` only, never at import. A variable the user has set is kept.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # oneDNN's custom ops print a notice on import and make float results depend on the
    # processor in the last digits (the losses differ in the 4th decimal). Turning them off
    # costs nothing measurable: training MM-Digits' default audio model for 2 epochs took
    # 2.5 s off vs 2.4 s on, ratio 0.99-1.05 over two runs on the 2-core CPU of the stored
    # outputs (benchmarks/onednn_cost.py).
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def data_home() -> Path:
    """The folder the real-data loaders download into: ``$MMTUTOR_CACHE`` or ``~/.cache/mmtutor``.

    The one definition of the cache, used by every loader of :mod:`mmtutor.data`. Loaders
    *read* first from the folder named by ``$MMTUTOR_DATA`` (a copy you made, never written
    to), then from this one, and download into this one (see :mod:`mmtutor.data.download`).

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict("os.environ", {"MMTUTOR_CACHE": "/srv/mmtutor-cache"}):
        ...     print(data_home())
        /srv/mmtutor-cache
        >>> with mock.patch.dict("os.environ", {"HOME": "/home/ada"}, clear=True):
        ...     print(data_home())
        /home/ada/.cache/mmtutor
    """
    env = os.environ.get("MMTUTOR_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mmtutor"


def threads_set() -> tuple[int, int] | None:
    """TensorFlow's (intra-op, inter-op) thread counts as :func:`setup` set them, or None
    before the first call (part of what determines a training's result bit for bit).

    Example:
        >>> threads_set() is None or len(threads_set()) == 2
        True
    """
    return _THREADS_SET


def setup(seed: int = 0, threads: int = 2, plot_style: bool = True, verbose: bool = True) -> None:
    """Make a notebook reproducible and quiet; call once, right after the imports.

    Sets TensorFlow's log variables (before importing it), seeds Python, NumPy and
    TensorFlow (``keras.utils.set_random_seed``), turns on op determinism, fixes the
    intra-/inter-op thread counts, silences absl warnings, sets NumPy print options and
    the series' plot style, then prints one line saying what it set.

    Args:
        seed: non-negative integer seed for every random generator.
        threads: threads for TensorFlow's intra- and inter-op pools (1-64). Thread counts
            can only be set before TensorFlow runs its first op; calling ``setup`` again
            later with another count raises ``RuntimeError``.
        plot_style: apply :data:`PLOT_STYLE` to Matplotlib.
        verbose: print the one-line summary.

    Example:
        >>> import mmtutor
        >>> mmtutor.setup(seed=0)  # doctest: +SKIP
        mmtutor.setup: seed=0, op determinism on, threads 2/2, TF logs quiet, plot style set
    """
    global _THREADS_SET
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 64:
        raise ValueError(f"threads must be an integer in [1, 64], got {threads!r}")
    seed = int(seed)
    _quiet_env()

    import absl.logging
    import keras
    import tensorflow as tf

    absl.logging.set_verbosity(absl.logging.ERROR)
    tf.get_logger().setLevel("ERROR")
    if _THREADS_SET != (threads, threads):
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError as exc:
            raise RuntimeError(
                f"threads={threads} must be set before TensorFlow runs its first op; "
                f"call mmtutor.setup() before building any model (TensorFlow said: {exc})"
            ) from None
        _THREADS_SET = (threads, threads)
    random.seed(seed)
    keras.utils.set_random_seed(seed)  # Python, NumPy's global state and TensorFlow
    tf.config.experimental.enable_op_determinism()
    np.set_printoptions(precision=4, suppress=True)
    if plot_style:
        import matplotlib as mpl

        mpl.rcParams.update(PLOT_STYLE)
    if verbose:
        print(
            f"mmtutor.setup: seed={seed}, op determinism on, threads {threads}/{threads}, "
            f"TF logs quiet{', plot style set' if plot_style else ''}"
        )


def show_source(obj: object) -> None:
    """Print the source code of a function or class of the package, to read it in a notebook.

    Example:
        >>> from mmtutor import show_source
        >>> show_source(data_home)  # doctest: +ELLIPSIS
        def data_home() -> Path:
        ...
    """
    try:
        source = inspect.getsource(obj)  # type: ignore[arg-type]
    except (TypeError, OSError):
        raise TypeError(
            f"show_source expects a function, class or module defined in Python, "
            f"got {type(obj).__name__}"
        ) from None
    print(source.rstrip("\n"))
