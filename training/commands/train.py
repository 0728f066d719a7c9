"""``python -m training train``: run a preset's recipe (single process or under torchrun)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from training.options import (
    add_data_arguments,
    add_device_arguments,
    add_preset_arguments,
    add_training_arguments,
    preset_from_args,
    resolve_device,
)

NAME = "train"
HELP = "train a preset (checkpoints every epoch, best by metric, --resume; torchrun for multi-GPU)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset_arguments(parser)
    add_data_arguments(parser)
    add_device_arguments(parser)
    add_training_arguments(parser)
    parser.add_argument("--eval-batch-size", type=int, help="validation batch (default: the training batch)")
    parser.add_argument(
        "--backbone-weights", type=Path, action="append", default=[], metavar="PATH",
        help="local pretrained backbone file, as its authors release it (repeatable; the model picks the branch "
             "it fits): dat_base_in1k_224.pth (EAT), resnet18_places365.pth.tar + mobilenetv2.pth.tar (TANet), "
             "torchvision/timm ImageNet files (NIMA, RankIQA, ELTA). Ignored with --resume. Nothing is downloaded.",
    )
    parser.add_argument("--random-init", action="store_true",
                        help="train from random weights although the preset expects pretrained files "
                             "(without it such a run refuses to start)")
    parser.add_argument("--val-fraction", type=float, metavar="F",
                        help="hold out this share of the train labels (seeded, by image) as the validation split, "
                             "e.g. 0.2 when --labels is one file")
    parser.add_argument("--scene-labels", type=Path, metavar="CSV",
                        help="image,category CSV (Places365 scene per training image) for ELTA 2.0's scene-tail "
                             "sampler weights; without it only the label tail is weighted")


def run(args: argparse.Namespace) -> int:
    from training.datasets.splits import MissingLabels
    from training.datasets.table import LabelFormatError
    from training.loop import RunConfig, train
    from training.models import UnknownModel

    try:
        config = RunConfig(
            preset=preset_from_args(args), labels=args.labels, data_root=args.data_root, out=args.out,
            device=resolve_device(args.device), amp=args.amp, workers=args.workers, seed=args.seed,
            resume=args.resume, max_steps=args.max_steps, mode=args.mode, image_check=args.image_check,
            eval_batch_size=args.eval_batch_size, command=["python", "-m", "training", *sys.argv[1:]],
            backbone_weights=list(args.backbone_weights), scene_labels=args.scene_labels,
            random_init=args.random_init, overwrite=args.overwrite, val_fraction=args.val_fraction,
            save=args.save, resume_state=args.resume_state,
        )
        summary = train(config)
    except (MissingLabels, LabelFormatError, UnknownModel, RuntimeError, ValueError) as exc:
        print(f"train: {exc}", file=sys.stderr)
        return 1
    if os.environ.get("RANK", "0") != "0":
        return 0  # under torchrun only rank 0 reports
    best = summary.get("best") or {}
    print(f"{summary['preset']}: {summary['epochs_run']} epochs, best {summary['best_metric']} "
          f"{best.get(summary['best_metric'], float('nan')):.4f}; report in {args.out}")
    return 0
