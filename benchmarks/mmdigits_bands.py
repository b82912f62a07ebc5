"""Measure the MM-Digits bands of issue 2 with the tutorial's own small models.

Prints the build time, then the test accuracy of a model on every non-empty subset of
the three modalities (unimodal encoders, and concatenation fusion of their embeddings),
and checks the bands:

- build time <= 5 s for the default size;
- each modality alone: test accuracy in [0.45, 0.85];
- all three (concatenation fusion) >= 0.93 and >= best single + 0.08;
- every pair of modalities < all three.

Run: ``python benchmarks/mmdigits_bands.py [--seeds 0 1 2] [--epochs 15]``.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

import mmtutor
from mmtutor.data import MODALITIES, load_mmdigits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    mmtutor.setup(seed=args.seeds[0])
    from mmtutor.encoders import build_encoder
    from mmtutor.models import build_fusion_model, build_unimodal
    from mmtutor.training import train_and_evaluate

    subsets = [c for r in (1, 2, 3) for c in itertools.combinations(MODALITIES, r)]
    scores: dict[tuple[str, ...], list[float]] = {s: [] for s in subsets}
    for seed in args.seeds:
        start = time.perf_counter()
        data = load_mmdigits(seed=seed)
        print(f"seed {seed}: built {data} in {time.perf_counter() - start:.2f} s")
        for subset in subsets:
            mmtutor.setup(seed=seed, verbose=False)
            encs = [build_encoder(m, data.train) for m in subset]
            model = (
                build_unimodal(encs[0]) if len(encs) == 1 else build_fusion_model(encs, "concat")
            )
            result = train_and_evaluate(model, data, epochs=args.epochs)
            scores[subset].append(result.test_accuracy)
            print(
                f"  {'+'.join(subset):<18} test accuracy {result.test_accuracy:.3f} "
                f"({result.seconds:.1f} s)"
            )
    mean = {s: float(np.mean(v)) for s, v in scores.items()}
    print("\nmean test accuracy over seeds", args.seeds)
    for s in subsets:
        print(f"  {'+'.join(s):<18} {mean[s]:.3f}")
    singles = [mean[(m,)] for m in MODALITIES]
    full = mean[MODALITIES]
    pairs = [mean[s] for s in subsets if len(s) == 2]
    checks = {
        "each modality alone in [0.45, 0.85]": all(0.45 <= a <= 0.85 for a in singles),
        "all three >= 0.93": full >= 0.93,
        "all three >= best single + 0.08": full >= max(singles) + 0.08,
        "every pair < all three": all(p < full for p in pairs),
    }
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")


if __name__ == "__main__":
    main()
