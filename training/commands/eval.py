"""``python -m training eval``: metrics of a checkpoint on a split, with the app's preprocessing."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from training.options import add_data_arguments, add_device_arguments, add_preset_arguments, preset_from_args

NAME = "eval"
HELP = "evaluate a checkpoint on a dataset split (SRCC, PLCC, accuracy, EMD, MAE/MSE; report folder)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset_arguments(parser)
    parser.add_argument("--checkpoint", type=Path, required=True, help="photocull checkpoint (.pt)")
    add_data_arguments(parser, split=True)
    add_device_arguments(parser)
    parser.add_argument("--out", type=Path, required=True, help="report folder")


def run(args: argparse.Namespace) -> int:
    from training.commands.checkpoint_eval import evaluate_checkpoint, readable_errors
    from training.loop import prediction_spread, write_prediction_report
    from training.metrics import constant_predictions_warning
    from training.reports import RunReport, write_rows

    preset = preset_from_args(args)
    try:
        dataset, result, is_main = evaluate_checkpoint(args, preset, desc=f"eval {args.split}")
    except readable_errors() as exc:
        print(f"eval: {exc}", file=sys.stderr)
        return 1
    if not is_main:
        return 0
    from training.split_check import training_rows_in

    trained_on = training_rows_in(args.checkpoint, preset, dataset)
    if trained_on:
        print(f"warning: {trained_on} of these {len(dataset)} images are training images of this checkpoint; "
              f"the metrics below are measured partly or wholly on training data", file=sys.stderr)
    report = RunReport(args.out)
    metrics = {"preset": preset.name, "split": args.split, "checkpoint": str(args.checkpoint),
               "training_images_in_split": trained_on,
               "mode": args.mode or preset.default_mode, **result.metrics, "decode_skipped": result.skipped,
               "skipped_images": dataset.skipped.as_dict()}
    report.write_summary(metrics)
    write_rows(Path(args.out) / "metrics.csv", [{k: v for k, v in metrics.items() if not isinstance(v, dict)}])
    write_prediction_report(report, dataset, result, preset, f"{preset.name} {args.split}")
    spread = prediction_spread(preset, result)
    if spread is not None and math.isnan(result.metrics.get("srcc", 0.0)):
        print(constant_predictions_warning(spread), file=sys.stderr)
    shown = ", ".join(f"{k} {v:.4f}" for k, v in result.metrics.items())
    print(f"{preset.name} on {args.split} ({len(result.indices)} images): {shown}")
    return 0
