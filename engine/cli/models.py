"""``photocull-cli models``: the installed models, which one serves each task, the refused ones and why.

JSON output schema ``photocull.models/1`` (fields are only added within version 1)::

    {
      "schema": "photocull.models/1",
      "provider": "CPU",                 # what runs the models with --device: "GPU (CUDA)" or "CPU"
      "provider_note": "",               # why that differs from what was asked; "" when it does not
      "sort": "No aesthetic model is installed; sorting by the technical quality score (...)",
      "score_meaning": "Score 0–100: how this photo compares with ...",   # what every shown score means
      "personal_model": {                # with --library DIR (null without): that library's personal model
        "on": true,                      # false while none is trained or it did not beat the generic score
        "decisions": 212,                # decisions it was trained on (0 when none is trained)
        "held_out_accuracy": 0.71,       # share of held-out choices it got right, or null
        "generic_accuracy": 0.58,        # the generic score on the same held-out choices, or null
        "version": 3,                    # stored version, or null
        "message": "Personal model: on; trained on 212 decisions; ..."},
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

from engine import personalize as taste
from engine.cli import model_install
from engine.cli.output import add_format_argument, write_records
from engine.culling.score_words import personal_model_line
from engine.decisions.record import find_catalog_for
from engine.inference import registry as registry_module
from engine.inference.registry import InstalledModel, ModelRegistry, RefusedModel
from engine.inference.runtime import DEVICES, RuntimeSettings, create_session
from engine.inference.score_scale import SCORE_MEANING

NAME = "models"
HELP = "list installed models (shipped and user), the one in use per task, refused ones with reasons, and the provider"
SCHEMA = "photocull.models/1"
TABLE_COLUMNS = ("status", "task", "name", "origin", "size", "sha256", "reason")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=DEVICES, default="auto", help="device to report the provider for")
    parser.add_argument("--library", type=Path, metavar="DIR",
                        help="also say whether this library's personal model is on, and how it did")
    parser.add_argument("--use", metavar="NAME", help="use this installed model for its task from now on (saved "
                        "in the settings, as the Settings dialog does); --use auto:TASK goes back to the automatic rule")
    add_format_argument(parser)
    model_install.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    if model_install.requested(args):
        return model_install.run(args)
    registry = registry_module.discover()
    if args.use:
        registry = _use(registry, args.use)
        if registry is None:
            return 1
    records = [_installed(m, registry) for m in sorted(registry.models, key=lambda m: (m.task, m.name))]
    records += [_refused(r) for r in registry.refused]
    provider, note = _provider(registry, RuntimeSettings(device=args.device))
    personal = _personal_model(args.library) if args.library else None
    envelope = {"schema": SCHEMA, "provider": provider, "provider_note": note, "sort": registry.sort_score().message,
                "score_meaning": SCORE_MEANING, "personal_model": personal}
    write_records(records, args.format, sys.stdout, table_columns=TABLE_COLUMNS, envelope=envelope, key="models")
    if args.format == "table":
        print(f"\nprovider: {provider}" + (f" ({note})" if note else ""))
        print(envelope["sort"])
        print(SCORE_MEANING)
        if personal is not None:
            print(personal["message"])
        for problem in registry.chosen_problems():
            print(problem)
    return 0


def _personal_model(library: Path) -> dict[str, Any]:
    """The personal model of the library holding ``library`` (``engine.personalize.status``), in plain fields."""
    with find_catalog_for(library) as catalog:
        status = taste.status(catalog)
    cards = status or {}
    return {"on": bool(status and status.get("active")), "decisions": int(cards.get("decisions", 0)),
            "held_out_accuracy": (cards.get("personal") or {}).get("pairwise_accuracy"),
            "generic_accuracy": (cards.get("generic") or {}).get("pairwise_accuracy"),
            "version": cards.get("version"), "message": personal_model_line(status)}


def _use(registry: ModelRegistry, name: str) -> ModelRegistry | None:
    """Save the choice (``auto:TASK`` clears one) and return the registry that honours it; None on a bad name."""
    from dataclasses import replace

    from engine.config.settings import load_settings, save_settings

    if name.startswith("auto:"):
        chosen = {k: v for k, v in registry.chosen.items() if k != name.removeprefix("auto:")}
    else:
        try:
            _, chosen = registry.choose(name)
        except KeyError as exc:
            print(f"models --use: {exc.args[0]}", file=sys.stderr)
            return None
    save_settings(replace(load_settings(), chosen_models=chosen))
    return replace(registry, chosen=chosen)


def _installed(model: InstalledModel, registry: ModelRegistry) -> dict[str, Any]:
    in_use = registry.for_task(model.task) is model
    status = "in use" if in_use else "failed checks" if model.failed_checks else "available" \
        if model.task not in registry_module.NEVER_SERVES else "never used"
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
