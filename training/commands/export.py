"""``python -m training export``: a checkpoint of ours → verified ``NAME.onnx`` + ``NAME.json``.

Models with modes (TANet) are exported in deployable mode. The manifest's task is
the preset's only when the checkpoint holds trained or imported weights; a
checkpoint of epoch 0 with no source is labelled ``untrained``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAME = "export"
HELP = "export a checkpoint as ONNX + manifest (verified against torch with ONNX Runtime)"

#: Per-epoch bookkeeping in a checkpoint's metrics that is not a quality metric.
_NOT_METRICS = {"val_loss", "val_skipped_at_decode"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_file_arguments(parser, checkpoint="a photocull checkpoint (.pt)", out="folder for NAME.onnx and NAME.json",
                       name="model name (default: the preset name)")
    parser.add_argument("--dynamo", action="store_true",
                        help="use the dynamo exporter (only for ops the default legacy exporter lacks)")


def add_file_arguments(parser: argparse.ArgumentParser, *, checkpoint: str, out: str, name: str) -> None:
    """--preset, --checkpoint, --out, --name: shared with ``import-checkpoint``."""
    from training.presets import list_presets

    parser.add_argument("--preset", required=True, choices=list_presets(), metavar="PRESET",
                        help="the recipe the weights belong to: " + ", ".join(list_presets()))
    parser.add_argument("--checkpoint", type=Path, required=True, help=checkpoint)
    parser.add_argument("--out", type=Path, required=True, help=out)
    parser.add_argument("--name", help=name)


def run(args: argparse.Namespace) -> int:
    from training.checkpoints import CheckpointError, build_model, load_checkpoint
    from training.export import ExportError, export_onnx
    from training.presets import get_preset

    preset = get_preset(args.preset)
    try:
        checkpoint = load_checkpoint(args.checkpoint)
        if checkpoint.model != preset.model:
            raise CheckpointError(f"{args.checkpoint.name} holds a {checkpoint.model!r} model, "
                                  f"preset {preset.name} builds {preset.model!r}")
        model = build_model(checkpoint, **({"mode": "deployable"} if preset.modes else {}))
        onnx_path, manifest_path = export_onnx(
            model, preset, args.out, args.name or preset.name,
            metrics=checkpoint_metrics(checkpoint, preset.dataset),
            trained=checkpoint.epoch > 0 or "imported_from" in checkpoint.provenance,
            provenance={"checkpoint": args.checkpoint.name, "epoch": checkpoint.epoch, **checkpoint.provenance},
            dynamo=args.dynamo,
        )
    except (CheckpointError, ExportError) as exc:
        print(f"export failed: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {onnx_path} and {manifest_path}")
    return 0


def checkpoint_metrics(checkpoint, dataset: str) -> list:
    """The checkpoint's validation metrics and authors' reported numbers as manifest metrics."""
    from engine.inference.contract import Metric

    metrics = []
    for key, value in sorted(checkpoint.metrics.items()):
        if key.startswith("val_") and key not in _NOT_METRICS:
            metrics.append(Metric(key.removeprefix("val_"), value, dataset, "val", f"epoch {checkpoint.epoch}"))
        elif key.startswith("reported_"):
            metrics.append(Metric(key.removeprefix("reported_"), value, dataset, "test", "reported by the authors"))
    return metrics
