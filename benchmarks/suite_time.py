"""How long the README's test command takes, next to its floor.

The floor is what no optimisation of the notebooks can remove: every notebook starts a
kernel and imports TensorFlow, Keras and mmtutor before its first lesson cell. This script
measures that start (a fresh kernel running a notebook's Setup imports, ``--repeats``
times, the median), multiplies it by the number of notebooks and divides by the number of
pytest-xdist workers or of CPU cores, whichever is smaller (kernel starts are CPU-bound: a
third worker on two cores does not start kernels faster), then runs the README's test command (read from between its
``<!-- test-command -->`` markers) and prints both and their ratio.

    python benchmarks/suite_time.py                 # measure the floor, run the suite
    python benchmarks/suite_time.py --suite-seconds 560   # floor only, ratio to a known time

The suite's time includes pytest's start and the unit tests; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SETUP = """
import mmtutor
mmtutor.setup(seed=0, verbose=False)
import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import tensorflow as tf
from mmtutor import evaluation, fusion, models, plotting, training
from mmtutor.data import load_mmdigits
"""


def kernel_start_seconds(repeats: int) -> list[float]:
    """Seconds from starting a fresh kernel to the end of the Setup imports, per repeat."""
    import nbformat
    from nbclient import NotebookClient

    from mmtutor.config import NOTEBOOK_ENV

    os.environ.update(NOTEBOOK_ENV)
    times = []
    for _ in range(repeats):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SETUP)])
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(REPO / "notebooks")}}).execute()  # fmt: skip
        times.append(time.perf_counter() - start)
    return times


def test_command() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- test-command -->(.*?)<!-- /test-command -->", readme, re.S)
    if not block:
        raise SystemExit("README.md has no <!-- test-command --> block")
    lines = [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.startswith("```")]
    return " ".join(lines)


def workers(command: str) -> int:
    parts = shlex.split(command)
    return int(parts[parts.index("-n") + 1]) if "-n" in parts else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="kernel starts measured")
    parser.add_argument("--suite-seconds", type=float, default=None,
                        help="use this suite time instead of running the suite")  # fmt: skip
    args = parser.parse_args()

    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    command = test_command()
    n_workers = workers(command)
    starts = kernel_start_seconds(args.repeats)
    per_notebook = statistics.median(starts)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parallel = min(n_workers, cores or 1)
    floor = per_notebook * len(notebooks) / parallel
    print(f"kernel start + Setup imports: {', '.join(f'{s:.1f}' for s in starts)} s "
          f"(median {per_notebook:.1f} s)")  # fmt: skip
    print(f"floor: {per_notebook:.1f} s x {len(notebooks)} notebooks / {parallel} "
          f"(min of {n_workers} workers, {cores} CPU cores) = {floor:.0f} s")  # fmt: skip
    if args.suite_seconds is None:
        print(f"running: {command}", flush=True)
        start = time.perf_counter()
        done = subprocess.run(command, shell=True, cwd=REPO)
        suite = time.perf_counter() - start
        print(f"suite exit status {done.returncode}")
    else:
        suite = args.suite_seconds
    print(f"suite: {suite:.0f} s ({suite / 60:.1f} min); ratio to the floor: {suite / floor:.1f}")
    sys.exit(0)


if __name__ == "__main__":
    main()
