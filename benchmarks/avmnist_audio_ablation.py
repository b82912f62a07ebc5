"""AV-MNIST audio (speaker-disjoint, 1-s clips): what each part of the recipe's audio
encoder buys, one factor at a time, over several training seeds.

The recipe's audio model (``build_encoder("audio", data.train)``: ``mel_cnn_bn``, trained as
``benchmarks/avmnist.py`` trains it: 10 epochs, Adam 1e-3, batch 64, weight average 0.99)
differs from the LeNet-style baseline of the AV-MNIST papers (``benchmarks/lenet_avmnist.py``)
in several ways at once. Each arm below changes exactly one of them back, everything else
equal (data, split, seeds, head, optimiser, epochs), built with the package's
:func:`mmtutor.encoders.audio.mel_cnn_bn`:

- ``recipe``: 61 frames x 32 mel bins (16-ms hop), SpecAugment masks (8 frames, 4 bins),
  conv blocks of 16, 32, 64 filters, the mean and the maximum over time, weight average;
- ``no SpecAugment``: no masks;
- ``mean over time``: the mean alone, no maximum;
- ``LeNet widths``: conv blocks of 6, 12, 24 filters (the LeNet's first three widths);
- ``LeNet spectrogram``: 122 frames x 64 mel bins (8-ms hop, the LeNet's front end), its
  normaliser fitted anew on the training split (about four times the convolutions);
- ``8-ms hop`` and ``64 mel bins``: each half of that change alone (122 x 32; 61 x 64);
- ``no average``: trained without the weight average (``avmnist.py --ema-momentum 0``).

Prints one row per arm (test accuracy mean ± std over the seeds, each seed's accuracy, mean
train seconds: wall clock, an upper bound on a shared machine), then the paired bootstrap of
the recipe against every arm over the test pairs and every seed's predictions
(``compare_paired``: "beats" only where the 95% interval excludes 0). Needs the real data
(``--data`` or ``MMTUTOR_DATA``).

    python benchmarks/avmnist_audio_ablation.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import mmtutor

sys.path.insert(0, str(Path(__file__).resolve().parent))

ARMS = ("recipe", "no SpecAugment", "mean over time", "LeNet widths", "LeNet spectrogram",
        "8-ms hop", "64 mel bins", "no average")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("MMTUTOR_DATA"),
                        help="data folder (default: $MMTUTOR_DATA)")  # fmt: skip
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="training seeds")
    parser.add_argument("--split-seed", type=int, default=0, help="seed of build_avmnist")
    parser.add_argument("--epochs", type=int, default=10, help="epochs of every arm")
    parser.add_argument("--ema-momentum", type=float, default=0.99,
                        help="the recipe's weight average")  # fmt: skip
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=ARMS, metavar="ARM",
                        help=f"arms to train, among {list(ARMS)}")  # fmt: skip
    args = parser.parse_args()
    if args.data is None:
        parser.error("needs the real data: --data or MMTUTOR_DATA")
    mmtutor.setup(seed=args.seeds[0])
    import keras
    import pandas as pd
    from avmnist import _row

    from mmtutor.data import build_avmnist
    from mmtutor.encoders import build_encoder
    from mmtutor.encoders.audio import mel_cnn_bn
    from mmtutor.models import build_unimodal
    from mmtutor.preprocessing import LogMelSpectrogram, make_spectrogram_normalizer
    from mmtutor.training import compare_models, compare_paired

    start = time.perf_counter()
    data = build_avmnist(args.data, seed=args.split_seed, speaker_disjoint=True,
                         num_samples=8000)  # fmt: skip
    audio = data.train.x["audio"]
    print(f"{data}, test speaker {data.split_speakers['test'][0]}, built in "
          f"{time.perf_counter() - start:.1f} s", flush=True)  # fmt: skip

    def variant(frontend=None, **changes):
        """The recipe's audio model with ``changes`` to ``mel_cnn_bn``'s defaults."""
        inputs = keras.Input(shape=audio.shape[1:], name="audio")
        spectrogram = frontend() if frontend else LogMelSpectrogram(name="log_mel")
        normalizer = make_spectrogram_normalizer(audio, frontend=spectrogram)
        outputs = mel_cnn_bn(inputs, normalizer=normalizer, frontend=spectrogram, **changes)
        return build_unimodal(keras.Model(inputs, outputs, name="audio_encoder"))

    def front(frame_step=64, num_mel_bins=64):
        """A front end; the default is the LeNet's (``lenet_avmnist.LENET_SPECTROGRAM``)."""
        return lambda: LogMelSpectrogram(frame_step=frame_step, num_mel_bins=num_mel_bins,
                                         name="log_mel")  # fmt: skip

    ema = args.ema_momentum or None
    builders = {  # arm -> (builder of a fresh model, weight average)
        "recipe": (lambda: build_unimodal(build_encoder("audio", data.train)), ema),
        "no SpecAugment": (lambda: variant(spec_augment=None), ema),
        "mean over time": (lambda: variant(time_pooling="mean"), ema),
        "LeNet widths": (lambda: variant(widths=(6, 12, 24)), ema),
        "LeNet spectrogram": (lambda: variant(front()), ema),
        "8-ms hop": (lambda: variant(front(num_mel_bins=32)), ema),
        "64 mel bins": (lambda: variant(front(frame_step=128)), ema),
        "no average": (lambda: build_unimodal(build_encoder("audio", data.train)), None),
    }
    results, rows = {}, []
    for arm in args.arms:
        build, average = builders[arm]
        _, trained = compare_models({arm: build}, data, epochs=args.epochs, seeds=args.seeds,
                                    validate=False, ema_momentum=average)  # fmt: skip
        results[arm] = trained[arm]
        protocol = f"{args.epochs} epochs" + (f", EMA {average}" if average else "")
        rows.append({**_row(arm, protocol, trained[arm].runs),
                     "parameters": f"{trained[arm].model.count_params():,}"})  # fmt: skip
        print(rows[-1], flush=True)
    print(f"\nAV-MNIST audio {data.params}; {args.epochs} epochs; training seeds {args.seeds}")
    print(pd.DataFrame(rows).set_index("method").to_string())
    pairs = [("recipe", arm) for arm in args.arms if arm != "recipe"]
    if "recipe" in results and pairs:
        print("\npaired bootstrap over the test pairs, every seed's predictions:")
        print(compare_paired(results, data.test.y, pairs).to_string())


if __name__ == "__main__":
    main()
