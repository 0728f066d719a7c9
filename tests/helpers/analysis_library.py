"""Libraries and tiny models for the analysis tests (generated here; photos from skimage.data).

``burst_library`` writes three frames of one scene one second apart (the middle one
blurred), a portrait (skimage's astronaut, eyes open) and an unrelated photo, with
EXIF capture times so grouping can use them. ``tiny_pairwise`` builds a two-image
ranker: logit = s(first) - s(second), s = 20 x mean absolute detail; ``tiny_frame_score``
the same s per frame, shaped like the shipped ranker (kind ``frame_score``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image, ImageFilter
from skimage import data

from engine.analysis import AnalysisReport, analyze_library
from engine.analysis.faces import DETECTOR_MODEL, IRIS_MODEL, LANDMARK_MODEL
from engine.config import paths
from engine.inference.contract import ModelManifest, OutputSpec, sha256_of, write_manifest
from engine.inference.preprocess import InputSpec
from engine.inference.registry import ModelRegistry, discover, shipped_models_dir
from tests.helpers.onnx_factory import install_model

EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003


def save_photo(path: Path, pixels: np.ndarray, taken: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    if taken:
        exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken
    Image.fromarray(pixels).save(path, "JPEG", quality=92, exif=exif)
    return path


def burst_library(root: Path) -> Path:
    """burst/frame_1..3 (frame_2 blurred), portrait.jpg (astronaut), coffee.jpg: 5 photos."""
    scene = data.chelsea()
    rng = np.random.default_rng(0)
    for i in range(3):
        frame = np.clip(scene.astype(np.int16) + rng.integers(-3, 4, scene.shape), 0, 255).astype(np.uint8)
        if i == 1:
            frame = np.asarray(Image.fromarray(frame).filter(ImageFilter.GaussianBlur(4)))
        save_photo(root / "burst" / f"frame_{i + 1}.jpg", frame, f"2024:05:01 10:00:0{i}")
    save_photo(root / "portrait.jpg", data.astronaut(), "2024:05:01 11:00:00")
    save_photo(root / "coffee.jpg", data.coffee(), "2024:05:01 12:00:00")
    return root


def face_models_only(folder: Path) -> Path:
    """A "shipped" folder holding just the face models (links), so tests choose every other model."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (DETECTOR_MODEL, LANDMARK_MODEL, IRIS_MODEL):
        for suffix in (".json", ".onnx"):
            link = folder / f"{name}{suffix}"
            if not link.exists():
                link.symlink_to(shipped_models_dir() / link.name)
    return folder


def registry_for_tests() -> ModelRegistry:
    """Face models plus whatever the test installed in the (isolated) user folder."""
    return discover(face_models_only(paths.cache_dir() / "test-shipped-models"), paths.user_models_dir())


def analyze(root: Path, **options) -> AnalysisReport:
    """One analysis run on one decoding thread with the test registry."""
    return analyze_library(root, workers=1, registry=registry_for_tests(), **options)


def install_scorer(directory: Path, name: str = "tiny_quality") -> Path:
    return install_model(directory, name, task="technical", kind="score", score_rule="linear", outputs=1)


def install_embedding(directory: Path, name: str = "tiny_embedding") -> Path:
    return install_model(directory, name, task="embedding", kind="embedding", score_rule="none", outputs=16)


def install_fixed_batch_scorer(directory: Path, name: str = "batch_one") -> Path:
    """A technical model whose graph only takes one image at a time (exported without a dynamic batch)."""
    manifest_path = install_scorer(directory, name)
    onnx_path = directory / f"{name}.onnx"
    model = onnx.load(onnx_path)
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1
    onnx.save(model, onnx_path)
    _rewrite_hash(manifest_path, onnx_path)
    return manifest_path


def install_pairwise(directory: Path, name: str = "tiny_burst_ranker", size: int = 32) -> Path:
    """The two-input ranker (kind ``pair_logit``)."""
    return _install_ranker(directory, name, tiny_pairwise(size), "pair_logit", size)


def install_frame_score(directory: Path, name: str = "tiny_frame_ranker", size: int = 32) -> Path:
    """The same ranker scoring one frame at a time (kind ``frame_score``): equal logits, no pairs."""
    return _install_ranker(directory, name, tiny_frame_score(size), "frame_score", size)


def _install_ranker(directory: Path, name: str, model: onnx.ModelProto, kind: str, size: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    onnx_path = directory / f"{name}.onnx"
    onnx_path.write_bytes(model.SerializeToString())
    manifest = ModelManifest(
        name=name, architecture="tiny siamese pool-linear", task="pairwise", input=InputSpec(size, size),
        output=OutputSpec(kind=kind), onnx_file=onnx_path.name, onnx_sha256=sha256_of(onnx_path), opset=13,
        training_data="none (test fixture)", licence="Apache-2.0",
    )
    return write_manifest(manifest, directory)


def tiny_pairwise(size: int) -> onnx.ModelProto:
    """(first, second) -> (N,1) logit = s(first) - s(second): sharper frames win."""
    names = ("first", "second")
    nodes = [node for name in names for node in _frame_score_nodes(name)]
    nodes.append(helper.make_node("Sub", [f"{name}_score" for name in names], ["logit"]))
    return _ranker_graph("tiny_pairwise", names, nodes, "logit", size)


def tiny_frame_score(size: int) -> onnx.ModelProto:
    """image -> (N,1) score s, the scorer of :func:`tiny_pairwise`."""
    return _ranker_graph("tiny_frame_score", ("image",), _frame_score_nodes("image"), "image_score", size)


def _frame_score_nodes(name: str) -> list[onnx.NodeProto]:
    """s = 20 x detail, detail = mean |x - mean(x)| per image: a blurred frame has less of it."""
    return [
        helper.make_node("ReduceMean", [name], [f"{name}_mean"], axes=[1, 2, 3], keepdims=1),
        helper.make_node("Sub", [name, f"{name}_mean"], [f"{name}_centred"]),
        helper.make_node("Abs", [f"{name}_centred"], [f"{name}_abs"]),
        helper.make_node("ReduceMean", [f"{name}_abs"], [f"{name}_detail"], axes=[2, 3], keepdims=0),
        helper.make_node("ReduceSum", [f"{name}_detail", "one_axis"], [f"{name}_sum"], keepdims=1),
        helper.make_node("Mul", [f"{name}_sum", "gain"], [f"{name}_score"]),
    ]


def _ranker_graph(title: str, inputs: tuple[str, ...], nodes: list, output: str, size: int) -> onnx.ModelProto:
    values = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", 3, size, size]) for n in inputs]
    initializers = [numpy_helper.from_array(np.array([1], dtype=np.int64), "one_axis"),
                    numpy_helper.from_array(np.array(20.0, dtype=np.float32), "gain")]
    result = helper.make_tensor_value_info(output, TensorProto.FLOAT, ["N", 1])
    graph = helper.make_graph(nodes, title, values, [result], initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _rewrite_hash(manifest_path: Path, onnx_path: Path) -> None:
    import json

    raw = json.loads(manifest_path.read_text())
    raw["onnx_sha256"] = sha256_of(onnx_path)
    manifest_path.write_text(json.dumps(raw))
