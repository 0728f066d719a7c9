"""``python -m training predict``: score every image in a folder into a CSV."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from training.options import add_device_arguments, add_preset_arguments, preset_from_args, resolve_device

NAME = "predict"
HELP = "score every image of a folder (file-name order) into CSV: file, score, raw outputs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset_arguments(parser)
    parser.add_argument("--checkpoint", type=Path, required=True, help="photocull checkpoint (.pt)")
    parser.add_argument("--images", type=Path, required=True, help="folder of photos (not recursive)")
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    add_device_arguments(parser)


def run(args: argparse.Namespace) -> int:
    import torch

    from training.checkpoints import CheckpointError
    from training.inference import load_model, score_folder

    preset = preset_from_args(args)
    device = torch.device(resolve_device(args.device))
    if not args.images.is_dir():
        print(f"predict: {args.images} is not a folder", file=sys.stderr)
        return 2
    try:
        model = load_model(args.checkpoint, preset, args.mode, device)
    except (CheckpointError, ValueError) as exc:
        print(f"predict: {exc}", file=sys.stderr)
        return 1
    rows = score_folder(model, preset, args.images, batch_size=args.batch_size or preset.batch_size,
                        device=device, amp=args.amp)
    width = max((len(r.outputs) for r in rows), default=0)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "score", *[f"out_{i}" for i in range(width)], "error"])
        for r in rows:
            score = "" if r.score is None else f"{r.score:.6f}"
            writer.writerow([r.name, score, *[f"{v:.6g}" for v in r.outputs], *[""] * (width - len(r.outputs)), r.error])
    failed = sum(1 for r in rows if r.error)
    print(f"scored {len(rows) - failed} images into {args.out}" + (f"; {failed} unreadable" if failed else ""))
    return 1 if failed else 0
