"""Add ``quality_map`` to the shared quality graph: where on the photo the quality score comes from.

The quality head is linear: score = w_mean·mean(F) + w_max·max(F) + w_tone·tone + b, with F
the last block's (1280, h, w) feature maps pooled over the h×w locations. So the score splits
exactly over locations: location (i, j) gets

* its share of the mean-pooled term, Σ_c w_mean[c]·F[c,i,j] / (h·w), and
* for every channel whose maximum lies there, that channel's max-pooled term w_max[c]·max(F[c])
  (split evenly between locations that tie for the maximum),

and the h×w values add up to score − (w_tone·tone + b): the photo-wide tone term and bias are
the only part no location owns. The map is computed from the graph's own feature tensor and
head weights by a few extra nodes *beside* the existing ones, which stay as they are, so one
run gives the score and its map and the score's value cannot change (the bench checks it bit
for bit). ``python -m training build-assets --only quality`` adds it after writing the shared
file; :func:`add_quality_map` applied to an earlier shared file gives the same graph.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

MAP_OUTPUT = "quality_map"
#: The tensors of the shared graph the map is built from (names the legacy exporter gives them).
FEATURES = "/features.18/features.18.2/Clip_output_0"
HEAD_WEIGHT = "ranker.head.1.weight"
FEATURE_CHANNELS = 1280
_PREFIX = "/quality_map/"


class ScoreMapError(RuntimeError):
    """The graph is not the shared quality graph the map is defined for."""


def add_quality_map(onnx_path: Path) -> Path:
    """Rewrite ``onnx_path`` with the ``quality_map`` output (N, h, w); a graph that has it is left as is."""
    model = onnx.load(str(onnx_path))
    if MAP_OUTPUT in {o.name for o in model.graph.output}:
        return onnx_path
    _append_map_nodes(model)
    onnx.checker.check_model(model)
    with tempfile.TemporaryDirectory(dir=Path(onnx_path).parent) as scratch:
        candidate = Path(scratch) / Path(onnx_path).name
        onnx.save(model, str(candidate))
        os.replace(candidate, onnx_path)
    return onnx_path


def _append_map_nodes(model: onnx.ModelProto) -> None:
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    produced = {output for node in graph.node for output in node.output}
    if FEATURES not in produced or HEAD_WEIGHT not in weights:
        raise ScoreMapError(f"no {FEATURES} / {HEAD_WEIGHT} in the graph: not the shared quality graph")
    head = numpy_helper.to_array(weights[HEAD_WEIGHT]).astype(np.float32)
    if head.shape[0] != 1 or head.shape[1] < 2 * FEATURE_CHANNELS:
        raise ScoreMapError(f"the head weight is shaped {head.shape}, not (1, 2×{FEATURE_CHANNELS} + tone)")
    w_mean = head[0, :FEATURE_CHANNELS].reshape(1, FEATURE_CHANNELS, 1, 1)
    w_max = head[0, FEATURE_CHANNELS:2 * FEATURE_CHANNELS].reshape(1, FEATURE_CHANNELS, 1, 1)
    p = _PREFIX
    graph.initializer.extend([
        numpy_helper.from_array(w_mean, p + "w_mean"),
        numpy_helper.from_array(w_max, p + "w_max"),
        numpy_helper.from_array(np.array([2, 3], dtype=np.int64), p + "spatial_axes"),
        numpy_helper.from_array(np.array([2], dtype=np.int64), p + "from_h"),
        numpy_helper.from_array(np.array([4], dtype=np.int64), p + "to_w"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), p + "channel_axis"),
    ])
    graph.node.extend([
        # mean-pooled term, per location: (w_mean · F[:, i, j]) / (h·w)
        helper.make_node("Conv", [FEATURES, p + "w_mean"], [p + "mean_sum"], name=p + "mean_conv"),
        helper.make_node("Shape", [FEATURES], [p + "shape"], name=p + "shape"),
        helper.make_node("Slice", [p + "shape", p + "from_h", p + "to_w"], [p + "hw"], name=p + "hw"),
        helper.make_node("ReduceProd", [p + "hw"], [p + "count_int"], keepdims=0, name=p + "count"),
        helper.make_node("Cast", [p + "count_int"], [p + "count"], to=onnx.TensorProto.FLOAT, name=p + "cast"),
        helper.make_node("Div", [p + "mean_sum", p + "count"], [p + "mean_term"], name=p + "mean_term"),
        # max-pooled term: each channel's w_max·max placed where that maximum is (ties share it)
        helper.make_node("ReduceMax", [FEATURES], [p + "peak"], axes=[2, 3], keepdims=1, name=p + "peak"),
        helper.make_node("Equal", [FEATURES, p + "peak"], [p + "at_peak"], name=p + "at_peak"),
        helper.make_node("Cast", [p + "at_peak"], [p + "at_peak_f"], to=onnx.TensorProto.FLOAT, name=p + "at_peak_f"),
        helper.make_node("ReduceSum", [p + "at_peak_f", p + "spatial_axes"], [p + "ties"], keepdims=1,
                         name=p + "ties"),
        helper.make_node("Div", [p + "peak", p + "ties"], [p + "peak_share"], name=p + "peak_share"),
        helper.make_node("Mul", [p + "at_peak_f", p + "peak_share"], [p + "placed"], name=p + "placed"),
        helper.make_node("Conv", [p + "placed", p + "w_max"], [p + "max_term"], name=p + "max_conv"),
        helper.make_node("Add", [p + "mean_term", p + "max_term"], [p + "map4"], name=p + "sum"),
        helper.make_node("Squeeze", [p + "map4", p + "channel_axis"], [MAP_OUTPUT], name=p + "squeeze"),
    ])
    graph.output.append(helper.make_tensor_value_info(MAP_OUTPUT, onnx.TensorProto.FLOAT, ["batch", "h", "w"]))


def without_quality_map(onnx_path: Path, out_path: Path) -> Path:
    """A copy of the graph with the map's nodes, weights and output removed (the baseline of bench/score_map.py)."""
    model = onnx.load(str(onnx_path))
    graph = model.graph
    kept_nodes = [n for n in graph.node if not n.name.startswith(_PREFIX)]
    kept_weights = [i for i in graph.initializer if not i.name.startswith(_PREFIX)]
    kept_outputs = [o for o in graph.output if o.name != MAP_OUTPUT]
    for field, kept in (("node", kept_nodes), ("initializer", kept_weights), ("output", kept_outputs)):
        getattr(graph, field).clear()
        getattr(graph, field).extend(kept)
    onnx.save(model, str(out_path))
    return Path(out_path)
