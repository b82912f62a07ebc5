"""Longer runs behind notebook 10 (contrastive alignment): what the notebook's short trainings
become with more epochs and steps.

Three parts, each optional:

- ``end_to_end``: the image <-> audio dual encoder of the notebook (default encoders, a
  32-d shared space, CLIP loss with a learned temperature started at 0.2, batch 64, Adam
  1e-3) trained for
  ``--epochs`` epochs without labels, per seed: same-class R@1 both directions, the
  zero-shot image accuracy with the notebook's spoken prompts, and linear probes of the
  image embeddings at 1 %, 10 % and 100 % of the labels;
- ``sweep``: the notebook's frozen-encoder protocol (supervised image and audio encoders,
  8 epochs; small heads on their embeddings, batches of one size drawn from the repeated,
  shuffled training pairs) with ``--steps`` Adam steps per run, over a
  grid of fixed temperatures (batch 128) and of batch sizes (temperature 0.1), for CLIP
  and SigLIP: image -> audio R@1 with same-class matches, mean over ``--seeds``;
- ``scratch``: the notebook's from-scratch image model (encoder of 02 + linear head) on
  1 % and 10 % of the labels (batches of 32, or all the labelled examples if fewer), test
  accuracy after each of ``--scratch-steps`` step counts (the notebook trains 320).

Run: ``python benchmarks/alignment.py --parts end_to_end sweep scratch --epochs 20 --steps 400
--scratch-steps 320 1000 --seeds 0 1 2`` (about 20 minutes on a 2-core CPU).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import mmtutor

PAIR = ["image", "audio"]
TEMPERATURES = (0.01, 0.03, 0.1, 0.3, 1.0)
BATCHES = (16, 64, 256, 1024)


def end_to_end(data, epochs: int, seeds: list[int]) -> None:
    import keras

    from mmtutor import alignment
    from mmtutor import evaluation as ev
    from mmtutor.data.speech import add_noise_at_snr, synthesize_digits
    from mmtutor.encoders import build_encoder

    y = data.test.y
    same = ev.same_class(y, y)
    rows = []
    for seed in seeds:
        mmtutor.setup(seed=seed, verbose=False)
        encoders = [build_encoder(m, data.train) for m in PAIR]
        model = alignment.DualEncoder(
            *encoders, embedding_dim=32, loss=alignment.CLIPLoss(temperature=0.2)
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-3))
        start = time.perf_counter()
        model.fit(data.train.inputs(PAIR), epochs=epochs, batch_size=64, verbose=0)
        seconds = time.perf_counter() - start
        z_train, z_test = (
            alignment.embed_split(model, data.train),
            alignment.embed_split(model, data.test),
        )
        s = alignment.similarity_matrix(z_test["image"], z_test["audio"])
        rng = np.random.default_rng(0)  # the notebook's spoken prompts: speaker_00 at 0 dB
        prompts = add_noise_at_snr(
            synthesize_digits(np.arange(10), list(data.speakers), np.zeros(10, int), rng),
            np.zeros(10),
            rng,
        )
        z_prompts = alignment.embed_split(model, {"audio": prompts})["audio"]
        zero_shot = ev.accuracy(y, alignment.zero_shot_classify(z_test["image"], z_prompts))
        probes = [
            alignment.linear_probe(z_train["image"], data.train.y, z_test["image"], y, f, seed)[0]
            for f in (0.01, 0.1, 1.0)
        ]
        rows.append(
            [ev.retrieval_metrics(s, same)["R@1"], ev.retrieval_metrics(s.T, same.T)["R@1"],
             zero_shot, *probes]
        )  # fmt: skip
        print(
            f"  seed {seed}: {epochs} epochs in {seconds:.1f} s: "
            + " ".join(f"{v:.3f}" for v in rows[-1])
        )
    names = ["R@1 image->audio", "R@1 audio->image", "zero-shot (spoken)", "probe 1%",
             "probe 10%", "probe 100%"]  # fmt: skip
    print(f"\nend to end, {epochs} epochs, mean over seeds {seeds}")
    for name, value in zip(names, np.mean(rows, axis=0), strict=True):
        print(f"  {name:<20} {value:.3f}")


def sweep(data, steps: int, seeds: list[int]) -> None:
    import keras
    import tensorflow as tf

    from mmtutor import alignment
    from mmtutor import evaluation as ev
    from mmtutor.encoders import build_vector_encoder
    from mmtutor.training import embed_splits, unimodal_baselines

    y = data.test.y
    same = ev.same_class(y, y)
    baselines = unimodal_baselines(data, epochs=8, validate=False)
    frozen = embed_splits(data, {m: baselines[m].model.get_layer(f"{m}_encoder") for m in PAIR})

    def run(loss, batch_size, seed):
        mmtutor.setup(seed=seed, verbose=False)
        heads = [build_vector_encoder(64, name=m, embedding_dim=32, hidden_units=64) for m in PAIR]
        model = alignment.DualEncoder(*heads, embedding_dim=32, loss=loss)
        model.compile(optimizer=keras.optimizers.Adam(3e-3))
        pairs = tf.data.Dataset.from_tensor_slices((frozen.train.inputs(PAIR), frozen.train.y))
        stream = pairs.shuffle(len(frozen.train), seed=seed).repeat().batch(batch_size)
        model.fit(stream, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)
        z = alignment.embed_split(model, frozen.test)
        return ev.retrieval_metrics(alignment.similarity_matrix(z["image"], z["audio"]), same)[
            "R@1"
        ]

    print(f"\nfrozen supervised encoders, {steps} steps, image -> audio R@1 (same class), "
          f"mean over seeds {seeds}")  # fmt: skip
    for t in TEMPERATURES:
        r = [run(alignment.CLIPLoss(t, learnable=False), 128, s) for s in seeds]
        print(
            f"  CLIP, temperature {t:<5} batch 128:  {np.mean(r):.3f}  ({' '.join(f'{v:.3f}' for v in r)})"
        )
    for b in BATCHES:
        clip = [run(alignment.CLIPLoss(0.1, learnable=False), b, s) for s in seeds]
        sig = [run(alignment.SigLIPLoss(), b, s) for s in seeds]
        print(
            f"  batch {b:<5} CLIP (T 0.1) {np.mean(clip):.3f}   SigLIP (learned T, bias) {np.mean(sig):.3f}"
        )


def scratch(data, steps: list[int], seeds: list[int]) -> None:
    from dataclasses import replace

    import tensorflow as tf

    from mmtutor import alignment
    from mmtutor import evaluation as ev
    from mmtutor.encoders import build_encoder
    from mmtutor.models import build_unimodal
    from mmtutor.training import compile_classifier

    print(f"\nfrom scratch, image model, test accuracy after {steps} steps, per seed")
    for fraction in (0.01, 0.1):
        results = []
        for seed in seeds:
            keep = alignment.label_subset(data.train.y, fraction, seed)
            labelled = replace(data.train, x={"image": data.train.x["image"][keep]},
                               y=data.train.y[keep], meta={})  # fmt: skip
            mmtutor.setup(seed=seed, verbose=False)
            model = compile_classifier(build_unimodal(build_encoder("image", data.train)))
            pairs = tf.data.Dataset.from_tensor_slices((labelled.inputs(["image"]), labelled.y))
            stream = pairs.shuffle(len(keep), seed=seed).repeat().batch(min(32, len(keep)))
            done, row = 0, []
            for target in sorted(steps):
                model.fit(stream, steps_per_epoch=target - done, epochs=1, shuffle=False, verbose=0)
                done = target
                predicted = ev.predict_classes(model, data.test.inputs(["image"]))
                row.append(ev.accuracy(data.test.y, predicted))
            results.append(row)
            print(f"  {fraction:.0%} seed {seed}: " + " ".join(f"{v:.3f}" for v in row))
        mean = np.mean(results, axis=0)
        print(
            f"  {fraction:.0%} mean: "
            + " ".join(f"{s} steps {v:.3f}" for s, v in zip(sorted(steps), mean, strict=True))
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["end_to_end", "sweep", "scratch"],
                        choices=["end_to_end", "sweep", "scratch"])  # fmt: skip
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--scratch-steps", type=int, nargs="+", default=[320, 1000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    mmtutor.setup(seed=args.seeds[0])
    from mmtutor.data import load_mmdigits

    data = load_mmdigits(seed=0)
    start = time.perf_counter()
    if "end_to_end" in args.parts:
        end_to_end(data, args.epochs, args.seeds)
    if "sweep" in args.parts:
        sweep(data, args.steps, args.seeds)
    if "scratch" in args.parts:
        scratch(data, args.scratch_steps, args.seeds)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
