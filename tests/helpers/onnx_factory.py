"""Tiny ONNX models built in the test itself (no downloaded weights), plus their manifests.

The graph is image (N,3,H,W) -> GlobalAveragePool -> Flatten -> MatMul -> (N,K): small,
deterministic, and shaped like the real models, so the registry's shape checks are exercised.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from engine.inference.contract import ModelManifest, OutputSpec, sha256_of, write_manifest
from engine.inference.preprocess import InputSpec


def tiny_onnx(path: Path, *, height: int = 32, width: int = 32, outputs: int = 10,
              flat_output: bool = False, symbolic_size: bool = False) -> Path:
    """Write a valid ONNX file. ``flat_output`` makes the output rank 1 instead of 2."""
    h, w = ("H", "W") if symbolic_size else (height, width)
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, h, w])
    weights = numpy_helper.from_array(np.linspace(0.1, 1.0, 3 * outputs, dtype=np.float32).reshape(3, outputs), "w")
    nodes = [
        helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w"], ["out2d" if flat_output else "out"]),
    ]
    initializers = [weights]
    out_shape: list = ["N", outputs]
    if flat_output:
        initializers.append(numpy_helper.from_array(np.array([-1], dtype=np.int64), "minus_one"))
        nodes.append(helper.make_node("Reshape", ["out2d", "minus_one"], ["out"]))
        out_shape = ["M"]
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, out_shape)
    graph = helper.make_graph(nodes, "tiny", [image], [out], initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


def install_model(directory: Path, name: str, *, task: str = "technical", kind: str = "distribution10",
                  score_rule: str = "mean_of_distribution", size: int = 32, graph_size: int | None = None,
                  outputs: int = 10, flat_output: bool = False, training_data: str = "synthetic distortions",
                  onnx_bytes: bytes | None = None, symbolic_size: bool = False,
                  provenance: dict | None = None) -> Path:
    """Write NAME.onnx + NAME.json into ``directory``; returns the manifest path.

    ``graph_size`` lets the graph declare a different input size than the manifest.
    ``onnx_bytes`` replaces the model file with arbitrary bytes (the hash still matches).
    """
    directory.mkdir(parents=True, exist_ok=True)
    onnx_path = directory / f"{name}.onnx"
    if onnx_bytes is None:
        g = graph_size or size
        tiny_onnx(onnx_path, height=g, width=g, outputs=outputs, flat_output=flat_output, symbolic_size=symbolic_size)
    else:
        onnx_path.write_bytes(onnx_bytes)
    manifest = ModelManifest(
        name=name, architecture="tiny-pool-linear", task=task, input=InputSpec(size, size),
        output=OutputSpec(kind=kind, score_rule=score_rule), onnx_file=onnx_path.name,
        onnx_sha256=sha256_of(onnx_path), opset=17, training_data=training_data, licence="Apache-2.0",
        provenance=dict(provenance or {}),
    )
    return write_manifest(manifest, directory)


def two_head_onnx(path: Path, *, size: int = 32, heads: dict[str, int] | None = None) -> Path:
    """One trunk (GlobalAveragePool -> Flatten) with a MatMul head per named output: a shared-backbone file."""
    heads = heads or {"quality": 10, "embedding": 16}
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, size, size])
    nodes = [helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
             helper.make_node("Flatten", ["pooled"], ["flat"])]
    initializers, outputs = [], []
    for index, (name, width) in enumerate(heads.items()):
        weights = np.linspace(0.1 * (index + 1), 1.0, 3 * width, dtype=np.float32).reshape(3, width)
        initializers.append(numpy_helper.from_array(weights, f"w_{name}"))
        nodes.append(helper.make_node("MatMul", ["flat", f"w_{name}"], [name]))
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", width]))
    graph = helper.make_graph(nodes, "two_heads", [image], outputs, initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


def install_head(directory: Path, name: str, onnx_path: Path, output_name: str, *, task: str, kind: str,
                 score_rule: str = "none", size: int = 32) -> Path:
    """A manifest NAME.json naming an existing (shared) ONNX file and one of its outputs."""
    manifest = ModelManifest(
        name=name, architecture="tiny-two-heads", task=task, input=InputSpec(size, size),
        output=OutputSpec(kind=kind, score_rule=score_rule, output_name=output_name), onnx_file=onnx_path.name,
        onnx_sha256=sha256_of(onnx_path), opset=17, training_data="synthetic distortions", licence="Apache-2.0",
    )
    return write_manifest(manifest, directory)
