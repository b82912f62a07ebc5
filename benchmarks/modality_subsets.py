"""Is each added modality a real gain? Train a model on every subset of MM-Digits' modalities
once per training seed, and compare the subsets paired.

Notebook 00 quotes it. The models are those of ``benchmarks/mmdigits_bands.py`` (the default
encoder of each modality, with a classifier head alone or fused by concatenation), trained
on one MM-Digits build (``--data-seed``) once per training seed. It prints the mean test
accuracy of every subset over the seeds, then paired comparisons
(:func:`mmtutor.training.compare_paired`, a 95% paired bootstrap interval over the test
examples with every seed's predictions): every pair against each of its two modalities
alone, and all three against every pair. "beats" only when the interval excludes 0.

    python benchmarks/modality_subsets.py --epochs 20 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import itertools

import mmtutor
from mmtutor.data import MODALITIES, load_mmdigits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="training seeds (one run of every subset per seed)")  # fmt: skip
    parser.add_argument("--data-seed", type=int, default=0, help="seed of load_mmdigits")
    args = parser.parse_args()
    mmtutor.setup(seed=args.seeds[0])
    from mmtutor.encoders import build_encoder
    from mmtutor.models import build_fusion_model, build_unimodal
    from mmtutor.training import compare_models, compare_paired

    data = load_mmdigits(seed=args.data_seed)
    subsets = [c for r in (1, 2, 3) for c in itertools.combinations(MODALITIES, r)]

    def builder(subset):
        def build():
            encoders = [build_encoder(m, data.train) for m in subset]
            if len(encoders) == 1:
                return build_unimodal(encoders[0])
            return build_fusion_model(encoders, "concat")

        return build

    builders = {"+".join(s): builder(s) for s in subsets}
    # no per-epoch validation pass: the training is the same, and the table reports test only
    table, results = compare_models(
        builders, data, epochs=args.epochs, seeds=args.seeds, validate=False
    )
    print(
        f"every subset of {list(MODALITIES)}, {args.epochs} epochs, data seed {args.data_seed}, "
        f"training seeds {args.seeds} (mean over the seeds)\n"
        f"{table.drop(columns='train time').to_string()}\n"
    )
    pairs = [("+".join(p), m) for p in subsets if len(p) == 2 for m in p]
    pairs += [("+".join(MODALITIES), "+".join(p)) for p in subsets if len(p) == 2]
    paired = compare_paired(results, data.test.y, pairs)
    print("paired test-accuracy differences (mean over the seeds, 95% bootstrap interval):")
    for verdict in paired["verdict"]:
        print(f"  {verdict}")


if __name__ == "__main__":
    main()
