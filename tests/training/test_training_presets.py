"""Every preset builds its model and knows its data; TANet's per-branch Adam groups; readable CLI errors."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import tests.helpers.training_tiny as training_tiny  # noqa: E402  (the tiny preset and generated AVA-style set)
from training import options  # noqa: E402
from training.cli import main  # noqa: E402
from training.datasets.splits import FAMILIES  # noqa: E402
from training.loop import create_preset_model  # noqa: E402
from training.optim import branch_of, build_optimizer  # noqa: E402
from training.presets import TANET_BRANCHES, get_preset, list_presets  # noqa: E402

PRESETS = [name for name in list_presets() if not name.startswith("test-")]


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_builds_its_model_and_knows_its_dataset(name):
    preset = get_preset(name)
    assert preset.dataset in FAMILIES
    for mode in preset.modes or (None,):
        with torch.device("meta"):  # construction only: shapes, no weights drawn
            model = create_preset_model(preset, mode)
        assert sum(p.numel() for p in model.parameters()) > 1_000_000, name


def test_tanet_ava_has_one_adam_group_per_branch():
    preset = get_preset("tanet-ava")
    with torch.device("meta"):
        model = create_preset_model(preset)
    optimizer = build_optimizer(model, preset)
    groups = {group["name"]: group for group in optimizer.param_groups}
    assert set(groups) == set(TANET_BRANCHES)  # every parameter lies in a branch: no default group
    for branch, group in groups.items():
        expected = {id(p) for p in model.get_submodule(branch).parameters()}
        assert {id(p) for p in group["params"]} == expected, branch
        assert group["lr"] == preset.param_group_lr[branch]
    assert groups["head"]["lr"] != groups["mobileNet"]["lr"]
    assert sum(len(g["params"]) for g in optimizer.param_groups) == len(list(model.parameters()))


def test_branch_paths_do_not_match_by_name_prefix():
    branches = ["head", "head_rgb", "mobileNet", "mobileNet.head"]
    assert branch_of("head.2.weight", branches) == "head"
    assert branch_of("head_rgb.2.weight", branches) == "head_rgb"
    assert branch_of("mobileNet.head.2.bias", branches) == "mobileNet.head"
    assert branch_of("mobileNet.base_model.0.weight", branches) == "mobileNet"
    assert branch_of("hypernet.last_out_w.weight", branches) is None


def test_lr_override_keeps_the_branch_ratios():
    preset = get_preset("tanet-tad66k")
    changed = preset.with_overrides(lr=preset.lr * 10)
    for branch, lr in preset.param_group_lr.items():
        assert changed.param_group_lr[branch] == pytest.approx(10 * lr)


def test_a_preset_naming_an_unregistered_model_fails_with_one_line(tmp_path, monkeypatch, capsys):
    labels, images = training_tiny.make_tiny_ava(tmp_path, n_train=4, n_val=3)
    broken = training_tiny.TINY_PRESET.with_overrides(model="no_such_model")
    monkeypatch.setattr(options, "get_preset", lambda name: broken)
    code = main(["train", "--preset", "test-tiny-ava", "--labels", str(labels), "--data-root", str(images),
                 "--out", str(tmp_path / "run"), "--device", "cpu", "--workers", "0"])
    err = capsys.readouterr().err
    assert code == 1
    assert "unknown model 'no_such_model'" in err and "rankiqa" in err and "Traceback" not in err
