"""EAT-Base deployable → ONNX: export time, ORT-vs-torch parity and ORT CPU ms per image.

    python bench/eat_export.py [--out DIR] [--variant ava|tad66k] [--checkpoint FILE.pt] [--json OUT.json]

Runs the real exporter (:func:`training.export.export_onnx`: legacy TorchScript,
opset 17, dynamic batch, parity at batch 1 and 3 to ≤ 1e-4 or it raises) on the
full 224×224 DAT-Base, which is too slow for the test suite on a CPU. Without
``--checkpoint`` the weights are random and the manifest says ``untrained``.
Beside the ORT time it measures eager torch at batch 1 in the same run, so the
printed ratio does not depend on how loaded the machine is.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.inference.contract import load_manifest  # noqa: E402
from training.checkpoints import build_model, load_checkpoint  # noqa: E402
from training.export import export_onnx  # noqa: E402
from training.models import create_model  # noqa: E402
from training.presets import get_preset  # noqa: E402


def torch_ms_per_image(model: torch.nn.Module, runs: int = 3) -> float:
    x = torch.randn(1, 3, 224, 224)
    timings = []
    with torch.inference_mode():
        model(x)
        for _ in range(runs):
            start = time.perf_counter()
            model(x)
            timings.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="keep the ONNX + manifest here (default: a temporary folder)")
    parser.add_argument("--variant", choices=("ava", "tad66k"), default="ava")
    parser.add_argument("--checkpoint", type=Path, help="a photocull EAT checkpoint instead of random weights")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    preset = get_preset(f"eat-{args.variant}")
    torch.manual_seed(0)
    if args.checkpoint:
        model = build_model(load_checkpoint(args.checkpoint), mode="deployable")
    else:
        model = create_model("eat", variant=args.variant, mode="deployable")
    model.eval()
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch)
        start = time.perf_counter()
        onnx_path, manifest_path = export_onnx(model, preset, out, f"eat-{args.variant}-bench",
                                               trained=args.checkpoint is not None)
        export_s = time.perf_counter() - start
        manifest = load_manifest(manifest_path)
        size_mb = onnx_path.stat().st_size / 1e6
    eager_ms = torch_ms_per_image(model)
    ort_ms = manifest.provenance["ort_cpu_ms_per_image"]
    report = {
        "parameters": sum(p.numel() for p in model.parameters()),
        "opset": manifest.opset,
        "parity_max_abs_diff": manifest.provenance["parity_max_abs_diff"],
        "parity_batches": manifest.provenance["parity_batches"],
        "ort_cpu_ms_per_image": ort_ms,
        "torch_cpu_ms_per_image": round(eager_ms, 1),
        "torch_over_ort": round(eager_ms / ort_ms, 2),
        "threads": torch.get_num_threads(),
        "export_and_verify_s": round(export_s, 1),
        "onnx_mb": round(size_mb, 1),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
