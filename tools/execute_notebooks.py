"""Re-execute notebooks in place, each in a fresh kernel, under the test suite's environment.

For contributors who changed the package: the stored outputs must be what a fresh
top-to-bottom run produces, or nbval fails.

    python tools/execute_notebooks.py                # every notebook in notebooks/
    python tools/execute_notebooks.py notebooks/01_preprocessing.ipynb
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from mmtutor.config import NOTEBOOK_ENV

# TensorFlow's C++ start-up lines (e.g. "I0000 ... cudart_stub.cc:31] Could not find cuda
# drivers") reach the kernel's stderr before its log settings apply. nbval never sees them,
# so they are removed from the stored notebook rather than masked.
_TF_LOG_LINE = re.compile(
    r"(?m)^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\] .*)\n?"
)


def _drop_tf_log_lines(nb) -> None:
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stderr":
                out.text = _TF_LOG_LINE.sub("", out.text)
                if not out.text:
                    continue
            kept.append(out)
        cell.outputs = kept


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    seconds = time.perf_counter() - start
    _drop_tf_log_lines(nb)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    os.environ.update(NOTEBOOK_ENV)
    root = Path(__file__).resolve().parents[1]
    paths = [Path(a) for a in argv] or sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"{path.name}: {execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
