"""MultiWorkerMirroredStrategy for real: benchmarks/multiworker.py launches 2 worker
processes on 127.0.0.1 (free ports, loopback only), each trains the trimodal fusion model
with the custom training loop, and both must end with identical weights.

Bounded: the launcher kills both workers after its timeout; this test kills the launcher
(and so fails) if it outlives a larger one.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TIMEOUT = 240  # seconds for the workers (two TensorFlow imports share 2 cores)


def test_two_workers_on_localhost_end_with_identical_weights(tmp_path):
    command = [sys.executable, str(REPO / "benchmarks" / "multiworker.py"), "--workers", "2",
               "--examples", "128", "--batch-size", "32", "--epochs", "1",
               "--timeout", str(TIMEOUT), "--out", str(tmp_path)]  # fmt: skip
    launcher = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, cwd=REPO)  # fmt: skip
    try:
        output, _ = launcher.communicate(timeout=TIMEOUT + 60)
    except subprocess.TimeoutExpired:
        launcher.kill()  # its own timeout failed: the workers are its children
        launcher.communicate()
        raise
    assert launcher.returncode == 0, output[-3000:]
    assert "worker 0 of 2: 4 steps" in output and "worker 1 of 2: 4 steps" in output
    assert "identical weights: True" in output
    # checked here too, independently of the launcher's own comparison
    w0, w1 = np.load(tmp_path / "worker0.npz"), np.load(tmp_path / "worker1.npz")
    assert w0.files == w1.files and len(w0.files) > 10
    for key in w0.files:
        np.testing.assert_array_equal(w0[key], w1[key])
    # and training moved them: the first kernel is not what the seed initialised
    assert not np.allclose(w0["w0"], 0)
