"""mmtutor.evaluation metrics, statistics and calibration, checked against scikit-learn,
SciPy, brute-force loops and cases computed by hand."""

import numpy as np
import pytest
from sklearn import metrics

from mmtutor import evaluation as ev


def _random_case(seed: int, k: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    return y, np.where(rng.random(n) < 0.6, y, rng.integers(0, k, n))


# --- metrics ---


@pytest.mark.parametrize(("seed", "k", "n"), [(0, 2, 50), (1, 3, 17), (2, 10, 400), (3, 6, 8)])
def test_metrics_match_scikit_learn_on_random_cases(seed, k, n):
    y, p = _random_case(seed, k, n)  # with n = 8 and k = 6 some classes are absent
    labels = list(range(k))
    assert ev.accuracy(y, p) == pytest.approx(metrics.accuracy_score(y, p))
    f1 = metrics.f1_score(y, p, average="macro", labels=labels, zero_division=0)
    assert ev.macro_f1(y, p, num_classes=k) == pytest.approx(f1)
    np.testing.assert_array_equal(
        ev.confusion_matrix(y, p, num_classes=k), metrics.confusion_matrix(y, p, labels=labels)
    )
    report = ev.per_class_report(y, p, num_classes=k)
    expected = metrics.precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    for column, values in zip(["precision", "recall", "f1", "support"], expected, strict=True):
        np.testing.assert_allclose(report[column], values)
    assert report.index.name == "class" and list(report.index) == labels


def test_confusion_matrix_counts_by_brute_force():
    y, p = _random_case(4, 4, 60)
    counts = np.zeros((4, 4), dtype=int)
    for t, q in zip(y, p, strict=True):
        counts[t, q] += 1
    np.testing.assert_array_equal(ev.confusion_matrix(y, p), counts)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\], got values in \[0, 3\]"):
        ev.confusion_matrix(y, p, num_classes=3)  # never drops examples silently


def test_num_classes_is_inferred_from_the_labels():
    """Defect: the default used to be 10 classes, so binary macro-F1 was divided by 5 and
    disagreed with bootstrap_ci(metric="macro_f1"), which inferred the count."""
    y = np.array([0, 0, 1, 1, 1, 0, 1, 0, 1, 1])
    p = np.array([0, 1, 1, 1, 0, 0, 1, 1, 1, 1])
    assert ev.macro_f1(y, p) == pytest.approx(metrics.f1_score(y, p, average="macro"))
    estimate, _, _ = ev.bootstrap_ci(y, p, metric="macro_f1", n_resamples=50)
    assert estimate == ev.macro_f1(y, p)
    assert ev.confusion_matrix(y, p).shape == (2, 2)
    assert list(ev.per_class_report(y, p).index) == [0, 1]
    assert tuple(ev.mean_by_class(np.arange(10.0), y).shape) == (2,)
    assert ev.confusion_matrix([0, 1], [0, 2]).shape == (3, 3)  # y_pred counts too
    assert ev.confusion_matrix([0, 0], [0, 0]).shape == (2, 2)  # at least 2 classes
    assert ev.macro_f1([0, 0], [0, 0]) == pytest.approx(0.5)  # class 1 absent: F1 0


def test_labels_must_be_class_indices():
    with pytest.raises(ValueError, match="non-negative"):
        ev.macro_f1([0, -1], [0, 0])
    with pytest.raises(ValueError, match=r"integer class indices, got .*1\.5"):
        ev.accuracy([0, 1.5], [0, 1])
    with pytest.raises(ValueError, match="num_classes must be an integer >= 2, got 1"):
        ev.confusion_matrix([0, 0], [0, 0], num_classes=1)
    assert ev.accuracy(np.array([0.0, 1.0]), np.array([0, 1])) == 1.0  # whole floats are fine


def test_most_confused_pairs_against_a_sort_of_the_off_diagonal_cells():
    rng = np.random.default_rng(5)
    matrix = rng.integers(0, 30, (6, 6))
    matrix[2, 4] = matrix[4, 1] = 99  # a tie: row-major order first
    cells = sorted(
        ((-int(matrix[i, j]), i, j) for i in range(6) for j in range(6) if i != j),
    )
    expected = [(i, j, -c) for c, i, j in cells[:7]]
    assert ev.most_confused_pairs(matrix, k=7) == expected
    assert ev.most_confused_pairs(matrix, k=7)[:2] == [(2, 4, 99), (4, 1, 99)]
    with pytest.raises(ValueError, match="square"):
        ev.most_confused_pairs(np.zeros((2, 3)))


# --- bootstrap ---


def _macro_f1_by_hand(t: np.ndarray, q: np.ndarray, k: int) -> float:
    """F1 = 2 tp / (2 tp + fp + fn) per class, 0 for a class never true nor predicted."""
    scores = []
    for c in range(k):
        tp, fp, fn = (
            np.sum((t == c) & (q == c)),
            np.sum((t != c) & (q == c)),
            np.sum((t == c) & (q != c)),
        )
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return float(np.mean(scores))


def _accuracy_by_hand(t: np.ndarray, q: np.ndarray) -> float:
    """The fraction of hits, as ``metrics.accuracy_score`` (checked against it below) but
    without its per-call input validation, which a loop of thousands of resamples pays."""
    return float(np.mean(t == q))


def _brute_force_interval(statistic, arrays, n_resamples, level, seed):
    rng = np.random.default_rng(seed + 12345)  # other draws than the code under test
    n = len(arrays[0])
    scores = []
    for _ in range(n_resamples):
        idx = rng.integers(0, n, n)
        scores.append(statistic(*(a[idx] for a in arrays)))
    return np.quantile(scores, [(1 - level) / 2, (1 + level) / 2])


def test_bootstrap_ci_agrees_with_a_brute_force_resampling_loop():
    y, p = _random_case(6, 4, 300)
    macro = lambda t, q: _macro_f1_by_hand(t, q, 4)  # noqa: E731
    for metric, fn, by_hand in (
        ("accuracy", metrics.accuracy_score, _accuracy_by_hand),
        ("macro_f1", macro, macro),
    ):
        estimate, low, high = ev.bootstrap_ci(y, p, metric=metric, n_resamples=1000)
        assert estimate == pytest.approx(fn(y, p))
        assert by_hand(y, p) == fn(y, p)  # the loop's statistic is the metric itself
        expected = _brute_force_interval(by_hand, (y, p), 2000, 0.95, 0)
        np.testing.assert_allclose([low, high], expected, atol=0.012)


def test_paired_bootstrap_of_identical_predictions_is_zero():
    y, p = _random_case(7, 3, 80)
    assert ev.paired_bootstrap(y, p, p) == (0.0, 0.0, 0.0)
    assert ev.paired_bootstrap(y, p, p, metric="macro_f1", n_resamples=50) == (0.0, 0.0, 0.0)


def test_paired_bootstrap_excludes_zero_when_a_is_right_wherever_b_is_wrong():
    y, b = _random_case(8, 10, 200)  # b is wrong on about a third of the examples
    a = y.copy()
    difference, low, high = ev.paired_bootstrap(y, a, b)
    assert difference == pytest.approx(np.mean(b != y))
    assert 0 < low < difference < high
    # swapping the methods mirrors the interval (the same resampled examples)
    assert ev.paired_bootstrap(y, b, a) == pytest.approx((-difference, -high, -low))


def test_paired_bootstrap_agrees_with_a_brute_force_paired_loop():
    rng = np.random.default_rng(9)
    y = rng.integers(0, 5, 250)
    a = np.where(rng.random(250) < 0.75, y, rng.integers(0, 5, 250))
    b = np.where(rng.random(250) < 0.20, rng.integers(0, 5, 250), a)  # correlated with a
    macro = lambda t, q: _macro_f1_by_hand(t, q, 5)  # noqa: E731
    for metric, fn, by_hand in (
        ("accuracy", metrics.accuracy_score, _accuracy_by_hand),
        ("macro_f1", macro, macro),
    ):
        difference, low, high = ev.paired_bootstrap(y, a, b, metric=metric, n_resamples=1000)
        assert difference == pytest.approx(fn(y, a) - fn(y, b))
        assert by_hand(y, a) == fn(y, a) and by_hand(y, b) == fn(y, b)  # the same statistic
        expected = _brute_force_interval(
            lambda t, u, v, fn=by_hand: fn(t, u) - fn(t, v), (y, a, b), 2000, 0.95, 0
        )
        np.testing.assert_allclose([low, high], expected, atol=0.012)
    # resampling the two methods independently would give an interval about as wide as the
    # two single intervals combined; the same examples for both cancel their shared noise
    _, low_a, high_a = ev.bootstrap_ci(y, a, n_resamples=1500)
    _, low_b, high_b = ev.bootstrap_ci(y, b, n_resamples=1500)
    _, low, high = ev.paired_bootstrap(y, a, b, n_resamples=1500)
    assert high - low < 0.6 * np.hypot(high_a - low_a, high_b - low_b)


def test_bootstrap_rejects_bad_arguments():
    y, p = _random_case(10, 3, 20)
    with pytest.raises(ValueError, match="metric must be"):
        ev.paired_bootstrap(y, p, p, metric="auc")
    with pytest.raises(ValueError, match="level must be"):
        ev.paired_bootstrap(y, p, p, level=95)
    with pytest.raises(ValueError, match="n_resamples must be an integer >= 10"):
        ev.paired_bootstrap(y, p, p, n_resamples=5)
    with pytest.raises(ValueError, match="one length"):
        ev.paired_bootstrap(y, p, p[:-1])
    with pytest.raises(ValueError, match="at least 2 examples"):
        ev.bootstrap_ci(y[:1], p[:1])


# --- calibration ---


def test_softmax_and_nll_by_hand():
    np.testing.assert_allclose(ev.softmax(np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]])
    np.testing.assert_allclose(ev.softmax(np.array([[0.0, 2.0]]), temperature=2.0),
                               [[1 / (1 + np.e), np.e / (1 + np.e)]])  # fmt: skip
    # NLL of a saturated wrong prediction: log(1 + e^-1000) + 1000 = 1000 (scikit-learn's
    # log_loss clips the probability at machine epsilon and would say 36.04)
    assert ev.negative_log_likelihood(np.array([[0.0, 1000.0]]), np.array([0])) == 1000.0
    logits = np.random.default_rng(11).normal(size=(40, 3))
    y = np.arange(40) % 3
    expected = metrics.log_loss(y, ev.softmax(logits), labels=range(3))
    assert ev.negative_log_likelihood(logits, y) == pytest.approx(expected, rel=1e-9)


def _brute_force_curve(confidence, correct, n_bins):
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    out = []
    for b in range(n_bins):
        inside = (confidence > edges[b]) & (confidence <= edges[b + 1])
        if b == 0:
            inside |= confidence == 0.0
        out.append((inside.sum(), correct[inside].mean() if inside.any() else np.nan,
                    confidence[inside].mean() if inside.any() else np.nan))  # fmt: skip
    return np.array(out, dtype=float).T


@pytest.mark.parametrize("n_bins", [1, 10, 15])
def test_reliability_curve_against_a_brute_force_binning(n_bins):
    rng = np.random.default_rng(n_bins)
    probs = rng.dirichlet(np.full(4, 0.5), 500)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    on_edges = edges[(edges >= 0.25) & (edges < 1)]  # confidences exactly on bin edges
    rows = np.stack([on_edges, *[(1 - on_edges) / 3] * 3], axis=1)
    probs = np.concatenate([probs, rows])
    y = rng.integers(0, 4, len(probs))
    curve = ev.reliability_curve(probs, y, n_bins=n_bins)
    count, acc, conf = _brute_force_curve(probs.max(axis=1), probs.argmax(axis=1) == y, n_bins)
    np.testing.assert_array_equal(curve["count"], count)
    np.testing.assert_allclose(curve["accuracy"], acc)
    np.testing.assert_allclose(curve["confidence"], conf)
    np.testing.assert_allclose(curve["edges"], edges)
    full = count > 0
    ece = np.sum(count[full] * np.abs(acc[full] - conf[full])) / count.sum()
    assert ev.expected_calibration_error(probs, y, n_bins) == pytest.approx(ece)


def test_a_confidence_on_an_edge_falls_in_the_bin_below():
    """Defect: ceil(confidence * n_bins) put 0.30000000000000004 (the edge
    linspace(0, 1, 11)[3]) in the bin (0.3, 0.4], against the documented (edges[b], edges[b+1]]."""
    edge = np.linspace(0.0, 1.0, 11)[3]
    probs = np.array([[edge, 0.25, 0.25, 1 - edge - 0.5]])
    curve = ev.reliability_curve(probs, np.array([0]), n_bins=10)
    assert curve["count"].tolist() == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]


def test_ece_by_hand():
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.3, 0.7]])
    y = np.array([0, 1, 0, 1])
    # bins of 0.5: (0.5, 1.0] holds all four, confidence 0.775, accuracy 0.75
    assert ev.expected_calibration_error(probs, y, n_bins=2) == pytest.approx(0.025)
    # bins of 0.1: 0.9 (2, acc 0.5), 0.6 (1, acc 1), 0.7 (1, acc 1)
    expected = (2 * 0.4 + 1 * 0.4 + 1 * 0.3) / 4
    assert ev.expected_calibration_error(probs, y, n_bins=10) == pytest.approx(expected)
    assert ev.ece_of_curve(ev.reliability_curve(probs, y, 10)) == pytest.approx(expected)
    with pytest.raises(ValueError, match="n_bins must be a positive integer"):
        ev.reliability_curve(probs, y, n_bins=0)


@pytest.mark.parametrize("temperature", [3.0, 0.5])
def test_fit_temperature_recovers_a_known_temperature(temperature):
    """Labels drawn from softmax(z) make z calibrated; the logits handed over are z * T
    (over-confident for T > 1, under-confident for T < 1), and only z * T / T is calibrated
    again, so the fitted temperature must come back close to T."""
    rng = np.random.default_rng(int(temperature * 10))
    z = rng.normal(size=(4000, 10)) * 2
    y = np.array([rng.choice(10, p=p) for p in ev.softmax(z)])
    fitted = ev.fit_temperature(z * temperature, y)
    assert fitted == pytest.approx(temperature, rel=0.08)
    assert ev.fit_temperature(z, y) == pytest.approx(1.0, rel=0.08)


def test_every_name_of_the_old_module_is_still_exported():
    old = [
        "CORRUPTIONS", "ablate", "accuracy", "bootstrap_ci", "confusion_matrix", "corrupt",
        "effective_robustness", "embed", "expected_calibration_error", "filter_frequency_responses",
        "fit_temperature", "format_mean_std", "macro_f1", "mean_by_class", "mean_std",
        "modality_ablation", "model_accuracy", "most_confused_pairs", "nearest_neighbours",
        "negative_log_likelihood", "per_class_report", "permutation_importance",
        "predict_classes", "receptive_fields", "relative_robustness", "reliability_curve",
        "robustness_sweep", "robustness_table", "saliency", "snr_db", "softmax",
    ]  # fmt: skip
    assert set(old) <= set(ev.__all__) and len(ev.__all__) == len(set(ev.__all__))
    namespace: dict = {}
    exec(f"from mmtutor.evaluation import {', '.join(ev.__all__)}", namespace)
    assert all(namespace[name] is getattr(ev, name) for name in ev.__all__)
    assert set(old) <= set(dir(ev))
    with pytest.raises(AttributeError, match="has no attribute 'recall'"):
        ev.recall  # noqa: B018


def test_paired_bootstrap_over_several_runs_resamples_examples_with_every_run():
    from mmtutor.evaluation import paired_bootstrap

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 400)
    runs_a = np.stack([np.where(rng.random(400) < 0.8, y, (y + 1) % 3) for _ in range(3)])
    runs_b = np.stack([np.where(rng.random(400) < 0.7, y, (y + 2) % 3) for _ in range(3)])
    difference, low, high = paired_bootstrap(y, runs_a, runs_b, n_resamples=2000)
    expected = np.mean(
        [np.mean(a == y) - np.mean(b == y) for a, b in zip(runs_a, runs_b, strict=True)]
    )
    assert difference == pytest.approx(expected)
    # brute force: resample examples, keep every run's prediction of each drawn example
    draws = np.random.default_rng(1).integers(0, 400, size=(2000, 400))
    gains = [np.mean(runs_a[:, d] == y[d]) - np.mean(runs_b[:, d] == y[d]) for d in draws]
    assert low == pytest.approx(np.quantile(gains, 0.025), abs=0.01)
    assert high == pytest.approx(np.quantile(gains, 0.975), abs=0.01)
    with pytest.raises(ValueError, match=r"must both be \(n,\) or both \(runs, n\)"):
        paired_bootstrap(y, runs_a, runs_b[0])
    with pytest.raises(ValueError, match="need metric='accuracy'"):
        paired_bootstrap(y, runs_a, runs_b, metric="macro_f1")
