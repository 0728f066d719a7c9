"""``photocull-cli models``: the installed models, which one serves each task, the refused ones and why.

JSON output schema ``photocull.photo_list_model/1`` (fields are only added within version 1)::

    {
      "schema": "photocull.photo_list_model/1",
      "provider": "CPU",                 # what runs the models with --device: "GPU (CUDA)" or "CPU"
      "provider_note": "",               # why that differs from what was asked; "" when it does not
      "sort": "No aesthetic model is installed; sorting by the technical quality score (...)",
      "models": [
        {"status": "in use",             # in use | available (another model serves the task) | refused
         "task": "technical",            # null for refused files whose manifest could not be read
         "name": "quality_ranker", "origin": "shipped",   # shipped | user
         "size": 9071234,                # bytes of the ONNX file, or null
         "sha256": "3f2a9c0b1d7e",       # first 12 hex digits, or null
         "path": "/.../quality_ranker.onnx",
         "reason": null}                 # why it was refused
      ]
    }
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from engine.cli import model_install
from engine.cli.output import add_format_argument, write_records
from engine.inference import registry as registry_module
from engine.inference.registry import InstalledModel, ModelRegistry, RefusedModel
from engine.inference.runtime import DEVICES, RuntimeSettings, create_session

NAME = "models"
HELP = "list installed models (shipped and user), the one in use per task, refused ones with reasons, and the provider"
SCHEMA = "photocull.photo_list_model/1"
TABLE_COLUMNS = ("status", "task", "name", "origin", "size", "sha256", "reason")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=DEVICES, default="auto", help="device to report the provider for")
    add_format_argument(parser)
    model_install.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if model_install.requested(args):
        return model_install.run(args)
    registry = registry_module.discover()
    records = [_installed(m, registry) for m in sorted(registry.models, key=lambda m: (m.task, m.name))]
    records += [_refused(r) for r in registry.refused]
    provider, note = _provider(registry, RuntimeSettings(device=args.device))
    envelope = {"schema": SCHEMA, "provider": provider, "provider_note": note, "sort": registry.sort_score().message}
    write_records(records, args.format, sys.stdout, table_columns=TABLE_COLUMNS, envelope=envelope, key="models")
    if args.format == "table":
        print(f"\nprovider: {provider}" + (f" ({note})" if note else ""))
        print(envelope["sort"])
        for problem in registry.chosen_problems():
            print(problem)
    return 0


def _installed(model: InstalledModel, registry: ModelRegistry) -> dict[str, Any]:
    in_use = registry.for_task(model.task) is model
    status = "in use" if in_use else "available" if model.task not in registry_module.NEVER_SERVES else "never used"
    return {"status": status, "task": model.task, "name": model.name, "origin": model.origin,
            "size": _size(model.onnx_path), "sha256": model.manifest.onnx_sha256[:12],
            "path": str(model.onnx_path), "reason": None}


def _refused(refused: RefusedModel) -> dict[str, Any]:
    return {"status": "refused", "task": None, "name": refused.path.stem, "origin": refused.origin,
            "size": _size(refused.path.with_suffix(".onnx")), "sha256": None, "path": str(refused.path),
            "reason": refused.reason}


def _provider(registry: ModelRegistry, settings: RuntimeSettings) -> tuple[str, str]:
    """The truth from a real session (onnxruntime may list CUDA and still run on the CPU)."""
    if not registry.models:
        return "CPU", "no model installed to run"
    smallest = min(registry.models, key=lambda m: _size(m.onnx_path) or 0)
    session = create_session(smallest.onnx_path, settings)
    return session.device_label, session.fallback_reason


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
