"""ONNX export: verified parity, an honest manifest, and the app's path (manifest → preprocess → ORT)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data
from torch import nn

from engine.inference.contract import load_manifest, score_from_output
from engine.inference.preprocess import preprocess_batch
from engine.inference.runtime import RuntimeSettings, create_session
from tests.helpers.torch_models import calibrate_batchnorm, images, spread_outputs
from training.checkpoints import save_checkpoint
from training.cli import main as training_cli
from training.export import ExportError, export_onnx
from training.models import create_model
from training.presets import get_preset


def build(preset_name: str) -> nn.Module:
    preset = get_preset(preset_name)
    torch.manual_seed(0)
    model = spread_outputs(create_model(preset.model, **preset.model_arguments()))
    return calibrate_batchnorm(model, images(4, seed=9))


@pytest.mark.parametrize("preset_name", ["tanet-ava", "tanet-tad66k", "nima-mobilenetv2-ava"])
def test_exported_model_scores_photos_like_torch(tmp_path, preset_name):
    preset = get_preset(preset_name)
    model = build(preset_name)
    onnx_path, json_path = export_onnx(model, preset, tmp_path, "candidate", trained=False)

    manifest = load_manifest(json_path)
    assert manifest.task == "untrained" and "random" in manifest.training_data
    assert manifest.opset >= 17 and manifest.output.kind == preset.output_kind
    provenance = json.loads(json_path.read_text())["provenance"]
    assert provenance["parity_max_abs_diff"] <= 1e-4 and provenance["ort_cpu_ms_per_image"] > 0

    photos = [Image.fromarray(data.astronaut()), Image.fromarray(data.coffee())]
    batch = preprocess_batch(photos, manifest.input)
    session = create_session(onnx_path, RuntimeSettings(device="cpu"))
    assert isinstance(session.session.get_inputs()[0].shape[0], str), "batch axis must be symbolic"
    onnx_scores = score_from_output(session.run(batch)[0], manifest.output)
    with torch.no_grad():
        torch_scores = score_from_output(model(torch.from_numpy(batch)).numpy(), manifest.output)
    np.testing.assert_allclose(onnx_scores, torch_scores, atol=1e-4, rtol=0)
    assert 1.0 <= onnx_scores.min() and onnx_scores.max() <= 10.0
    assert abs(onnx_scores[0] - onnx_scores[1]) > 1e-3, "two different photos should not score alike"


def test_faithful_tanet_is_not_exported(tmp_path):
    model = create_model("tanet", variant="ava", mode="faithful")
    with pytest.raises(ExportError, match="deployable"):
        export_onnx(model, get_preset("tanet-ava"), tmp_path, "faithful")


class CountsItsCalls(nn.Module):
    """Its output changes on every call; a trace freezes one value, so parity must fail."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return torch.softmax(x.mean(dim=(2, 3)).repeat(1, 4)[:, :10] * self.calls, dim=1)


def test_export_that_does_not_reproduce_torch_raises_and_leaves_nothing(tmp_path):
    with pytest.raises(ExportError, match="differs from torch"):
        export_onnx(CountsItsCalls(), get_preset("nima-mobilenetv2-ava"), tmp_path, "broken", trained=False)
    assert list(tmp_path.iterdir()) == []


def test_export_command_labels_an_untrained_checkpoint_honestly(tmp_path, capsys):
    model = create_model("nima", backbone="mobilenet_v2")
    checkpoint = save_checkpoint(tmp_path / "init.pt", model, model_name="nima",
                                 model_kwargs={"backbone": "mobilenet_v2"}, preset="nima-mobilenetv2-ava")
    code = training_cli(["export", "--preset", "nima-mobilenetv2-ava", "--checkpoint", str(checkpoint),
                         "--out", str(tmp_path / "models"), "--name", "nima-init", "--no-install"])
    assert code == 0, capsys.readouterr().err
    assert load_manifest(tmp_path / "models" / "nima-init.json").task == "untrained"


def test_commands_fail_cleanly_on_a_checkpoint_of_another_model(tmp_path, capsys):
    model = create_model("nima", backbone="mobilenet_v2")
    checkpoint = save_checkpoint(tmp_path / "nima.pt", model, model_name="nima", model_kwargs={})
    assert training_cli(["export", "--preset", "tanet-ava", "--checkpoint", str(checkpoint),
                         "--out", str(tmp_path / "out")]) == 1
    assert "holds a 'nima' model" in capsys.readouterr().err
    torch.save(model.state_dict(), tmp_path / "nima_state.pth")
    assert training_cli(["import-checkpoint", "--preset", "tanet-ava", "--checkpoint",
                         str(tmp_path / "nima_state.pth"), "--out", str(tmp_path / "out")]) == 1
    assert "do not fit the model" in capsys.readouterr().err
