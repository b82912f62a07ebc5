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

from dataclasses import dataclass

import numpy as np

from mmtutor.data.cache import cached_dataset
from mmtutor.data.speech import (
    SAMPLE_RATE,
    Speaker,
    add_noise_at_snr,
    make_speakers,
    synthesize_digits,
)
from mmtutor.data.splits import Split, SplitSet, grouped_split

__all__ = [
    "MODALITIES",
    "CLASS_NAMES",
    "DIGIT_ATTRIBUTES",
    "MMDigits",
    "load_mmdigits",
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
    if isinstance(value, bool) or not ok_type or not low <= value <= high:  # type: ignore[operator]
        raise ValueError(f"{name} must be {kind} in [{low}, {high}], got {value!r}")


def make_caption(digit: int, n_attributes: int, rng: np.random.Generator) -> str:
    """A caption naming ``n_attributes`` (0-5) randomly chosen attributes of ``digit``.

    Example:
        >>> import numpy as np
        >>> make_caption(8, 1, np.random.default_rng(0))
        'a handwritten digit that is drawn with curves'
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
    options = {
        "seed": int(seed), "examples_per_image": examples_per_image, "image_noise": image_noise,
        "audio_snr_db": audio_snr_db, "caption_informativeness": caption_informativeness,
        "num_speakers": num_speakers, "fractions": tuple(fractions),
    }  # fmt: skip
    # built once per test run where the test suite sets $MMTUTOR_DATASET_CACHE; else built
    return cached_dataset("mmdigits", options, lambda: _build(**options))


def _build(
    seed: int,
    examples_per_image: int,
    image_noise: float,
    audio_snr_db: float,
    caption_informativeness: float,
    num_speakers: int,
    fractions: tuple[float, float, float],
) -> MMDigits:
    """:func:`load_mmdigits` after its checks: the recipe itself."""
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
        "seed": seed, "examples_per_image": examples_per_image, "image_noise": image_noise,
        "audio_snr_db": audio_snr_db, "caption_informativeness": caption_informativeness,
        "num_speakers": num_speakers, "fractions": fractions,
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
