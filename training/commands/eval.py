"""``python -m training eval``: metrics of a checkpoint on a split, with the app's preprocessing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from training.options import add_data_arguments, add_device_arguments, add_preset_arguments, preset_from_args, resolve_device

NAME = "eval"
HELP = "evaluate a checkpoint on a dataset split (SRCC, PLCC, accuracy, EMD, MAE/MSE; report folder)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset_arguments(parser)
    parser.add_argument("--checkpoint", type=Path, required=True, help="photocull checkpoint (.pt)")
    add_data_arguments(parser, split=True)
    add_device_arguments(parser)
    parser.add_argument("--out", type=Path, required=True, help="report folder")


def run(args: argparse.Namespace) -> int:
    from training.checkpoints import CheckpointError
    from training.datasets.build import build_dataset
    from training.datasets.splits import MissingLabels
    from training.datasets.table import LabelFormatError
    from training.distributed import setup, teardown
    from training.inference import load_model
    from training.loop import evaluate, write_prediction_report
    from training.reports import RunReport, write_rows

    preset = preset_from_args(args)
    context = setup(resolve_device(args.device))
    try:
        model = load_model(args.checkpoint, preset, args.mode, context.device)
        dataset = build_dataset(preset, args.labels, args.data_root, args.split, train=False, check=args.image_check)
        result = evaluate(model, dataset, preset, context, batch_size=preset.batch_size, workers=args.workers,
                          amp=args.amp, desc=f"eval {args.split}")
    except (CheckpointError, MissingLabels, LabelFormatError, ValueError) as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 1
    finally:
        teardown(context)
    if not context.is_main:
        return 0
    report = RunReport(args.out)
    metrics = {"preset": preset.name, "split": args.split, "checkpoint": str(args.checkpoint),
               "mode": args.mode or preset.default_mode, **result.metrics, "decode_skipped": result.skipped,
               "skipped_images": dataset.skipped.as_dict()}
    report.write_summary(metrics)
    write_rows(Path(args.out) / "metrics.csv", [{k: v for k, v in metrics.items() if not isinstance(v, dict)}])
    write_prediction_report(report, dataset, result, preset, f"{preset.name} {args.split}")
    shown = ", ".join(f"{k} {v:.4f}" for k, v in result.metrics.items())
    print(f"{preset.name} on {args.split} ({len(result.indices)} images): {shown}")
    return 0
