"""What a longer run of notebook 11's CTC recogniser reaches on the spoken digit sequences.

Builds the notebook's data (``make_digit_sequences(n=1500, seed=0, snr_db=0.0)`` with the
MM-Digits speakers of ``load_mmdigits(seed=0)``), trains ``build_ctc_recognizer`` exactly
as the notebook does (Adam 3e-3, batch 32, ``keras.losses.CTC``), and after each number of
epochs in ``--epochs`` prints, on the test split: the digit error rate, exact match, the
alignment error of the correctly recognised utterances (distance of each emission to its
digit's true span) and the fraction of emissions inside the span. With several seeds, the
mean over seeds closes the table. Also harder data: ``--snr-db -5``.

Run: ``python benchmarks/ctc_digits.py --epochs 5 10 20 [--seeds 0 1 2] [--snr-db 0]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import mmtutor


def evaluate(model, split, digit_lists, translation, ev) -> dict[str, float]:
    logits = model.predict(split.x["audio"], verbose=0)
    refs, hyps = digit_lists(split.y), translation.ctc_greedy_decode(logits)
    times = translation.ctc_frame_times(model, split.x["audio"].shape[1])
    emitted = np.full(split.y.shape, np.nan)
    emitted_digits = translation.ctc_emissions(logits, times)
    for i, (emissions, ref) in enumerate(zip(emitted_digits, refs, strict=True)):
        if [d for d, _ in emissions] == ref:
            emitted[i, : len(ref)] = [t for _, t in emissions]
    starts, ends = split.meta["starts"], split.meta["ends"]
    ok = np.isfinite(emitted)
    return {
        "digit error rate": ev.digit_error_rate(refs, hyps),
        "exact match": ev.exact_match(refs, hyps),
        "alignment error (ms)": ev.alignment_error_ms(emitted, starts, ends),
        "inside the span": float(np.mean((emitted[ok] >= starts[ok]) & (emitted[ok] <= ends[ok]))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--snr-db", type=float, default=0.0)
    parser.add_argument("--n", type=int, default=1500)
    args = parser.parse_args()
    mmtutor.setup(seed=args.seeds[0])
    import keras

    from mmtutor import evaluation as ev
    from mmtutor import translation
    from mmtutor.data import digit_lists, load_mmdigits, make_digit_sequences
    from mmtutor.preprocessing import make_spectrogram_normalizer

    speakers = load_mmdigits(seed=0).speakers
    start = time.perf_counter()
    data = make_digit_sequences(n=args.n, seed=0, snr_db=args.snr_db, speakers=speakers)
    print(f"built {data} in {time.perf_counter() - start:.1f} s (snr_db={args.snr_db})")
    normalizer = make_spectrogram_normalizer(data.train.x["audio"])
    targets = translation.ctc_targets(data.train.y)
    table: dict[int, list[dict[str, float]]] = {e: [] for e in args.epochs}
    for seed in args.seeds:
        mmtutor.setup(seed=seed, verbose=False)
        model = translation.build_ctc_recognizer(
            num_samples=data.train.x["audio"].shape[1], normalizer=normalizer
        )
        model.compile(keras.optimizers.Adam(3e-3), loss=keras.losses.CTC())
        done = 0
        for epochs in sorted(args.epochs):
            start = time.perf_counter()
            model.fit(
                data.train.x["audio"], targets, epochs=epochs - done, batch_size=32, verbose=0
            )
            done = epochs
            row = evaluate(model, data.test, digit_lists, translation, ev)
            table[epochs].append(row)
            print(f"seed {seed}, {epochs:3d} epochs ({time.perf_counter() - start:.0f} s): "
                  + ", ".join(f"{k} {v:.3f}" for k, v in row.items()))  # fmt: skip
    print(f"\nmean over seeds {args.seeds}, {len(data.test)} test utterances")
    for epochs, rows in table.items():
        print(f"  {epochs:3d} epochs: " + ", ".join(
            f"{k} {np.mean([r[k] for r in rows]):.3f}" for k in rows[0]))  # fmt: skip


if __name__ == "__main__":
    main()
