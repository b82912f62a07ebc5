"""Retrieval metrics against brute force (sorting by hand, ties included), scikit-learn's
ranking metrics, exact enumeration of random rankings, and hand-computed cases."""

import itertools

import numpy as np
import pytest
from sklearn.metrics import coverage_error, label_ranking_average_precision_score

from mmtutor.evaluation import (
    chance_metrics,
    retrieval_metrics,
    retrieval_ranks,
    retrieval_table,
    same_class,
)


def brute_force_rank(scores, relevant):
    """Sort the gallery by decreasing score, wrong items first among equal scores (ties count
    against the model), and return the 1-based position of the first correct item."""
    order = sorted(range(len(scores)), key=lambda j: (-scores[j], bool(relevant[j])))
    return next(pos + 1 for pos, j in enumerate(order) if relevant[j])


def brute_force_metrics(s, r, ks):
    ranks = [brute_force_rank(list(s[i]), list(r[i])) for i in range(len(s))]
    out = {f"R@{k}": sum(rank <= k for rank in ranks) / len(ranks) for k in ks}
    ordered = sorted(ranks)
    n = len(ordered)
    out["median rank"] = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2
    out["MRR"] = sum(1 / rank for rank in ranks) / n
    return ranks, out


@pytest.mark.parametrize("seed", range(5))
def test_metrics_match_brute_force_with_ties_and_several_matches(seed):
    rng = np.random.default_rng(seed)
    n_q, n_g = 23, 17
    s = rng.integers(0, 4, size=(n_q, n_g)).astype(float)  # few values: many ties
    r = rng.random((n_q, n_g)) < 0.2
    r[np.arange(n_q), rng.integers(0, n_g, n_q)] = True  # at least one correct match each
    ranks, expected = brute_force_metrics(s, r, (1, 3, 10))
    np.testing.assert_array_equal(retrieval_ranks(s, r), ranks)
    got = retrieval_metrics(s, r, ks=(1, 3, 10))
    assert got.keys() == expected.keys()
    for key in got:
        assert got[key] == pytest.approx(expected[key]), key


def test_paired_default_is_the_diagonal_and_matches_brute_force():
    rng = np.random.default_rng(1)
    s = np.round(rng.normal(size=(12, 12)), 1)
    _, expected = brute_force_metrics(s, np.eye(12, dtype=bool), (1, 5))
    assert retrieval_metrics(s, ks=(1, 5)) == pytest.approx(expected)


def test_hand_computed_case():
    s = np.array([[0.9, 0.1, 0.5],  # pair first: rank 1
                  [0.2, 0.2, 0.9],  # pair (0.2) behind 0.9 and tied with a wrong 0.2: rank 3
                  [0.7, 0.3, 0.3]])  # fmt: skip  # pair (0.3) behind 0.7, tied with 0.3: rank 3
    np.testing.assert_array_equal(retrieval_ranks(s), [1, 3, 3])
    m = retrieval_metrics(s, ks=(1, 3))
    assert m == pytest.approx({"R@1": 1 / 3, "R@3": 1.0, "median rank": 3.0,
                               "MRR": (1 + 1 / 3 + 1 / 3) / 3})  # fmt: skip
    # with same-class matches (classes 0, 1, 0 on both sides) query 2 finds gallery 0 first
    r = same_class([0, 1, 0], [0, 1, 0])
    np.testing.assert_array_equal(retrieval_ranks(s, r), [1, 3, 1])


def test_a_constant_similarity_gets_the_worst_rank():
    s = np.zeros((4, 4))
    np.testing.assert_array_equal(retrieval_ranks(s), [4, 4, 4, 4])
    assert retrieval_metrics(s, ks=(1,))["R@1"] == 0.0


def test_mrr_and_mean_rank_agree_with_scikit_learn_for_one_correct_match():
    """With one correct item per query, scikit-learn's label ranking average precision is
    the MRR and its coverage error the mean rank, both counting ties against the model."""
    rng = np.random.default_rng(3)
    s = rng.integers(0, 5, size=(40, 30)).astype(float)
    r = np.zeros((40, 30), dtype=bool)
    r[np.arange(40), rng.integers(0, 30, 40)] = True
    assert retrieval_metrics(s, r, ks=(1,))["MRR"] == pytest.approx(
        label_ranking_average_precision_score(r, s)
    )
    assert retrieval_ranks(s, r).mean() == pytest.approx(coverage_error(r, s))


def test_table_reports_both_directions():
    rng = np.random.default_rng(4)
    s = rng.normal(size=(9, 9))
    y = rng.integers(0, 3, 9)
    r = same_class(y, y)
    table = retrieval_table(s, r, ks=(1, 2), directions=("x → y", "y → x"))
    assert list(table.index) == ["x → y", "y → x"]
    assert list(table.columns) == ["R@1", "R@2", "median rank", "MRR"]
    assert table.loc["x → y"].to_dict() == pytest.approx(retrieval_metrics(s, r, (1, 2)))
    assert table.loc["y → x"].to_dict() == pytest.approx(retrieval_metrics(s.T, r.T, (1, 2)))
    chance = retrieval_table(s, r, ks=(1, 2), chance=True)
    assert chance.loc["a → b"].to_dict() == pytest.approx(chance_metrics(r, (1, 2)))


def exact_chance(r, ks):
    """Average each metric over every ordering of the gallery (small galleries only)."""
    n_g = r.shape[1]
    per_order = []
    for order in itertools.permutations(range(n_g)):
        scores = np.empty(n_g)
        scores[list(order)] = np.arange(n_g, 0, -1)  # item order[0] ranked first
        ranks = retrieval_ranks(np.tile(scores, (len(r), 1)), r)
        per_order.append(ranks)
    per_order = np.array(per_order)  # (orderings, queries)
    out = {f"R@{k}": float(np.mean(per_order <= k)) for k in ks}
    out["MRR"] = float(np.mean(1.0 / per_order))
    pooled = np.sort(per_order.ravel())
    out["median rank"] = float(pooled[int(np.ceil(len(pooled) / 2)) - 1])  # lower median
    return out


def test_chance_matches_every_ordering_of_a_small_gallery():
    r = np.array([[1, 0, 0, 0, 0, 0],
                  [1, 1, 0, 0, 0, 0],
                  [0, 1, 1, 1, 0, 0]], dtype=bool)  # fmt: skip
    expected = exact_chance(r, (1, 2, 4))
    assert chance_metrics(r, (1, 2, 4)) == pytest.approx(expected)


def test_chance_of_one_match_in_n_is_k_over_n():
    m = chance_metrics(538, ks=(1, 5, 10))
    assert (m["R@1"], m["R@5"], m["R@10"]) == pytest.approx((1 / 538, 5 / 538, 10 / 538))
    assert m["MRR"] == pytest.approx(np.sum(1 / np.arange(1, 539)) / 538)
    assert m["median rank"] == 269.0


def test_chance_matches_a_simulation_of_random_rankings():
    rng = np.random.default_rng(5)
    y_q, y_g = rng.integers(0, 4, 20), rng.integers(0, 4, 40)
    y_q[0], y_g[0] = 0, 0
    r = same_class(y_q, y_g)
    r = r[r.any(axis=1)]
    sims = [retrieval_metrics(rng.random(r.shape), r, (1, 5)) for _ in range(4000)]
    for key in ("R@1", "R@5", "MRR"):
        assert chance_metrics(r, (1, 5))[key] == pytest.approx(np.mean([m[key] for m in sims]),
                                                                abs=0.01)  # fmt: skip


def test_bad_inputs_raise_clear_errors():
    s = np.zeros((3, 4))
    with pytest.raises(ValueError, match="must be square"):
        retrieval_metrics(s)
    with pytest.raises(ValueError, match=r"relevant must have the similarity's shape \(3, 4\)"):
        retrieval_metrics(s, np.ones((4, 3), bool))
    with pytest.raises(ValueError, match="K must be at most the gallery size 4, got ks=\\[1, 5\\]"):
        retrieval_metrics(s, np.ones((3, 4), bool), ks=(1, 5))
    with pytest.raises(ValueError, match="K must be at most the gallery size 4"):
        chance_metrics(np.ones((3, 4), bool), ks=(10,))
    with pytest.raises(ValueError, match=r"queries \[1\] have none"):
        retrieval_metrics(s, np.array([[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]), ks=(1,))
    with pytest.raises(ValueError, match="each K of ks must be a positive integer, got 0"):
        retrieval_metrics(np.eye(3), ks=(0,))
    with pytest.raises(ValueError, match="similarity must be finite"):
        retrieval_metrics(np.array([[np.nan, 0.0], [0.0, 1.0]]), ks=(1,))
    with pytest.raises(ValueError, match="non-empty 2-D array"):
        retrieval_ranks(np.zeros(3))
    with pytest.raises(ValueError, match="booleans"):
        retrieval_ranks(np.eye(2), np.array([[2, 0], [0, 1]]))
    with pytest.raises(ValueError, match="non-empty 1-D arrays"):
        same_class([[0, 1]], [0])
