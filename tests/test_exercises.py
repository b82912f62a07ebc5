"""Each checker of mmtutor.exercises accepts a correct answer and rejects plausible wrong
ones (the mistakes its hints are written for)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras import ops  # noqa: E402
from scipy.special import logsumexp  # noqa: E402

from mmtutor import exercises  # noqa: E402


def accepted(report):
    assert report.passed, repr(report)
    assert "checks passed" in repr(report) and "FAIL" not in repr(report)


def rejected(report, *cases):
    assert not report.passed, repr(report)
    for case in cases:
        assert any(case in failed for failed in report.failed), (case, repr(report))
    assert "FAIL" in repr(report)


# 00 ------------------------------------------------------------------------------------
def test_peak_normalize():
    def right(w, peak=0.9):
        top = np.abs(w).max()
        return w * (peak / top) if top > 0 else w.copy()

    accepted(exercises.check_peak_normalize(right))
    rejected(exercises.check_peak_normalize(lambda w, peak=0.9: w / w.max() * peak), "loudest")
    rejected(exercises.check_peak_normalize(lambda w, peak=0.9: w / np.abs(w).max() * peak),
             "silent")  # fmt: skip

    def in_place(w, peak=0.9):
        top = np.abs(w).max()
        if top > 0:
            w *= peak / top
        return w

    rejected(exercises.check_peak_normalize(in_place), "unchanged")
    with pytest.raises(TypeError, match="pass your function itself"):
        exercises.check_peak_normalize(np.zeros(3))


# 01 ------------------------------------------------------------------------------------
def test_grouped_split():
    def right(groups, fractions=(0.7, 0.15, 0.15), seed=0):
        uniq = np.random.default_rng(seed).permutation(np.unique(groups))
        cuts = np.round(np.cumsum(fractions)[:2] * len(uniq)).astype(int)
        parts = np.split(uniq, cuts)
        return [np.flatnonzero(np.isin(groups, p)) for p in parts]

    def by_example(groups, fractions=(0.7, 0.15, 0.15), seed=0):
        order = np.random.default_rng(seed).permutation(len(groups))
        cuts = np.round(np.cumsum(fractions)[:2] * len(groups)).astype(int)
        return np.split(order, cuts)

    accepted(exercises.check_grouped_split(right))
    rejected(exercises.check_grouped_split(by_example), "no group is in two splits")
    rejected(exercises.check_grouped_split(lambda g, fractions, seed: right(g, fractions, 0)),
             "seed")  # fmt: skip


# 02 ------------------------------------------------------------------------------------
def test_receptive_field():
    def right(kernels, strides):
        field, jump = 1, 1
        for k, s in zip(kernels, strides, strict=True):
            field, jump = field + (k - 1) * jump, jump * s
        return field

    accepted(exercises.check_receptive_field(right))
    rejected(exercises.check_receptive_field(lambda k, s: 1 + sum(x - 1 for x in k)), "strides")


# 03 ------------------------------------------------------------------------------------
def test_masked_mean():
    def right(x, mask):
        m = mask[..., None].astype(x.dtype)
        return (x * m).sum(1) / np.maximum(m.sum(1), 1)

    accepted(exercises.check_masked_mean(right))
    rejected(exercises.check_masked_mean(lambda x, mask: x.mean(1)), "real tokens", "padding")
    with np.errstate(invalid="ignore", divide="ignore"):
        rejected(
            exercises.check_masked_mean(
                lambda x, mask: (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            ),
            "no token",
        )


# 04 ------------------------------------------------------------------------------------
def test_add_noise_at_snr():
    def right(w, snr_db, rng):
        power = np.mean(w.astype(float) ** 2)
        return w + rng.normal(0, np.sqrt(power / 10 ** (snr_db / 10)), w.shape)

    accepted(exercises.check_add_noise_at_snr(right))
    absolute = lambda w, snr_db, rng: w + rng.normal(0, 10 ** (-snr_db / 20), w.shape)  # noqa: E731
    rejected(exercises.check_add_noise_at_snr(absolute), "quiet tone")

    def amplitude(w, snr, rng):  # the SNR taken as an amplitude ratio
        return w + rng.normal(0, np.sqrt(np.mean(w**2)) / 10 ** (snr / 10), w.shape)

    rejected(exercises.check_add_noise_at_snr(amplitude), "+10 dB on a loud tone")


# 05 ------------------------------------------------------------------------------------
class FlattenConcat(keras.layers.Layer):
    def call(self, inputs):
        return ops.concatenate(
            [ops.reshape(x, (-1, int(np.prod(x.shape[1:])))) for x in inputs], -1
        )


class ConcatWithoutFlatten(keras.layers.Layer):
    def call(self, inputs):
        return ops.concatenate(list(inputs), axis=-1)


def test_concat_layer():
    accepted(exercises.check_concat_layer(FlattenConcat))
    rejected(exercises.check_concat_layer(ConcatWithoutFlatten), "flattens")


# 06 ------------------------------------------------------------------------------------
def test_mean_of_probabilities():
    def right(logits):
        log_p = [z - logsumexp(z, axis=1, keepdims=True) for z in logits]
        return logsumexp(np.stack(log_p), axis=0) - np.log(len(logits))

    def naive(logits):
        probs = [np.exp(z) / np.exp(z).sum(1, keepdims=True) for z in logits]
        return np.log(np.mean(probs, axis=0))

    accepted(exercises.check_mean_of_probabilities(right))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        rejected(exercises.check_mean_of_probabilities(naive), "large logits")
    rejected(
        exercises.check_mean_of_probabilities(lambda ls: np.mean(ls, axis=0)), "log of the mean"
    )


# 07 ------------------------------------------------------------------------------------
class OuterProduct(keras.layers.Layer):
    def call(self, inputs):
        a, b = (ops.concatenate([x, ops.ones_like(x[:, :1])], axis=-1) for x in inputs)
        return ops.reshape(a[:, :, None] * b[:, None, :], (-1, a.shape[-1] * b.shape[-1]))


class OuterProductWithoutOnes(keras.layers.Layer):
    def call(self, inputs):
        a, b = inputs
        return ops.reshape(a[:, :, None] * b[:, None, :], (-1, a.shape[-1] * b.shape[-1]))


def test_outer_product_fusion():
    accepted(exercises.check_outer_product_fusion(OuterProduct))
    rejected(exercises.check_outer_product_fusion(OuterProductWithoutOnes), "ones appended")


# 08 ------------------------------------------------------------------------------------
def _attention(q, k, v, mask=None, scale=True):
    scores = q @ k.transpose(0, 2, 1) / (np.sqrt(q.shape[-1]) if scale else 1)
    if mask is not None:
        scores = np.where(mask, scores, -1e30)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    return w @ v, w


def test_attention():
    accepted(exercises.check_attention(_attention))
    rejected(exercises.check_attention(lambda q, k, v, mask=None: _attention(q, k, v, mask, False)),
             "scaled softmax")  # fmt: skip
    rejected(exercises.check_attention(lambda q, k, v, mask=None: _attention(q, k, v)), "masked")


# 09 ------------------------------------------------------------------------------------
def test_xor_data():
    def right(n, rng):
        a = rng.integers(0, 2, size=(n, 2))
        x0 = (2 * a[:, :1] - 1) + 0.3 * rng.normal(size=(n, 4))
        x1 = (2 * a[:, 1:] - 1) + 0.3 * rng.normal(size=(n, 4))
        return x0, x1, a[:, 0] ^ a[:, 1]

    def redundant(n, rng):
        a = rng.integers(0, 2, size=n)
        x = (2 * a[:, None] - 1) + 0.3 * rng.normal(size=(n, 4))
        return x, x + 0.1, a

    accepted(exercises.check_xor_data(right))
    rejected(exercises.check_xor_data(redundant), "modality 0 alone")


# 13 ------------------------------------------------------------------------------------
def test_drop_mask():
    def right(present, rate, rng):
        kept = present & (rng.random(present.shape) >= rate)
        none_left = ~kept.any(1, keepdims=True)
        return kept | (none_left & present)

    accepted(exercises.check_drop_mask(right))
    rejected(exercises.check_drop_mask(lambda p, r, rng: p & (rng.random(p.shape) >= r)),
             "no example loses")  # fmt: skip
    rejected(exercises.check_drop_mask(lambda p, r, rng: rng.random(p.shape) >= r), "missing")


# 14 ------------------------------------------------------------------------------------
def test_expected_calibration_error():
    from mmtutor.evaluation import expected_calibration_error

    accepted(exercises.check_expected_calibration_error(expected_calibration_error))

    def unweighted(probs, y, n_bins=15):  # the mean gap over bins, not weighted by counts
        conf, correct = probs.max(1), probs.argmax(1) == y
        bins = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
        gaps = [abs(correct[bins == b].mean() - conf[bins == b].mean())
                for b in range(n_bins) if np.any(bins == b)]  # fmt: skip
        return float(np.mean(gaps))

    rejected(exercises.check_expected_calibration_error(unweighted), "calibrated model")


# 15 ------------------------------------------------------------------------------------
def test_time_mask():
    def right(spec, max_width, rng):
        out = spec.copy()
        width = int(rng.integers(0, max_width + 1))
        start = int(rng.integers(0, len(spec) - width + 1))
        out[start : start + width] = 0
        return out

    def scattered(spec, max_width, rng):
        out = spec.copy()
        out[rng.choice(len(spec), size=max_width, replace=False)] = 0
        return out

    accepted(exercises.check_time_mask(right))
    rejected(exercises.check_time_mask(scattered), "one consecutive block", "random")


def test_an_error_in_learner_code_fails_the_case_with_its_name():
    def broken(w, peak=0.9):
        raise KeyError("oops")

    report = exercises.check_peak_normalize(broken)
    assert not report and "your code raised KeyError" in repr(report)
