"""``python -m training import-checkpoint``: an authors' release file → our checkpoint + ONNX export.

For EAT: ``AVA_AOT_vacc_0.8259_srcc_0.7596_vlcc_0.7710.pth`` (preset eat-ava) or ``TAD66K_AOT_...pth``
(eat-tad66k); the ImageNet ``dat_base_in1k_224.pth`` is a starting point, not a release
(``training.checkpoints.load_backbone_file``).
For TANet: ``SRCC_758_LCC_765.pth`` (preset tanet-ava) or
``SRCC_513_LCC_531_MSE_016.pth`` (tanet-tad66k), downloaded by the user from the
authors' links; nothing is fetched here. The file must load with strict key
matching after ``module.`` stripping (see :mod:`training.checkpoints`).
"""

from __future__ import annotations

import argparse
import sys

NAME = "import-checkpoint"
HELP = "convert an authors' released checkpoint into a photocull checkpoint and a verified ONNX model"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from training.commands.export import add_file_arguments

    add_file_arguments(parser, checkpoint="the authors' file (.pth / .pth.tar)",
                       out="folder for NAME.pt, NAME.onnx and NAME.json", name="model name (default: PRESET-FILESTEM)")


def run(args: argparse.Namespace) -> int:
    from training.checkpoints import CheckpointError, import_checkpoint
    from training.export import ExportError

    try:
        imported = import_checkpoint(args.preset, args.checkpoint, args.out, name=args.name)
    except (CheckpointError, ExportError) as exc:
        print(f"import failed: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {imported.checkpoint}, {imported.onnx} and {imported.manifest}")
    return 0
