"""``train --backbone-weights``: authors' pretrained files (in their own layouts) reach the model before training."""

from __future__ import annotations

import json
from collections import OrderedDict

import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")

import tests.helpers.training_tiny as training_tiny  # noqa: E402
from engine.inference.contract import sha256_of  # noqa: E402
from training import options  # noqa: E402
from training.checkpoints import load_checkpoint  # noqa: E402
from training.cli import main  # noqa: E402
from training.loop import load_backbones  # noqa: E402
from training.models import create_model  # noqa: E402
from training.models.backbones import TonylinsMobileNetV2, places365_resnet18  # noqa: E402
from training.presets import TrainAugment, get_preset  # noqa: E402

SMALL = training_tiny.TINY_INPUT.__class__(height=32, width=32, resize="squash")


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    return training_tiny.make_tiny_ava(tmp_path_factory.mktemp("set"), n_train=8, n_val=4)


def _train(tmp_path, tiny_set, monkeypatch, preset, *extra):
    labels, images = tiny_set
    monkeypatch.setattr(options, "get_preset", lambda name: preset)
    return main(["train", "--preset", preset.name, "--labels", str(labels), "--data-root", str(images),
                 "--out", str(tmp_path / "run"), "--device", "cpu", "--workers", "0", "--max-steps", "1", *extra])


def test_torchvision_imagenet_file_initialises_nima_and_is_recorded(tmp_path, tiny_set, monkeypatch):
    imagenet = torchvision.models.mobilenet_v2(weights=None)
    path = tmp_path / "mobilenet_v2-b0353104.pth"
    torch.save(imagenet.state_dict(), path)  # torchvision's release layout: a bare state_dict
    preset = get_preset("nima-mobilenetv2-ava").with_overrides(input=SMALL, augment=TrainAugment(), batch_size=8)
    assert _train(tmp_path, tiny_set, monkeypatch, preset, "--backbone-weights", str(path), "--lr", "0") == 0
    trained = load_checkpoint(tmp_path / "run" / "last.pt")
    for key in ("features.0.0.weight", "features.17.conv.2.weight"):  # lr 0: weights stay as loaded
        torch.testing.assert_close(trained.state_dict["backbone." + key], imagenet.state_dict()[key])
    record = {"file": path.name, "sha256": sha256_of(path), "branch": "backbone"}
    assert trained.provenance["backbone_weights"] == [record]
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["backbone_weights"] == [record]


@pytest.mark.parametrize("case, message", [
    ("model_without_loader", "takes no backbone weight files"),
    ("missing_file", "no such checkpoint file"),
    ("other_architecture", "resnet18.pth"),
    ("not_weights", "cannot read checkpoint"),
])
def test_bad_backbone_files_fail_with_one_readable_line(tmp_path, tiny_set, monkeypatch, capsys, case, message):
    path = tmp_path / ("resnet18.pth" if case == "other_architecture" else "weights.pth")
    if case == "other_architecture":
        torch.save(torchvision.models.resnet18(weights=None).state_dict(), path)
    elif case == "not_weights":
        path.write_bytes(b"<html>a download page, not weights</html>")
    preset = training_tiny.TINY_PRESET if case == "model_without_loader" else \
        get_preset("nima-mobilenetv2-ava").with_overrides(input=SMALL, augment=TrainAugment(), batch_size=8)
    assert _train(tmp_path, tiny_set, monkeypatch, preset, "--backbone-weights", str(path)) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "run" / "last.pt").exists()


def test_tanet_takes_both_authors_files_in_one_run(tmp_path):
    places, mobilenet = places365_resnet18(), TonylinsMobileNetV2()
    places_path, mobilenet_path = tmp_path / "resnet18_places365.pth.tar", tmp_path / "mobilenetv2.pth.tar"
    torch.save({"epoch": 90, "arch": "resnet18",  # CSAIL's container with DataParallel's prefix
                "state_dict": OrderedDict(("module." + k, v) for k, v in places.state_dict().items())}, places_path)
    torch.save(mobilenet.state_dict(), mobilenet_path)  # tonylins: a bare state_dict
    model = create_model("tanet", variant="ava", mode="deployable")
    loaded = load_backbones(model, [places_path, mobilenet_path])
    assert [r["branch"] for r in loaded] == ["res365_last", "mobileNet"]
    torch.testing.assert_close(model.res365_last.fc.weight, places.fc.weight)
    torch.testing.assert_close(model.mobileNet.base_model[0][18][0].weight, mobilenet.features[18][0].weight)
