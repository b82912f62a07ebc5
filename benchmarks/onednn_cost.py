"""What turning TensorFlow's oneDNN custom ops off costs (the setting of mmtutor.setup()).

``mmtutor.setup()`` and ``mmtutor.config.NOTEBOOK_ENV`` set ``TF_ENABLE_ONEDNN_OPTS=0``:
oneDNN's ops print a notice when TensorFlow is imported and make float results depend on
the processor in the last digits, which the stored notebook outputs cannot afford. This
script measures the price. It runs the same fixed workload in fresh subprocesses, one
with ``TF_ENABLE_ONEDNN_OPTS=0`` and one with ``=1`` (the variable is read once, when
TensorFlow is imported, so each setting needs its own process), each with 2 threads and
seed 0, alternating the two settings ``--repeats`` times, and prints the training times,
their ratio and whether the losses (4 decimals) agree.

Workload: MM-Digits (seed 0), the default audio encoder of the series (``mel_cnn``, via
``mmtutor.encoders.build_encoder``) in its unimodal model (``mmtutor.models.build_unimodal``),
trained for ``--epochs`` epochs with batch size 64; the timed part is ``model.fit``. If the
package's model builders cannot be imported, a plain Keras conv net on the same log-mel
spectrograms is trained instead, and the output says so.

Run: ``python benchmarks/onednn_cost.py [--epochs 2] [--repeats 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def _plain_keras_model(train):
    """A conv net of the same size class as the default audio model, from plain Keras layers."""
    import keras
    from keras import layers

    from mmtutor.preprocessing import LogMelSpectrogram

    inputs = keras.Input(shape=train.x["audio"].shape[1:], name="audio")
    x = layers.Reshape((-1, 32, 1))(LogMelSpectrogram()(inputs))
    for filters in (16, 32, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2, padding="same")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(10)(layers.Dense(64, activation="relu")(x))
    return keras.Model(inputs, outputs, name="plain_audio_cnn")


def child(epochs: int) -> None:
    """Build and train the workload in this process; print one JSON line."""
    import mmtutor

    mmtutor.setup(seed=0, threads=2, plot_style=False, verbose=False)
    import keras

    from mmtutor.data import load_mmdigits

    data = load_mmdigits(seed=0)
    try:
        from mmtutor.encoders import build_encoder
        from mmtutor.models import build_unimodal

        model = build_unimodal(build_encoder("audio", data.train))
        workload = "package: build_unimodal(build_encoder('audio', ...)) (mel_cnn)"
    except Exception as exc:  # the package's builders are broken: fall back, and say so
        model = _plain_keras_model(data.train)
        workload = f"plain Keras conv net (package builders failed: {type(exc).__name__})"
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    x, y = data.train.inputs(["audio"]), data.train.y
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=64, epochs=epochs, shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    losses = [round(float(v), 4) for v in history.history["loss"]]
    print(json.dumps({"seconds": seconds, "losses": losses, "workload": workload}))


def run(setting: str, epochs: int) -> dict:
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": setting, "TF_CPP_MIN_LOG_LEVEL": "3",
           "CUDA_VISIBLE_DEVICES": "", "PYTHONHASHSEED": "0"}  # fmt: skip
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--epochs", str(epochs)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"child with TF_ENABLE_ONEDNN_OPTS={setting} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.epochs)
        return
    results: dict[str, list[dict]] = {"0": [], "1": []}
    for _ in range(args.repeats):
        for setting in ("0", "1"):
            results[setting].append(run(setting, args.epochs))
    workloads = {r["workload"] for rs in results.values() for r in rs}
    print(f"workload: {'; '.join(sorted(workloads))}, {args.epochs} epochs, 2 threads, seed 0")
    median = {}
    for setting, runs in results.items():
        times = [r["seconds"] for r in runs]
        median[setting] = statistics.median(times)
        shown = ", ".join(f"{t:.1f}" for t in times)
        print(f"TF_ENABLE_ONEDNN_OPTS={setting}: fit {shown} s (median {median[setting]:.1f} s), "
              f"losses {runs[0]['losses']}")  # fmt: skip
    print(f"time with oneDNN off / on: {median['0'] / median['1']:.2f}")
    same = results["0"][0]["losses"] == results["1"][0]["losses"]
    repeat = all(r["losses"] == rs[0]["losses"] for rs in results.values() for r in rs)
    print(f"losses (4 decimals) agree between the settings: {same}; "
          f"repeat within each setting: {repeat}")  # fmt: skip


if __name__ == "__main__":
    main()
