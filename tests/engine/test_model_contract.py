"""The manifest contract between training and the app."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from PIL import Image

from engine.inference.contract import (
    ContractError,
    Metric,
    ModelManifest,
    OutputSpec,
    load_manifest,
    score_from_output,
    sha256_of,
    write_manifest,
)
from engine.inference.preprocess import InputSpec, preprocess, preprocess_batch, to_array


def _manifest(tmp_path, **changes) -> ModelManifest:
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"not really onnx but hashed")
    base = ModelManifest(
        name="m",
        architecture="mobilenetv2",
        task="technical",
        input=InputSpec(224, 224),
        output=OutputSpec(kind="score", score_rule="linear", linear_a=2.0, linear_b=1.0),
        onnx_file="m.onnx",
        onnx_sha256=sha256_of(onnx),
        opset=17,
        training_data="synthetic distortions of permissive photos",
        licence="Apache-2.0",
        metrics=(Metric("srcc", 0.93, "held-out photos"),),
    )
    return dataclasses.replace(base, **changes)


def test_round_trip(tmp_path):
    manifest = _manifest(tmp_path)
    path = write_manifest(manifest, tmp_path)
    assert load_manifest(path) == manifest


def test_tampered_model_is_refused(tmp_path):
    path = write_manifest(_manifest(tmp_path), tmp_path)
    (tmp_path / "m.onnx").write_bytes(b"swapped")
    with pytest.raises(ContractError, match="does not match the sha256"):
        load_manifest(path)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.pop("task"), "lacks the field 'task'"),
        (lambda d: d.update(task="magic"), "unknown task"),
        (lambda d: d["input"].update(resize="stretch"), "unknown resize policy"),
        (lambda d: d["input"].update(height=0), "malformed field|out of range"),
        (lambda d: d.update(onnx_file="../evil.onnx"), "bare file name"),
        (lambda d: d.update(task="aesthetic"), "aesthetic labels"),
    ],
)
def test_broken_manifests_are_refused(tmp_path, mutate, message):
    path = write_manifest(_manifest(tmp_path), tmp_path)
    data = json.loads(path.read_text())
    mutate(data)
    path.write_text(json.dumps(data))
    with pytest.raises(ContractError, match=message):
        load_manifest(path)


def test_garbage_manifest_is_refused(tmp_path):
    path = tmp_path / "m.json"
    path.write_bytes(b"\x00\xff garbage")
    with pytest.raises(ContractError):
        load_manifest(path)


def test_scores_from_outputs():
    dist = np.zeros((2, 10))
    dist[0, 9] = 1.0
    dist[1, [0, 1]] = 0.5
    rule = OutputSpec(kind="distribution10", score_rule="mean_of_distribution")
    assert score_from_output(dist, rule).tolist() == [10.0, 1.5]
    logits = np.log(dist + 1e-12)
    soft = OutputSpec(kind="distribution10", score_rule="mean_of_distribution", softmax=True)
    np.testing.assert_allclose(score_from_output(logits, soft), [10.0, 1.5], atol=1e-6)
    lin = OutputSpec(kind="score", score_rule="linear", linear_a=2.0, linear_b=1.0)
    assert score_from_output(np.array([[1.0], [2.0]]), lin).tolist() == [3.0, 5.0]
    with pytest.raises(ContractError):
        score_from_output(dist, OutputSpec(kind="embedding"))


def test_preprocess_squash_and_normalise():
    image = Image.new("RGB", (640, 480), (255, 0, 128))
    spec = InputSpec(224, 224)
    array = preprocess(image, spec)
    assert array.shape == (3, 224, 224) and array.dtype == np.float32
    expected = (np.array([1.0, 0.0, 128 / 255]) - np.array(spec.mean)) / np.array(spec.std)
    np.testing.assert_allclose(array[:, 100, 100], expected, rtol=1e-5)


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_to_array_is_exactly_the_per_pixel_formula(layout):
    """The level tables must give the very floats (x / scale - mean) / std gives: training shares this code."""
    pixels = np.random.default_rng(3).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    spec = InputSpec(40, 56, scale=127.5, mean=(0.3, 1.0, 0.7), std=(0.2, 1.0, 0.5), layout=layout)
    expected = (pixels.astype(np.float32) / np.float32(127.5) - np.float32([0.3, 1.0, 0.7])) / np.float32([0.2, 1.0, 0.5])
    actual = to_array(Image.fromarray(pixels), spec)
    assert actual.dtype == np.float32 and actual.flags.c_contiguous
    assert np.array_equal(actual, expected.transpose(2, 0, 1) if layout == "NCHW" else expected)


def test_preprocess_policies_keep_geometry():
    # A white square centred on black: a centre crop keeps it centred, a letterbox pads.
    image = Image.new("RGB", (400, 200), (0, 0, 0))
    image.paste((255, 255, 255), (150, 50, 250, 150))
    crop = preprocess(image, InputSpec(100, 100, resize="shorter_center_crop", mean=(0, 0, 0), std=(1, 1, 1)))
    assert crop[0, 50, 50] == pytest.approx(1.0) and crop[0, 50, 5] == pytest.approx(0.0)
    box = preprocess(image, InputSpec(100, 100, resize="letterbox", layout="NHWC", mean=(0, 0, 0), std=(1, 1, 1)))
    assert box.shape == (100, 100, 3)
    assert box[5, 50, 0] == pytest.approx(0.0)  # padding band above the picture
    assert preprocess_batch([image, image], InputSpec(32, 48)).shape == (2, 3, 32, 48)


def test_a_frame_score_burst_ranker_is_accepted(tmp_path):
    manifest = _manifest(tmp_path, task="pairwise", output=OutputSpec(kind="frame_score", output_name="burst"))
    assert load_manifest(write_manifest(manifest, tmp_path)) == manifest


@pytest.mark.parametrize(
    "task, output",
    [
        ("technical", OutputSpec(kind="frame_score")),  # a frame score is not a quality score
        ("pairwise", OutputSpec(kind="frame_score", score_rule="linear")),  # nor a 1..10 score
    ],
)
def test_a_malformed_frame_score_manifest_is_refused(tmp_path, task, output):
    path = write_manifest(_manifest(tmp_path, task="pairwise", output=OutputSpec(kind="frame_score")), tmp_path)
    data = json.loads(path.read_text())
    data["task"], data["output"] = task, dataclasses.asdict(output)
    path.write_text(json.dumps(data))
    with pytest.raises(ContractError, match="frame_score"):
        load_manifest(path)
