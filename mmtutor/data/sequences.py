"""Spoken digit sequences and digit descriptions: the sequence data of notebook 11.

- :func:`make_digit_sequences`: utterances of 2-5 digits (like a PIN) spoken by the
  MM-Digits speakers with the series' synthesizer (:mod:`mmtutor.data.speech`), with pauses
  of varying length, at 8 kHz, with their digit strings and, *for evaluation only*, the
  true start and end of every digit. A speech recogniser trained with CTC never sees the
  boundaries: it learns where the digits are from the digit strings alone.
- :func:`speak_sequences`: the synthesis of given digit strings by given speakers (clean,
  with boundaries); notebook 11 uses it to make two speakers say the same sequence.
- :func:`describe_digit`: a digit's full description in the MM-Digits caption language, all
  five attributes in a fixed order (a translation target that is a function of the digit).
- :func:`digit_lists`: padded label rows back to lists of digits.

Pure NumPy (and the synthesizer's SciPy): nothing here imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mmtutor.data.mmdigits import CLASS_NAMES, DIGIT_ATTRIBUTES
from mmtutor.data.speech import (
    SAMPLE_RATE,
    Speaker,
    add_noise_at_snr,
    make_speakers,
    synthesize_digits,
)
from mmtutor.data.splits import Split, SplitSet, grouped_split

__all__ = [
    "PAD",
    "DigitSequences",
    "describe_digit",
    "digit_lists",
    "make_digit_sequences",
    "speak_sequences",
]

#: the label of the positions after the last digit of a shorter sequence
PAD = -1
#: the longest spoken digit of the synthesizer, in seconds ("zero" by the slowest speaker:
#: 350 ms / (0.85 * 0.93), plus the 16-ms window tails on both sides), rounded up
_LONGEST_WORD = 0.48
#: the clip each word is synthesized in before it is cut to its extent
_WORD_CLIP = 0.52
#: the shortest silence before the first and after the last word, in seconds
_EDGE = 0.02


@dataclass(frozen=True, repr=False)
class DigitSequences(SplitSet):
    """Train/validation/test splits of spoken digit sequences (:func:`make_digit_sequences`).

    Each split's ``x["audio"]`` is (n, samples) float32 at 8 kHz; ``y`` is (n, max_digits)
    int32, the digits in order, padded with :data:`PAD` (-1); ``meta`` holds
    ``num_digits`` (n,), ``starts`` and ``ends`` (n, max_digits) float32 seconds (NaN after
    the last digit), ``speaker`` (n,) names and ``snr_db`` (n,).
    """

    speakers: tuple[Speaker, ...] = ()

    def _repr_extra(self) -> str:
        return f", digits={self.params['min_digits']}-{self.params['max_digits']}"


def describe_digit(digit: int) -> str:
    """The digit's five attributes in MM-Digits' caption words, always in the same order
    (parity, size, loops, primality, strokes) and joined by "and": the caption MM-Digits
    would write if it named every attribute. Every digit has a different description.

    Example:
        >>> describe_digit(7)
        'an odd number and five or larger and with no closed loop and a prime number and drawn with straight strokes only'
    """
    if isinstance(digit, bool) or not isinstance(digit, int | np.integer) or not 0 <= digit <= 9:
        raise ValueError(f"digit must be an integer in [0, 9], got {digit!r}")
    return " and ".join(phrases[int(digit)] for phrases in DIGIT_ATTRIBUTES.values())


def digit_lists(y: np.ndarray, pad: int = PAD) -> list[list[int]]:
    """Rows of padded labels (n, max_digits) -> one list of digits per row (padding cut).

    Example:
        >>> digit_lists(np.array([[4, 0, 7, -1], [1, 2, -1, -1]]))
        [[4, 0, 7], [1, 2]]
    """
    y = np.asarray(y)
    if y.ndim != 2 or y.dtype.kind not in "iu":
        raise ValueError(f"y must be a 2-D integer array (n, max_digits), got {y.dtype} {y.shape}")
    return [[int(v) for v in row if v != pad] for row in y]


def _check_int(name: str, value, low: int, high: int) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not low <= value <= high
    ):
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return int(value)


def _check_pause(pause) -> tuple[float, float]:
    try:
        low, high = (float(p) for p in pause)
    except (TypeError, ValueError):
        raise ValueError(f"pause must be (shortest, longest) in seconds, got {pause!r}") from None
    if not 0.0 <= low <= high <= 2.0:
        raise ValueError(f"pause must satisfy 0 <= shortest <= longest <= 2 s, got {pause!r}")
    return low, high


def _check_duration(duration, max_digits: int) -> float:
    shortest = round(_LONGEST_WORD * max_digits + 2 * _EDGE, 2)
    if (
        isinstance(duration, bool)
        or not isinstance(duration, int | float | np.floating)
        or not shortest <= duration <= 20.0
    ):
        raise ValueError(
            f"duration must be a number of seconds in [{shortest}, 20] for up to {max_digits} "
            f"digits (a spoken digit lasts up to {_LONGEST_WORD} s), got {duration!r}"
        )
    return float(duration)


def speak_sequences(
    sequences: Sequence[Sequence[int]],
    speakers: Sequence[Speaker],
    speaker_ids: Sequence[int],
    rng: np.random.Generator,
    duration: float = 2.5,
    pause: tuple[float, float] = (0.05, 0.3),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Synthesize each digit sequence, spoken by one speaker, in a clip of ``duration`` s.

    Each digit is synthesized on its own (:func:`~mmtutor.data.speech.synthesize_digits`),
    cut to the extent of its signal, scaled to unit RMS and placed after the previous one
    with a pause drawn uniformly from ``pause`` (seconds); the silence before the first digit
    is drawn the same way, and the rest of the clip stays silent. When the words and pauses
    would not fit, the pauses shrink (all by one factor) until they do. The clips are clean;
    add noise with :func:`~mmtutor.data.speech.add_noise_at_snr`.

    Args:
        sequences: n digit strings (each a sequence of integers 0-9, at least one digit).
        speakers: the speaker table; ``speaker_ids`` index into it.
        speaker_ids: (n,) the speaker of each sequence.
        rng: the generator of every random draw.
        duration: clip length in seconds; at least 0.48 s per digit of the longest sequence.
        pause: (shortest, longest) pause in seconds.

    Returns:
        ``(audio, starts, ends)``: (n, round(duration * 8000)) float32 waveforms, and
        (n, longest sequence) float32 start and end times of each digit in seconds (NaN
        after a sequence's last digit).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> speakers = make_speakers(2, rng)
        >>> audio, starts, ends = speak_sequences([[4, 2], [7]], speakers, [0, 1], rng, duration=1.2)
        >>> audio.shape, starts.shape, bool(np.isnan(starts[1, 1]))
        ((2, 9600), (2, 2), True)
    """
    if not isinstance(sequences, Sequence) and not isinstance(sequences, np.ndarray):
        raise TypeError(f"sequences must be a sequence of digit sequences, got {type(sequences)}")
    seqs = [np.asarray(s) for s in sequences]
    if not seqs or any(s.ndim != 1 or len(s) == 0 or s.dtype.kind not in "iu" for s in seqs):
        raise ValueError("sequences must be a non-empty list of non-empty integer digit sequences")
    if any(s.min() < 0 or s.max() > 9 for s in seqs):
        raise ValueError("every digit must be in [0, 9]")
    ids = np.asarray(speaker_ids)
    if ids.shape != (len(seqs),) or ids.dtype.kind not in "iu":
        raise ValueError(
            f"speaker_ids must be {len(seqs)} integers (one per sequence), got {ids!r:.80}"
        )
    if len(speakers) == 0 or ids.min() < 0 or ids.max() >= len(speakers):
        raise ValueError(f"speaker_ids must index the {len(speakers)} speakers, got {ids!r:.80}")
    longest = max(len(s) for s in seqs)
    duration = _check_duration(duration, longest)
    low, high = _check_pause(pause)

    flat = np.concatenate(seqs).astype(int)
    flat_speakers = np.repeat(ids, [len(s) for s in seqs])
    clips = synthesize_digits(flat, list(speakers), flat_speakers, rng, duration=_WORD_CLIP)
    pauses = rng.uniform(low, high, size=(len(seqs), longest))
    length = int(round(duration * SAMPLE_RATE))
    audio = np.zeros((len(seqs), length), np.float32)
    starts = np.full((len(seqs), longest), np.nan, np.float32)
    ends = np.full((len(seqs), longest), np.nan, np.float32)
    k = 0
    for i, s in enumerate(seqs):
        words = []
        for clip in clips[k : k + len(s)]:
            support = np.flatnonzero(np.abs(clip) > 1e-6 * np.abs(clip).max())
            word = clip[support[0] : support[-1] + 1]
            words.append(word / np.sqrt(np.mean(word**2)))
        k += len(s)
        spoken = sum(len(w) for w in words)
        edge = int(_EDGE * SAMPLE_RATE)
        shortest = np.zeros(len(s), int)
        shortest[0] = edge  # silence before the first word; gaps[j]: the pause before word j
        gaps = np.maximum(np.round(pauses[i, : len(s)] * SAMPLE_RATE).astype(int), shortest)
        room = length - spoken - edge - shortest.sum()  # >= 0: duration was checked
        extra = gaps - shortest
        if extra.sum() > room:  # shrink every pause by one factor until the words fit
            gaps = shortest + np.floor(extra * room / extra.sum()).astype(int)
        position = 0
        for j, (gap, word) in enumerate(zip(gaps, words, strict=True)):
            position += int(gap)
            audio[i, position : position + len(word)] = word
            starts[i, j] = position / SAMPLE_RATE
            ends[i, j] = (position + len(word)) / SAMPLE_RATE
            position += len(word)
    return audio, starts, ends


def make_digit_sequences(
    n: int = 2000,
    seed: int = 0,
    min_digits: int = 2,
    max_digits: int = 5,
    duration: float = 2.5,
    pause: tuple[float, float] = (0.05, 0.3),
    snr_db: float = 10.0,
    speakers: Sequence[Speaker] | None = None,
    num_speakers: int = 12,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> DigitSequences:
    """Build spoken digit sequences in memory: deterministic by ``seed``, a few seconds.

    Each utterance draws a length uniformly in ``[min_digits, max_digits]``, its digits
    uniformly (repeats allowed, like a PIN), a speaker, and an SNR uniformly within +-5 dB
    of ``snr_db``; it is synthesized by :func:`speak_sequences` and the noise of MM-Digits
    is added (:func:`~mmtutor.data.speech.add_noise_at_snr`, which also scales it to a peak
    of 0.9). Utterances are split at random into train/validation/test.

    Args:
        n: number of utterances (10-20,000).
        seed: seed of everything random.
        min_digits, max_digits: the shortest and longest digit string (1-10).
        duration: clip length in seconds (at least 0.48 s per digit, plus 0.04 s).
        pause: (shortest, longest) pause before each digit, in seconds.
        snr_db: median signal-to-noise ratio in dB (-20 to 40).
        speakers: the speaker table, e.g. ``load_mmdigits().speakers`` (MM-Digits' voices);
            default: ``num_speakers`` new ones drawn from ``seed``.
        num_speakers: speakers to draw when ``speakers`` is not given (1-100).
        fractions: train/validation/test fractions of the utterances.

    Raises:
        ValueError: a parameter outside its range; the message names it and the range.

    Example:
        >>> data = make_digit_sequences(n=20, seed=0)
        >>> data.train.x["audio"].shape, data.train.y.shape
        ((16, 20000), (16, 5))
    """
    n = _check_int("n", n, 10, 20_000)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    min_digits = _check_int("min_digits", min_digits, 1, 10)
    max_digits = _check_int("max_digits", max_digits, 1, 10)
    if min_digits > max_digits:
        raise ValueError(
            f"min_digits must be <= max_digits, got min_digits={min_digits}, "
            f"max_digits={max_digits}"
        )
    duration = _check_duration(duration, max_digits)
    pause = _check_pause(pause)
    if (
        isinstance(snr_db, bool)
        or not isinstance(snr_db, int | float | np.number)
        or not (-20.0 <= snr_db <= 40.0)
    ):
        raise ValueError(f"snr_db must be a number in [-20, 40], got {snr_db!r}")
    rng = np.random.default_rng(seed)
    if speakers is None:
        _check_int("num_speakers", num_speakers, 1, 100)
        speakers = make_speakers(num_speakers, rng)
    speakers = tuple(speakers)
    if not speakers or not all(isinstance(s, Speaker) for s in speakers):
        raise ValueError(
            f"speakers must be a non-empty sequence of Speaker, got {type(speakers).__name__}"
        )

    lengths = rng.integers(min_digits, max_digits + 1, size=n)
    sequences = [rng.integers(0, 10, size=k) for k in lengths]
    speaker_ids = rng.integers(0, len(speakers), size=n)
    clean, starts, ends = speak_sequences(sequences, speakers, speaker_ids, rng, duration, pause)
    snr = rng.uniform(snr_db - 5.0, snr_db + 5.0, size=n)
    audio = add_noise_at_snr(clean, snr, rng)
    y = np.full((n, max_digits), PAD, np.int32)
    padded_starts = np.full((n, max_digits), np.nan, np.float32)
    padded_ends = np.full((n, max_digits), np.nan, np.float32)
    for i, s in enumerate(sequences):
        y[i, : len(s)] = s
    padded_starts[:, : starts.shape[1]] = starts
    padded_ends[:, : ends.shape[1]] = ends

    train, val, test = grouped_split(lengths, np.arange(n), fractions, seed=rng, stratify=False)
    names = np.array([s.name for s in speakers], dtype=object)

    def take(idx: np.ndarray) -> Split:
        return Split(
            x={"audio": audio[idx]},
            y=y[idx],
            meta={
                "num_digits": lengths[idx].astype(np.int32),
                "starts": padded_starts[idx],
                "ends": padded_ends[idx],
                "speaker": names[speaker_ids[idx]],
                "snr_db": snr[idx].astype(np.float32),
            },
        )

    params = {
        "n": n, "seed": int(seed), "min_digits": min_digits, "max_digits": max_digits,
        "duration": duration, "pause": pause, "snr_db": float(snr_db),
        "num_speakers": len(speakers), "fractions": tuple(fractions),
    }  # fmt: skip
    return DigitSequences(
        take(train), take(val), take(test), SAMPLE_RATE, CLASS_NAMES, params, speakers
    )
