"""Command-line options shared by train / eval / predict, and how they override a preset."""

from __future__ import annotations

import argparse
from pathlib import Path

from training.presets import Preset, get_preset, list_presets


def add_preset_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", required=True, choices=list_presets(), metavar="PRESET",
                        help="recipe name: " + ", ".join(list_presets()))
    parser.add_argument("--mode", choices=("faithful", "deployable"),
                        help="architectures with two modes (TANet): faithful = as released, batch-coupled; "
                             "deployable = per image (the preset's default)")


def add_data_arguments(parser: argparse.ArgumentParser, *, split: bool = False) -> None:
    parser.add_argument("--labels", type=Path, required=True,
                        help="label folder as the dataset ships it, or one label file")
    parser.add_argument("--data-root", type=Path, required=True, help="folder holding the images")
    parser.add_argument("--image-check", choices=("exists", "header"), default="header",
                        help="how images are vetted before a run (missing/unreadable ones are skipped and counted)")
    if split:
        parser.add_argument("--split", choices=("train", "val", "test"), default="test")


def add_device_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1 ...")
    parser.add_argument("--amp", action="store_true", help="float16 autocast on CUDA (ignored on CPU)")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    parser.add_argument("--batch-size", type=int,
                        help="override the preset's batch size: the total per step across all processes "
                             "(under torchrun each of N processes takes BATCH/N)")


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=int, help="override the preset's epochs")
    parser.add_argument("--lr", type=float,
                        help="override the preset's base learning rate (per-branch rates keep their ratio to it)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the run already in --out (without it, or --resume, such a folder is refused)")
    parser.add_argument("--max-steps", type=int, help="stop after this many optimiser steps (smoke runs)")
    parser.add_argument("--out", type=Path, required=True, help="run folder: checkpoints and report")
    parser.add_argument("--save", choices=("best", "last", "all"), default="best",
                        help="checkpoints kept: best = best.pt + a weights-only last.pt (default); last = last.pt "
                             "only; all = also epoch_N.pt every epoch")
    parser.add_argument("--resume-state", action="store_true",
                        help="keep the optimiser state in last.pt, for an exact --resume (about 3x the weights' size "
                             "with Adam)")


def preset_from_args(args: argparse.Namespace) -> Preset:
    """The named preset with --epochs / --lr / --batch-size applied."""
    return get_preset(args.preset).with_overrides(
        epochs=getattr(args, "epochs", None), lr=getattr(args, "lr", None), batch_size=getattr(args, "batch_size", None)
    )


class DeviceUnavailable(ValueError):
    """--device names a GPU this machine's torch cannot use."""


def resolve_device(name: str) -> str:
    """``auto`` → cuda or cpu; a named CUDA device must exist, else a plain :class:`DeviceUnavailable`."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU only"
            raise DeviceUnavailable(f"--device {name}: no usable NVIDIA GPU here (this torch {torch.__version__} "
                                    f"is built for {build}); use --device cpu or --device auto")
        index = torch.device(name).index or 0
        if index >= torch.cuda.device_count():
            raise DeviceUnavailable(f"--device {name}: this machine has {torch.cuda.device_count()} GPU(s), "
                                    f"numbered from cuda:0")
    return name
