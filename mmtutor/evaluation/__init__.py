"""Metrics and analyses of trained models (notebooks 02-04 start it; notebook 14 extends it).

One module per concept; every name is re-exported here (``import mmtutor.evaluation as
ev``; ``ev.accuracy``):

- :mod:`~mmtutor.evaluation.metrics`: predictions, accuracy, macro-F1, confusion
  matrices, per-class reports, per-class means;
- :mod:`~mmtutor.evaluation.stats`: bootstrap intervals (one method, or the paired
  difference of two), mean ± std over seeds;
- :mod:`~mmtutor.evaluation.calibration`: softmax, NLL, reliability curves, ECE,
  temperature scaling;
- :mod:`~mmtutor.evaluation.attribution`: ablation, permutation importance, saliency;
- :mod:`~mmtutor.evaluation.robustness`: corruptions, robustness sweeps and figures.

The encoder-inspection helpers ``receptive_fields``, ``filter_frequency_responses`` and
``nearest_neighbours`` live in :mod:`mmtutor.encoders.inspect`, next to the encoders;
they are re-exported here too, imported on first use (they need Keras, which the rest of
this package does not import).
"""

from __future__ import annotations

import importlib

from mmtutor.evaluation.attribution import (
    ablate,
    modality_ablation,
    permutation_importance,
    saliency,
)
from mmtutor.evaluation.calibration import (
    ece_of_curve,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    reliability_curve,
    softmax,
)
from mmtutor.evaluation.metrics import (
    accuracy,
    confusion_matrix,
    embed,
    macro_f1,
    mean_by_class,
    model_accuracy,
    most_confused_pairs,
    per_class_report,
    predict_classes,
)
from mmtutor.evaluation.retrieval import (
    chance_metrics,
    retrieval_metrics,
    retrieval_ranks,
    retrieval_table,
    same_class,
)
from mmtutor.evaluation.robustness import (
    CORRUPTIONS,
    corrupt,
    effective_robustness,
    relative_robustness,
    robustness_sweep,
    robustness_table,
    snr_db,
)
from mmtutor.evaluation.sequences import (
    alignment_error_ms,
    boundary_error_ms,
    digit_error_rate,
    edit_distance,
    exact_match,
    token_accuracy,
)
from mmtutor.evaluation.stats import (
    bootstrap_ci,
    format_mean_std,
    mean_std,
    paired_bootstrap,
    paired_verdict,
)

__all__ = [
    # metrics
    "predict_classes",
    "model_accuracy",
    "embed",
    "accuracy",
    "macro_f1",
    "confusion_matrix",
    "per_class_report",
    "most_confused_pairs",
    "mean_by_class",
    # stats
    "bootstrap_ci",
    "paired_bootstrap",
    "paired_verdict",
    "mean_std",
    "format_mean_std",
    # calibration
    "softmax",
    "negative_log_likelihood",
    "reliability_curve",
    "ece_of_curve",
    "expected_calibration_error",
    "fit_temperature",
    # attribution
    "ablate",
    "modality_ablation",
    "permutation_importance",
    "saliency",
    # robustness
    "CORRUPTIONS",
    "snr_db",
    "corrupt",
    "robustness_sweep",
    "robustness_table",
    "relative_robustness",
    "effective_robustness",
    # retrieval
    "same_class",
    "retrieval_ranks",
    "retrieval_metrics",
    "chance_metrics",
    "retrieval_table",
    # mmtutor.encoders.inspect
    "receptive_fields",
    "filter_frequency_responses",
    "nearest_neighbours",
    # sequences
    "token_accuracy",
    "exact_match",
    "edit_distance",
    "digit_error_rate",
    "alignment_error_ms",
    "boundary_error_ms",
]

_INSPECT = ("receptive_fields", "filter_frequency_responses", "nearest_neighbours")


def __getattr__(name: str):
    if name in _INSPECT:
        return getattr(importlib.import_module("mmtutor.encoders.inspect"), name)
    raise AttributeError(f"module 'mmtutor.evaluation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_INSPECT))
