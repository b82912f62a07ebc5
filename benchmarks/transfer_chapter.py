"""Notebook 12's end-to-end comparisons over several seeds, which the notebook runs once.

The notebook trains each audio encoder of its learning curves and each model of its
imbalance experiment with one seed (seed 0) to stay within its run time; this script runs
the same protocol (same builders, epochs, learning rates, label subsets) once per seed and
prints the mean table and the paired-bootstrap verdicts over every seed's predictions
(``mmtutor.training.compare_paired``). With ``--seeds 0`` it reproduces the notebook's
figures.

    python benchmarks/transfer_chapter.py --part curves --seeds 0 1 2
    python benchmarks/transfer_chapter.py --part imbalance --seeds 0 1 2
"""

from __future__ import annotations

import argparse
from types import SimpleNamespace

import mmtutor


def curves(seeds: list[int]) -> None:
    """Frozen / fine-tuned / scratch audio encoders at 1%, 10% and 100% of the labels."""
    import numpy as np

    from mmtutor import transfer
    from mmtutor.data import load_mmdigits
    from mmtutor.encoders import build_encoder
    from mmtutor.models import build_unimodal
    from mmtutor.training import compare_paired, train_and_evaluate

    data = load_mmdigits(seed=0)
    corpus = transfer.make_speech_corpus(n=3000, num_speakers=48, snr_db=6.0, seed=1)
    mmtutor.setup(seed=0, verbose=False)  # one pretrained encoder, as in the notebook
    source_model = build_unimodal(build_encoder("audio", corpus.train))
    train_and_evaluate(source_model, corpus, epochs=3, validate=False)
    pretrained = source_model.get_layer("audio_encoder")
    methods = {
        "fine-tuned": lambda: transfer.reuse_classifier(pretrained),
        "scratch": lambda: build_unimodal(build_encoder("audio", data.train)),
    }
    fractions = (0.01, 0.1, 1.0)
    table, results = transfer.compare_label_budgets(
        methods, data, fractions, epochs={0.01: 30, 0.1: 15, 1.0: 4},
        learning_rates={"fine-tuned": 3e-4, "scratch": 1e-3}, probes={"frozen": pretrained},
        seeds=tuple(seeds), validate=False,
    )  # fmt: skip
    print(f"test accuracy, mean over seeds {seeds}")
    print(table.rename(columns="{:.0%} labels".format).to_string(float_format="{:.3f}".format))
    for fraction in fractions:
        verdicts = compare_paired(results[fraction], data.test.y,
                                  [("fine-tuned", "scratch"), ("frozen", "scratch"),
                                   ("fine-tuned", "frozen")])["verdict"]  # fmt: skip
        print(f"{fraction:4.0%} labels: " + "; ".join(verdicts))
    spread = {f: {m: np.std([r.test_accuracy for r in res.runs], ddof=1) if len(res.runs) > 1
                  else 0.0 for m, res in results[f].items()} for f in fractions}  # fmt: skip
    print("std over seeds: " + "; ".join(
        f"{f:.0%}: " + ", ".join(f"{m} {s:.3f}" for m, s in v.items()) for f, v in spread.items()
    ))  # fmt: skip


def imbalance(seeds: list[int]) -> None:
    """Image + clean audio end to end: the image encoder's probe alone, inside the plain fused
    model and inside the gradient-blended one."""
    import keras
    import numpy as np

    from mmtutor import evaluation as ev
    from mmtutor import transfer
    from mmtutor.data import load_mmdigits
    from mmtutor.encoders import build_encoder
    from mmtutor.models import build_fusion_model, build_unimodal
    from mmtutor.training import compare_paired, train_and_evaluate

    clean = load_mmdigits(seed=0, audio_snr_db=10.0)
    pair = ["image", "audio"]

    def same_digit(split):
        return {head: split.y for head in ("fused", *pair)}

    runs = {"alone": [], "plain": [], "blended": []}
    fused_runs = {"plain": [], "blended": []}
    for seed in seeds:
        mmtutor.setup(seed=seed, verbose=False)
        alone = train_and_evaluate(build_unimodal(build_encoder("image", clean.train)), clean,
                                   epochs=3, validate=False)  # fmt: skip
        mmtutor.setup(seed=seed, verbose=False)
        plain = train_and_evaluate(build_fusion_model([build_encoder(m, clean.train) for m in pair],
                                                      "concat"), clean, epochs=3, validate=False)  # fmt: skip
        mmtutor.setup(seed=seed, verbose=False)
        blended = transfer.build_blended_model([build_encoder(m, clean.train) for m in pair])
        warmup = transfer.train_multitask(blended, clean, same_digit, main="fused", epochs=2,
                                          validate=True)  # fmt: skip
        weights = transfer.gradient_blend_weights(warmup.history, ["fused", *pair])
        transfer.train_multitask(blended, clean, same_digit, weights, main="fused", epochs=1)
        fused_head = keras.Model(blended.inputs, blended.output["fused"])
        for name, model in (("alone", alone.model), ("plain", plain.model), ("blended", blended)):
            accuracy, predicted = transfer.probe_encoders(model, clean, ["image"])["image"]
            runs[name].append(SimpleNamespace(test_predictions=predicted, test_accuracy=accuracy))
        for name, model in (("plain", plain.model), ("blended", fused_head)):
            fused_runs[name].append(ev.model_accuracy(model, clean.test.inputs(pair), clean.test.y))
        print(f"seed {seed}: image probe alone {runs['alone'][-1].test_accuracy:.3f}, inside plain "
              f"{runs['plain'][-1].test_accuracy:.3f}, inside blended "
              f"{runs['blended'][-1].test_accuracy:.3f}; weights "
              + ", ".join(f"{k} {w:.3f}" for k, w in weights.items()))  # fmt: skip
    results = {
        k: SimpleNamespace(test_predictions=v[0].test_predictions, runs=v) for k, v in runs.items()
    }
    print(f"image encoder's linear probe, mean over seeds {seeds}: " + ", ".join(
        f"{k} {np.mean([r.test_accuracy for r in v]):.3f}" for k, v in runs.items()))  # fmt: skip
    print(
        "fused test accuracy: " + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in fused_runs.items())
    )
    verdicts = compare_paired(results, clean.test.y,
                              [("blended", "plain"), ("alone", "plain"), ("alone", "blended")])  # fmt: skip
    print("\n".join(verdicts["verdict"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["curves", "imbalance"], required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    mmtutor.setup(seed=args.seeds[0])
    {"curves": curves, "imbalance": imbalance}[args.part](args.seeds)


if __name__ == "__main__":
    main()
