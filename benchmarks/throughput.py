"""Examples per second of notebook 16's file pipelines, and of training, on the CPU and,
when TensorFlow sees one, on the GPU (with its utilisation from ``nvidia-smi``).

Writes ``--examples`` MM-Digits training examples as PNG and WAV files into a temporary
folder, measures each pipeline of ``mmtutor.scaling.PIPELINE_VARIANTS`` over ``--epochs``
passes (``mmtutor.scaling.measure_throughput``), then the training rate of the trimodal
fusion model fed by the cached, prefetched pipeline (text vectorised in the pipeline) on
each device.

Run: ``python benchmarks/throughput.py [--examples 1024] [--epochs 2] [--threads 0]``
(``--threads 0``: TensorFlow's default thread pools; notebook 16 uses 2).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path


def gpu_utilisation(samples: list[int], stop: threading.Event) -> None:
    """Sample ``nvidia-smi``'s GPU utilisation (percent) every 0.2 s until ``stop``."""
    while not stop.is_set():
        try:
            out = subprocess.run(
                ["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"],
                capture_output=True, text=True, timeout=5,
            )  # fmt: skip
            samples.append(int(out.stdout.split()[0]))
        except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
            return
        stop.wait(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=0, help="0: TensorFlow's default")
    args = parser.parse_args()

    import mmtutor

    if args.threads:
        mmtutor.setup(seed=0, threads=args.threads, verbose=False)
    else:  # setup() always fixes the threads: seed and quieten without it
        import os

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf

    from mmtutor import scaling
    from mmtutor.data import load_mmdigits
    from mmtutor.encoders import build_encoder
    from mmtutor.models import build_fusion_model
    from mmtutor.training import compile_classifier

    keras.utils.set_random_seed(0)
    data = load_mmdigits(seed=0)
    folder = Path(tempfile.mkdtemp(prefix="mmtutor_throughput_"))
    try:
        manifest = scaling.write_split_files(data.train, folder, count=args.examples)
        print(f"{args.examples} examples as files; {args.epochs} passes per pipeline (CPU)")
        for name, options in scaling.PIPELINE_VARIANTS.items():
            with tf.device("/CPU:0"):
                runs = scaling.measure_throughput(
                    scaling.file_pipeline(manifest, batch_size=args.batch_size, **options),
                    epochs=args.epochs,
                )
            rates = ", ".join(scaling.format_rate(n / s, width=7) for n, s in runs)
            print(f"  {name:40s} {rates}")

        devices = ["/CPU:0"] + [
            f"/GPU:{i}" for i, _ in enumerate(tf.config.list_physical_devices("GPU"))
        ]
        if len(devices) == 1:
            print("no GPU visible to TensorFlow: training measured on the CPU only")
        for device in devices:
            with tf.device(device):
                keras.utils.set_random_seed(0)
                encoders = [build_encoder(m, data.train) for m in ("image", "audio", "text")]
                full = build_fusion_model(encoders)
                vectorizer, model = scaling.split_text_vectorizer(full)
                compile_classifier(model)
                pipeline = scaling.file_pipeline(manifest, batch_size=args.batch_size,
                                                 parallel=True, cache=True, prefetch=True,
                                                 vectorizer=vectorizer)  # fmt: skip
                model.fit(pipeline, epochs=1, shuffle=False, verbose=0)  # trace, fill the cache
                samples, stop = [], threading.Event()
                watcher = threading.Thread(target=gpu_utilisation, args=(samples, stop))
                if device.startswith("/GPU"):
                    watcher.start()
                start = time.perf_counter()
                model.fit(pipeline, epochs=args.epochs, shuffle=False, verbose=0)
                seconds = time.perf_counter() - start
                stop.set()
                if watcher.is_alive():
                    watcher.join()
            rate = scaling.format_rate(args.epochs * args.examples / seconds)
            use = (
                f", GPU utilisation {sum(samples) / len(samples):.0f} % (mean of {len(samples)} samples)"
                if samples
                else ""
            )
            print(f"training on {device} from the cached pipeline: {rate}{use}")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
