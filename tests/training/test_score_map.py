"""``quality_map``: an extra output of the shared quality graph that splits the score exactly over locations."""

from __future__ import annotations

import shutil

import numpy as np
import onnx
from onnx import helper, numpy_helper
from PIL import Image
from skimage import data

from engine.inference.preprocess import InputSpec, preprocess_batch
from engine.inference.registry import shipped_models_dir
from engine.inference.runtime import RuntimeSettings, create_session
from training.assets.quality_embedding import ONNX_FILE
from training.assets.score_map import HEAD_WEIGHT, MAP_OUTPUT, add_quality_map, without_quality_map

TONE = "/tone/Concat_output_0"


def photos() -> np.ndarray:
    names = ("astronaut", "coffee", "chelsea", "rocket", "camera")
    return preprocess_batch([Image.fromarray(getattr(data, n)()).convert("RGB") for n in names],
                            InputSpec(height=256, width=256))


def run(path, batch):
    session = create_session(path, RuntimeSettings(device="cpu"))
    return dict(zip(session.output_names, session.run(batch)))


def test_the_map_changes_no_output_and_adds_up_to_the_score(tmp_path):
    shipped = tmp_path / "shipped.onnx"
    shutil.copyfile(shipped_models_dir() / ONNX_FILE, shipped)
    mapped = tmp_path / "mapped.onnx"
    shutil.copyfile(shipped, mapped)
    add_quality_map(mapped)
    # expose the tone statistics too, to check the split: score = Σ map + w_tone·tone + b
    model = onnx.load(str(mapped))
    model.graph.output.append(helper.make_tensor_value_info(TONE, onnx.TensorProto.FLOAT, None))
    probe = tmp_path / "probe.onnx"
    onnx.save(model, str(probe))

    batch = photos()
    baseline = without_quality_map(shipped, tmp_path / "b.onnx") if _has_map(shipped) else shipped
    before, after = run(baseline, batch), run(probe, batch)
    for name, value in before.items():
        assert np.array_equal(value, after[name]), f"{name} changed"
    head = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    weight, bias = head[HEAD_WEIGHT][0], head[HEAD_WEIGHT.replace("weight", "bias")][0]
    quality_map = after[MAP_OUTPUT]
    assert quality_map.shape == (5, 8, 8)
    rest = after[TONE] @ weight[2560:] + bias
    np.testing.assert_allclose(quality_map.sum(axis=(1, 2)) + rest, after["quality"][:, 0], atol=1e-4)
    assert np.ptp(quality_map, axis=(1, 2)).min() > 0.01, "a map that is flat could not point anywhere"

    written = mapped.read_bytes()
    add_quality_map(mapped)  # idempotent: a graph that has the map keeps its bytes
    assert mapped.read_bytes() == written


def _has_map(path) -> bool:
    return MAP_OUTPUT in {o.name for o in onnx.load(str(path)).graph.output}
