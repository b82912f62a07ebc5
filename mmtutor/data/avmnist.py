"""AV-MNIST: a handwritten digit (MNIST) paired with the same digit spoken (FSDD) (notebook 15).

**Recipe** (:func:`build_avmnist`):

1. Split the MNIST images into train/val/test (stratified by digit, by ``seed``), with
   :func:`mmtutor.data.grouped_split`, each image its own group.
2. Split the FSDD recordings too, so no recording is heard in two splits: by recording
   (:func:`~mmtutor.data.grouped_split` again, stratified by digit and speaker), or with
   ``speaker_disjoint=True`` by *speaker* (the test speakers are never heard in
   training: a harder, more honest test).
3. Degrade every image by projecting it onto the principal components that carry the
   fraction ``image_energy`` of the variance of the *training* images, then clip to
   [0, 1]. Few components keep the rough shape of a digit and lose the detail that
   separates, e.g., a 4 from a 9, so the image alone is no longer enough.
4. Pair each image with a recording *of the same digit* from its split's recordings,
   drawn without replacement until they run out (so recordings are used evenly), then
   again. A pair never mixes two digits; the label is that digit.
5. Audio: each recording centred in ``num_samples`` samples at 8 kHz (zero-padded or
   cropped to the middle; 4,000 = 0.5 s, as in the rest of the series), optionally
   mixed with noise at ``audio_snr_db``, and scaled to a peak of 0.9 (a silent crop stays
   silent). The spectrogram is computed *inside* the audio encoders
   (:class:`mmtutor.preprocessing.LogMelSpectrogram`), so
   :func:`mmtutor.encoders.build_encoder` works unchanged and a saved model serves raw
   waveforms.

**Sources.** AV-MNIST was introduced by Vielzeuf et al. (2018, CentralNet: a multilayer
approach for multimodal fusion, ECCV workshops) and used by Pérez-Rúa et al. (2019, MFAS:
multimodal fusion architecture search, CVPR) and by MultiBench (Liang et al., 2021,
NeurIPS datasets track). In those versions the images are degraded with PCA and the
audio, noisy FSDD recordings, is given as a spectrogram.

**Warning.** Two incompatible AV-MNIST versions circulate (and this one is a third):
they differ in how much image energy is kept, the audio noise, the FSDD release (number
of speakers), the spectrogram and the splits. Published accuracies are comparable only
with the *same* version; compare methods on one version, never numbers across papers.
This builder needs only the 10,000-image MNIST test split (the one in the project's
offline data folder), and splits it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmtutor.data.audio import pad_or_crop, scale_to_peak
from mmtutor.data.fsdd import load_fsdd
from mmtutor.data.mmdigits import CLASS_NAMES
from mmtutor.data.mnist import load_mnist
from mmtutor.data.speech import add_noise_at_snr
from mmtutor.data.splits import Split, SplitSet, grouped_split

__all__ = ["AVMNIST", "build_avmnist", "pca_degrade"]


@dataclass(frozen=True, repr=False)
class AVMNIST(SplitSet):
    """The three splits of AV-MNIST (same interface as :class:`mmtutor.data.MMDigits`).

    Each :class:`~mmtutor.data.Split` has ``x["image"]`` (n, 28, 28, 1) float32 in
    [0, 1], ``x["audio"]`` (n, num_samples) float32, ``y`` (n,) int32 and ``meta``:
    ``speaker``, ``recording`` (FSDD file name), ``mnist_index`` (row in the MNIST
    file).
    """

    pca_components: int = 0
    split_speakers: dict[str, tuple[str, ...]] | None = None

    def _repr_extra(self) -> str:
        return f", pca_components={self.pca_components}"


def pca_degrade(
    train: np.ndarray, others: list[np.ndarray], energy: float
) -> tuple[list[np.ndarray], int]:
    """Project images onto the top principal components of ``train`` that carry the
    fraction ``energy`` of its variance; returns ([train, *others] reconstructed and
    clipped to [0, 1], number of components).

    The components are scikit-learn's ``PCA(n_components=energy, svd_solver="full")``,
    fitted on ``train`` only: the fewest components whose explained variance exceeds
    ``energy`` (all of them for ``energy=1``).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> train, test = rng.uniform(size=(50, 4, 4)), rng.uniform(size=(5, 4, 4))
        >>> (a, b), k = pca_degrade(train, [test], 0.5)
        >>> a.shape, b.shape, k
        ((50, 4, 4), (5, 4, 4), 5)
    """
    from sklearn.decomposition import PCA

    if isinstance(energy, bool) or not isinstance(energy, int | float | np.number):
        raise ValueError(f"image_energy must be a number in (0, 1], got {energy!r}")
    if not 0.0 < energy <= 1.0:
        raise ValueError(f"image_energy must be in (0, 1], got {energy!r}")
    train = np.asarray(train)
    if train.ndim < 2 or len(train) < 2:
        raise ValueError(f"train must hold at least 2 images, got shape {train.shape}")
    bad = [np.shape(o) for o in others if np.shape(o)[1:] != train.shape[1:]]
    if bad:
        raise ValueError(f"others must have images of shape {train.shape[1:]}, got shapes {bad}")
    pca = PCA(n_components=float(energy) if energy < 1.0 else None, svd_solver="full")
    pca.fit(train.reshape(len(train), -1).astype(np.float64))
    out = []
    for images in [train, *others]:
        flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
        rec = pca.inverse_transform(pca.transform(flat))
        out.append(np.clip(rec, 0.0, 1.0).astype(np.float32).reshape(np.shape(images)))
    return out, int(pca.n_components_)


def _speaker_split(fractions, rng: np.random.Generator, speakers: tuple[str, ...]):
    n = len(speakers)
    n_val, n_test = (max(1, round(f * n)) for f in fractions[1:])
    if n_val + n_test >= n:
        raise ValueError(
            f"speaker_disjoint needs a training speaker: {n} speakers, fractions {fractions}"
        )
    order = [speakers[i] for i in rng.permutation(n)]
    groups = (
        order[: n - n_val - n_test],
        order[n - n_val - n_test : n - n_test],
        order[n - n_test :],
    )
    return {s: k for k, group in enumerate(groups) for s in group}, groups


def build_avmnist(
    root: str | Path | None = None,
    seed: int = 0,
    image_energy: float = 0.3,
    speaker_disjoint: bool = False,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    num_samples: int = 4000,
    audio_snr_db: float | None = None,
    mnist_split: str = "test",
    download: bool = True,
    opener: Callable | None = None,
) -> AVMNIST:
    """Build AV-MNIST from MNIST and FSDD (see the module docstring for the recipe).

    Args:
        root: data folder (``mnist/`` and ``fsdd/recordings/``); default as
            :func:`mmtutor.data.load_mnist` (``$MMTUTOR_DATA``, the cache, a download).
        seed: seed of the splits, the pairing and the noise.
        image_energy: fraction of the training images' variance the kept principal
            components carry, in (0, 1]; 1 keeps the images as they are.
        speaker_disjoint: split the recordings by speaker (6 speakers: 4 train, 1 val,
            1 test with the default fractions) instead of by recording.
        fractions: train/validation/test fractions (of images; of recordings or speakers).
        num_samples: waveform length at 8 kHz.
        audio_snr_db: add noise at this signal-to-noise ratio (dB); ``None``: none.
        mnist_split: which MNIST file to use: ``"test"`` (10,000 images, enough) or
            ``"train"`` (60,000).
        download, opener: passed to the loaders.

    Returns:
        An :class:`AVMNIST` with ``train``/``val``/``test`` splits, usable wherever
        MM-Digits is (``compare_models``, ``build_encoder``, ``compare_frozen_fusion``).

    Example:
        >>> data = build_avmnist(seed=0)  # doctest: +SKIP
        >>> data.train.x["image"].shape[1:], data.train.x["audio"].shape[1:]  # doctest: +SKIP
        ((28, 28, 1), (4000,))
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    fr = np.asarray(fractions, dtype=float)
    if fr.shape != (3,) or np.any(fr <= 0) or not np.isclose(fr.sum(), 1.0):
        raise ValueError(
            f"fractions must be three positive numbers summing to 1, got {fractions!r}"
        )
    if not 0.0 < image_energy <= 1.0:
        raise ValueError(f"image_energy must be in (0, 1], got {image_energy!r}")
    images, labels = load_mnist(mnist_split, root=root, download=download, opener=opener)
    rec = load_fsdd(root=root, download=download, opener=opener)
    rng = np.random.default_rng(seed)

    # one generator for the whole recipe: grouped_split draws from it in turn
    idx = grouped_split(labels, np.arange(len(labels)), fr, seed=rng)  # each image its own group
    speakers = tuple(sorted(set(rec.speaker)))
    split_speakers = None
    if speaker_disjoint:
        of_speaker, groups = _speaker_split(fr, rng, speakers)
        rec_split = np.array([of_speaker[s] for s in rec.speaker], np.int8)
        split_speakers = dict(zip(("train", "val", "test"), map(tuple, groups), strict=True))
    else:  # by recording, stratified by digit and speaker
        strata = rec.digit.astype(np.int64) * len(speakers) + np.searchsorted(speakers, rec.speaker)
        rec_split = np.empty(len(rec), np.int8)
        for k, part in enumerate(grouped_split(strata, np.arange(len(rec)), fr, seed=rng)):
            rec_split[part] = k

    x = images.astype(np.float32) / 255.0
    (x_train, x_val, x_test), k = (
        pca_degrade(x[idx[0]], [x[idx[1]], x[idx[2]]], image_energy)
        if image_energy < 1.0
        else ([x[i] for i in idx], x[0].size)
    )
    degraded = {0: x_train, 1: x_val, 2: x_test}

    splits = []
    for s in range(3):
        y = labels[idx[s]]
        chosen = np.empty(len(y), np.int64)
        for digit in range(10):
            where = np.flatnonzero(y == digit)
            pool = np.flatnonzero((rec.digit == digit) & (rec_split == s))
            if len(pool) == 0:
                raise ValueError(f"split {s} has no recording of digit {digit}")
            reps = -(-len(where) // len(pool))
            draws = np.concatenate([rng.permutation(pool) for _ in range(reps)])
            chosen[where] = draws[: len(where)]
        audio = np.stack([pad_or_crop(rec.waveforms[i], num_samples) for i in chosen])
        if audio_snr_db is not None:
            audio = add_noise_at_snr(audio, np.full(len(audio), float(audio_snr_db)), rng)
        else:
            audio = scale_to_peak(audio)  # a silent crop stays zeros (no 0 / 0)
        splits.append(
            Split(
                x={"image": degraded[s][..., None], "audio": audio.astype(np.float32)},
                y=y.astype(np.int32),
                meta={
                    "speaker": rec.speaker[chosen],
                    "recording": rec.file[chosen],
                    "mnist_index": idx[s],
                },
            )
        )
    params = {
        "seed": int(seed), "image_energy": image_energy, "speaker_disjoint": speaker_disjoint,
        "fractions": tuple(fractions), "num_samples": num_samples, "audio_snr_db": audio_snr_db,
        "mnist_split": mnist_split,
    }  # fmt: skip
    return AVMNIST(*splits, rec.sample_rate, CLASS_NAMES, params, k, split_speakers)
