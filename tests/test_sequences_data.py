"""mmtutor.data.sequences: the spoken digit sequences say what their labels say, their
boundaries are inside the clip and tight around each digit, they are deterministic by seed,
and bad parameters raise errors that name them; plus the digit descriptions."""

import numpy as np
import pytest
from scipy.signal import spectrogram

from mmtutor.data import (
    DIGIT_ATTRIBUTES,
    DigitSequences,
    describe_digit,
    digit_lists,
    load_mmdigits,
    make_digit_sequences,
    speak_sequences,
)
from mmtutor.data.sequences import PAD
from mmtutor.data.speech import make_speakers, synthesize_digits

RATE = 8000


@pytest.fixture(scope="module")
def small():
    return make_digit_sequences(n=60, seed=3)


def _splits(data):
    return [data.train, data.val, data.test]


# ------------------------------------------------------------------ shape of the data
def test_splits_labels_and_metadata_agree(small):
    assert isinstance(small, DigitSequences)
    assert sum(len(s) for s in _splits(small)) == 60
    assert small.params["min_digits"] == 2 and small.params["max_digits"] == 5
    for split in _splits(small):
        n = len(split)
        assert split.x["audio"].shape == (n, int(2.5 * RATE))
        assert split.x["audio"].dtype == np.float32
        assert split.y.shape == (n, 5) and split.y.dtype == np.int32
        k = split.meta["num_digits"]
        assert np.all((k >= 2) & (k <= 5))
        for row, length in zip(split.y, k, strict=True):
            assert np.all((row[:length] >= 0) & (row[:length] <= 9)) and np.all(row[length:] == PAD)
        assert np.array_equal(np.isnan(split.meta["starts"]), split.y == PAD)
        assert np.array_equal(np.isnan(split.meta["ends"]), split.y == PAD)
        assert np.all(np.abs(split.x["audio"]) <= 0.9 + 1e-6)  # the series' peak
    assert "digits=2-5" in repr(small)


def test_boundaries_are_inside_the_clip_ordered_and_apart(small):
    for split in _splits(small):
        starts, ends = split.meta["starts"], split.meta["ends"]
        for s, e in zip(starts, ends, strict=True):
            s, e = s[np.isfinite(s)], e[np.isfinite(e)]
            assert s[0] >= 0.02 - 1e-6 and e[-1] <= 2.5 - 0.02 + 1e-6  # the edges stay silent
            assert np.all(e > s)
            assert np.all(s[1:] >= e[:-1])  # digits never overlap
            assert np.all((e - s >= 0.15) & (e - s <= 0.48))  # a spoken digit's length


def test_the_clean_signal_is_exactly_the_spans():
    """Before noise, the audio is zero outside the spans, and each span is tight: its first
    and last samples are not silent."""
    rng = np.random.default_rng(0)
    speakers = make_speakers(4, rng)
    sequences = [[4, 0, 7, 1, 1], [2, 9], [6, 6, 6]]
    audio, starts, ends = speak_sequences(sequences, speakers, [0, 1, 3], rng)
    for row, s, e, digits in zip(audio, starts, ends, sequences, strict=True):
        inside = np.zeros(len(row), bool)
        for a, b in zip(s[: len(digits)], e[: len(digits)], strict=True):
            lo, hi = int(round(a * RATE)), int(round(b * RATE))
            inside[lo:hi] = True
            assert row[lo] != 0 and row[hi - 1] != 0
        assert np.all(row[~inside] == 0)
        assert np.all(np.isnan(s[len(digits) :]))


def _log_spectrogram(x):
    _, _, s = spectrogram(x, nperseg=256, noverlap=192)
    return np.log(s.T + 1e-6)


def test_each_span_sounds_like_its_label():
    """Labels match what is spoken: every span of a clean utterance is nearest (DTW distance
    of log spectrograms) to the synthesizer's own recording of the labelled digit by the same
    speaker, made separately with ``synthesize_digits``."""
    from mmtutor.translation import dtw

    rng = np.random.default_rng(0)
    speakers = make_speakers(3, rng)
    right = total = 0
    for speaker in range(3):
        clips = synthesize_digits(np.arange(10), speakers, np.full(10, speaker), rng, duration=0.6)
        templates = []
        for clip in clips:
            support = np.flatnonzero(clip)
            templates.append(_log_spectrogram(clip[support[0] : support[-1] + 1]))
        sequences = [rng.integers(0, 10, size=5) for _ in range(3)]
        audio, starts, ends = speak_sequences(sequences, speakers, [speaker] * 3, rng)
        for i, digits in enumerate(sequences):
            for j, digit in enumerate(digits):
                lo, hi = int(round(starts[i, j] * RATE)), int(round(ends[i, j] * RATE))
                segment = _log_spectrogram(audio[i, lo:hi])
                distances = [dtw(segment, t).distance / (len(segment) + len(t)) for t in templates]
                right += int(np.argmin(distances) == digit)
                total += 1
    assert right == total == 45


def test_long_pauses_shrink_to_fit_the_clip():
    rng = np.random.default_rng(1)
    speakers = make_speakers(2, rng)
    audio, starts, ends = speak_sequences([[0, 7, 0, 7]], speakers, [0], rng, duration=2.0,
                                          pause=(1.0, 2.0))  # fmt: skip
    assert ends[0, -1] <= 2.0 - 0.02 + 1e-6
    assert np.all(starts[0, 1:] >= ends[0, :-1])


def test_the_default_speakers_and_mmdigits_speakers():
    voices = load_mmdigits(seed=0).speakers
    data = make_digit_sequences(n=12, seed=0, speakers=voices)
    assert data.speakers == tuple(voices)
    used = {str(s) for split in _splits(data) for s in split.meta["speaker"]}
    assert used <= {s.name for s in voices}
    assert len(make_digit_sequences(n=12, seed=0, num_speakers=3).speakers) == 3


# ------------------------------------------------------------------ determinism
def test_same_seed_same_data_other_seed_other_data(small):
    again = make_digit_sequences(n=60, seed=3)
    for a, b in zip(_splits(small), _splits(again), strict=True):
        assert np.array_equal(a.x["audio"], b.x["audio"]) and np.array_equal(a.y, b.y)
        assert np.array_equal(a.meta["starts"], b.meta["starts"], equal_nan=True)
    other = make_digit_sequences(n=60, seed=4)
    assert not np.array_equal(other.train.y[:10], small.train.y[:10])


def test_lengths_follow_min_and_max_digits():
    data = make_digit_sequences(n=30, seed=0, min_digits=1, max_digits=1, duration=1.0)
    assert data.train.y.shape[1] == 1
    assert all(len(d) == 1 for d in digit_lists(data.train.y))


# ------------------------------------------------------------------ bad parameters
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n": 5}, r"n must be an integer in \[10, 20000\], got 5"),
        ({"n": 20.0}, "n must be an integer"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"min_digits": 0}, r"min_digits must be an integer in \[1, 10\]"),
        ({"min_digits": 4, "max_digits": 3}, "min_digits must be <= max_digits"),
        ({"duration": 2.0}, r"duration must be a number of seconds in \[2.44, 20\] for up to 5"),
        ({"pause": (0.3, 0.1)}, "pause must satisfy 0 <= shortest <= longest"),
        ({"pause": 0.2}, r"pause must be \(shortest, longest\)"),
        ({"snr_db": 50}, r"snr_db must be a number in \[-20, 40\]"),
        ({"num_speakers": 0}, r"num_speakers must be an integer in \[1, 100\]"),
        ({"speakers": ["me"]}, "speakers must be a non-empty sequence of Speaker"),
    ],
)
def test_bad_parameters_name_what_is_wrong(options, message):
    with pytest.raises(ValueError, match=message):
        make_digit_sequences(**{"n": 20, **options})


def test_speak_sequences_rejects_bad_input():
    rng = np.random.default_rng(0)
    speakers = make_speakers(2, rng)
    with pytest.raises(ValueError, match="digit must be in"):
        speak_sequences([[1, 12]], speakers, [0], rng)
    with pytest.raises(ValueError, match="non-empty integer digit sequences"):
        speak_sequences([[]], speakers, [0], rng)
    with pytest.raises(ValueError, match="one per sequence"):
        speak_sequences([[1], [2]], speakers, [0], rng)
    with pytest.raises(ValueError, match="must index the 2 speakers"):
        speak_sequences([[1]], speakers, [2], rng)
    with pytest.raises(ValueError, match="for up to 3 digits"):
        speak_sequences([[1, 2, 3]], speakers, [0], rng, duration=1.0)


# ------------------------------------------------------------------ descriptions, labels
def test_describe_digit_states_every_attribute_of_the_digit():
    descriptions = [describe_digit(d) for d in range(10)]
    assert len(set(descriptions)) == 10  # one description per digit
    for d, text in enumerate(descriptions):
        assert text.startswith("an even number" if d % 2 == 0 else "an odd number")
        assert ("a prime number" in text) == (d in (2, 3, 5, 7))
        assert ("smaller than five" in text) == (d < 5)
        assert ("straight strokes" in text) == (d in (1, 4, 7))
        assert text.count(" and ") == len(DIGIT_ATTRIBUTES) - 1
    assert "two closed loops" in describe_digit(8)
    for bad in (10, -1, 2.0, True):
        with pytest.raises(ValueError, match=r"digit must be an integer in \[0, 9\]"):
            describe_digit(bad)


def test_digit_lists_cut_the_padding():
    assert digit_lists(np.array([[4, 0, 7, -1], [1, 2, -1, -1]])) == [[4, 0, 7], [1, 2]]
    assert digit_lists(np.array([[9, 9]], np.int32)) == [[9, 9]]
    with pytest.raises(ValueError, match="2-D integer array"):
        digit_lists(np.array([1.0, 2.0]))
