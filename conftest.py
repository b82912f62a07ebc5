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
# MM-Digits as load_mmdigits builds it, built once per argument set for the whole run
# (mmtutor.data.cache; off outside the test suite, where notebooks build their data).
os.environ.setdefault("MMTUTOR_DATASET_CACHE", str(REPO / ".cache" / "datasets"))
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


#: Seconds the slowest test files took (``pytest -n 3 --dist loadfile --durations=0`` here on
#: the quiet 2-core CPU, an empty model cache, summed per file).
#: Used only to ORDER the files for the xdist
#: workers, longest first, so that no long file starts last; only the order matters, and a
#: stale or missing entry makes the order less good, never a result different. Files not
#: listed (the other unit tests, the doctests) took under 3 s each.
SLOW_FILES: dict[str, float] = {
    "notebooks/12_transfer_multitask_colearning.ipynb": 160,
    "notebooks/11_translation_generation_alignment.ipynb": 155,
    "notebooks/16_scaling_deployment.ipynb": 138,
    "notebooks/15_capstone_real_data.ipynb": 126,
    "notebooks/06_late_fusion.ipynb": 78,
    "notebooks/10_contrastive_alignment_retrieval.ipynb": 72,
    "notebooks/13_missing_noisy_modalities.ipynb": 69,
    "notebooks/07_intermediate_fusion.ipynb": 65,
    "notebooks/08_attention_graph_fusion.ipynb": 53,
    "notebooks/09_controlled_interactions.ipynb": 49,
    "tests/test_restartable.py": 49,
    "tests/test_fusion_07_08_helpers.py": 40,
    "notebooks/04_audio_encoders.ipynb": 40,
    "notebooks/14_evaluation_interpretability.ipynb": 38,
    "notebooks/02_image_encoders.ipynb": 37,
    "notebooks/05_early_fusion.ipynb": 37,
    "tests/test_training.py": 33,
    "tests/test_transfer.py": 28,
    "notebooks/03_text_encoders.ipynb": 27,
    "tests/test_training_plotting.py": 22,
    "tests/test_site.py": 22,  # builds the site (Sphinx, from the .[docs] extra CI installs)
    "tests/test_scaling.py": 20,
    "tests/test_multiworker.py": 19,
    "tests/test_export.py": 19,
    "tests/test_data.py": 18,
    "tests/test_alignment.py": 17,
    "tests/test_fusion.py": 16,
    "tests/test_model_cache.py": 16,
    "tests/test_data_real.py": 14,
    "tests/test_fusion_formulas.py": 13,
    "notebooks/00_welcome.ipynb": 12,
    "tests/test_translation.py": 10,
    "tests/test_backbone.py": 9,
    "tests/test_evaluation.py": 9,
    "tests/test_encoders_audio.py": 9,
    "tests/test_encoders_text.py": 9,
    "tests/test_evaluation_metrics.py": 8,
    "tests/test_config.py": 7,
    "notebooks/01_preprocessing.ipynb": 7,
    "tests/test_missing.py": 7,
    "tests/test_dataset_cache.py": 6,
    "tests/test_progress.py": 6,
    "tests/test_avmnist_recipe.py": 6,
    "tests/test_encoders_image.py": 4,
    "tests/test_encoders_models.py": 4,
    "tests/test_plotting.py": 4,
}


def pytest_configure(config):
    # pytest-xdist (--dist loadfile) sorts the files by their number of tests unless told
    # not to; the order of pytest_collection_modifyitems (longest first) balances better.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


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

    # Longest files first (a stable sort: the cells of a notebook keep their order).
    def expected_seconds(item) -> float:
        path = Path(str(item.fspath))
        if checked.get(path) and not have_data:
            return 0.0
        return SLOW_FILES.get(path.relative_to(REPO).as_posix(), 0.0)

    items.sort(key=lambda item: -expected_seconds(item))


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
