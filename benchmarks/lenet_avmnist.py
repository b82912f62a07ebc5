"""The LeNet-style baseline of the AV-MNIST papers, in plain Keras (used by ``avmnist.py``).

The AV-MNIST encoders of CentralNet (Vielzeuf et al., 2018), MFAS (Pérez-Rúa et al.,
2019) and MultiBench (Liang et al., 2021; ``unimodals/common_models.py``, ``LeNet``):
a first 5x5 convolution with ``channels`` filters, then ``additional_layers`` 3x3
convolutions that each double the filters; every convolution without bias, followed by
batch normalisation, ReLU and 2x2 max-pooling, until the map is about 1x1; the flattened
map is the embedding. The image encoder is ``LeNet(1, 6, 3)`` (28x28 -> 1x1x48), the audio
encoder ``LeNet(1, 6, 5)`` on a spectrogram (MultiBench's is 112x112 -> 1x1x192). MultiBench's
AV-MNIST fusion script (``examples/multimedia/avmnist_simple_late_fusion.py``) concatenates
the two embeddings and classifies them with an MLP of 100 hidden units, trained end to end.

Here the audio encoder reads a log-mel spectrogram of the waveform computed inside the
model (:class:`mmtutor.preprocessing.LogMelSpectrogram`, 64 mel bins every 8 ms: 122 x 64
for 1 s at 8 kHz, close to MultiBench's 112 x 112), normalised per mel bin with the
training split's statistics (122 -> 61 -> 30 -> 15 -> 7 -> 3 -> 1 frames, 64 -> ... -> 1
bins). Every model, unimodal or fused, classifies with an MLP of 100 hidden units, as
MultiBench's scripts do. Everything is a standard Keras layer; the models save to ``.keras``
like the series' own.

    python benchmarks/lenet_avmnist.py --data "$MMTUTOR_DATA" --seed 0   # one run of each
"""

from __future__ import annotations

import argparse
import os

import keras
from keras import layers

#: the spectrogram of the LeNet audio encoder: (frame_length, frame_step, num_mel_bins)
LENET_SPECTROGRAM = (256, 64, 64)
#: (channels, additional_layers) of each encoder, as in MultiBench's AV-MNIST scripts
LENET_LAYERS = {"image": (6, 3), "audio": (6, 5)}
#: hidden units of the MLP that classifies the concatenated embeddings (MultiBench: 100)
LENET_HEAD_UNITS = 100
#: batch-norm momentum: PyTorch's default (momentum 0.1 there: running = 0.9 running + 0.1
#: batch) is Keras' 0.9. Keras' own default, 0.99, lags behind the weights in a 10-epoch run
#: of ~110 steps an epoch (measured, audio, seed 0: 0.797 at 0.99)
LENET_BN_MOMENTUM = 0.9


def lenet_blocks(x, channels: int, additional_layers: int):
    """MultiBench's ``LeNet(in_channels, channels, additional_layers)``: conv 5x5, then
    3x3 convolutions doubling the filters; each bias-free, batch norm (PyTorch's momentum,
    :data:`LENET_BN_MOMENTUM`), ReLU, 2x2 max-pool."""
    for i in range(additional_layers + 1):
        width, kernel = channels * 2**i, 5 if i == 0 else 3
        x = layers.Conv2D(width, kernel, padding="same", use_bias=False, name=f"lenet{i}_conv")(x)
        x = layers.BatchNormalization(momentum=LENET_BN_MOMENTUM, name=f"lenet{i}_bn")(x)
        x = layers.ReLU(name=f"lenet{i}_relu")(x)
        x = layers.MaxPooling2D(name=f"lenet{i}_pool")(x)
    return layers.Flatten(name="lenet_flatten")(x)


def build_lenet_encoder(modality: str, train) -> keras.Model:
    """The LeNet-style encoder of ``modality`` ("image" or "audio"), named like the
    series' encoders (``<modality>_encoder``, input ``<modality>``), so the series' model
    builders and training helpers take it. ``train`` is the training split (input shape;
    for audio, the spectrogram statistics)."""
    from mmtutor.preprocessing import LogMelSpectrogram, make_spectrogram_normalizer

    if modality not in LENET_LAYERS:
        raise ValueError(f"modality must be one of {list(LENET_LAYERS)}, got {modality!r}")
    shape = tuple(int(d) for d in train.x[modality].shape[1:])
    inputs = keras.Input(shape=shape, name=modality)
    x = inputs
    if modality == "audio":
        frame_length, frame_step, bins = LENET_SPECTROGRAM
        front = LogMelSpectrogram(frame_length=frame_length, frame_step=frame_step,
                                  num_mel_bins=bins, name="log_mel")  # fmt: skip
        x = make_spectrogram_normalizer(train.x["audio"], frontend=front)(front(x))
        x = layers.Reshape((-1, bins, 1))(x)
    outputs = lenet_blocks(x, *LENET_LAYERS[modality])
    return keras.Model(inputs, outputs, name=f"{modality}_encoder")


def build_lenet_unimodal(modality: str, train) -> keras.Model:
    """A LeNet encoder and MultiBench's unimodal head: an MLP of 100 ReLU units, 10 logits."""
    from mmtutor.models import build_unimodal

    return build_unimodal(build_lenet_encoder(modality, train), head_units=LENET_HEAD_UNITS,
                          dropout=0.0)  # fmt: skip


def build_lenet_fusion(train) -> keras.Model:
    """MultiBench's AV-MNIST fusion model: both LeNet encoders, their embeddings
    concatenated, an MLP head of 100 ReLU units, 10 logits (no dropout), end to end."""
    from mmtutor.models import build_fusion_model

    encoders = [build_lenet_encoder(m, train) for m in ("image", "audio")]
    return build_fusion_model(encoders, "concat", head_units=LENET_HEAD_UNITS, dropout=0.0,
                              name="lenet_concat")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("MMTUTOR_DATA"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    import mmtutor

    mmtutor.setup(seed=args.seed)
    from mmtutor.data import build_avmnist
    from mmtutor.training import compare_models

    data = build_avmnist(args.data, seed=0, speaker_disjoint=True)
    builders = {f"lenet {m}": (lambda m=m: build_lenet_unimodal(m, data.train))
                for m in ("image", "audio")}  # fmt: skip
    builders["lenet concat (end to end)"] = lambda: build_lenet_fusion(data.train)
    table, _ = compare_models(builders, data, epochs=args.epochs, seeds=args.seed, validate=False)
    print(table.to_string())


if __name__ == "__main__":
    main()
