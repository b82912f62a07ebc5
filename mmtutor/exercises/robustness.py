"""Checkers for notebooks 13-15: modality dropout, calibration, SpecAugment masking."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mmtutor.exercises.report import CheckReport, require_callable, run_checks

__all__ = ["check_drop_mask", "check_expected_calibration_error", "check_time_mask"]


# --------------------------------------------------------------------------- 13 missing
def check_drop_mask(fn: Callable) -> CheckReport:
    """Notebook 13: ``fn(present, rate, rng)`` takes a (n, M) boolean matrix of the
    modalities present and returns the (n, M) boolean matrix kept in training: each present
    modality dropped with probability ``rate``, a missing one never kept, and never all of
    an example's present modalities dropped."""
    require_callable(fn, "function")
    rng = np.random.default_rng(0)
    present = rng.random((20_000, 3)) < 0.9
    present[:50] = [True, False, False]  # one modality only

    def run(rate=0.5, seed=1):
        return np.asarray(fn(present.copy(), rate, np.random.default_rng(seed)), bool)

    def subset():
        keep = run()
        if keep.shape != present.shape or np.any(keep & ~present):
            return "a missing modality can never be kept: and the draw with `present`"
        return None

    def never_all():
        keep = run()
        lost = np.flatnonzero(present.any(1) & ~keep.any(1))
        if len(lost):
            return (f"{len(lost)} examples lost every modality (e.g. row {lost[0]}): where "
                    "nothing is left, keep the present modalities")  # fmt: skip
        return None

    def rate():
        keep = run(rate=0.3)
        full = present.all(1)  # three present: P(dropped) = 0.3 - 0.3**3 (all-dropped restored)
        observed = 1 - keep[full].mean()
        expected = 0.3 - 0.3**3
        if abs(observed - expected) > 0.02:
            return f"drop rate {observed:.3f} where {expected:.3f} was expected for rate 0.3"
        return None

    def zero_rate():
        keep = run(rate=0.0)
        return None if np.array_equal(keep, present) else "rate 0 must keep every present modality"

    return run_checks("check_drop_mask", [
        ("a missing modality is never kept", subset),
        ("no example loses all its modalities", never_all),
        ("present modalities are dropped at the rate", rate),
        ("rate 0 keeps everything present", zero_rate),
    ])  # fmt: skip


# --------------------------------------------------------------------------- 14 evaluation
def check_expected_calibration_error(fn: Callable) -> CheckReport:
    """Notebook 14: ``fn(probs, y, n_bins=15)`` is the expected calibration error, compared
    with :func:`mmtutor.evaluation.expected_calibration_error`."""
    require_callable(fn, "function")
    from mmtutor.evaluation import expected_calibration_error

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3000, 4)) * 2
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y_calibrated = np.array([rng.choice(4, p=p) for p in probs])
    y_wrong = (probs.argmax(1) + 1) % 4  # always wrong: ECE = mean confidence

    def case(p, y, bins, label):
        def run():
            got, expected = float(fn(p, y, n_bins=bins)), expected_calibration_error(p, y, bins)
            if abs(got - expected) < 1e-6:
                return None
            return (f"got {got:.4f}, expected {expected:.4f} ({label}): weight each bin's "
                    "|accuracy - confidence| by its share of the examples")  # fmt: skip

        return run

    return run_checks("check_expected_calibration_error", [
        ("a calibrated model, 15 bins", case(probs, y_calibrated, 15, "calibrated")),
        ("an always-wrong model, 10 bins", case(probs, y_wrong, 10, "always wrong")),
        ("a confident model, 5 bins", case(probs ** 4 / (probs ** 4).sum(1, keepdims=True),
                                           y_calibrated, 5, "sharpened")),
    ])  # fmt: skip


# --------------------------------------------------------------------------- 15 capstone
def check_time_mask(fn: Callable) -> CheckReport:
    """Notebook 15: ``fn(spectrogram, max_width, rng)`` returns a copy of a (frames, bins)
    spectrogram with one block of ``w`` consecutive frames set to 0, ``w`` drawn uniformly
    from 0..max_width (SpecAugment's time masking, Park et al. 2019)."""
    require_callable(fn, "function")
    spec = np.random.default_rng(0).uniform(1, 2, size=(60, 16)).astype("float32")

    def masked_frames(out):
        return np.flatnonzero(np.all(np.asarray(out) == 0, axis=1))

    def one_block():
        for seed in range(20):
            frames = masked_frames(fn(spec.copy(), 10, np.random.default_rng(seed)))
            if len(frames) and np.any(np.diff(frames) != 1):
                return f"masked frames {frames.tolist()} are not one consecutive block"
            if len(frames) > 10:
                return f"{len(frames)} frames masked, more than max_width 10"
        return None

    def rest_kept():
        out = np.asarray(fn(spec.copy(), 10, np.random.default_rng(0)))
        kept = np.setdiff1d(np.arange(60), masked_frames(out))
        if out.shape != spec.shape or not np.array_equal(out[kept], spec[kept]):
            return "frames outside the block must be unchanged, and the shape kept"
        return None

    def widths_vary():
        widths = {
            len(masked_frames(fn(spec.copy(), 10, np.random.default_rng(s)))) for s in range(40)
        }
        if len(widths) < 5:
            return f"widths seen {sorted(widths)}: draw the width at random in 0..max_width"
        return None

    def untouched():
        x = spec.copy()
        fn(x, 10, np.random.default_rng(0))
        return None if np.array_equal(x, spec) else "work on a copy: the input must not change"

    return run_checks("check_time_mask", [
        ("one consecutive block of at most max_width frames", one_block),
        ("the other frames are unchanged", rest_kept),
        ("the width is random", widths_vary),
        ("the input is left unchanged", untouched),
    ])  # fmt: skip
