"""The torch-free install of the authors' TANet/EAT files against ``import-checkpoint``, and the templates.

torch is used here only to write the release files (as the authors' code saves them) and
to run ``import-checkpoint`` for comparison; the install itself is the engine's
(:mod:`engine.cli.model_install`), which imports no torch. The refusals are in
tests/engine/test_research_model_install.py.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import onnx
import pytest
import torch
from PIL import Image
from skimage import data

from engine.cli.model_install import InstallError, install_research_model
from engine.inference.checkpoint_reader import read_state_dict
from engine.inference.preprocess import preprocess_batch
from engine.inference.runtime import RuntimeSettings, create_session
from engine.inference.template_fill import load_template, templates_dir
from tests.helpers.pth_writer import write_legacy_pth, write_pth
from tests.helpers.torch_models import calibrate_batchnorm, images, spread_outputs
from training.assets.research_templates import TEMPLATE_PRESETS, build_template
from training.checkpoints import import_checkpoint
from training.models import create_model
from training.presets import InputSpec, get_preset, register_preset

TINY_EAT = register_preset(
    get_preset("eat-ava").with_overrides(name="test-template-eat-tiny",
                                         model_kwargs={"variant": "ava", "config": "tiny"},
                                         input=InputSpec(height=64, width=64, resize="squash"))
)
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def real_photos(spec) -> np.ndarray:
    """scikit-image's sample photographs, preprocessed as the app feeds a model."""
    return preprocess_batch([Image.fromarray(getattr(data, name)()).convert("RGB") for name in PHOTOS], spec)


def authors_file(model: torch.nn.Module, path, *, data_parallel: bool, zip_format: bool = True):
    prefix = "module." if data_parallel else ""
    torch.save(OrderedDict((prefix + k, v) for k, v in model.state_dict().items()), path,
               _use_new_zipfile_serialization=zip_format)
    return path


def outputs(onnx_path, batch: np.ndarray) -> np.ndarray:
    return create_session(onnx_path, RuntimeSettings(device="cpu")).run(batch)[0]


@pytest.mark.parametrize("variant,release", [("ava", "SRCC_758_LCC_765.pth"),
                                             ("tad66k", "SRCC_513_LCC_531_MSE_016.pth")])
def test_tanet_release_installs_without_torch_and_matches_import_checkpoint(tmp_path, variant, release):
    model = spread_outputs(create_model("tanet", variant=variant), seed=3)
    calibrate_batchnorm(model.mobileNet, images(8, seed=1))
    path = authors_file(model, tmp_path / release, data_parallel=True)
    imported = import_checkpoint(f"tanet-{variant}", path, tmp_path / "imported")
    (tmp_path / "models").mkdir()
    installed = install_research_model(path, models_dir=tmp_path / "models")  # preset from the authors' file name

    batch = real_photos(installed.model.manifest.input)
    ours, theirs = outputs(installed.model.onnx_path, batch), outputs(imported.onnx, batch)
    assert np.abs(ours - theirs).max() <= 1e-4
    assert np.ptp(ours, axis=0).max() > 1e-3, "the photos must score differently for the comparison to mean anything"
    assert installed.model.manifest.metrics[0].value in (0.758, 0.513)


def test_legacy_and_zip_files_install_the_same_weights(tmp_path):
    model = spread_outputs(create_model("tanet", variant="ava"), seed=4)
    zipped = read_state_dict(authors_file(model, tmp_path / "a.pth", data_parallel=True))
    legacy = read_state_dict(authors_file(model, tmp_path / "b.pth", data_parallel=False, zip_format=False))
    assert list(zipped) == list(legacy) == list(model.state_dict())
    for name, tensor in model.state_dict().items():
        np.testing.assert_array_equal(zipped[name], tensor.numpy())
        np.testing.assert_array_equal(legacy[name], tensor.numpy())
    cut = tmp_path / "SRCC_758_LCC_765.pth"
    cut.write_bytes((tmp_path / "b.pth").read_bytes()[:-1000])
    (tmp_path / "models").mkdir()
    with pytest.raises(InstallError, match="incomplete"):
        install_research_model(cut, models_dir=tmp_path / "models")
    assert not list((tmp_path / "models").iterdir())


def test_eat_release_installs_from_a_template_built_the_same_way(tmp_path):
    build_template(TINY_EAT, tmp_path / "templates")
    torch.manual_seed(5)
    model = create_model("eat", variant="ava", config="tiny").eval()
    path = authors_file(model, tmp_path / "AVA_AOT_vacc_0.8259_srcc_0.7596_vlcc_0.7710.pth", data_parallel=False)
    imported = import_checkpoint(TINY_EAT, path, tmp_path / "imported")
    (tmp_path / "models").mkdir()
    installed = install_research_model(path, TINY_EAT.name, models_dir=tmp_path / "models",
                                       templates=tmp_path / "templates")
    batch = real_photos(TINY_EAT.input)
    ours, theirs = outputs(installed.model.onnx_path, batch), outputs(imported.onnx, batch)
    assert np.abs(ours - theirs).max() <= 1e-4 and np.ptp(ours, axis=0).max() > 1e-4


@pytest.mark.parametrize("preset", TEMPLATE_PRESETS)
def test_shipped_template_is_the_authors_layout_and_holds_no_weights(preset):
    template = load_template(preset, templates_dir())
    config = get_preset(preset)
    state = create_model(config.model, **config.model_arguments("deployable")).state_dict()
    assert [(t.name, t.shape, t.dtype) for t in template.tensors] == [
        (name, tuple(v.shape), str(v.dtype).removeprefix("torch.")) for name, v in state.items()
    ]
    graph = onnx.load(str(template.onnx_path), load_external_data=False)
    offsets = {t.name: t.offset for t in template.tensors if t.offset is not None}
    assert {init.name for init in graph.graph.initializer} == set(offsets)
    for init in graph.graph.initializer:
        assert init.data_location == onnx.TensorProto.EXTERNAL and not init.raw_data
        entries = {e.key: e.value for e in init.external_data}
        assert entries["location"] == template.weights_file and int(entries["offset"]) == offsets[init.name]
    assert template.onnx_path.stat().st_size <= 2_000_000


def test_the_torch_free_writer_writes_what_torch_reads(tmp_path):
    state = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.array(3, dtype=np.int64)}
    loaded = torch.load(write_pth(tmp_path / "w.pth", state, prefix="module."), weights_only=True)
    assert list(loaded) == ["module.a", "module.n"]
    assert torch.equal(loaded["module.a"], torch.arange(6.0).reshape(2, 3)) and loaded["module.n"].item() == 3
    legacy = torch.load(write_legacy_pth(tmp_path / "old.pth", state), weights_only=True)
    assert torch.equal(legacy["a"], torch.arange(6.0).reshape(2, 3)) and legacy["n"].item() == 3
