"""ELTA enhancers: TFA sampling statistics and mixing, FLSA and sharpening on hand-checked cases,
ELTA 2.0's sampler and loss terms, the objective's training step, and long-tail MAE in reports."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from training.elta.flsa import flsa_loss, label_similarity
from training.elta.losses import mos_smooth_l1, pairwise_rank_loss
from training.elta.objective import ELTAObjective
from training.elta.sampler import TailWeights, label_tail, sample_weights, scene_tail, tail_aware_sampler
from training.elta.sharpening import select_pseudo_labels, sharpen, softmax
from training.elta.tfa import MixPlan, partner_probabilities, plan_tail_mix, selection_probabilities
from training.metrics import summarise
from training.models.elta import ELTAModel
from training.objectives import objective_for
from training.presets import get_preset

SKEWED = torch.tensor([5.0, 5.1, 4.9, 5.0, 5.2, 4.8, 5.0, 8.5])  # one tail sample, index 7


def test_tfa_draws_the_tail_sample_first_far_more_often():
    generator = torch.Generator().manual_seed(0)
    firsts = [int(plan_tail_mix(SKEWED, tau1=0.5, generator=generator).first[0]) for _ in range(2000)]
    frequency = np.bincount(firsts, minlength=8) / len(firsts)
    expected = selection_probabilities(SKEWED, 0.5).numpy()
    np.testing.assert_allclose(frequency, expected, atol=0.03)
    assert frequency[7] > 0.9 and frequency[7] > 5 * frequency[:7].max()


def test_tfa_partner_has_a_similar_score_and_never_the_same_index():
    scores = torch.tensor([1.0, 1.2, 5.0, 9.0])
    probabilities = partner_probabilities(scores, 0, tau2=2.0)
    assert probabilities[0] == 0
    assert probabilities[1] > 0.99  # |Δ| = 0.2 vs 4 and 8
    generator = torch.Generator().manual_seed(1)
    plans = [plan_tail_mix(scores, pairs=2, generator=generator) for _ in range(200)]
    assert all(int(p.first[k]) != int(p.partner[k]) for p in plans for k in range(2))
    assert all(len(set(p.first.tolist())) == 2 for p in plans), "first indices are drawn without replacement"


def test_tfa_weight_and_mixed_rows_follow_the_first_stage_probabilities():
    plan = plan_tail_mix(SKEWED, generator=torch.Generator().manual_seed(2))
    p = selection_probabilities(SKEWED, 0.5)
    i, j = int(plan.first[0]), int(plan.partner[0])
    assert float(plan.weight[0]) == pytest.approx(float(p[i] / (p[i] + p[j])))
    hand = MixPlan(torch.tensor([0]), torch.tensor([2]), torch.tensor([0.75], dtype=torch.float64))
    rows = torch.tensor([[4.0, 0.0], [1.0, 1.0], [0.0, 8.0]])
    torch.testing.assert_close(hand.extend(rows), torch.cat([rows, torch.tensor([[3.0, 2.0]])]))


def test_flsa_on_hand_checked_cases():
    features = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]])
    assert float(flsa_loss(features, torch.tensor([1.0, 3.0, 1.0]))) == pytest.approx(0.0, abs=1e-7)
    # S_y = [[1,.5,0],[.5,1,.5],[0,.5,1]]; S_f = [[1,0,1],[0,1,0],[1,0,1]]: squared gaps 1+1+4·0.25 over 9
    assert float(flsa_loss(features, torch.tensor([1.0, 2.0, 3.0]))) == pytest.approx(3 / 9)
    torch.testing.assert_close(label_similarity(torch.tensor([5.0, 5.0])), torch.ones(2, 2))


def test_sharpening_leaves_the_mean_image_alone_and_sharpens_the_tails():
    logits = np.array([[0.0, 1.0, 2.0, 1.0, 0.0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 1.0, 2.0, 1.0]])
    np.testing.assert_allclose(sharpen(logits, 0.0), softmax(logits))
    sharp = sharpen(logits, 1.0)
    assert (sharp.max(axis=1) > softmax(logits).max(axis=1)).all()  # both are 3 points from the mean (6)
    scores = softmax(logits) @ np.arange(1, 11)
    factors = np.exp(1.0 * np.abs(scores.mean() - scores))  # equal gaps: the rows mirror each other
    assert factors[0] == pytest.approx(factors[1]) and factors[0] > 1.5
    np.testing.assert_allclose(sharp, softmax(logits * factors[:, None]))
    third = np.vstack([logits, softmax(logits).mean(axis=0, keepdims=True) * 0])  # a flat row, MOS 5.5
    assert sharpen(third, 1.0)[2] == pytest.approx(np.full(10, 0.1))


def confident_pool(count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` confident rows predicting score 8, plus ten flat rows; ground truth 8 everywhere."""
    confident = np.zeros((count, 10))
    confident[:, 7] = 6.0
    flat = np.zeros((10, 10))
    logits = np.concatenate([confident, flat])
    return logits, np.full(len(logits), 8.0)


def test_selection_grid_counts_and_pseudo_label_versions():
    logits, truth = confident_pool(10)
    assert select_pseudo_labels(logits, truth, version="1.0") is None, "1.0 needs more than 10 images"
    chosen = select_pseudo_labels(logits, truth, version="2.0")
    assert chosen is not None and chosen.count == 10 and chosen.keep[:10].all()
    assert chosen.labels.max(axis=1).min() > softmax(logits[:1]).max(), "2.0 labels with the sharpened distribution"
    logits, truth = confident_pool(11)
    first = select_pseudo_labels(logits, truth, version="1.0")
    np.testing.assert_allclose(first.labels, softmax(logits[:11]))  # 1.0: unsharpened
    assert (first.beta, first.threshold) == (1.25, 0.75)


def test_selection_prefers_the_setting_with_the_lowest_error():
    logits, truth = confident_pool(12)
    truth[:6] = 3.0  # half the confident rows are wrong: only a grid point keeping fewer of them can win
    logits[:6, 7], logits[:6, 2] = 0.0, 9.0
    chosen = select_pseudo_labels(logits, truth, version="2.0")
    kept_truth = truth[chosen.keep]
    assert chosen.mae == pytest.approx(np.mean(np.abs(chosen.labels @ np.arange(1, 11) - kept_truth)))
    assert chosen.mae < 0.1


def test_tail_weights_and_sampler():
    scores = np.arange(1, 11, dtype=float)
    tail = label_tail(scores)
    assert tail.tolist() == [True, True, False, False, False, False, False, False, True, True]
    scenes = scene_tail(["sea"] * 8 + ["cave", "sea"])
    weights = sample_weights(tail, scenes, np.array([False] * 9 + [True]), TailWeights(1, 2, 2, 2))
    assert weights.tolist() == [2, 2, 1, 1, 1, 1, 1, 1, 6, 4]  # index 8: 1+1+2+2; index 9: 1+1+2
    sampler = tail_aware_sampler(weights, multiplier=400, seed=0)
    counts = np.bincount(list(sampler), minlength=10)
    assert len(sampler) == 4000 and counts[8] > 4 * counts[3]


def test_elta2_terms_on_hand_checked_pairs():
    ordered = pairwise_rank_loss(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]))
    reversed_ = pairwise_rank_loss(torch.tensor([2.0, 1.0]), torch.tensor([1.0, 2.0]))
    assert float(ordered) == pytest.approx(math.log1p(math.exp(-1)))
    assert float(reversed_) == pytest.approx(math.log1p(math.exp(1)))
    assert float(pairwise_rank_loss(torch.tensor([3.0, 1.0]), torch.tensor([5.0, 5.03]))) == 0.0  # |Δt| ≤ 0.05
    assert float(mos_smooth_l1(torch.tensor([5.0, 7.0]), torch.tensor([5.5, 4.0]))) == pytest.approx((0.125 + 2.5) / 2)


def tiny_elta() -> ELTAModel:
    torch.manual_seed(0)
    return ELTAModel(nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten()), features=12)


def test_elta_objective_trains_on_the_batch_plus_mixed_rows():
    preset = get_preset("elta-swinv2-ava")
    objective = objective_for(preset)
    assert isinstance(objective, ELTAObjective) and objective.options.flsa_weight == 1.0
    model = tiny_elta().train()
    targets = torch.softmax(torch.randn(6, 10), dim=1)
    batch = {"image": torch.randn(6, 3, 8, 8), "target": targets}
    outputs = objective.outputs(model, batch, torch.device("cpu"))
    assert outputs.shape == (7, 10)  # six images + one TFA pair
    loss = objective.loss(outputs, batch, torch.device("cpu"))
    loss.backward()
    assert torch.isfinite(loss) and model.linear_emd[0].weight.grad.abs().sum() > 0
    with torch.no_grad():
        assert objective.outputs(model.eval(), batch, torch.device("cpu")).shape == (6, 10)


def test_elta_presets_and_swinv2_heads():
    model = ELTAModel(nn.Identity(), features=1024)
    assert sum(p.numel() for p in model.linear_emd.parameters()) == 66_250
    assert get_preset("elta-swinv2-ava").input.height == 256
    assert get_preset("elta2-swinv2-ava").loss_kwargs["rank_weight"] == 0.05


def test_long_tail_mae_is_in_every_summary():
    true = np.linspace(2, 8, 50)
    predicted = true + np.where(true <= np.percentile(true, 20), 1.0, 0.0)  # only the low tail is off
    out = summarise(predicted, true, scale="1-10")
    assert out["mae_ll_1-10"] == pytest.approx(1.0)
    assert out["mae_lm_1-10"] == pytest.approx(0.0) and out["mae_lh_1-10"] == pytest.approx(0.0)
