"""Train every fusion method of the series on AV-MNIST with fixed settings and print a table.

Protocol (as notebooks 07-08): train one image and one audio classifier (the unimodal
baselines), freeze their encoders, then train each fusion method of
``mmtutor.models.FUSION_METHODS`` on their embeddings (``compare_frozen_fusion``); plus
late fusion (mean of probabilities) trained end to end. Needs the real data
(``mnist/t10k-*.gz`` and ``fsdd/recordings``), read from ``--data`` or ``MMTUTOR_DATA``.

    python benchmarks/avmnist.py --data ../shared/data --epochs 10
"""

from __future__ import annotations

import argparse
import os
import time

import mmtutor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("MMTUTOR_DATA"),
                        help="data folder (default: $MMTUTOR_DATA)")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=10, help="epochs of every training")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--image-energy", type=float, default=0.3)
    parser.add_argument("--speaker-disjoint", action="store_true")
    parser.add_argument("--audio-snr-db", type=float, default=None)
    args = parser.parse_args()
    mmtutor.setup(seed=args.seed)
    import pandas as pd

    from mmtutor.data import build_avmnist
    from mmtutor.encoders import build_encoder
    from mmtutor.models import build_late_fusion, build_unimodal
    from mmtutor.training import compare_frozen_fusion, compare_models

    start = time.perf_counter()
    data = build_avmnist(args.data, seed=args.seed, image_energy=args.image_energy,
                         speaker_disjoint=args.speaker_disjoint,
                         audio_snr_db=args.audio_snr_db)  # fmt: skip
    print(f"{data} built in {time.perf_counter() - start:.1f} s", flush=True)
    make = {m: (lambda m=m: build_encoder(m, data.train)) for m in ("image", "audio")}
    unimodal, results = compare_models(
        {f"{m} only": (lambda m=m: build_unimodal(make[m]())) for m in make},
        data, epochs=args.epochs, seeds=args.seed,
    )  # fmt: skip
    print(unimodal.to_string(), "\n", flush=True)
    encoders = {m: results[f"{m} only"].model.get_layer(f"{m}_encoder") for m in make}
    frozen, _ = compare_frozen_fusion(encoders, data, epochs=args.epochs, seeds=args.seed,
                                      ablate=list(make), how="mean", batch_size=256,
                                      learning_rate=0.005)  # fmt: skip
    frozen.index = [f"{name} (frozen)" for name in frozen.index]
    print(frozen.to_string(), "\n", flush=True)
    end_to_end, _ = compare_models(
        {"late_mean (end to end)": lambda: build_late_fusion([make[m]() for m in make])},
        data, epochs=args.epochs, seeds=args.seed, ablate=list(make),
    )  # fmt: skip
    table = pd.concat([unimodal, frozen, end_to_end])
    columns = ["parameters", "epochs", "train time", "test accuracy"]
    columns += [c for c in table.columns if c.startswith("without")]
    print(f"AV-MNIST {data.params}")
    print(
        table[columns]
        .astype(object)
        .where(table[columns].notna(), "-")
        .rename_axis("method")
        .to_string()
    )


if __name__ == "__main__":
    main()
