"""NIMA: output semantics, parameter counts, and strict loading of torchvision's ImageNet files."""

from __future__ import annotations

import pytest
import torch
import torchvision

from tests.helpers.torch_models import images
from training.checkpoints import CheckpointError, load_backbone_file
from training.models import create_model


def test_outputs_a_distribution_over_ten_scores():
    model = create_model("nima", backbone="mobilenet_v2").eval()
    with torch.no_grad():
        out = model(images(2, size=96))
    assert out.shape == (2, 10)
    torch.testing.assert_close(out.sum(dim=1), torch.ones(2))


def test_head_replaces_the_imagenet_classifier():
    model = create_model("nima", backbone="mobilenet_v2")
    imagenet = torchvision.models.mobilenet_v2(weights=None)
    classifier = sum(p.numel() for p in imagenet.classifier.parameters())
    expected = sum(p.numel() for p in imagenet.parameters()) - classifier + 1280 * 10 + 10
    assert sum(p.numel() for p in model.parameters()) == expected == 2_236_682
    assert model.head[0].p == 0.75


def test_resnet_and_timm_backbones():
    resnet = create_model("nima", backbone="resnet18").eval()
    timm_model = create_model("nima", backbone="timm/mobilenetv3_small_100").eval()
    with torch.no_grad():
        assert resnet(images(1, size=64)).shape == (1, 10)
        assert timm_model(images(1, size=64)).shape == (1, 10)
    assert resnet.head[1].in_features == 512


def test_torchvision_imagenet_file_loads_strictly(tmp_path):
    imagenet = torchvision.models.mobilenet_v2(weights=None)
    path = tmp_path / "mobilenet_v2-imagenet.pth"
    torch.save(imagenet.state_dict(), path)
    model = create_model("nima", backbone="mobilenet_v2")
    assert load_backbone_file(model, path) == "backbone"
    torch.testing.assert_close(model.backbone.features[5].conv[1][0].weight, imagenet.features[5].conv[1][0].weight)


def test_a_file_of_another_architecture_is_refused(tmp_path):
    path = tmp_path / "resnet18.pth"
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), path)
    with pytest.raises(CheckpointError, match="resnet18.pth"):
        load_backbone_file(create_model("nima", backbone="mobilenet_v2"), path)
