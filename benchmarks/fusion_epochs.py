"""Train the models of notebooks 05, 06 and 09 for longer than a notebook can, and print them.

Each notebook trains its models for a few epochs to stay within its run time; this script
builds the same models the same way (same builders, same options, same seed protocol:
``compare_models`` re-seeds before every model) and trains them for ``--epochs``. Run with
the notebook's own number of epochs, it reproduces the notebook's table.

    python benchmarks/fusion_epochs.py --notebook 05 --epochs 20
    python benchmarks/fusion_epochs.py --notebook 06 --epochs 20
    python benchmarks/fusion_epochs.py --notebook 09 --epochs 15 --n 2000
"""

from __future__ import annotations

import argparse

import mmtutor

MODALITIES = ["image", "audio", "text"]
EMBEDDING_DIM = 32  # of the learned encoders in 05 and 06


#: the comparisons each notebook's prose makes, printed with a paired bootstrap interval
PAIRS = {
    "05": [
        ("concat", "early"),
        ("concat", "early, image + text"),
        ("early, image + text", "early"),
    ],
    "06": [
        ("late_product_of_experts", "late_mean"),
        ("late_product_of_experts", "late_weighted"),
        ("late_product_of_experts", "late_stacking"),
        ("late_product_of_experts", "post-hoc product_of_experts"),
        ("classical stacking", "late_stacking"),
        ("classical stacking", "post-hoc product_of_experts"),
    ],
}


def mmdigits_models(notebook: str, epochs: int, seed: int) -> None:
    """Unimodal baselines and the fusion models of notebook 05 (early, concat) or 06 (late)."""
    import keras
    import pandas as pd

    from mmtutor import fusion, models
    from mmtutor.data import load_mmdigits
    from mmtutor.encoders import build_encoder
    from mmtutor.evaluation import embed, paired_bootstrap, paired_verdict
    from mmtutor.training import compare_models, fit_stacking, unimodal_baselines

    data = load_mmdigits(seed=seed)

    def make_encoders():
        return [build_encoder(m, data.train, embedding_dim=EMBEDDING_DIM) for m in MODALITIES]

    baselines = unimodal_baselines(data, epochs=epochs, seed=seed)
    predictions = {f"only {m}": r.test_predictions for m, r in baselines.items()}
    if notebook == "05":
        builders = models.fusion_builders(make_encoders, data.train, ["early", "concat"])
        builders = {
            "early": builders["early"],
            "early, image + text": lambda: models.build_early_fusion(
                data.train, ["image", "text"], head_units=64
            ),
            "concat": builders["concat"],
        }
    else:
        logits = [embed(baselines[m].model, data.test.inputs([m])) for m in MODALITIES]
        for name in ("mean", "product_of_experts"):
            scores = keras.ops.convert_to_numpy(fusion.get(name)(logits))
            predictions[f"post-hoc {name}"] = scores.argmax(-1)
        stack = fit_stacking({m: baselines[m].model for m in MODALITIES}, data)
        predictions["classical stacking"] = stack.predict(data.test.x)
        builders = models.fusion_builders(make_encoders, data.train, models.FUSION_METHODS["late"])
    _, results = compare_models(builders, data, epochs=epochs, seeds=seed)
    predictions |= {name: r.test_predictions for name, r in results.items()}
    accuracy = {name: float((p == data.test.y).mean()) for name, p in predictions.items()}
    column = f"test accuracy, seed {seed}, {epochs} epochs"
    print(pd.Series(accuracy, name=column).to_string(float_format="{:.3f}".format))
    print("paired bootstrap over the test examples (95 %):")
    for a, b in PAIRS[notebook]:
        difference, low, high = paired_bootstrap(data.test.y, predictions[a], predictions[b])
        print("  " + paired_verdict(a, b, difference, low, high), flush=True)


def interaction_models(epochs: int, seed: int, n: int) -> None:
    """The fusion families of notebook 09 on synergy data, and concat on three-way XOR."""
    from mmtutor.data import make_interactions
    from mmtutor.encoders import build_vector_encoder
    from mmtutor.models import fusion_builders
    from mmtutor.training import compare_models

    methods = ["early", "late_mean", "tensor", "cross_attention", "graph"]
    small = {name: {"units": 16} for name in ("cross_attention", "graph")}
    fit = {"learning_rate": 5e-3, "batch_size": 128, "validate": False}
    for num_modalities, chosen in ((2, methods), (3, ["concat"])):
        data = make_interactions("synergy", num_modalities=num_modalities, n=n, seed=seed)

        def encoders(data=data):
            return [build_vector_encoder(8, m, embedding_dim=16, hidden_units=32)
                    for m in data.modalities]  # fmt: skip

        builders = fusion_builders(encoders, data.train, chosen, num_classes=2, head_units=32,
                                   fusion_options={k: v for k, v in small.items() if k in chosen})  # fmt: skip
        table, _ = compare_models(builders, data, epochs=epochs, seeds=seed, **fit)
        print(f"synergy, {num_modalities} modalities, n={n}, seed {seed}, {epochs} epochs")
        print(table[["test accuracy"]].to_string(float_format="{:.3f}".format), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", choices=["05", "06", "09"], required=True)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--n", type=int, default=1500, help="examples of the 09 data")
    args = parser.parse_args()
    mmtutor.setup(seed=args.seeds[0])
    for seed in args.seeds:
        if args.notebook == "09":
            interaction_models(args.epochs, seed, args.n)
        else:
            mmdigits_models(args.notebook, args.epochs, seed)


if __name__ == "__main__":
    main()
