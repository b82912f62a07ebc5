"""Training helpers: compile and fit classifiers, compare them under one protocol, the
frozen-encoder protocol of the fusion chapters, and classical stacking.

- :mod:`~mmtutor.training.fit`: :func:`train_and_evaluate` -> :class:`TrainResult`,
  :class:`Restartable` (one compiled model trained once per seed, traced once);
- :mod:`~mmtutor.training.compare`: :func:`compare_models` (seeds, ablations),
  :func:`compare_paired`, :func:`compare_encoders`, :func:`unimodal_baselines`,
  :func:`train_seeds`;
- :mod:`~mmtutor.training.frozen`: :data:`FROZEN_PROTOCOL`, :func:`embed_splits`,
  :func:`compare_frozen_fusion`, :func:`frozen_ablation`, :func:`frozen_robustness`;
- :mod:`~mmtutor.training.stacking`: :func:`fit_stacking`.
"""

from mmtutor.training.compare import (
    compare_encoders,
    compare_models,
    compare_paired,
    train_seeds,
    unimodal_baselines,
)
from mmtutor.training.fit import (
    Restartable,
    TrainResult,
    compile_classifier,
    fit_and_test,
    format_seconds,
    train_and_evaluate,
)
from mmtutor.training.frozen import (
    FROZEN_PROTOCOL,
    compare_frozen_fusion,
    embed_splits,
    frozen_ablation,
    frozen_robustness,
)
from mmtutor.training.stacking import Stacking, fit_stacking

__all__ = [
    "FROZEN_PROTOCOL",
    "Restartable",
    "Stacking",
    "TrainResult",
    "compare_encoders",
    "compare_frozen_fusion",
    "compare_models",
    "compare_paired",
    "compile_classifier",
    "embed_splits",
    "fit_and_test",
    "fit_stacking",
    "format_seconds",
    "frozen_ablation",
    "frozen_robustness",
    "train_and_evaluate",
    "train_seeds",
    "unimodal_baselines",
]
