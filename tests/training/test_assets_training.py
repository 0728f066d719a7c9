"""The asset builders' training pieces: RankIQA losses, burst-like pairs, a reproducible training loop."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import torch
from skimage import data

from training.assets import quality
from training.assets.burst_ranker import burst_pair
from training.assets.quality import (
    BOKEH_MARGIN,
    CHECKPOINT,
    LOCAL_MARGIN,
    MARGIN,
    FrozenGroups,
    QualityTraining,
    bokeh_loss,
    cross_photo_loss,
    defect_group,
    local_damage_loss,
    local_group,
    local_score_loss,
    model_kwargs,
    quadrant_sums,
    ranking_loss,
    train_ranker,
)
from training.assets.quality_embedding import _quality_ranker
from training.assets.shipping import seed_everything
from training.checkpoints import save_checkpoint
from training.distortions import LEVELS, distort
from training.models.distortion_ranker import DistortionRanker, ToneStatistics


def test_ranking_loss_is_zero_only_when_every_level_wins_by_the_margin():
    ordered = torch.tensor([[5.0, 4.0, 3.0, 2.0, 1.0, 0.0]]) * MARGIN
    assert float(ranking_loss(ordered)) == 0.0
    swapped = ordered[:, [1, 0, 2, 3, 4, 5]]
    assert float(ranking_loss(swapped)) > 0.0


def test_bokeh_loss_wants_background_blur_not_below_the_original():
    assert float(bokeh_loss(torch.tensor([[1.0] + [1.0 + BOKEH_MARGIN] * 5]))) == 0.0
    assert float(bokeh_loss(torch.tensor([[1.0] + [0.5] * 5]))) > 0.0


def test_cross_photo_loss_compares_clean_photos_with_other_photos_damage():
    # Each photo is perfectly ordered, but photo B's clean version (7) is below photo A's damage (8, 7.5).
    scores = torch.tensor([[10.0, 9.5, 9.0, 8.5, 8.0, 7.5], [7.0, 6.0, 5.0, 4.0, 1.0, 0.0]])
    assert float(ranking_loss(scores)) == 0.0
    assert float(cross_photo_loss(scores)) > 0.0
    consistent = torch.tensor([[10.0, 9.5, 9.0, 8.5, 1.0, 0.0], [10.0, 9.5, 9.0, 8.5, 1.0, 0.0]])
    assert float(cross_photo_loss(consistent)) == 0.0


def _shares_with_dip(dips: list[float]) -> torch.Tensor:
    """(1, 5, 8, 8) location shares: an even frame, then for each quadrant q the frame with q lowered by dips[q]."""
    shares = torch.ones(1, 5, 8, 8)
    for q, dip in enumerate(dips):
        rows, cols = (slice(0, 4), slice(4, 8))[q // 2], (slice(0, 4), slice(4, 8))[q % 2]
        shares[0, q + 1, rows, cols] -= dip / 16
    return shares


def test_local_damage_loss_is_zero_only_when_the_damaged_quadrant_is_lowest_by_the_margin():
    everywhere = torch.ones(1, 4, dtype=torch.bool)
    assert float(local_damage_loss(_shares_with_dip([LOCAL_MARGIN] * 4), everywhere)) == 0.0
    assert float(local_damage_loss(_shares_with_dip([LOCAL_MARGIN / 2] * 4), everywhere)) > 0.0
    missed = _shares_with_dip([LOCAL_MARGIN, LOCAL_MARGIN, -1.0, LOCAL_MARGIN])
    assert float(local_damage_loss(missed, everywhere)) > 0.0
    # a damage that did not visibly change its quadrant teaches nothing
    assert float(local_damage_loss(missed, torch.tensor([[True, True, False, True]]))) == 0.0


def test_quadrant_sums_and_the_local_score_loss():
    shares = torch.arange(64.0).view(8, 8)
    assert quadrant_sums(shares).tolist() == [shares[:4, :4].sum(), shares[:4, 4:].sum(),
                                              shares[4:, :4].sum(), shares[4:, 4:].sum()]
    visible = torch.ones(1, 4, dtype=torch.bool)
    assert float(local_score_loss(torch.tensor([[5.0, 4.0, 4.0, 4.0, 4.0]]), visible)) == 0.0
    assert float(local_score_loss(torch.tensor([[5.0, 5.5, 4.0, 4.0, 4.0]]), visible)) > 0.0


def test_a_local_group_is_the_frame_then_each_quadrant_damaged():
    group, visible = local_group(data.chelsea(), "gaussian_noise", np.random.default_rng(0))
    assert group.shape == (5, 3, 256, 256) and visible.tolist() == [True] * 4
    for q in range(4):
        changed = (group[q + 1] - group[0]).abs().amax(dim=0) > 0
        rows, cols = (slice(0, 128), slice(128, 256))[q // 2], (slice(0, 128), slice(128, 256))[q % 2]
        assert changed[rows, cols].float().mean() > 0.5
        changed[rows, cols] = False
        assert changed.float().mean() < 0.01  # only resampling at the quadrant's edge


def test_location_shares_add_up_to_the_score():
    torch.manual_seed(0)
    model = DistortionRanker(tone=True).eval()
    x = torch.randn(2, 3, 256, 256)
    with torch.no_grad():
        maps = model.trunk.features(x)
        shares = model.location_shares(maps)
        tone = model.tone_features(x)
        linear = model.head[-1]
        rest = tone @ linear.weight[0, 2560:] + linear.bias
        torch.testing.assert_close(shares.sum(dim=(1, 2)) + rest, model(x)[:, 0], atol=1e-4, rtol=0)


def test_burst_pairs_are_two_reframed_versions_at_different_levels():
    rng = np.random.default_rng(0)
    photo = data.chelsea()
    for _ in range(5):
        (first, level_a), (second, level_b) = burst_pair(photo, rng)
        assert level_a != level_b
        assert first.dtype == np.uint8 and min(first.shape[:2]) >= 0.85**0.5 * min(photo.shape[:2]) - 1
        assert first.shape != photo.shape or second.shape != photo.shape or not np.array_equal(first, second)


def _trained_weights() -> dict[str, torch.Tensor]:
    seed_everything(7, threads=1)
    model = DistortionRanker()
    frozen = torch.randn(4, 6, 160, 8, 8, generator=torch.Generator().manual_seed(1)).half()
    local = torch.randn(2, 5, 160, 8, 8, generator=torch.Generator().manual_seed(2)).half()
    groups = FrozenGroups(defects=frozen[:3], bokeh=frozen[3:], local=local,
                          local_visible=torch.ones(2, 4, dtype=torch.bool))
    train_ranker(model, groups, QualityTraining(steps=3, groups_per_step=2, seed=7, local_groups_per_step=1))
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_training_is_reproducible_and_moves_only_the_trainable_blocks():
    first, second = _trained_weights(), _trained_weights()
    assert all(torch.equal(first[k], second[k]) for k in first)
    seed_everything(7, threads=1)
    untouched = DistortionRanker().state_dict()
    assert torch.equal(first["trunk.features.16.conv.0.0.weight"], untouched["trunk.features.16.conv.0.0.weight"])
    assert not torch.equal(first["head.1.weight"], untouched["head.1.weight"])


def _normalised(image: np.ndarray) -> torch.Tensor:
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    x = torch.from_numpy(image).float().permute(2, 0, 1)[None] / 255.0
    return (x - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)


def test_tone_statistics_see_shadows_grow_and_highlights_clip():
    photo = data.chelsea()
    tone = ToneStatistics()
    clean, dark, bright = (
        tone(_normalised(im))[0]
        for im in (photo, distort(photo, "underexposure", 1), distort(photo, "overexposure", 3))
    )
    levels = len(tone.levels.reshape(-1))
    assert torch.all(dark[:levels] >= clean[:levels]) and dark[levels] < clean[levels]  # more shadow, lower mean
    assert bright[levels - 1] < clean[levels - 1]  # fewer pixels below 0.98: highlights clipped
    assert torch.all(clean[:levels].diff() >= 0)  # a cumulative histogram


def test_exposure_pairs_are_a_clean_frame_against_a_mild_exposure_drift():
    rng = np.random.default_rng(1)
    photo = data.chelsea()
    for _ in range(6):
        (first, level_a), (second, level_b) = burst_pair(photo, rng, exposure_share=1.0)
        assert sorted([level_a, level_b])[0] == 0 and 1 <= max(level_a, level_b) <= 3
        darker_or_brighter = abs(float(first.mean()) - float(second.mean()))
        assert darker_or_brighter > 5.0  # the drift shows in mean brightness, unlike a crop shift


def test_a_smaller_input_size_shapes_the_training_groups():
    spec = QualityTraining(input_size=224).input_spec
    group = defect_group(data.chelsea(), "jpeg", np.random.default_rng(0), spec)
    assert group.shape == (LEVELS + 1, 3, 224, 224)


def _cached_checkpoint(work_dir, config: QualityTraining) -> None:
    save_checkpoint(
        work_dir / CHECKPOINT, DistortionRanker(**model_kwargs(config)), model_name="distortion_ranker",
        model_kwargs=model_kwargs(config), provenance={"command": "earlier", "training": asdict(config)},
    )


def test_a_cached_checkpoint_is_reused_only_at_its_own_input_size(tmp_path, monkeypatch):
    trained = []
    monkeypatch.setattr(quality, "train_quality", lambda *args, config, **kwargs: trained.append(config) or "new")
    _cached_checkpoint(tmp_path, QualityTraining())
    reused, provenance = _quality_ranker(tmp_path, tmp_path, tmp_path, QualityTraining(), "now", True)
    assert isinstance(reused, DistortionRanker) and provenance["command"] == "now" and not trained
    smaller = QualityTraining(input_size=224)
    assert _quality_ranker(tmp_path, tmp_path, tmp_path, smaller, "now", True) == "new" and trained == [smaller]
