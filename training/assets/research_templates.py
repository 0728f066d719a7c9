"""Build the weight-free ONNX templates the app fills with the authors' TANet/EAT files (no torch at install).

``python -m training build-assets --only templates`` writes, for each preset of
:data:`TEMPLATE_PRESETS`, ``templates/PRESET.onnx`` (the deployable graph, every
weight an external-data placeholder) and ``templates/PRESET.json`` (format
``photocull-research-template/1``: the authors' state-dict layout, the manifest
fields, the licence and the authors' reported numbers), read by
:mod:`engine.inference.template_fill`.

How the graph keeps the authors' names: the legacy exporter runs with constant
folding off and ``TrainingMode.PRESERVE`` (so BatchNorm is not folded into the
convolution before it), and every tensor first gets a small distinct random
offset, because the exporter merges initializers of equal value (fresh
BatchNorm statistics are all ones and zeros) under one name. Then every
initializer is one state-dict tensor, same name, same shape; anything else
stops the build. Each template is verified before it is kept: filled through
the engine's own code with the model's weights, it must match torch to 1e-4.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import onnx
import torch
from onnx.external_data_helper import set_external_data
from torch import nn

from engine.inference.template_fill import TEMPLATE_FORMAT, load_template, write_weights
from training.checkpoints import AUTHORS_REPORTED, RELEASE_LICENCES
from training.export import OPSET, PARITY_TOLERANCE, export_provenance, ort_cpu_ms_per_image, verify_onnx

TEMPLATE_PRESETS = ("tanet-ava", "tanet-tad66k", "eat-ava", "eat-tad66k")
#: Offsets in the weights file are aligned like ONNX's own external-data writer aligns them.
ALIGNMENT = 4096
MAX_TEMPLATE_BYTES = 2_000_000
#: Which released file belongs to which preset (docs/models.md, "TANet" and "EAT": the reported release files).
RELEASE_FILES = {
    "tanet-ava": "SRCC_758_LCC_765.pth",
    "tanet-tad66k": "SRCC_513_LCC_531_MSE_016.pth",
    "eat-ava": "AVA_AOT_vacc_0.8259_srcc_0.7596_vlcc_0.7710.pth",
    "eat-tad66k": "TAD66K_AOT_vacc_0.6882_srcc_0.5171_vlcc_0.5460.pth",
}
TITLES = {"tanet": "TANet", "eat": "EAT"}
#: Tensor types a template may hold (weights; EAT's persistent relative-position index tables).
_ONNX_TYPES = {torch.float32: onnx.TensorProto.FLOAT, torch.int64: onnx.TensorProto.INT64}


class TemplateBuildError(RuntimeError):
    """The exported graph does not keep the authors' tensors one for one, or does not verify."""


def build_templates(out_dir: Path, presets: Iterable[str] = TEMPLATE_PRESETS, **_: Any) -> list[Path]:
    """Build every template into ``out_dir/templates``; returns the files written."""
    written: list[Path] = []
    for name in presets:
        written.extend(build_template(name, Path(out_dir) / "templates"))
    return written


def build_template(preset_name: Any, folder: Path, *, seed: int = 0) -> list[Path]:
    """Export, hollow out, describe and verify one template; returns ``[PRESET.onnx, PRESET.json]``."""
    from training.models import create_model
    from training.presets import get_preset

    preset = get_preset(preset_name) if isinstance(preset_name, str) else preset_name
    model = create_model(preset.model, **preset.model_arguments("deployable")).eval()
    _make_every_tensor_distinct(model, seed)
    state = model.state_dict()
    folder.mkdir(parents=True, exist_ok=True)
    onnx_path, json_path = folder / f"{preset.name}.onnx", folder / f"{preset.name}.json"
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        exported = Path(scratch) / "export.onnx"
        _export(model, preset.input.height, preset.input.width, exported)
        graph = onnx.load(str(exported))
        layout, weights_bytes = _hollow_out(graph, state, f"{preset.name}.weights")
        candidate_onnx = Path(scratch) / onnx_path.name
        onnx.save(graph, str(candidate_onnx))
        if candidate_onnx.stat().st_size > MAX_TEMPLATE_BYTES:
            raise TemplateBuildError(f"{onnx_path.name}: {candidate_onnx.stat().st_size} bytes, over the 2 MB budget")
        description = _describe(preset, layout, weights_bytes, candidate_onnx, opset=_opset(graph))
        candidate_json = Path(scratch) / json_path.name
        candidate_json.write_text(json.dumps(description, indent=1) + "\n", encoding="utf-8")
        description["source"].update(_verify(model, preset, Path(scratch)))
        candidate_json.write_text(json.dumps(description, indent=1) + "\n", encoding="utf-8")
        os.replace(candidate_onnx, onnx_path)
        os.replace(candidate_json, json_path)
    return [onnx_path, json_path]


def _make_every_tensor_distinct(model: nn.Module, seed: int) -> None:
    """A small distinct offset on every floating tensor, so the exporter merges no two initializers."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.add_(torch.randn(tensor.shape, generator=generator) * 1e-3)


def _export(model: nn.Module, height: int, width: int, path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's DeprecationWarning and TracerWarnings
        torch.onnx.export(
            model, (torch.randn(2, 3, height, width),), str(path), dynamo=False, opset_version=OPSET,
            do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE,
            input_names=["input"], output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        )


def _hollow_out(graph: onnx.ModelProto, state: Mapping[str, torch.Tensor], location: str) -> tuple[dict[str, int], int]:
    """Turn every initializer into an external-data placeholder; returns name → offset and the file size."""
    offsets: dict[str, int] = {}
    used = {init.name: init for init in graph.graph.initializer}
    strangers = sorted(set(used) - set(state))
    if strangers:
        raise TemplateBuildError(f"the graph holds tensors that are not the authors' weights: {strangers[:5]}")
    position = 0
    for name, tensor in state.items():  # the authors' order
        init = used.get(name)
        if init is None:
            continue
        if tuple(init.dims) != tuple(tensor.shape) or init.data_type != _ONNX_TYPES.get(tensor.dtype):
            raise TemplateBuildError(f"{name}: the graph has {tuple(init.dims)} (type {init.data_type}), "
                                     f"the model {tuple(tensor.shape)} {tensor.dtype}")
        length = tensor.numel() * tensor.element_size()
        offsets[name] = position
        set_external_data(init, location=location, offset=position, length=length)
        init.ClearField("raw_data")
        init.ClearField("float_data")
        init.ClearField("int64_data")
        init.data_location = onnx.TensorProto.EXTERNAL
        position = -(-(position + length) // ALIGNMENT) * ALIGNMENT
    return offsets, position


def _describe(preset: Any, offsets: Mapping[str, int], weights_bytes: int, onnx_path: Path, *, opset: int) -> dict:
    from training.export import _architecture
    from training.models import create_model

    model = create_model(preset.model, **preset.model_arguments("deployable"))
    variant = preset.model_kwargs.get("variant", "")
    title = f"{TITLES.get(preset.model, preset.model)} ({'AVA' if variant == 'ava' else 'TAD66K'} head)"
    tensors = [{"name": name, "shape": list(t.shape), "dtype": str(t.dtype).removeprefix("torch."),
                "offset": offsets.get(name)} for name, t in model.state_dict().items()]
    release = RELEASE_FILES.get(preset.name)
    reported = {release: [vars(m) for m in AUTHORS_REPORTED.get(release, ())]} if release else {}
    output = preset.output_spec()
    return {
        "format": TEMPLATE_FORMAT,
        "preset": preset.name,
        "title": title,
        "onnx_file": onnx_path.name,
        "onnx_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "weights_file": f"{preset.name}.weights",
        "weights_bytes": weights_bytes,
        "release_file": release,
        "licence": RELEASE_LICENCES.get(preset.model, "the release file's terms are unstated"),
        "reported": reported,
        "manifest": {
            "architecture": _architecture(preset, model),
            "task": preset.task,
            "input": vars(preset.input) | {"mean": list(preset.input.mean), "std": list(preset.input.std)},
            "output": vars(output),
            "opset": opset,
            "training_data": preset.training_data,
            "description": preset.description,
        },
        "tensors": tensors,
        "source": {"command": "python -m training build-assets --only templates", "torch": torch.__version__,
                   "onnx": onnx.__version__},
    }


def _verify(model: nn.Module, preset: Any, scratch: Path) -> dict[str, Any]:
    """Fill the candidate template with the model's own weights through the engine and compare with torch."""
    template = load_template(preset.name, scratch)
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    filled = scratch / "filled"
    filled.mkdir()
    onnx_copy = filled / template.onnx_path.name
    onnx_copy.write_bytes(template.onnx_path.read_bytes())
    write_weights(template, state, filled / template.weights_file)
    parity = verify_onnx(model, onnx_copy, preset.input)
    if not parity <= PARITY_TOLERANCE:
        raise TemplateBuildError(f"{preset.name}: the filled template differs from torch by {parity}")
    ms = ort_cpu_ms_per_image(onnx_copy, preset.input, runs=5)
    provenance = export_provenance(parity, ms)
    return {"filled_parity_max_abs_diff": parity, "ort_cpu_ms_per_image": provenance["ort_cpu_ms_per_image"],
            "onnxruntime": provenance["onnxruntime"]}


def _opset(graph: onnx.ModelProto) -> int:
    return max(entry.version for entry in graph.opset_import if entry.domain in ("", "ai.onnx"))

