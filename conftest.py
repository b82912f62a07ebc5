"""Test-suite set-up (repository root, so it applies however pytest is started): the
notebook environment, nbval's stderr rule, and skipping notebooks that need real data.

Every kernel nbval starts inherits this process's environment, so the variables of
``mmtutor.config.NOTEBOOK_ENV`` are set here, before any kernel starts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mmtutor.config import NOTEBOOK_ENV

os.environ.update(NOTEBOOK_ENV)

REPO = Path(__file__).resolve().parent
# Trained models shared by the notebooks of one test run (mmtutor.training.cache): kept in the
# repository (git-ignored), not in the user's cache; keys change with any change of the code.
os.environ.setdefault("MMTUTOR_MODEL_CACHE", str(REPO / ".cache" / "models"))
REAL_DATA_REASON = (
    "needs the real data: set MMTUTOR_DATA to a folder with mnist/t10k-*.gz and "
    "fsdd/recordings/*.wav (CI uses ../shared/data)"
)


def real_data_root() -> Path | None:
    """The folder MMTUTOR_DATA names if it holds the MNIST test split and FSDD, else None.

    A relative path is taken from the repository root (CI's ``../shared/data``), and the
    variable is rewritten as absolute, so notebook kernels (which start in ``notebooks/``)
    find the same folder.
    """
    env = os.environ.get("MMTUTOR_DATA")
    if not env:
        return None
    path = Path(env).expanduser()
    if not path.is_absolute():
        path = (REPO / path) if (REPO / path).exists() else path.resolve()
    ok = (path / "mnist" / "t10k-images-idx3-ubyte.gz").is_file() and (
        path / "fsdd" / "recordings" / "0_george_0.wav"
    ).is_file()
    if ok:
        os.environ["MMTUTOR_DATA"] = str(path.resolve())
    return path.resolve() if ok else None


def _needs_real_data(notebook: Path) -> bool:
    """A notebook marks itself with metadata ``{"mmtutor": {"needs_real_data": true}}``."""
    meta = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    return bool(meta.get("mmtutor", {}).get("needs_real_data", False))


def pytest_collection_modifyitems(config, items):
    # A notebook on real data (15) is re-executed only where the data is; elsewhere each of
    # its cells is skipped with the reason, like the unit tests that need the data.
    have_data = real_data_root() is not None
    checked: dict[Path, bool] = {}
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix != ".ipynb":
            continue
        if path not in checked:
            checked[path] = _needs_real_data(path)
        if checked[path] and not have_data:
            item.add_marker(pytest.mark.skip(reason=REAL_DATA_REASON))


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the Matplotlib figures a test or doctest opened (they are kept until closed)."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def pytest_collectstart(collector):
    # TensorFlow's C++ log lines reach Jupyter's stderr but never nbval's (ipykernel stops
    # capturing process-level stderr under pytest), so stderr is not compared; see
    # nbval's documentation (issue #88). Every other output is.
    if collector.fspath and str(collector.fspath).endswith(".ipynb"):
        collector.skip_compare += ("stderr",)
