"""Checkers for the learners' own code: each notebook's "Your turn" exercise calls one.

A checker runs the learner's function (or layer class) on real cases and returns a
:class:`CheckReport`: one line per case, ``PASS`` or ``FAIL`` with a hint, so a learner
sees what works and what to look at next. The expected answers come from the package's own
tested functions, from NumPy/scikit-learn, or from a formula written out in the checker;
never from the learner's code. In a notebook, end the cell with the call to display the
report; in a script, ``print`` it; ``bool(report)`` is True when every case passed.

Example:
    >>> import numpy as np
    >>> report = check_peak_normalize(lambda w, peak=0.9: w / np.abs(w).max() * peak)
    >>> report.passed, report.failed[0]
    (False, 'a silent clip stays silent (all zeros, no NaN)')
"""

from __future__ import annotations

from mmtutor.exercises.alignment import check_siglip_loss
from mmtutor.exercises.basics import (
    check_add_noise_at_snr,
    check_grouped_split,
    check_masked_mean,
    check_peak_normalize,
    check_receptive_field,
)
from mmtutor.exercises.fusion import (
    check_attention,
    check_concat_layer,
    check_mean_of_probabilities,
    check_outer_product_fusion,
    check_xor_data,
)
from mmtutor.exercises.report import CheckReport, run_checks
from mmtutor.exercises.robustness import (
    check_drop_mask,
    check_expected_calibration_error,
    check_time_mask,
)
from mmtutor.exercises.scaling import check_replica_loss
from mmtutor.exercises.transfer import check_distillation_loss
from mmtutor.exercises.translation import check_dtw

__all__ = [
    "CheckReport",
    "check_add_noise_at_snr",
    "check_attention",
    "check_concat_layer",
    "check_distillation_loss",
    "check_drop_mask",
    "check_expected_calibration_error",
    "check_grouped_split",
    "check_masked_mean",
    "check_mean_of_probabilities",
    "check_outer_product_fusion",
    "check_peak_normalize",
    "check_receptive_field",
    "check_replica_loss",
    "check_siglip_loss",
    "check_time_mask",
    "check_xor_data",
    "run_checks",
    "check_dtw",
]
