"""MM-Digits: the embedded default dataset of the series (taught in notebook 00).

Every example has three modalities and a label:

- ``image``: a real handwritten digit from scikit-learn's bundled ``load_digits``
  (8x8, 1,797 images), scaled to [0, 1] and degraded: a random occluding rectangle and
  pixel noise, both stronger for some examples than others;
- ``audio``: the digit's name spoken by a synthetic speaker (:mod:`mmtutor.data.speech`),
  0.5 s at 8 kHz, with background noise at a per-example SNR;
- ``text``: a short caption naming zero to four attributes of the digit (parity, size,
  loops, primality, stroke shape), never the digit itself;
- ``y``: the digit, 0-9.

Each modality is informative but insufficient on its own, and each fails on different
examples, so fusing all three is clearly better than any one or any two
(``benchmarks/mmdigits_bands.py`` measures it). Splits are made by source image first:
no test image is seen in training, whatever ``examples_per_image`` is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from mmtutor.data.speech import (
    SAMPLE_RATE,
    Speaker,
    add_noise_at_snr,
    make_speakers,
    synthesize_digits,
)

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf

__all__ = [
    "MODALITIES",
    "CLASS_NAMES",
    "DIGIT_ATTRIBUTES",
    "Split",
    "MMDigits",
    "load_mmdigits",
    "grouped_split",
    "make_caption",
    "load_source_digits",
]

MODALITIES: tuple[str, ...] = ("image", "audio", "text")
CLASS_NAMES: tuple[str, ...] = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
)  # fmt: skip

# attribute -> phrase for each digit 0..9 (a caption never names the digit itself)
DIGIT_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "parity": tuple("an even number" if d % 2 == 0 else "an odd number" for d in range(10)),
    "size": tuple("smaller than five" if d < 5 else "five or larger" for d in range(10)),
    "loops": tuple(
        {
            0: "with one closed loop",
            6: "with one closed loop",
            9: "with one closed loop",
            8: "with two closed loops",
        }.get(d, "with no closed loop")
        for d in range(10)
    ),
    "prime": tuple("a prime number" if d in (2, 3, 5, 7) else "not a prime" for d in range(10)),
    "strokes": tuple(
        "drawn with straight strokes only" if d in (1, 4, 7) else "drawn with curves"
        for d in range(10)
    ),
}
_OPENERS = ("this digit is", "the number is", "a handwritten digit that is", "it is")
_EMPTY = ("a handwritten digit", "someone wrote a digit", "no description", "a digit, spoken aloud")

# validated parameter ranges: name -> (low, high)
_RANGES: dict[str, tuple[float, float]] = {
    "examples_per_image": (1, 10),
    "image_noise": (0.0, 1.0),
    "audio_snr_db": (-20.0, 40.0),
    "caption_informativeness": (0.0, 1.0),
    "num_speakers": (1, 100),
}


def _check_range(name: str, value: object, integer: bool = False) -> None:
    low, high = _RANGES[name]
    kind = "an integer" if integer else "a number"
    ok_type = (
        isinstance(value, int | np.integer)
        if integer
        else isinstance(value, int | float | np.number)
    )
    if isinstance(value, bool) or not ok_type or not (low <= value <= high):  # type: ignore[operator]
        raise ValueError(f"{name} must be {kind} in [{low}, {high}], got {value!r}")


def make_caption(digit: int, n_attributes: int, rng: np.random.Generator) -> str:
    """A caption naming ``n_attributes`` (0-5) randomly chosen attributes of ``digit``.

    Example:
        >>> import numpy as np
        >>> make_caption(8, 1, np.random.default_rng(0))
        'it is with two closed loops'
    """
    if not 0 <= digit <= 9:
        raise ValueError(f"digit must be in [0, 9], got {digit!r}")
    if not 0 <= n_attributes <= len(DIGIT_ATTRIBUTES):
        raise ValueError(
            f"n_attributes must be in [0, {len(DIGIT_ATTRIBUTES)}], got {n_attributes!r}"
        )
    if n_attributes == 0:
        return str(rng.choice(_EMPTY))
    names = rng.choice(list(DIGIT_ATTRIBUTES), size=n_attributes, replace=False)
    phrases = [DIGIT_ATTRIBUTES[str(a)][digit] for a in names]
    return f"{rng.choice(_OPENERS)} {' and '.join(phrases)}"


def grouped_split(
    labels: np.ndarray,
    groups: np.ndarray,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split example indices into train/val/test so that no group crosses two splits.

    Groups (here: the source image of each example) are assigned to splits class by
    class, so every split keeps the class balance. Taught in notebook 01.

    Args:
        labels: (n,) class of each example; a group's class is that of its first example.
        groups: (n,) group id of each example.
        fractions: train/validation/test fractions of the groups; positive, sum to 1.
        seed: seed of the shuffling.

    Returns:
        Three sorted index arrays.

    Example:
        >>> import numpy as np
        >>> tr, va, te = grouped_split(np.array([0, 0, 1, 1] * 5), np.repeat(np.arange(10), 2))
        >>> sorted(np.concatenate([tr, va, te])) == list(range(20))
        True
    """
    labels, groups = np.asarray(labels), np.asarray(groups)
    if labels.ndim != 1 or labels.shape != groups.shape:
        raise ValueError(
            f"labels and groups must be 1-D arrays of one length, got shapes {labels.shape} "
            f"and {groups.shape}"
        )
    fr = np.asarray(fractions, dtype=float)
    if fr.shape != (3,) or np.any(fr <= 0) or not np.isclose(fr.sum(), 1.0):
        raise ValueError(
            f"fractions must be three positive numbers summing to 1, got {fractions!r}"
        )
    rng = np.random.default_rng(seed)
    uniq, first = np.unique(groups, return_index=True)
    group_label = labels[first]
    assign = np.empty(len(uniq), dtype=np.int8)
    for c in np.unique(group_label):
        members = rng.permutation(np.flatnonzero(group_label == c))
        cuts = np.round(np.cumsum(fr)[:2] * len(members)).astype(int)
        assign[members[: cuts[0]]] = 0
        assign[members[cuts[0] : cuts[1]]] = 1
        assign[members[cuts[1] :]] = 2
    split_of_example = assign[np.searchsorted(uniq, groups)]
    return tuple(np.flatnonzero(split_of_example == k) for k in range(3))  # type: ignore[return-value]


@dataclass(frozen=True)
class Split:
    """One split of MM-Digits: inputs ``x`` (a dict of named arrays), labels ``y``, metadata.

    ``x["image"]`` is (n, 8, 8, 1) float32 in [0, 1], ``x["audio"]`` (n, 4000) float32 in
    [-1, 1], ``x["text"]`` (n,) an object array of str; ``y`` is (n,) int32. ``meta`` holds
    per-example facts for analysis: ``source_image``, ``speaker``, ``snr_db``,
    ``n_attributes``, ``occluded_fraction``.
    """

    x: dict[str, np.ndarray]
    y: np.ndarray
    meta: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.y)

    def inputs(
        self, modalities: tuple[str, ...] | list[str] | None = None
    ) -> dict[str, np.ndarray]:
        """The input dict restricted to ``modalities`` (all of them by default)."""
        modalities = tuple(self.x) if modalities is None else tuple(modalities)
        unknown = [m for m in modalities if m not in self.x]
        if unknown or not modalities:
            raise ValueError(
                f"modalities must be a non-empty subset of {list(self.x)}, got {list(modalities)}"
            )
        return {m: self.x[m] for m in modalities}

    def as_dataset(
        self,
        batch_size: int = 64,
        shuffle: bool = False,
        seed: int = 0,
        modalities: tuple[str, ...] | list[str] | None = None,
        cache: bool = True,
    ) -> tf.data.Dataset:
        """A batched ``tf.data.Dataset`` of ``(inputs_dict, label)``, cached and prefetched.

        Shuffling (when asked) reshuffles every epoch from a fixed seed, so runs repeat.
        Taught in notebook 01.
        """
        import tensorflow as tf

        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        x = self.inputs(modalities)
        x = {k: v.astype(str) if v.dtype == object else v for k, v in x.items()}
        ds = tf.data.Dataset.from_tensor_slices((x, self.y))
        if cache:
            ds = ds.cache()
        if shuffle:
            ds = ds.shuffle(len(self), seed=seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


@dataclass(frozen=True)
class SplitSet:
    """Train/validation/test :class:`Split` s plus what describes them: the interface every
    dataset of the series shares (:class:`MMDigits`, :class:`mmtutor.data.AVMNIST`), so
    the training helpers work on any of them."""

    train: Split
    val: Split
    test: Split
    sample_rate: int
    class_names: tuple[str, ...]
    params: dict[str, object]

    def _repr_extra(self) -> str:
        """What a subclass adds at the end of its one-line description."""
        return ""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(train={len(self.train)}, val={len(self.val)}, "
            f"test={len(self.test)}, modalities={list(self.train.x)}, "
            f"sample_rate={self.sample_rate}{self._repr_extra()})"
        )


@dataclass(frozen=True, repr=False)
class MMDigits(SplitSet):
    """The three splits of MM-Digits plus what describes them (and its synthetic speakers)."""

    speakers: tuple[Speaker, ...] = ()


def load_source_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 8x8 handwritten digits that scikit-learn ships, as (images 0-16, labels).

    Reads the file that ``sklearn.datasets.load_digits`` reads, without importing
    scikit-learn (which costs over a second); falls back to ``load_digits`` if the file
    moved in another release.
    """
    import gzip
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz" if spec else None
    if path is not None and path.is_file():
        with gzip.open(path, "rt") as fh:
            table = np.loadtxt(fh, delimiter=",", dtype=np.float32)
        return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int32)
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images.astype(np.float32), digits.target.astype(np.int32)


def _degrade_images(
    images: np.ndarray, image_noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Occlude a random rectangle of every image and add pixel noise.

    Severity varies per example, so some images stay readable and some do not.
    """
    n = len(images)
    out = images.copy()
    severity = rng.uniform(0.0, 1.0, n) * image_noise  # 0 (clean) .. image_noise
    side = severity * 11.0  # occluder side in pixels, before a random aspect ratio
    h = np.clip(np.round(side * rng.uniform(0.7, 1.3, n)), 0, 8).astype(int)
    w = np.clip(np.round(side * rng.uniform(0.7, 1.3, n)), 0, 8).astype(int)
    top = rng.integers(0, 9 - h)
    left = rng.integers(0, 9 - w)
    rows = np.arange(8)[None, :, None]
    cols = np.arange(8)[None, None, :]
    mask = (
        (rows >= top[:, None, None])
        & (rows < (top + h)[:, None, None])
        & (cols >= left[:, None, None])
        & (cols < (left + w)[:, None, None])
    )
    fill = rng.uniform(0.0, 0.6, (n, 1, 1))
    out = np.where(mask, fill, out)
    out = (
        out + rng.normal(0.0, 1.0, out.shape) * (0.1 * image_noise + 0.35 * severity)[:, None, None]
    )
    return np.clip(out, 0.0, 1.0).astype(np.float32), mask.mean(axis=(1, 2)).astype(np.float32)


def load_mmdigits(
    seed: int = 0,
    examples_per_image: int = 2,
    image_noise: float = 0.5,
    audio_snr_db: float = -9.0,
    caption_informativeness: float = 0.7,
    num_speakers: int = 12,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
) -> MMDigits:
    """Build MM-Digits in memory: deterministic by ``seed``, no download, about a second.

    Args:
        seed: seed of everything random (degradation, speakers, captions, split).
        examples_per_image: examples made from each of the 1,797 source images (1-10),
            each with its own degradation, recording and caption.
        image_noise: image degradation strength in [0, 1]; 0 leaves images clean.
        audio_snr_db: median signal-to-noise ratio of the recordings, in [-20, 40] dB;
            each example draws its SNR uniformly within +-12 dB of it.
        caption_informativeness: in [0, 1]; the number of attributes a caption names is
            Binomial(4, caption_informativeness), so 0 gives empty captions only.
        num_speakers: synthetic speakers (1-100).
        fractions: train/validation/test fractions of the source images.

    Returns:
        An :class:`MMDigits` with ``train``, ``val`` and ``test`` :class:`Split` s.

    Raises:
        ValueError: a parameter outside its range; the message names it and the range.

    Example:
        >>> data = load_mmdigits(seed=0)
        >>> data.train.x["image"].shape[1:], data.train.x["audio"].shape[1:]
        ((8, 8, 1), (4000,))
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    _check_range("examples_per_image", examples_per_image, integer=True)
    _check_range("image_noise", image_noise)
    _check_range("audio_snr_db", audio_snr_db)
    _check_range("caption_informativeness", caption_informativeness)
    _check_range("num_speakers", num_speakers, integer=True)
    source_images, source_labels = load_source_digits()
    rng = np.random.default_rng(seed)
    k = examples_per_image
    source = np.repeat(np.arange(len(source_labels)), k)
    y = source_labels[source].astype(np.int32)
    n = len(y)

    images, occluded = _degrade_images(source_images[source] / 16.0, image_noise, rng)

    speakers = make_speakers(num_speakers, rng)
    speaker_ids = rng.integers(0, num_speakers, n)
    snr = rng.uniform(audio_snr_db - 12.0, audio_snr_db + 12.0, n)
    audio = add_noise_at_snr(synthesize_digits(y, speakers, speaker_ids, rng), snr, rng)

    n_attr = rng.binomial(4, caption_informativeness, n)
    text = np.array(
        [make_caption(int(d), int(a), rng) for d, a in zip(y, n_attr, strict=True)], dtype=object
    )

    train_idx, val_idx, test_idx = grouped_split(y, source, fractions, seed=seed)
    speaker_names = np.array([s.name for s in speakers], dtype=object)

    def take(idx: np.ndarray) -> Split:
        return Split(
            x={"image": images[idx, :, :, None], "audio": audio[idx], "text": text[idx]},
            y=y[idx],
            meta={
                "source_image": source[idx],
                "speaker": speaker_names[speaker_ids[idx]],
                "snr_db": snr[idx].astype(np.float32),
                "n_attributes": n_attr[idx],
                "occluded_fraction": occluded[idx],
            },
        )

    params = {
        "seed": int(seed), "examples_per_image": examples_per_image, "image_noise": image_noise,
        "audio_snr_db": audio_snr_db, "caption_informativeness": caption_informativeness,
        "num_speakers": num_speakers, "fractions": tuple(fractions),
    }  # fmt: skip
    return MMDigits(
        take(train_idx),
        take(val_idx),
        take(test_idx),
        SAMPLE_RATE,
        CLASS_NAMES,
        params,
        tuple(speakers),
    )


# --- notebook 14 ---
def make_imbalanced(split: Split, ratio: float = 10.0, seed: int = 0) -> Split:
    """A copy of ``split`` with a long-tailed class distribution, for class-imbalance lessons.

    Keeps every example of class 0 and, of each later class ``c`` (of ``K``), a random
    ``round(n_0 * ratio ** (-c / (K - 1)))`` (all of them if the class has fewer), so the
    counts fall geometrically and the largest class has ``ratio`` times the examples of the
    smallest (up to rounding). Order and metadata follow the kept examples. Taught in
    notebook 14; pair it with :func:`mmtutor.preprocessing.class_weights`.

    Example:
        >>> data = load_mmdigits(seed=0)
        >>> counts = np.bincount(make_imbalanced(data.train, ratio=10).y)
        >>> round(counts.max() / counts.min())
        10
    """
    from dataclasses import replace

    if (
        isinstance(ratio, bool)
        or not isinstance(ratio, int | float | np.number)
        or not (ratio >= 1)
    ):
        raise ValueError(f"ratio must be a number >= 1, got {ratio!r}")
    y = np.asarray(split.y)
    classes = np.unique(y)
    rng = np.random.default_rng(seed)
    n0 = int(np.sum(y == classes[0]))
    last = max(len(classes) - 1, 1)
    keep = []
    for rank, c in enumerate(classes):
        members = np.flatnonzero(y == c)
        target = min(len(members), max(1, int(round(n0 * float(ratio) ** (-rank / last)))))
        keep.append(rng.choice(members, size=target, replace=False))
    idx = np.sort(np.concatenate(keep))
    return replace(
        split,
        x={m: v[idx] for m, v in split.x.items()},
        y=y[idx],
        meta={k: np.asarray(v)[idx] for k, v in split.meta.items()},
    )


__all__ += ["make_imbalanced"]
