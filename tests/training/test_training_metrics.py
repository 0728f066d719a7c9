"""Metrics against scipy and hand-computed cases (docs/models.md#metrics)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from training import metrics


def test_mos_and_std_from_distribution():
    p = np.zeros(10)
    p[[4, 6]] = 0.5  # scores 5 and 7
    assert metrics.mos_from_distribution(p) == pytest.approx(6.0)
    assert metrics.std_from_distribution(p) == pytest.approx(1.0)
    counts = np.array([[0, 0, 0, 0, 5, 32, 50, 23, 10, 3]])  # adapted from a real AVA row
    assert metrics.mos_from_distribution(metrics.normalise_counts(counts))[0] == pytest.approx(
        (5 * 5 + 6 * 32 + 7 * 50 + 8 * 23 + 9 * 10 + 10 * 3) / 123
    )
    with pytest.raises(ValueError):
        metrics.normalise_counts(np.zeros(10))


def test_correlations_equal_scipy_including_ties():
    rng = np.random.default_rng(0)
    true = np.round(rng.normal(5, 1, 200), 1)  # rounded: many ties
    predicted = true + rng.normal(0, 0.7, 200)
    assert metrics.srcc(predicted, true) == pytest.approx(stats.spearmanr(predicted, true)[0])
    assert metrics.plcc(predicted, true) == pytest.approx(stats.pearsonr(predicted, true)[0])
    assert metrics.srcc([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert metrics.srcc([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)


def test_binary_accuracy_counts_exactly_five_as_low():
    true = [5.0, 5.01, 4.0, 6.0]
    predicted = [5.0, 5.0, 5.2, 6.5]  # low/low agree, high/low miss, low/high miss, high/high agree
    assert metrics.binary_accuracy(predicted, true) == pytest.approx(0.5)
    assert metrics.binary_accuracy([0.5, 0.6], [0.4, 0.7], threshold=0.5) == pytest.approx(1.0)


def test_emd_metric_hand_case_r1_and_r2():
    p, q = np.zeros((1, 10)), np.zeros((1, 10))
    p[0, 0], q[0, 3] = 1, 1
    assert metrics.emd(p, q, r=1) == pytest.approx(3 / 10)
    assert metrics.emd(p, q, r=2) == pytest.approx((3 / 10) ** 0.5)


def test_long_tail_buckets_with_and_without_strict_bounds():
    true = np.arange(1.0, 11.0)  # P20 = 2.8, P80 = 8.2 (numpy linear interpolation)
    predicted = true + np.array([1, 1, 0, 0, 0, 0, 0, 0, 2, 2], dtype=float)
    result = metrics.long_tail_mae(predicted, true)
    assert (result.p20, result.p80) == pytest.approx((2.8, 8.2))
    assert (result.low, result.medium, result.high) == pytest.approx((1.0, 0.0, 2.0))
    assert result.counts == (2, 6, 2)
    reference = np.array([1.0, 1.0, 3.0, 3.0, 3.0])  # percentiles from "train": P20 = 1, P80 = 3
    strict = metrics.long_tail_mae(predicted, true, reference=reference, strict=True)
    assert strict.counts == (0, 1, 7)  # 1.0 and 3.0 sit on the bounds and are dropped


def test_k_shot_splits_are_disjoint_seeded_and_complete():
    splits = list(metrics.k_shot_splits(30, 10, repeats=10, seed=3))
    assert len(splits) == 10
    for split in splits:
        assert len(split.train) == 10 and len(split.test) == 20
        assert set(split.train).isdisjoint(split.test)
        assert set(split.train) | set(split.test) == set(range(30))
    again = list(metrics.k_shot_splits(30, 10, repeats=10, seed=3))
    assert all((a.train == b.train).all() for a, b in zip(splits, again))
    assert len({tuple(s.train) for s in splits}) > 1
    with pytest.raises(ValueError):
        next(metrics.k_shot_splits(10, 10))
    mean, spread = metrics.personalized_srcc({"w1": [0.5, 0.7], "w2": [0.8, 0.8]})
    assert (mean, spread) == pytest.approx((0.7, 0.1))


def test_summarise_names_the_scale():
    true = np.array([3.0, 5.0, 7.0, 8.0])
    out = metrics.summarise(true + 0.5, true, scale="1-10")
    assert out["mae_1-10"] == pytest.approx(0.5) and out["mse_1-10"] == pytest.approx(0.25)
    assert out["accuracy"] == pytest.approx(0.75)
    native = metrics.summarise(true * 10, true * 10, scale="native")
    assert "accuracy" not in native and native["srcc"] == pytest.approx(1.0)
