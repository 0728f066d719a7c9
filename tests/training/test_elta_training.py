"""ELTA in the training loop: the DDP-sharded tail sampler, the pseudo-label command, ELTA heads on EAT."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tests.helpers.training_tiny as training_tiny  # noqa: E402
from training.checkpoints import load_backbone_file, save_checkpoint  # noqa: E402
from training.cli import main  # noqa: E402
from training.datasets import ava  # noqa: E402
from training.elta.sampler import DistributedWeightedSampler, TailWeights  # noqa: E402
from training.elta.tfa import plan_tail_mix  # noqa: E402
from training.loop import RunConfig, train  # noqa: E402
from training.models import create_model  # noqa: E402
from training.models.eat import EAT  # noqa: E402
from training.sampling import tail_sample_weights  # noqa: E402


def test_two_ranks_draw_the_one_rank_list_between_them():
    weights = np.array([1.0, 1.0, 1.0, 5.0, 0.0, 2.0])
    ranks = [DistributedWeightedSampler(weights, 11, rank=r, world_size=2, seed=4) for r in (0, 1)]
    single = DistributedWeightedSampler(weights, 12, seed=4)
    for sampler in (*ranks, single):
        sampler.set_epoch(2)
    assert len(ranks[0]) == len(ranks[1]) == 6  # 11 draws padded to 12 over two ranks
    interleaved = [i for pair in zip(*(list(r) for r in ranks)) for i in pair]
    assert interleaved == list(single)  # the global order does not depend on the rank count
    assert 4 not in interleaved  # weight 0 is never drawn
    first_epoch = list(single)
    single.set_epoch(3)
    assert list(single) != first_epoch  # a new epoch, a new draw


def test_tail_weights_come_from_train_scores_and_the_scene_file(tmp_path):
    scores = {1000 + i: s for i, s in enumerate(np.linspace(2, 9, 10))}
    training_tiny.write_group_csv(tmp_path / "train.csv", scores)
    table = ava.read_group_csv(tmp_path / "train.csv")
    scenes = tmp_path / "scenes.csv"
    scenes.write_text("image,category\n" + "".join(f"{i}.jpg,beach\n" for i in range(1000, 1008)) + "1008,cave\n")
    plain = tail_sample_weights(table, None, TailWeights(1, 2, 2, 2))
    assert plain.tolist() == [2, 2, 1, 1, 1, 1, 1, 1, 2, 2]  # label tails: the two lowest and the two highest
    with_scenes = tail_sample_weights(table, scenes, TailWeights(1, 2, 2, 2))
    assert with_scenes.tolist() == [2, 2, 1, 1, 1, 1, 1, 1, 6, 2]  # 1008: rare scene and label tail; 1009 unlisted


def test_loop_trains_with_the_tail_sampler(tmp_path):
    labels, images = training_tiny.make_tiny_ava(tmp_path, n_train=16, n_val=4)
    preset = training_tiny.TINY_PRESET.with_overrides(
        epochs=1, train_sampler="elta2_tail", sampler_kwargs={"label_tail": 3.0, "multiplier": 2.0})
    summary = train(RunConfig(preset=preset, labels=labels, data_root=images, out=tmp_path / "run"))
    assert summary["train_sampler"] == "elta2_tail"
    assert summary["steps"] == 4  # 2 × 16 draws per epoch, batch 8


def _checkpoint(path, peaked: bool):
    """A tiny distribution model: peaked outputs that follow the image (sharp) or uniform ones."""
    model = training_tiny.TinyDistributionNet()
    with torch.no_grad():
        model.fc.weight.zero_()
        model.fc.bias.zero_()
        if peaked:
            red, blue = slice(0, 16), slice(32, 48)  # pooled channels of the 4×4 grid
            model.fc.weight[8, red], model.fc.weight[8, blue] = 6.0, -6.0  # red images → score 9
            model.fc.weight[1, red], model.fc.weight[1, blue] = -6.0, 6.0  # blue images → score 2
    save_checkpoint(path, model, model_name="test_tiny_distribution", model_kwargs={}, preset="test-tiny-ava")


def test_pseudo_label_writes_kept_images_and_a_merged_train_split(tmp_path):
    labels, images = training_tiny.make_tiny_ava(tmp_path, n_train=6, n_val=3)
    pool_scores = training_tiny.make_ava_set(images, list(range(7000, 7030)), seed=9)
    training_tiny.write_group_csv(tmp_path / "pool.csv", pool_scores)
    _checkpoint(tmp_path / "model.pt", peaked=True)
    out = tmp_path / "round1"
    code = main(["pseudo-label", "--preset", "test-tiny-ava", "--checkpoint", str(tmp_path / "model.pt"),
                 "--labels", str(tmp_path / "pool.csv"), "--data-root", str(images), "--version", "2.0",
                 "--train-labels", str(labels / "train.csv"), "--out", str(out), "--device", "cpu",
                 "--workers", "0"])
    assert code == 0
    selection = json.loads((out / "selection.json").read_text())
    with open(out / "pseudo_labels.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert 10 <= selection["kept"] == len(rows) <= 30
    for row in rows:
        probabilities = np.array([float(row[f"score{j}"]) for j in range(2, 12)])
        assert probabilities.sum() == pytest.approx(1.0, abs=1e-4)
        assert float(row["score"]) == pytest.approx(probabilities @ np.arange(1, 11), abs=1e-3)
        assert int(row["image_id"]) in pool_scores
    merged = ava.read_any(out / "train.csv")
    assert len(merged) == 6 + len(rows)
    assert (out / "val.csv").read_text() == (labels / "val.csv").read_text()


def test_pseudo_label_reports_a_pool_nothing_can_be_kept_from(tmp_path, capsys):
    labels, images = training_tiny.make_tiny_ava(tmp_path, n_train=2, n_val=12)
    _checkpoint(tmp_path / "flat.pt", peaked=False)  # uniform outputs: nothing is confident
    code = main(["pseudo-label", "--preset", "test-tiny-ava", "--checkpoint", str(tmp_path / "flat.pt"),
                 "--labels", str(labels / "val.csv"), "--data-root", str(images), "--out", str(tmp_path / "o"),
                 "--device", "cpu", "--workers", "0"])
    assert code == 1 and "keeps enough" in capsys.readouterr().err
    assert not (tmp_path / "o" / "pseudo_labels.csv").exists()


def test_elta_heads_on_an_eat_backbone(tmp_path):
    torch.manual_seed(0)
    model = create_model("elta", backbone="eat/tiny", head="emd").train()
    x = torch.randn(4, 3, 64, 64)
    plan = plan_tail_mix(torch.tensor([2.0, 5.0, 5.5, 9.0]), pairs=1)
    outputs, features = model(x, mix=plan)
    assert outputs.shape == (5, 10) and features.shape == (5, 128)  # DAT-tiny's last stage width
    assert torch.allclose(outputs.sum(dim=1), torch.ones(5))
    assert model.backbone.mode == "deployable"  # per-image interest points
    source = EAT(config="tiny")
    dat_file = {k: v for k, v in source.state_dict().items() if "ref_point14" not in k and not k.startswith("cls_head")}
    dat_file.update({"cls_head.weight": torch.zeros(1000, 128), "cls_head.bias": torch.zeros(1000)})
    torch.save({"model": dat_file}, tmp_path / "dat_tiny_in1k.pth")  # the DAT release layout
    assert load_backbone_file(model, tmp_path / "dat_tiny_in1k.pth") == "backbone"
    torch.testing.assert_close(model.backbone.patch_proj[0].weight, source.patch_proj[0].weight)
