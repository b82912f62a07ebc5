"""Checkers for notebooks 00-04: waveforms, splits, receptive fields, masking, noise."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mmtutor.exercises.report import CheckReport, close, require_callable, run_checks

__all__ = [
    "check_peak_normalize",
    "check_grouped_split",
    "check_receptive_field",
    "check_masked_mean",
    "check_add_noise_at_snr",
]


# --------------------------------------------------------------------------- 00 welcome
def check_peak_normalize(fn: Callable) -> CheckReport:
    """Notebook 00: ``fn(waveform, peak=0.9)`` scales a waveform so that its loudest sample
    has magnitude ``peak``, and leaves a silent clip silent."""
    require_callable(fn, "function")
    rng = np.random.default_rng(0)
    wave = (rng.normal(size=800) * 0.1).astype("float32")
    wave[100] = -0.7  # the loudest sample is negative

    def loudest():
        out = np.asarray(fn(wave.copy(), peak=0.9))
        if not np.isclose(np.abs(out).max(), 0.9, atol=1e-5):
            return f"the loudest |sample| is {np.abs(out).max():.4f}; divide by np.abs(x).max()"
        return None

    def shape_sign():
        out = np.asarray(fn(wave.copy(), peak=0.9))
        if out.shape != wave.shape or not np.allclose(out, wave / 0.7 * 0.9, atol=1e-5):
            return "scale every sample by the same factor peak / max|x|, keeping signs"
        return None

    def silent():
        out = np.asarray(fn(np.zeros(100, "float32"), peak=0.9))
        if out.shape != (100,) or not np.all(np.isfinite(out)) or np.any(out != 0):
            return "0 / 0 is NaN: return the zeros unchanged when the peak is 0"
        return None

    def untouched():
        x = wave.copy()
        fn(x, peak=0.5)
        return None if np.array_equal(x, wave) else "return a new array; do not modify the input"

    return run_checks("check_peak_normalize", [
        ("the loudest sample reaches the peak (negative samples count)", loudest),
        ("every sample is scaled by one factor, signs kept", shape_sign),
        ("a silent clip stays silent (all zeros, no NaN)", silent),
        ("the input array is left unchanged", untouched),
    ])  # fmt: skip


# --------------------------------------------------------------------------- 01 preprocessing
def check_grouped_split(fn: Callable) -> CheckReport:
    """Notebook 01: ``fn(groups, fractions=(0.7, 0.15, 0.15), seed=0)`` returns three index
    arrays (train, val, test) such that no group is in two splits."""
    require_callable(fn, "function")
    groups = np.repeat(np.arange(40), 3)  # 40 groups (source images) of 3 examples
    groups = groups[np.random.default_rng(1).permutation(len(groups))]

    def run(seed=0):
        return [
            np.asarray(i, dtype=int) for i in fn(groups, fractions=(0.7, 0.15, 0.15), seed=seed)
        ]

    def complete():
        parts = run()
        every = np.sort(np.concatenate(parts))
        if len(parts) != 3 or not np.array_equal(every, np.arange(len(groups))):
            return "return three index arrays that together hold every example exactly once"
        return None

    def disjoint():
        seen = [set(groups[p]) for p in run()]
        pairs = [(a, b) for a in range(3) for b in range(a + 1, 3) if seen[a] & seen[b]]
        if pairs:
            names = ["train", "val", "test"]
            a, b = pairs[0]
            return (f"groups {[int(g) for g in sorted(seen[a] & seen[b])[:3]]} are in both {names[a]} and "
                    f"{names[b]}: assign whole groups, not examples")  # fmt: skip
        return None

    def fractions():
        sizes = [len(set(groups[p])) for p in run()]
        if sizes[0] < 26 or sizes[0] > 30 or min(sizes[1:]) < 4:
            return f"groups per split {sizes}; expected about 28, 6, 6 of the 40 groups"
        return None

    def seeded():
        a, b = run(0), run(0)
        if not all(np.array_equal(x, y) for x, y in zip(a, b, strict=True)):
            return "the same seed must give the same split: use np.random.default_rng(seed)"
        c = run(1)
        if all(np.array_equal(np.sort(x), np.sort(y)) for x, y in zip(a, c, strict=True)):
            return "another seed should give another split"
        return None

    return run_checks("check_grouped_split", [
        ("every example is in exactly one split", complete),
        ("no group is in two splits", disjoint),
        ("the groups are shared about 70/15/15", fractions),
        ("the split follows the seed", seeded),
    ])  # fmt: skip


# --------------------------------------------------------------------------- 02 image encoders
def check_receptive_field(fn: Callable) -> CheckReport:
    """Notebook 02: ``fn(kernel_sizes, strides)`` returns the receptive field, in input
    pixels, of one output unit of a stack of convolution/pooling layers."""
    require_callable(fn, "function")
    cases = [([3], [1], 3), ([3, 3], [1, 1], 5), ([3, 2, 3], [1, 2, 1], 8),
             ([5, 2, 5, 2], [1, 2, 1, 2], 16), ([3, 3, 3], [2, 2, 2], 15), ([1, 3], [1, 1], 3)]  # fmt: skip

    def case(kernels, strides, expected):
        def run():
            got = fn(list(kernels), list(strides))
            if got == expected:
                return None
            return (f"got {got}, expected {expected}: each layer adds (k - 1) times the "
                    f"jump (product of the strides before it)")  # fmt: skip

        return run

    return run_checks("check_receptive_field", [
        (f"kernels {k}, strides {s} -> {e} pixels", case(k, s, e)) for k, s, e in cases
    ])  # fmt: skip


# --------------------------------------------------------------------------- 03 text encoders
def check_masked_mean(fn: Callable) -> CheckReport:
    """Notebook 03: ``fn(vectors, mask)`` averages (batch, tokens, features) vectors over
    the tokens where the (batch, tokens) boolean ``mask`` is True; a row with no token
    gives zeros."""
    require_callable(fn, "function")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool)

    def values():
        got = np.asarray(fn(x, mask))
        expected = np.stack([x[i][mask[i]].mean(0) for i in range(3)])
        return (
            None if close(got, expected) else "divide the masked sum by the number of real tokens"
        )

    def padding():
        noisy = x.copy()
        noisy[~mask] = 1000.0
        same = close(np.asarray(fn(noisy, mask)), np.asarray(fn(x, mask)))
        return None if same else "padded positions changed the result: zero them before summing"

    def empty():
        got = np.asarray(fn(x[:1], np.zeros((1, 5), bool)))
        if got.shape != (1, 4) or not np.all(got == 0):
            return "an empty caption (no real token) must give zeros, not NaN: guard the division"
        return None

    return run_checks("check_masked_mean", [
        ("the mean is over the real tokens only", values),
        ("what sits in the padding does not matter", padding),
        ("a row with no token gives zeros", empty),
    ])  # fmt: skip


# --------------------------------------------------------------------------- 04 audio encoders
def check_add_noise_at_snr(fn: Callable) -> CheckReport:
    """Notebook 04: ``fn(waveform, snr_db, rng)`` adds white Gaussian noise so that the
    signal-to-noise ratio is ``snr_db`` decibels, relative to the waveform's own power."""
    require_callable(fn, "function")
    t = np.arange(40_000) / 8000
    loud = (0.8 * np.sin(2 * np.pi * 440 * t)).astype("float32")

    def measured(clean, snr):
        noisy = np.asarray(fn(clean.copy(), snr, np.random.default_rng(0)), dtype=float)
        noise = noisy - clean
        return 10 * np.log10(np.mean(clean.astype(float) ** 2) / np.mean(noise**2))

    def case(clean, snr, label):
        def run():
            got = measured(clean, snr)
            if abs(got - snr) < 0.3:
                return None
            return (f"measured {got:.1f} dB for {snr} dB ({label}): the noise power is the "
                    f"signal power / 10**(snr_db / 10)")  # fmt: skip

        return run

    def deterministic():
        a = np.asarray(fn(loud.copy(), 5.0, np.random.default_rng(3)))
        b = np.asarray(fn(loud.copy(), 5.0, np.random.default_rng(3)))
        if a.shape != loud.shape or not np.array_equal(a, b):
            return "draw the noise from the rng you are given, and keep the waveform's shape"
        return None

    return run_checks("check_add_noise_at_snr", [
        ("+10 dB on a loud tone", case(loud, 10.0, "loud tone")),
        ("-5 dB on a loud tone", case(loud, -5.0, "loud tone")),
        ("+10 dB on a quiet tone (power is relative to the signal)", case(loud / 20, 10.0, "quiet tone")),
        ("same rng, same noise; same shape", deterministic),
    ])  # fmt: skip
