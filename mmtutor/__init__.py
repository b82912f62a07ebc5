"""mmtutor: the support package of the deep multimodal learning notebook series.

Submodules are imported lazily (``mmtutor.data``, ``mmtutor.preprocessing``, ...), so
``import mmtutor`` is fast and does not import TensorFlow; ``mmtutor.setup()`` does.
"""

from __future__ import annotations

import importlib

from mmtutor.config import data_home, setup, show_source

__version__ = "0.1.0"
__all__ = [
    "setup",
    "data_home",
    "show_source",
    "__version__",
    *sorted(
        [
            "data",
            "progress",
            "scaling",
            "transfer",
            "translation",
            "alignment",
            "preprocessing",
            "encoders",
            "fusion",
            "models",
            "training",
            "evaluation",
            "exercises",
            "plotting",
            "config",
        ]
    ),
]

_SUBMODULES = {
    "progress",
    "scaling",
    "transfer",
    "translation",
    "alignment",
    "config",
    "data",
    "preprocessing",
    "encoders",
    "fusion",
    "models",
    "training",
    "evaluation",
    "exercises",
    "plotting",
}


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"mmtutor.{name}")
    raise AttributeError(f"module 'mmtutor' has no attribute {name!r}")
