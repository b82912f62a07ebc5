"""Train every encoder kind of one modality for longer than a notebook can, and print a table.

Notebooks 02-04 train each encoder once (training seed 0) for a few epochs; this script
says what a longer run reaches, and whether one kind beats another. Every kind is trained
once per training seed on one MM-Digits build (``--data-seed``, 0 as in the notebooks), so
training seed 0 repeats the notebook's run when the epochs match. It prints:

- the mean over the seeds (test loss, test accuracy, its standard deviation);
- every run: test accuracy, last-epoch training accuracy, the best validation accuracy
  and its epoch, the last validation accuracy;
- a paired comparison of every two kinds (:func:`mmtutor.training.compare_paired`): the
  test-accuracy difference with a 95% paired bootstrap interval over the test examples,
  and "beats" only when the interval excludes 0.

    python benchmarks/encoders.py --modality image --epochs 40 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import itertools

import mmtutor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modality", choices=["image", "text", "audio"], required=True)
    parser.add_argument("--kinds", nargs="+", default=None)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="training seeds (one run of every kind per seed)")  # fmt: skip
    parser.add_argument("--data-seed", type=int, default=0, help="seed of load_mmdigits")
    args = parser.parse_args()
    mmtutor.setup(seed=args.seeds[0])

    from mmtutor.data import load_mmdigits
    from mmtutor.training import compare_encoders, compare_paired

    data = load_mmdigits(seed=args.data_seed)
    table, results = compare_encoders(
        args.modality, data, args.kinds, epochs=args.epochs, seeds=args.seeds
    )
    print(
        f"{args.modality} encoders, {args.epochs} epochs, data seed {args.data_seed}, "
        f"training seeds {args.seeds} (mean over the seeds)\n{table.to_string()}\n"
    )
    print("every run: test accuracy | last-epoch train accuracy | best validation accuracy "
          "(epoch) | last validation accuracy")  # fmt: skip
    for kind, result in results.items():
        for seed, run in zip(args.seeds, result.runs, strict=True):
            val = run.history["val_accuracy"]
            best = max(range(len(val)), key=val.__getitem__)
            print(
                f"  {kind:>12} seed {seed}: test {run.test_accuracy:.3f} | "
                f"train {run.history['accuracy'][-1]:.3f} | val best {val[best]:.3f} "
                f"(epoch {best + 1}) | val last {val[-1]:.3f}"
            )
    if len(results) > 1:
        pairs = list(itertools.combinations(results, 2))
        paired = compare_paired(results, data.test.y, pairs)
        print("\npaired test-accuracy differences (mean over the seeds, 95% bootstrap interval):")
        for verdict in paired["verdict"]:
            print(f"  {verdict}")


if __name__ == "__main__":
    main()
