"""Every fusion method of the series on MM-Digits, under the frozen-encoder protocol.

The protocol of notebooks 07, 08, 13 and 15 (``mmtutor.training.FROZEN_PROTOCOL``): the
default encoder of each modality trained once (``unimodal_baselines``, 8 epochs), frozen,
then each fusion head trained on the embeddings, once per seed. Prints the mean test
accuracy, its standard deviation over the seeds, the accuracy with one modality replaced
by its mean at test time, and paired comparisons of the best method with concatenation and
late averaging (``compare_paired``). Notebook 08 names it for the methods it does not
train itself.

Run: ``python benchmarks/fusion_table.py [--seeds 0 1 2] [--encoder-epochs 8]``
(about 3 minutes on a 2-core CPU).
"""

from __future__ import annotations

import argparse

import mmtutor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--encoder-epochs", type=int, default=8)
    args = parser.parse_args()
    mmtutor.setup(seed=0)
    from mmtutor.data import load_mmdigits
    from mmtutor.models import FUSION_METHODS
    from mmtutor.training import (
        FROZEN_PROTOCOL,
        compare_frozen_fusion,
        compare_paired,
        embed_splits,
        unimodal_baselines,
    )

    data = load_mmdigits(seed=0)
    modalities = ["image", "audio", "text"]
    baselines = unimodal_baselines(data, epochs=args.encoder_epochs, validate=False)
    for m, result in baselines.items():
        print(f"only {m}: test accuracy {result.test_accuracy:.3f}")
    encoders = {m: baselines[m].model.get_layer(f"{m}_encoder") for m in modalities}
    protocol = {**FROZEN_PROTOCOL, "seeds": tuple(args.seeds)}
    print("protocol:", protocol)
    table, results = compare_frozen_fusion(
        encoders, data, ablate=modalities, how="mean", embedded=embed_splits(data, encoders),
        **protocol,
    )  # fmt: skip
    family = {m: f for f, names in FUSION_METHODS.items() for m in names}
    table.insert(0, "family", table.index.map(family))
    print(table.drop(columns=["train time", "test loss"]).to_string(float_format="{:.3f}".format))
    best = table["test accuracy"].idxmax()
    pairs = [(best, other) for other in ("concat", "late_mean") if other != best]
    print("\n".join(compare_paired(results, data.test.y, pairs)["verdict"]))


if __name__ == "__main__":
    main()
