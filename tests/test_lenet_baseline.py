"""The LeNet-style baseline of benchmarks/lenet_avmnist.py (issue 17): the encoders pool a
28x28 image and a 1-s spectrogram down to 1x1 as in MultiBench's ``LeNet(1, 6, 3)`` and
``LeNet(1, 6, 5)``, and plug into the series' builders."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import mmtutor

mmtutor.setup(seed=0, verbose=False)

PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "lenet_avmnist.py"
spec = importlib.util.spec_from_file_location("lenet_avmnist", PATH)
lenet = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lenet)

RNG = np.random.default_rng(0)
TRAIN = SimpleNamespace(x={"image": RNG.uniform(size=(6, 28, 28, 1)).astype("float32"),
                           "audio": (RNG.normal(size=(6, 8000)) * 0.1).astype("float32")})  # fmt: skip


def _pooled(size: int, times: int) -> int:
    for _ in range(times):  # 2x2 max-pooling, "valid": floor division
        size //= 2
    return size


def test_image_encoder_pools_28x28_to_one_position_of_48_filters():
    encoder = lenet.build_lenet_encoder("image", TRAIN)
    side = _pooled(28, 4)  # LeNet(1, 6, 3): 4 conv blocks
    assert side == 1
    assert encoder.output_shape == (None, side * side * 6 * 2**3)
    assert encoder.name == "image_encoder" and encoder.inputs[0].name == "image"


def test_audio_encoder_pools_a_1s_spectrogram_to_one_position_of_192_filters():
    encoder = lenet.build_lenet_encoder("audio", TRAIN)
    frame_length, frame_step, bins = lenet.LENET_SPECTROGRAM
    frames = 1 + (8000 - frame_length) // frame_step  # 122 frames of 8 ms
    assert encoder.get_layer("log_mel").output.shape[1:] == (frames, bins)
    size = _pooled(frames, 6) * _pooled(bins, 6)  # LeNet(1, 6, 5): 6 conv blocks
    assert encoder.output_shape == (None, size * 6 * 2**5)


def test_unimodal_and_fusion_models_give_ten_logits():
    assert lenet.build_lenet_unimodal("image", TRAIN).output_shape == (None, 10)
    fused = lenet.build_lenet_fusion(TRAIN)
    assert sorted(t.name for t in fused.inputs) == ["audio", "image"]
    out = fused.predict({m: TRAIN.x[m] for m in ("image", "audio")}, verbose=0)
    assert out.shape == (6, 10)


def test_unknown_modality_is_rejected():
    with pytest.raises(ValueError, match="modality must be one of"):
        lenet.build_lenet_encoder("text", TRAIN)
