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
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

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
