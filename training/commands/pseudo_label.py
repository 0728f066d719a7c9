"""``python -m training pseudo-label``: ELTA self-training labels from a scored pool (docs/models.md#elta)."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from training.options import add_data_arguments, add_device_arguments, add_preset_arguments, preset_from_args

if TYPE_CHECKING:
    from training.elta.sharpening import Selection

NAME = "pseudo-label"
HELP = ("ELTA self-training: score a pool with a checkpoint, pick adaptive sharpening (β, threshold) on the grid, "
        "write the kept images as AVA labels (optionally merged into a train split)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset_arguments(parser)
    parser.add_argument("--checkpoint", type=Path, required=True, help="photocull checkpoint (.pt)")
    add_data_arguments(parser, split=True)
    add_device_arguments(parser)
    parser.add_argument("--version", choices=("1.0", "2.0"), default="1.0",
                        help="1.0: unsharpened soft labels, > 10 kept; 2.0: sharpened labels, ≥ 10 kept, wider grid")
    parser.add_argument("--grid", choices=("shipped", "full"), default="shipped",
                        help="ELTA 1.0's grid as shipped (β 1.25, threshold 0.75) or its commented-out full grid")
    parser.add_argument("--train-labels", type=Path,
                        help="AVA train label file to merge the pseudo-labels into (writes OUT/train.csv, and "
                             "copies val.csv/test.csv found next to it, so OUT can be train's --labels)")
    parser.add_argument("--out", type=Path, required=True, help="folder for pseudo_labels.csv and selection.json")


def run(args: argparse.Namespace) -> int:
    from training.commands.checkpoint_eval import evaluate_checkpoint, readable_errors
    from training.elta.self_training import select
    from training.objectives import objective_for

    preset = preset_from_args(args)
    try:
        pool, result, is_main = evaluate_checkpoint(args, preset, desc="scoring pool")
        truth = objective_for(preset).true_scores(result.targets)
        chosen = select(result.outputs, truth, preset, version=args.version, grid=args.grid)
    except readable_errors() as exc:
        print(f"pseudo-label: {exc}", file=sys.stderr)
        return 1
    if not is_main:
        return 0
    if chosen is None:
        print(f"pseudo-label: no (β, threshold) of the grid keeps enough of the {len(result.indices)} pool images "
              "(ELTA needs more than 10)", file=sys.stderr)
        return 1
    names = [pool.table.rows[i].name for i in result.indices[chosen.keep]]
    _write_outputs(args, names, chosen, len(result.indices))
    print(f"kept {chosen.count} of {len(result.indices)} pool images (β {chosen.beta}, threshold "
          f"{chosen.threshold}, MAE {chosen.mae:.4f} vs ground truth) → {args.out / 'pseudo_labels.csv'}")
    return 0


def _write_outputs(args: argparse.Namespace, names: list[str], chosen: Selection, pool_size: int) -> None:
    import numpy as np

    from training.datasets import ava
    from training.elta.self_training import write_ava_labels
    from training.reports import write_json

    args.out.mkdir(parents=True, exist_ok=True)
    write_ava_labels(args.out / "pseudo_labels.csv", names, chosen.labels)
    write_json(args.out / "selection.json", {
        "checkpoint": str(args.checkpoint), "pool": str(args.labels), "version": args.version, "grid": args.grid,
        "beta": chosen.beta, "threshold": chosen.threshold, "kept": chosen.count, "pool_size": pool_size,
        "mae_vs_ground_truth": chosen.mae,
        "note": "selection uses the pool's ground-truth scores, as the authors' does (docs/models.md#known-problems)",
    })
    if args.train_labels is None:
        return
    train = ava.read_any(args.train_labels)
    known = set(train.names())
    fresh = [i for i, name in enumerate(names) if f"{Path(name).stem}.jpg" not in known]
    merged_names = train.names() + [names[i] for i in fresh]
    merged = np.concatenate([np.stack([r.target for r in train.rows]), chosen.labels[fresh]])
    write_ava_labels(args.out / "train.csv", merged_names, merged)
    for held_out in ("val.csv", "test.csv"):
        source = args.train_labels.parent / held_out
        if source.is_file() and source.resolve() != (args.out / held_out).resolve():
            shutil.copyfile(source, args.out / held_out)
