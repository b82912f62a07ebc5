"""AV-MNIST (speaker-disjoint, 1-s audio): the series' real-data recipe against the LeNet-style
baseline of the AV-MNIST papers, unimodal and fused, over several training seeds.

Data: ``build_avmnist(seed=--split-seed, speaker_disjoint=True, num_samples=8000)`` (4
training speakers, 1 validation, 1 test speaker; PCA-degraded 28x28 digits; 1-s recordings
at 8 kHz), built once. For every training seed:

- **recipe**: ``build_encoder(modality, data.train)``, which picks the real-data kinds by
  input size (``cnn_flat`` for 28x28 images, ``mel_cnn_bn`` with SpecAugment for 1-s audio),
  each trained alone with the series' head (``build_unimodal``), ``--epochs`` epochs, Adam
  1e-3, batch 64, tested and kept as the moving average of its weights (``ema_momentum=
  --ema-momentum``, 0.99; ``compile_classifier``);
- **LeNet**: the LeNet-style encoders of CentralNet, MFAS and MultiBench
  (``benchmarks/lenet_avmnist.py``: conv 5x5 then 3x3 blocks, flattened; a 100-unit MLP
  head), the same epochs, optimiser and batches, without an average (the papers' training);
- with ``--lenet-ema``: the LeNet-style encoders again, trained with the recipe's average
  (what the average does for the baseline's architecture);
- **fusion, frozen**: both trained encoders frozen, then each fusion head of ``--methods``
  trained on their embeddings under the series' protocol (``FROZEN_PROTOCOL``: 64 hidden
  units, 6 epochs, batch 256, learning rate 0.01), with the training seed as head seed;
- with ``--mmdigits-kinds``: MM-Digits' default encoders (``cnn``, ``mel_cnn``) on these
  inputs, trained and fused the same way, without an average (what the series used before
  the recipe);
- with ``--end-to-end``: MultiBench's AV-MNIST fusion (both LeNet encoders, concatenation,
  100-unit MLP) trained end to end, ``--epochs`` epochs.

Prints one row per (encoders, method): test accuracy mean ± std over the seeds, each seed's
accuracy, mean train seconds (wall clock: on a shared machine, an upper bound), then paired
bootstraps (``compare_paired``) of the recipe's best fusion against the LeNet's and against
the recipe's concatenation and late averaging. Needs the real data (``--data`` or
``MMTUTOR_DATA``).

    python benchmarks/avmnist.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

import mmtutor

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _row(name: str, protocol: str, runs: list) -> dict:
    accuracies = [r.test_accuracy for r in runs]
    return {
        "method": name,
        "protocol": protocol,
        "test accuracy": f"{np.mean(accuracies):.3f} ± {np.std(accuracies, ddof=1):.3f}"
        if len(runs) > 1 else f"{accuracies[0]:.3f}",
        "per seed": " ".join(f"{a:.3f}" for a in accuracies),
        "train s": f"{np.mean([r.seconds for r in runs]):.1f}",
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("MMTUTOR_DATA"),
                        help="data folder (default: $MMTUTOR_DATA)")  # fmt: skip
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="training seeds (encoders and fusion heads)")  # fmt: skip
    parser.add_argument("--split-seed", type=int, default=0, help="seed of build_avmnist")
    parser.add_argument("--epochs", type=int, default=10, help="epochs of every encoder")
    parser.add_argument("--num-samples", type=int, default=8000, help="audio length")
    parser.add_argument("--ema-momentum", type=float, default=0.99,
                        help="the recipe's weight average (0: none)")  # fmt: skip
    parser.add_argument("--lenet-ema", action="store_true",
                        help="also the LeNet-style encoders with the recipe's average")  # fmt: skip
    parser.add_argument("--methods", nargs="+",
                        default=["late_mean", "concat", "gated", "tensor", "transformer"])  # fmt: skip
    parser.add_argument("--no-lenet", action="store_true", help="skip the LeNet baseline")
    parser.add_argument("--no-recipe", action="store_true", help="skip the series' recipe")
    parser.add_argument("--mmdigits-kinds", action="store_true",
                        help="also MM-Digits' default kinds (cnn, mel_cnn) on these inputs")  # fmt: skip
    parser.add_argument("--end-to-end", action="store_true",
                        help="also MultiBench's LeNet concatenation trained end to end")  # fmt: skip
    args = parser.parse_args()
    mmtutor.setup(seed=args.seeds[0])
    import pandas as pd
    from lenet_avmnist import build_lenet_fusion, build_lenet_unimodal

    from mmtutor.data import build_avmnist
    from mmtutor.encoders import KINDS, build_encoder, default_kind
    from mmtutor.models import build_unimodal
    from mmtutor.training import (
        FROZEN_PROTOCOL,
        compare_frozen_fusion,
        compare_models,
        compare_paired,
    )

    start = time.perf_counter()
    data = build_avmnist(args.data, seed=args.split_seed, speaker_disjoint=True,
                         num_samples=args.num_samples)  # fmt: skip
    modalities = ["image", "audio"]
    kinds = {m: default_kind(m, data.train) for m in modalities}
    print(f"{data}, test speaker {data.split_speakers['test'][0]}, built in "
          f"{time.perf_counter() - start:.1f} s; recipe kinds {kinds}", flush=True)  # fmt: skip
    ema = args.ema_momentum or None
    families = {}  # family -> (builder of a modality's model, weight average)
    if not args.no_recipe:
        families["recipe"] = (lambda m: build_unimodal(build_encoder(m, data.train)), ema)
    if not args.no_lenet:
        families["lenet"] = (lambda m: build_lenet_unimodal(m, data.train), None)
    if args.lenet_ema:
        families["lenet+ema"] = (lambda m: build_lenet_unimodal(m, data.train), ema)
    if args.mmdigits_kinds:
        families["mmdigits"] = (lambda m: build_unimodal(build_encoder(m, data.train,
                                                                       kind=KINDS[m][0])), None)  # fmt: skip
    protocol = {**FROZEN_PROTOCOL, "seeds": None}
    rows, fused = [], {}
    for family, (build, average) in families.items():
        _, unimodal = compare_models({m: (lambda m=m, b=build: b(m)) for m in modalities}, data,
                                     epochs=args.epochs, seeds=args.seeds, validate=False,
                                     ema_momentum=average)  # fmt: skip
        for m in modalities:
            trained = f"end to end, {args.epochs} epochs" + (f", EMA {average}" if average else "")
            rows.append(_row(f"{family} {m} only", trained, unimodal[m].runs))
            print(rows[-1], flush=True)
        heads = {method: [] for method in args.methods}
        for k, seed in enumerate(args.seeds):
            encoders = {m: unimodal[m].runs[k].model.get_layer(f"{m}_encoder") for m in modalities}
            _, results = compare_frozen_fusion(encoders, data, args.methods,
                                               **{**protocol, "seeds": seed})  # fmt: skip
            for method in args.methods:
                heads[method].append(results[method])
        for method in args.methods:
            runs = heads[method]
            fused[f"{family} {method}"] = SimpleNamespace(runs=runs)
            rows.append(_row(f"{family} {method}", "frozen encoders, FROZEN_PROTOCOL", runs))
            print(rows[-1], flush=True)
    if args.end_to_end:
        _, e2e = compare_models({"lenet concat": lambda: build_lenet_fusion(data.train)}, data,
                                epochs=args.epochs, seeds=args.seeds, validate=False)  # fmt: skip
        fused["lenet concat (end to end)"] = e2e["lenet concat"]
        rows.append(_row("lenet concat (MultiBench)", f"end to end, {args.epochs} epochs",
                         e2e["lenet concat"].runs))  # fmt: skip
    table = pd.DataFrame(rows).set_index("method")
    print(f"\nAV-MNIST {data.params}; training seeds {args.seeds}")
    print(table.to_string())
    recipe = [k for k in fused if k.startswith("recipe ")]
    if not recipe:
        return
    best = max(recipe, key=lambda k: np.mean([r.test_accuracy for r in fused[k].runs]))
    pairs = [(best, "recipe concat"), (best, "recipe late_mean")]
    if not args.no_lenet:
        lenet = [k for k in fused if k.startswith("lenet ")]
        pairs.append((best, max(lenet, key=lambda k: np.mean([r.test_accuracy
                                                              for r in fused[k].runs]))))  # fmt: skip
    pairs = [(a, b) for a, b in pairs if a != b]
    if pairs:
        print("\npaired bootstrap over the test pairs, every seed's predictions:")
        print(compare_paired(fused, data.test.y, pairs).to_string())


if __name__ == "__main__":
    main()
