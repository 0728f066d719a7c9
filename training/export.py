"""Export a trained model as the app consumes it: ``NAME.onnx`` + ``NAME.json`` (the model contract).

Every export is verified before it is kept: the ONNX file is run with ONNX
Runtime on random inputs at batch 1 and 3 through its dynamic batch axis, and
must match torch to ``PARITY_TOLERANCE``; otherwise :class:`ExportError` is
raised and no file is left behind. The manifest records that difference, the
ORT CPU time per image, and where the weights came from. :func:`write_verified_onnx`
does the export-and-verify step alone, for graphs with several image inputs (a
Siamese pair) or several outputs (one file behind several manifests).

Exporter choice (docs/toolchain.md#onnx-export): the legacy TorchScript exporter at opset 17
by default (fast, honours the opset); the dynamo exporter only on request, for
ops the legacy one lacks, with ``external_data=False`` (one file) and an
example batch of 2 (with batch 1 it may fix the batch axis to 1).
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
import torch
from torch import nn

from engine.inference.contract import Metric, ModelManifest, WeightSource, sha256_of, write_manifest
from engine.inference.preprocess import InputSpec
from engine.inference.runtime import RuntimeSettings, create_session

OPSET = 17
PARITY_TOLERANCE = 1e-4
PARITY_BATCHES = (1, 3)
INPUT_NAME, OUTPUT_NAME = "input", "output"
UNTRAINED_DATA = "none: random initialisation (not trained on any labels)"


class ExportError(RuntimeError):
    """An export that failed or did not reproduce the torch model."""


def export_onnx(
    model: nn.Module,
    preset: Any,
    out_dir: str | os.PathLike[str],
    name: str,
    *,
    metrics: Iterable[Metric] = (),
    training_data: str | None = None,
    trained: bool = True,
    provenance: Mapping[str, Any] | None = None,
    weight_sources: Iterable[WeightSource] = (),
    licence: str = "Apache-2.0",
    description: str = "",
    dynamo: bool = False,
) -> tuple[Path, Path]:
    """Write and verify ``out_dir/name.onnx`` and its manifest ``out_dir/name.json``.

    ``preset`` is a :class:`training.presets.Preset` (input spec, output kind, task).
    ``trained=False`` labels a randomly initialised model as task ``untrained`` so it
    can never pass for an aesthetic model; otherwise the task is the preset's and
    ``training_data`` defaults to the preset's description of its labels.
    Models with modes (TANet) must be in ``deployable`` mode.
    """
    if getattr(model, "mode", "deployable") != "deployable":
        raise ExportError(f"{name}: export needs the deployable mode (the model is in {model.mode!r} mode)")
    model = model.eval().cpu()
    spec: InputSpec = preset.input
    onnx_path = Path(out_dir) / f"{name}.onnx"
    parity = write_verified_onnx(model, spec, onnx_path, dynamo=dynamo)
    ms_per_image = ort_cpu_ms_per_image(onnx_path, spec)

    manifest = ModelManifest(
        name=name,
        architecture=_architecture(preset, model),
        task=preset.task if trained else "untrained",
        input=spec,
        output=preset.output_spec(),
        onnx_file=onnx_path.name,
        onnx_sha256=sha256_of(onnx_path),
        opset=_opset_of(onnx_path),
        training_data=(training_data or preset.training_data) if trained else UNTRAINED_DATA,
        licence=licence,
        weight_sources=tuple(weight_sources),
        metrics=tuple(metrics),
        provenance={
            "preset": preset.name,
            **export_provenance(parity, ms_per_image, dynamo=dynamo),
            **dict(provenance or {}),
        },
        description=description or preset.description,
    )
    return onnx_path, write_manifest(manifest, out_dir)


def export_provenance(parity: float, ms_per_image: float, *, dynamo: bool = False) -> dict[str, Any]:
    """What every manifest records about its export: exporter, tool versions, parity, measured CPU time."""
    return {
        "exporter": "torch.onnx dynamo" if dynamo else "torch.onnx legacy (TorchScript)",
        "torch": torch.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "parity_max_abs_diff": parity,
        "parity_batches": list(PARITY_BATCHES),
        "ort_cpu_ms_per_image": round(ms_per_image, 3),
        "ort_cpu_threads": torch.get_num_threads(),
        "measured_on": platform.machine(),
    }


def write_verified_onnx(
    model: nn.Module,
    spec: InputSpec,
    onnx_path: Path,
    *,
    input_names: Sequence[str] = (INPUT_NAME,),
    output_names: Sequence[str] = (OUTPUT_NAME,),
    dynamo: bool = False,
) -> float:
    """Export ``model`` to ``onnx_path`` and keep the file only if :func:`verify_onnx` passes; return the parity.

    Several image inputs (all shaped by ``spec``: a Siamese pair) and several outputs
    (one graph serving several manifests, each naming its ``output_name``) are allowed.
    """
    onnx_path = Path(onnx_path)
    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=onnx_path.parent) as scratch:
        candidate = Path(scratch) / onnx_path.name
        _write_onnx(model, spec, candidate, tuple(input_names), tuple(output_names), dynamo=dynamo)
        parity = verify_onnx(model, candidate, spec)
        os.replace(candidate, onnx_path)
    return parity


def verify_onnx(model: nn.Module, onnx_path: Path, spec: InputSpec) -> float:
    """Check the file, its symbolic batch axes, and ORT-vs-torch parity of every output; return the max difference."""
    onnx.checker.check_model(str(onnx_path))
    session = create_session(onnx_path, RuntimeSettings(device="cpu"))
    fixed = [i.shape[0] for i in session.session.get_inputs() if not isinstance(i.shape[0], str)]
    if fixed:
        raise ExportError(f"{onnx_path.name}: the batch axis is fixed to {fixed[0]}, not symbolic")
    generator = torch.Generator().manual_seed(0)
    worst = 0.0
    for batch in PARITY_BATCHES:
        inputs = [torch.randn(batch, 3, spec.height, spec.width, generator=generator) for _ in session.input_names]
        with torch.no_grad():
            expected = _as_tuple(model(*inputs))
        actual = session.run(*(x.numpy() for x in inputs))
        if len(actual) != len(expected):
            raise ExportError(f"{onnx_path.name}: ONNX has {len(actual)} outputs, torch {len(expected)}")
        for got, want in zip(actual, expected):
            if got.shape != tuple(want.shape):
                raise ExportError(f"{onnx_path.name}: ONNX output shape {got.shape} != torch {tuple(want.shape)}")
            worst = max(worst, float(np.abs(got - want.numpy()).max()))
    if not worst <= PARITY_TOLERANCE:  # also catches NaN
        raise ExportError(f"{onnx_path.name}: ONNX Runtime differs from torch by {worst:.3g} > {PARITY_TOLERANCE}")
    return worst


def ort_cpu_ms_per_image(onnx_path: Path, spec: InputSpec, *, runs: int = 15) -> float:
    """Median ORT CPU latency at batch 1 (one warm-up run first), in milliseconds; one image per input."""
    session = create_session(onnx_path, RuntimeSettings(device="cpu", threads=torch.get_num_threads()))
    x = np.random.default_rng(0).standard_normal((1, 3, spec.height, spec.width), dtype=np.float32)
    inputs = [x] * len(session.input_names)
    session.run(*inputs)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(*inputs)
        timings.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(timings)


def _as_tuple(outputs: torch.Tensor | Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    return (outputs,) if isinstance(outputs, torch.Tensor) else tuple(outputs)


def _write_onnx(
    model: nn.Module, spec: InputSpec, path: Path, input_names: tuple[str, ...], output_names: tuple[str, ...],
    *, dynamo: bool,
) -> None:
    # batch 2: a batch of 1 may get fixed by dynamo
    examples = tuple(torch.randn(2, 3, spec.height, spec.width) for _ in input_names)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the legacy exporter's DeprecationWarning and TracerWarnings
            if dynamo:
                batch = torch.export.Dim("batch")
                torch.onnx.export(
                    model, examples, str(path), dynamo=True, external_data=False, opset_version=max(OPSET, 18),
                    input_names=list(input_names), output_names=list(output_names),
                    dynamic_shapes=tuple({0: batch} for _ in input_names),
                )
            else:
                torch.onnx.export(
                    model, examples, str(path), dynamo=False, opset_version=OPSET,
                    input_names=list(input_names), output_names=list(output_names),
                    dynamic_axes={name: {0: "batch"} for name in (*input_names, *output_names)},
                )
    except Exception as exc:  # the exporters raise many types; report them as one
        raise ExportError(f"{path.name}: torch.onnx.export failed ({type(exc).__name__}: {exc})") from exc


def _architecture(preset: Any, model: nn.Module) -> str:
    kwargs = dict(preset.model_kwargs)
    if hasattr(model, "mode"):
        kwargs["mode"] = model.mode
    arguments = ", ".join(f"{key}={value}" for key, value in sorted(kwargs.items()))
    return f"{preset.model}({arguments})"


def _opset_of(path: Path) -> int:
    model = onnx.load(str(path), load_external_data=False)
    return max(entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx"))
