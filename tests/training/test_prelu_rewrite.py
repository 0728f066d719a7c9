"""training.assets.prelu: PRelu rewritten as ReLUs and depthwise 1x1 convolutions gives the same outputs."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from training.assets.prelu import prelu_as_relu_convs


def _conv_prelu_model(slope: np.ndarray, channels: int = 6) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.standard_normal((channels, 3, 3, 3)).astype(np.float32), "w")
    alpha = numpy_helper.from_array(slope.astype(np.float32), "alpha")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("PRelu", ["c", "alpha"], ["y"])],
        "conv_prelu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, channels, 16, 16])],
        initializer=[weight, alpha],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


@pytest.mark.parametrize("shape", [(1, 6, 1, 1), (6, 1, 1)])
def test_per_channel_prelu_becomes_relu_and_depthwise_convs_with_the_same_outputs(shape):
    slope = np.linspace(-0.5, 0.9, 6).reshape(shape)
    original = _conv_prelu_model(slope)
    rewritten = onnx.ModelProto()
    rewritten.CopyFrom(original)
    assert prelu_as_relu_convs(rewritten) == 1
    onnx.checker.check_model(rewritten)
    ops = [node.op_type for node in rewritten.graph.node]
    assert "PRelu" not in ops and ops.count("Relu") == 2 and ops.count("Conv") == 3
    assert "alpha" not in {tensor.name for tensor in rewritten.graph.initializer}
    x = np.random.default_rng(1).standard_normal((1, 3, 16, 16)).astype(np.float32)
    expected = _run(original, x)
    assert (expected < 0).any() and (expected > 0).any()  # both branches of PReLU are exercised
    np.testing.assert_allclose(_run(rewritten, x), expected, rtol=1e-5, atol=1e-5)


def test_slopes_that_are_not_per_channel_constants_are_left_alone():
    along_width = _conv_prelu_model(np.full(16, 0.25))  # a 1-D slope broadcasts along W, not C
    assert prelu_as_relu_convs(along_width) == 0
    computed = _conv_prelu_model(np.full((1, 6, 1, 1), 0.25))
    computed.graph.initializer.pop()  # "alpha" now has to come from elsewhere: not a constant
    assert prelu_as_relu_convs(computed) == 0
    assert [node.op_type for node in computed.graph.node] == ["Conv", "PRelu"]


def test_shipped_face_models_carry_no_prelu():
    from engine.inference.registry import shipped_models_dir

    for name in ("face_landmark", "iris_landmark"):
        model = onnx.load(str(shipped_models_dir() / f"{name}.onnx"))
        assert all(node.op_type != "PRelu" for node in model.graph.node), name
