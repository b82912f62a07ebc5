"""Test-suite set-up: the notebook environment, and nbval's stderr rule.

Every kernel nbval starts inherits this process's environment, so the variables of
``mmtutor.config.NOTEBOOK_ENV`` are set here, before any kernel starts.
"""

from __future__ import annotations

import os

from mmtutor.config import NOTEBOOK_ENV

os.environ.update(NOTEBOOK_ENV)


def pytest_collectstart(collector):
    # TensorFlow's C++ log lines reach Jupyter's stderr but never nbval's (ipykernel stops
    # capturing process-level stderr under pytest), so stderr is not compared; see
    # nbval's documentation (issue #88). Every other output is.
    if collector.fspath and str(collector.fspath).endswith(".ipynb"):
        collector.skip_compare += ("stderr",)
