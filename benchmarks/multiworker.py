"""Train a fusion model with ``MultiWorkerMirroredStrategy`` across N worker processes.

Every worker runs this same script; only the ``TF_CONFIG`` environment variable differs
(the cluster's addresses and the worker's index, :func:`mmtutor.scaling.tf_config`). Each
worker builds MM-Digits' trimodal concatenation model (preprocessing inside) under the
strategy's scope and trains it with :func:`mmtutor.scaling.train_custom_loop` (Keras 3's
``model.fit`` fails under this strategy: keras-team/keras#20585), then saves its final
weights. The launcher compares them: all-reduced gradients must leave every worker with
the same weights.

On one machine (the launcher starts the workers on 127.0.0.1, free ports)::

    python benchmarks/multiworker.py --workers 2 --epochs 1 --examples 512

With ``--fit`` the workers train with ``model.fit`` instead, which shows the Keras issue
(both workers fail; the launcher exits with status 1).

On several machines: start the same command with ``--worker-index i`` and
``--cluster host0:port,host1:port,...`` on machine ``i`` (same list everywhere); or set
``TF_CONFIG`` yourself and run ``--worker-index -1``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path


def run_worker(args) -> None:
    import mmtutor

    mmtutor.setup(seed=args.seed, verbose=False)
    import keras
    import numpy as np
    import tensorflow as tf

    from mmtutor.data import load_mmdigits
    from mmtutor.encoders import build_encoder
    from mmtutor.models import build_fusion_model
    from mmtutor.scaling import tf_config, train_custom_loop

    if args.worker_index >= 0:
        cluster = args.cluster.split(",")
        os.environ["TF_CONFIG"] = tf_config(cluster, args.worker_index)
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    task = strategy.cluster_resolver.task_id
    data = load_mmdigits(seed=0)
    n = min(args.examples, len(data.train.y))
    x = {m: v[:n] for m, v in data.train.x.items()}

    def build():
        keras.utils.set_random_seed(args.seed)  # the same initial weights on every worker
        encoders = [build_encoder(m, data.train) for m in ("image", "audio", "text")]
        return build_fusion_model(encoders, "concat")

    if args.fit:  # Keras' own fit: fails with TensorFlow 2.21 / Keras 3.15 (keras#20585)
        from mmtutor.training import compile_classifier

        with strategy.scope():
            model = compile_classifier(build())
        try:
            model.fit(x, data.train.y[:n], epochs=args.epochs, batch_size=args.batch_size,
                      verbose=0)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - report whatever fit raises, then fail
            message = str(exc).strip().splitlines()[0][:160]
            print(f"worker {task}: model.fit failed: {type(exc).__name__}: {message}", flush=True)
            sys.exit(3)
        print(f"worker {task} of {strategy.num_replicas_in_sync}: model.fit finished", flush=True)
        return
    result = train_custom_loop(strategy, build, x, data.train.y[:n], epochs=args.epochs,
                               batch_size=args.batch_size)  # fmt: skip
    weights = {f"w{i}": w for i, w in enumerate(result.model.get_weights())}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / f"worker{task}.npz", **weights)
    print(f"worker {task} of {strategy.num_replicas_in_sync}: {result.steps} steps, "
          f"loss per epoch {', '.join(f'{v:.4f}' for v in result.losses)}", flush=True)  # fmt: skip


def launch(args) -> int:
    import numpy as np

    from mmtutor.scaling import free_ports

    ports = free_ports(args.workers)
    cluster = ",".join(f"127.0.0.1:{p}" for p in ports)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, __file__, "--cluster", cluster, "--out", str(out),
               "--epochs", str(args.epochs), "--examples", str(args.examples),
               "--batch-size", str(args.batch_size), "--seed", str(args.seed)]  # fmt: skip
    if args.fit:
        command.append("--fit")
    start = time.perf_counter()
    workers = [
        subprocess.Popen(
            [*command, "--worker-index", str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for i in range(args.workers)
    ]
    failed = False
    try:
        for i, worker in enumerate(workers):
            left = max(1.0, args.timeout - (time.perf_counter() - start))
            output, _ = worker.communicate(timeout=left)
            lines = [line for line in output.splitlines() if line.startswith("worker ")]
            print("\n".join(lines) or f"worker {i} printed no result:\n{output[-2000:]}")
            failed |= worker.returncode != 0
    except subprocess.TimeoutExpired:
        print(f"timeout: the workers did not finish within {args.timeout} s")
        failed = True
    finally:
        for worker in workers:  # never leave a worker behind
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    if failed:
        return 1
    seconds = time.perf_counter() - start
    weights = [np.load(out / f"worker{i}.npz") for i in range(args.workers)]
    same = all(np.array_equal(weights[0][k], w[k]) for w in weights[1:] for k in weights[0].files)
    print(f"{args.workers} workers finished in {seconds:.1f} s (wall); identical weights: {same}")
    return 0 if same else 2


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="workers to launch on 127.0.0.1")
    parser.add_argument("--worker-index", type=int, default=None,
                        help="run as this worker (-1: TF_CONFIG is set already)")  # fmt: skip
    parser.add_argument("--cluster", default="", help="host:port of every worker, comma-separated")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--examples", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64, help="global batch size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds, launcher only")
    parser.add_argument("--out", default="multiworker_out", help="folder for the weights")
    parser.add_argument("--fit", action="store_true",
                        help="train with model.fit instead of the loop (shows keras#20585)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.worker_index is not None:
        run_worker(args)
        return 0
    return launch(args)


if __name__ == "__main__":
    sys.exit(main())
