"""What ``eval`` and ``pseudo-label`` share: score a dataset split with a checkpoint (not a command itself)."""

from __future__ import annotations

import argparse
from typing import Any

from training.options import resolve_device
from training.presets import Preset


def readable_errors() -> tuple[type[Exception], ...]:
    """Failures that are the user's input (bad checkpoint, labels, images), reported as one line."""
    from training.checkpoints import CheckpointError
    from training.datasets.splits import MissingLabels
    from training.datasets.table import LabelFormatError

    return CheckpointError, MissingLabels, LabelFormatError, ValueError


def evaluate_checkpoint(args: argparse.Namespace, preset: Preset, *, desc: str) -> tuple[Any, Any, bool]:
    """Outputs of ``args.checkpoint`` on ``args.split`` of ``args.labels``: (dataset, Evaluation, is main rank)."""
    from training.datasets.build import build_dataset
    from training.distributed import setup, teardown
    from training.inference import load_model
    from training.loop import evaluate

    context = setup(resolve_device(args.device))
    try:
        model = load_model(args.checkpoint, preset, args.mode, context.device)
        dataset = build_dataset(preset, args.labels, args.data_root, args.split, train=False, check=args.image_check)
        result = evaluate(model, dataset, preset, context, batch_size=args.batch_size or preset.batch_size,
                          workers=args.workers, amp=args.amp, desc=desc)
    finally:
        teardown(context)
    return dataset, result, context.is_main
