"""Our checkpoint format, and importing files in the TANet authors' key layout and containers."""

from __future__ import annotations

import json
from collections import OrderedDict

import pytest
import torch

from engine.inference.contract import load_manifest
from tests.helpers.torch_models import spread_outputs
from training.checkpoints import (
    CheckpointError,
    build_model,
    import_checkpoint,
    load_backbone_file,
    load_checkpoint,
    read_weight_file,
    save_checkpoint,
)
from training.models import create_model
from training.models.backbones import TonylinsMobileNetV2, places365_resnet18


def test_round_trip_rebuilds_the_same_model(tmp_path):
    model = spread_outputs(create_model("nima", backbone="mobilenet_v2"))
    optimizer = torch.optim.Adam(model.head.parameters())
    model.head(torch.randn(1, 1280)).sum().backward()
    optimizer.step()
    path = save_checkpoint(tmp_path / "run" / "last.pt", model, model_name="nima",
                           model_kwargs={"backbone": "mobilenet_v2"}, preset="nima-mobilenetv2-ava",
                           epoch=3, metrics={"val_srcc": 0.5}, optimizer=optimizer)
    loaded = load_checkpoint(path)
    assert (loaded.model, loaded.preset, loaded.epoch, loaded.metrics) == ("nima", "nima-mobilenetv2-ava", 3, {"val_srcc": 0.5})
    assert loaded.optimizer["state"], "optimizer moments are kept for --resume"
    rebuilt = build_model(loaded)
    for key, value in model.state_dict().items():
        torch.testing.assert_close(rebuilt.state_dict()[key], value)
    assert not list(tmp_path.glob("run/*.partial"))


def test_foreign_and_corrupt_files_are_refused_with_their_name(tmp_path):
    foreign = tmp_path / "authors.pth"
    torch.save(OrderedDict(weight=torch.zeros(2)), foreign)
    with pytest.raises(CheckpointError, match="import-checkpoint"):
        load_checkpoint(foreign)
    corrupt = tmp_path / "broken.pt"
    corrupt.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CheckpointError, match="broken.pt"):
        load_checkpoint(corrupt)
    with pytest.raises(CheckpointError, match="no such"):
        load_checkpoint(tmp_path / "missing.pt")


def test_places365_container_with_module_prefix_loads_into_the_theme_branch(tmp_path):
    places = places365_resnet18()
    path = tmp_path / "resnet18_places365.pth.tar"
    torch.save({"epoch": 90, "arch": "resnet18", "best_prec1": 54.7,
                "state_dict": OrderedDict(("module." + k, v) for k, v in places.state_dict().items())}, path)
    assert set(read_weight_file(path)) == set(places.state_dict())
    model = create_model("tanet", variant="ava")
    assert load_backbone_file(model, path) == "res365_last"
    torch.testing.assert_close(model.res365_last.fc.weight, places.fc.weight)


def test_tonylins_mobilenetv2_file_loads_into_the_aesthetic_branch(tmp_path):
    mobilenet = TonylinsMobileNetV2()
    path = tmp_path / "mobilenetv2.pth.tar"
    torch.save(mobilenet.state_dict(), path)
    model = create_model("tanet", variant="ava")
    assert load_backbone_file(model, path) == "mobileNet"
    torch.testing.assert_close(model.mobileNet.base_model[0][1].conv[0].weight, mobilenet.features[1].conv[0].weight)


def authors_release(tmp_path, variant: str, filename: str):
    """A file as the authors' torch.save(model.state_dict()) under DataParallel writes it."""
    faithful = spread_outputs(create_model("tanet", variant=variant), seed=7)
    path = tmp_path / filename
    torch.save(OrderedDict(("module." + k, v) for k, v in faithful.state_dict().items()), path)
    return faithful, path


def test_import_authors_tanet_release(tmp_path):
    faithful, path = authors_release(tmp_path, "ava", "SRCC_758_LCC_765.pth")
    imported = import_checkpoint("tanet-ava", path, tmp_path / "out")

    checkpoint = load_checkpoint(imported.checkpoint)
    assert checkpoint.model_kwargs == {"variant": "ava"} and checkpoint.metrics["reported_srcc"] == 0.758
    model = build_model(checkpoint)
    assert model.mode == "faithful"
    for key, value in faithful.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value)

    manifest = load_manifest(imported.manifest)
    assert manifest.task == "aesthetic" and manifest.architecture == "tanet(mode=deployable, variant=ava)"
    assert {(m.name, m.value, m.dataset) for m in manifest.metrics} >= {("srcc", 0.758, "AVA"), ("plcc", 0.765, "AVA")}
    assert manifest.weight_sources[0].file == "SRCC_758_LCC_765.pth"
    assert json.loads(imported.manifest.read_text())["provenance"]["parity_max_abs_diff"] <= 1e-4


def test_import_refuses_a_file_of_the_other_variant(tmp_path):
    _, path = authors_release(tmp_path, "tad66k", "SRCC_513_LCC_531_MSE_016.pth")
    with pytest.raises(CheckpointError, match="another shape") as error:
        import_checkpoint("tanet-ava", path, tmp_path / "out")
    assert "head.2.weight" in str(error.value)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
