"""Losses: values against hand computation and finite-difference gradients."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from training import losses  # noqa: E402


def _random_distributions(batch: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(batch, 10, generator=generator, dtype=torch.float64), dim=1)


def test_emd_variants_match_hand_computation():
    p = torch.zeros(2, 10, dtype=torch.float64)
    q = torch.zeros(2, 10, dtype=torch.float64)
    p[0, 0], q[0, 1] = 1, 1  # CDF differs by 1 in bin 1 only
    p[1, 0], q[1, 3] = 1, 1  # differs by 1 in bins 1..3
    # per sample: sqrt(1/10), sqrt(3/10); batch-global: sqrt(4/20); abs: 4/20
    assert losses.emd_per_sample(p, q).item() == pytest.approx(((0.1) ** 0.5 + (0.3) ** 0.5) / 2)
    assert losses.emd_batch_global(p, q).item() == pytest.approx((4 / 20) ** 0.5)
    assert losses.emd_abs(p, q).item() == pytest.approx(4 / 20)
    assert losses.emd_per_sample(p, p).item() == pytest.approx(1e-6, abs=1e-6)


@pytest.mark.parametrize("name", ["emd_per_sample", "emd_batch_global", "emd_abs", "mse"])
def test_pointwise_losses_have_correct_gradients(name):
    target = _random_distributions(4, 1)
    # Scaled off the simplex so the last CDF bin is not exactly 0 (|c| has a kink there).
    predicted = (1.3 * _random_distributions(4, 2)).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda p: losses.pointwise_loss(name)(p, target), (predicted,))


def test_emd_at_perfect_prediction_has_finite_gradient():
    p = _random_distributions(3, 3).requires_grad_(True)
    losses.emd_per_sample(p, p.detach()).backward()
    assert torch.isfinite(p.grad).all()


def test_margin_ranking_penalises_wrong_order_and_has_gradients():
    better = torch.tensor([2.0, -1.0], dtype=torch.float64, requires_grad=True)
    worse = torch.tensor([-2.0, 1.0], dtype=torch.float64, requires_grad=True)
    raw = losses.margin_ranking(better, worse, margin=0.5, sigmoid=False)
    # pair 1 is ordered with gap 4 > margin (0); pair 2 is reversed: 0.5 - (-2) = 2.5
    assert raw.item() == pytest.approx(2.5 / 2)
    assert torch.autograd.gradcheck(lambda b, w: losses.margin_ranking(b, w, margin=0.1), (better, worse))


def test_contrastive_pulls_same_pairs_and_pushes_different_ones():
    distance = torch.tensor([0.5, 0.25, 2.0], dtype=torch.float64, requires_grad=True)
    same = torch.tensor([1, 0, 0])
    value = losses.contrastive(distance, same, margin=1.0)
    assert value.item() == pytest.approx((0.25 + 0.75**2 + 0.0) / 3)
    assert torch.autograd.gradcheck(lambda d: losses.contrastive(d, same), (distance,))
    a, b = _random_distributions(3, 4).requires_grad_(True), _random_distributions(3, 5)
    assert torch.autograd.gradcheck(lambda x: losses.mos_distance(x, b), (a,))


def test_unknown_loss_and_shape_mismatch_are_clear():
    with pytest.raises(KeyError, match="unknown loss"):
        losses.pointwise_loss("l7")
    with pytest.raises(ValueError, match="equal shapes"):
        losses.emd_abs(torch.zeros(2, 10), torch.zeros(2, 5))
