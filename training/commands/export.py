"""``python -m training export``: a checkpoint of ours → verified ``NAME.onnx`` + ``NAME.json``.

Models with modes (TANet) are exported in deployable mode. The manifest's task is
the preset's only when the checkpoint holds trained or imported weights; a
checkpoint of epoch 0 with no source is labelled ``untrained``.

The pair is written to ``--out`` (default: ``export/`` beside the checkpoint) and then
installed into the app's models folder only if the model passes
:mod:`training.install_check` (or ``--install-anyway``); ``--no-install`` never installs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "export"
HELP = "export a checkpoint as ONNX + manifest (verified against torch with ONNX Runtime)"

#: Per-epoch bookkeeping in a checkpoint's metrics that is not a quality metric.
_NOT_METRICS = {"val_loss", "val_skipped_at_decode", "val_prediction_spread"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_file_arguments(parser, checkpoint="a photocull checkpoint (.pt)",
                       out="folder for NAME.onnx and NAME.json (default: export/ beside the checkpoint); "
                           "not the app's models folder: export installs there itself",
                       name="model name (default: the preset name)", out_required=False)
    parser.add_argument("--dynamo", action="store_true",
                        help="use the dynamo exporter (only for ops the default legacy exporter lacks)")
    install = parser.add_mutually_exclusive_group()
    install.add_argument("--no-install", action="store_true", help="only write --out; the app does not see the model")
    install.add_argument("--install-anyway", action="store_true",
                         help="install even when the model fails its checks (the app then uses it only when "
                              "chosen: photocull-cli models --use NAME)")


def add_file_arguments(parser: argparse.ArgumentParser, *, checkpoint: str, out: str, name: str,
                       out_required: bool = True) -> None:
    """--preset, --checkpoint, --out, --name: shared with ``import-checkpoint``."""
    from training.presets import list_presets

    parser.add_argument("--preset", required=True, choices=list_presets(), metavar="PRESET",
                        help="the recipe the weights belong to: " + ", ".join(list_presets()))
    parser.add_argument("--checkpoint", type=Path, required=True, help=checkpoint)
    parser.add_argument("--out", type=Path, required=out_required, help=out)
    parser.add_argument("--name", help=name)


def run(args: argparse.Namespace) -> int:
    from engine.config.paths import user_models_dir
    from training.checkpoints import CheckpointError, build_model, load_checkpoint
    from training.export import ExportError, export_onnx
    from training.install_check import check_for_install, install
    from training.presets import get_preset

    preset = get_preset(args.preset)
    models_dir = user_models_dir()
    out = args.out or args.checkpoint.parent / "export"
    if out.expanduser().resolve() == models_dir.resolve():
        print(f"export: --out {out} is the app's models folder; export installs there itself once the model "
              f"passes its checks. Give another --out (or none).", file=sys.stderr)
        return 2
    try:
        checkpoint = load_checkpoint(args.checkpoint)
        if checkpoint.model != preset.model:
            raise CheckpointError(f"{args.checkpoint.name} holds a {checkpoint.model!r} model, "
                                  f"preset {preset.name} builds {preset.model!r}")
        model = build_model(checkpoint, **({"mode": "deployable"} if preset.modes else {}))
        verdict = check_for_install(checkpoint, preset)
        onnx_path, manifest_path = export_onnx(
            model, preset, out, args.name or preset.name,
            metrics=checkpoint_metrics(checkpoint, preset.dataset),
            trained=checkpoint.epoch > 0 or "imported_from" in checkpoint.provenance,
            provenance={"checkpoint": args.checkpoint.name, "epoch": checkpoint.epoch, **checkpoint.provenance,
                        "install_check": verdict.as_dict()},
            dynamo=args.dynamo,
        )
    except (CheckpointError, ExportError) as exc:
        print(f"export failed: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {onnx_path} and {manifest_path}")
    for note in verdict.notes:
        print(f"note: {note}")
    if args.no_install:
        print("not installed (--no-install): the app does not see this model")
        return 0
    if not verdict.passed and not args.install_anyway:
        print("not installed: the model failed its checks:\n" + "".join(f"  - {p}\n" for p in verdict.problems)
              + "Fix the run (more validation photos held apart from training), or --install-anyway to install it "
                "for an explicit choice only.", file=sys.stderr)
        return 1
    installed = install(onnx_path, manifest_path, models_dir)
    how = "the app uses it for" if verdict.passed else "failed its checks; the app uses it only if you choose it for"
    print(f"installed {installed.stem} in {models_dir}: {how} {preset.task} scores "
          f"(photocull-cli models --use {installed.stem} picks it explicitly)")
    return 0


def checkpoint_metrics(checkpoint, dataset: str) -> list:
    """The checkpoint's validation metrics (marked when measured on training rows) and authors' numbers."""
    from engine.inference.contract import Metric

    leaked = (checkpoint.provenance.get("splits") or {}).get("val_on_training_rows")
    split, note = ("val = training rows", f"epoch {checkpoint.epoch}; measured on training data") if leaked \
        else ("val", f"epoch {checkpoint.epoch}")
    metrics = []
    for key, value in sorted(checkpoint.metrics.items()):
        if key.startswith("val_") and key not in _NOT_METRICS:
            metrics.append(Metric(key.removeprefix("val_"), value, dataset, split, note))
        elif key.startswith("reported_"):
            metrics.append(Metric(key.removeprefix("reported_"), value, dataset, "test", "reported by the authors"))
    return metrics
