"""Train every encoder kind of one modality for longer than a notebook can, and print a table.

The notebooks 02-04 train for a few epochs; this script says what a longer run reaches.

    python benchmarks/encoders.py --modality image --epochs 40 --seeds 0 1
"""

from __future__ import annotations

import argparse

import mmtutor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modality", choices=["image", "text", "audio"], required=True)
    parser.add_argument("--kinds", nargs="+", default=None)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    mmtutor.setup(seed=args.seeds[0])
    import pandas as pd

    from mmtutor.data import load_mmdigits
    from mmtutor.training import compare_encoders

    tables = []
    for seed in args.seeds:
        data = load_mmdigits(seed=seed)
        table, _ = compare_encoders(args.modality, data, args.kinds, epochs=args.epochs, seed=seed)
        print(f"seed {seed}\n{table.to_string()}\n", flush=True)
        tables.append(table["test accuracy"])
    mean = pd.concat(tables, axis=1).mean(axis=1).round(3)
    print(f"mean test accuracy over seeds {args.seeds}, {args.epochs} epochs:\n{mean.to_string()}")


if __name__ == "__main__":
    main()
