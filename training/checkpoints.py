"""Our checkpoint format, and turning the TANet authors' released files into it.

A photocull checkpoint is one ``torch.save``'d dict holding only plain Python
values and tensors, so it loads with ``torch.load(weights_only=True)`` (no
pickled classes, no code execution from a downloaded file)::

    {"format": "photocull-checkpoint/1",
     "model": "tanet", "model_kwargs": {...},   # enough to rebuild with training.models.create_model
     "state_dict": {...}, "preset": "tanet_ava" | None,
     "epoch": int, "metrics": {name: float},
     "optimizer": {...} | None,                  # only while training; dropped when imported/exported
     "provenance": {...}}                        # where the weights came from (command, source files, sha256)

The model name + kwargs live inside the file, so ``export`` and ``eval`` never
have to guess the architecture of a checkpoint.

Release files of other projects (:func:`read_weight_file`) come in containers:
a bare ``state_dict`` (TANet's ``SRCC_758_LCC_765.pth``, the tonylins
``mobilenetv2.pth.tar``), or ``{"state_dict": ..., "epoch": ...}`` with
DataParallel's ``module.`` prefix on every key (CSAIL's
``resnet18_places365.pth.tar``, whose 365-way ``fc`` is kept: TANet uses the
scene logits). Those two wrappings are undone, nothing else is renamed, and the
result must then match the model exactly (strict loading).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

CHECKPOINT_FORMAT = "photocull-checkpoint/1"


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the model, with a readable reason."""


@dataclass
class Checkpoint:
    """The contents of one photocull checkpoint file (see the module docstring)."""

    model: str
    model_kwargs: dict[str, Any]
    state_dict: dict[str, torch.Tensor]
    preset: str | None = None
    epoch: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    optimizer: dict[str, Any] | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "model": self.model,
            "model_kwargs": dict(self.model_kwargs),
            "state_dict": self.state_dict,
            "preset": self.preset,
            "epoch": int(self.epoch),
            "metrics": {k: float(v) for k, v in self.metrics.items()},
            "optimizer": self.optimizer,
            "provenance": dict(self.provenance),
        }


def save_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    *,
    model_name: str,
    model_kwargs: Mapping[str, Any],
    preset: str | None = None,
    epoch: int = 0,
    metrics: Mapping[str, float] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> Path:
    """Write a checkpoint atomically (temp file + rename), so a crash never leaves half a file."""
    checkpoint = Checkpoint(
        model=model_name,
        model_kwargs=dict(model_kwargs),
        state_dict={k: v.detach().cpu() for k, v in model.state_dict().items()},
        preset=preset,
        epoch=epoch,
        metrics=dict(metrics or {}),
        optimizer=optimizer.state_dict() if optimizer is not None else None,
        provenance=dict(provenance or {}),
    )
    return write_checkpoint(checkpoint, path)


def write_checkpoint(checkpoint: Checkpoint, path: str | os.PathLike[str]) -> Path:
    """Write an already-built :class:`Checkpoint` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial")
    torch.save(checkpoint.to_dict(), temporary)
    os.replace(temporary, path)
    return path


def load_checkpoint(path: str | os.PathLike[str], *, map_location: str | torch.device = "cpu") -> Checkpoint:
    """Read a photocull checkpoint; raise :class:`CheckpointError` if the file is anything else."""
    raw = _torch_load(Path(path), map_location)
    if not isinstance(raw, dict) or raw.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{Path(path).name}: not a photocull checkpoint (no format {CHECKPOINT_FORMAT!r}); "
            "authors' release files go through `python -m training import-checkpoint`"
        )
    try:
        return Checkpoint(
            model=str(raw["model"]),
            model_kwargs=dict(raw["model_kwargs"]),
            state_dict=dict(raw["state_dict"]),
            preset=raw.get("preset"),
            epoch=int(raw.get("epoch", 0)),
            metrics=dict(raw.get("metrics") or {}),
            optimizer=raw.get("optimizer"),
            provenance=dict(raw.get("provenance") or {}),
        )
    except KeyError as exc:
        raise CheckpointError(f"{Path(path).name}: checkpoint lacks the field {exc.args[0]!r}") from exc


def build_model(checkpoint: Checkpoint, **override_kwargs: Any) -> nn.Module:
    """Recreate the checkpoint's model and load its weights with strict key matching.

    ``override_kwargs`` may change behaviour-only options (e.g. ``mode="deployable"``
    for TANet), never the parameter layout: the strict load would refuse it.
    """
    from training.models import create_model

    model = create_model(checkpoint.model, **{**checkpoint.model_kwargs, **override_kwargs})
    load_state_dict_strict(model, checkpoint.state_dict, source=checkpoint.model)
    return model


def load_state_dict_strict(model: nn.Module, state_dict: Mapping[str, torch.Tensor], *, source: str) -> None:
    """``load_state_dict(strict=True)`` with a short, readable error instead of torch's wall of keys."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    mismatched = sorted(k for k in set(own) & set(state_dict) if own[k].shape != state_dict[k].shape)
    if missing or unexpected or mismatched:
        raise CheckpointError(
            f"{source}: weights do not fit the model: "
            f"{len(missing)} missing (e.g. {missing[:3]}), {len(unexpected)} unexpected (e.g. {unexpected[:3]}), "
            f"{len(mismatched)} with another shape (e.g. {mismatched[:3]})"
        )
    model.load_state_dict(state_dict, strict=True)


def _torch_load(path: Path, map_location: str | torch.device) -> Any:
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many types (pickle, zip, runtime) for a bad file
        raise CheckpointError(f"{path.name}: cannot read checkpoint ({type(exc).__name__}: {exc})") from exc


#: Keys under which release files nest their weights, tried in order.
_CONTAINER_KEYS = ("state_dict", "model", "net")
_DATA_PARALLEL_PREFIX = "module."


def read_weight_file(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """A release file's weights as a flat ``state_dict``: container unwrapped, ``module.`` stripped."""
    raw = _torch_load(Path(path), "cpu")
    for key in _CONTAINER_KEYS:
        if isinstance(raw, dict) and isinstance(raw.get(key), dict):
            raw = raw[key]
            break
    if not isinstance(raw, dict) or not raw or not all(isinstance(v, torch.Tensor) for v in raw.values()):
        raise CheckpointError(f"{Path(path).name}: no state_dict of tensors found")
    return {k.removeprefix(_DATA_PARALLEL_PREFIX): v for k, v in raw.items()}


def load_backbone_file(model: nn.Module, path: str | os.PathLike[str]) -> str:
    """``--backbone-weights PATH``: load a local pretrained backbone file into ``model``.

    The model decides which of its branches the file fits (``load_backbone_weights``)
    and loads it strictly; returns that branch's name. Nothing is ever downloaded.
    """
    loader = getattr(model, "load_backbone_weights", None)
    if loader is None:
        raise CheckpointError(f"{type(model).__name__} takes no backbone weight files")
    try:
        return loader(read_weight_file(path))
    except (ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{Path(path).name}: {exc}") from exc


@dataclass(frozen=True)
class ReportedMetric:
    """A number the authors published for a release file (not re-measured here)."""

    name: str
    value: float
    dataset: str
    split: str


#: What the authors report for their release files, by file name (docs/models.md#tanet).
AUTHORS_REPORTED: dict[str, tuple[ReportedMetric, ...]] = {
    "SRCC_758_LCC_765.pth": (
        ReportedMetric("srcc", 0.758, "AVA", "authors' split test.csv (12,776 images)"),
        ReportedMetric("plcc", 0.765, "AVA", "authors' split test.csv (12,776 images)"),
    ),
    "SRCC_513_LCC_531_MSE_016.pth": (
        ReportedMetric("srcc", 0.513, "TAD66K", "test"),
        ReportedMetric("plcc", 0.531, "TAD66K", "test"),
        ReportedMetric("mse_0_1", 0.016, "TAD66K", "test"),
    ),
    # EAT (docs/models.md#eat): numbers in the file names, measured on the AVA split's test.csv used as "val".
    "AVA_AOT_vacc_0.8259_srcc_0.7596_vlcc_0.7710.pth": (
        ReportedMetric("accuracy", 0.8259, "AVA", "authors' split test.csv (12,776 images)"),
        ReportedMetric("srcc", 0.7596, "AVA", "authors' split test.csv (12,776 images)"),
        ReportedMetric("plcc", 0.7710, "AVA", "authors' split test.csv (12,776 images)"),
    ),
    "TAD66K_AOT_vacc_0.6882_srcc_0.5171_vlcc_0.5460.pth": (
        ReportedMetric("accuracy", 0.6882, "TAD66K", "test"),
        ReportedMetric("srcc", 0.5171, "TAD66K", "test"),
        ReportedMetric("plcc", 0.5460, "TAD66K", "test"),
    ),
}

#: Licence of the repository each architecture's release files come from.
RELEASE_LICENCES: dict[str, str] = {
    "tanet": "Apache-2.0 (TANet repository); the weight file's own terms are unstated",
    "eat": "Apache-2.0 (EAT repository, Image-Aesthetics-and-Quality-Assessment); the weight file's own terms are unstated",
}


@dataclass(frozen=True)
class ImportedModel:
    checkpoint: Path
    onnx: Path
    manifest: Path


def import_checkpoint(
    preset: Any,
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    name: str | None = None,
    licence: str | None = None,
) -> ImportedModel:
    """Turn an authors' release file into our checkpoint plus a verified ONNX export.

    The file must load strictly into the preset's model (after :func:`read_weight_file`).
    Writes ``NAME.pt`` (our format), ``NAME.onnx`` and ``NAME.json`` in ``out_dir``;
    the manifest's metrics are the authors' reported numbers for that file, marked as such.
    """
    from engine.inference.contract import Metric, WeightSource, sha256_of
    from training.export import export_onnx
    from training.models import create_model

    if isinstance(preset, str):
        from training.presets import get_preset

        preset = get_preset(preset)
    source = Path(path)
    licence = licence or RELEASE_LICENCES.get(preset.model, "the release file's terms are unstated")
    name = name or f"{preset.name}-{source.name.split('.')[0]}"
    out_dir = Path(out_dir)
    model = create_model(preset.model, **preset.model_kwargs)
    load_state_dict_strict(model, read_weight_file(source), source=source.name)
    digest = sha256_of(source)
    reported = AUTHORS_REPORTED.get(source.name, ())
    provenance = {"imported_from": source.name, "sha256": digest, "command": "python -m training import-checkpoint"}

    checkpoint_path = save_checkpoint(
        out_dir / f"{name}.pt",
        model,
        model_name=preset.model,
        model_kwargs=preset.model_kwargs,
        preset=preset.name,
        metrics={f"reported_{m.name}": m.value for m in reported},
        provenance=provenance,
    )
    if hasattr(model, "mode"):
        model.mode = "deployable"
    note = "reported by the authors for their (batch-coupled) model; not re-measured on this export"
    onnx_path, manifest_path = export_onnx(
        model,
        preset,
        out_dir,
        name,
        metrics=[Metric(m.name, m.value, m.dataset, m.split, note) for m in reported],
        provenance=provenance,
        weight_sources=[WeightSource(file=source.name, sha256=digest, licence=licence)],
        licence=licence,
    )
    return ImportedModel(checkpoint_path, onnx_path, manifest_path)
