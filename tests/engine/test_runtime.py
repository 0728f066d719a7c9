"""ONNX Runtime sessions: provider choice, honest fallback, no log spam."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from engine.inference import runtime
from engine.inference.runtime import CPU, CUDA, RuntimeSettings, create_session, providers_for
from tests.helpers.onnx_factory import tiny_onnx


@pytest.fixture
def model_path(tmp_path):
    return tiny_onnx(tmp_path / "m.onnx", outputs=4)


def test_provider_lists_follow_the_device_setting():
    gpu_build = [CUDA, CPU]
    assert providers_for("auto", gpu_build) == [CUDA, CPU]
    assert providers_for("gpu", gpu_build) == [CUDA, CPU]
    assert providers_for("cpu", gpu_build) == [CPU]
    assert providers_for("gpu", ["AzureExecutionProvider", CPU]) == [CPU]


def test_cpu_session_runs_and_reports_cpu(model_path):
    sess = create_session(model_path, RuntimeSettings(device="cpu", threads=1))
    assert sess.provider == CPU and sess.device_label == "CPU" and sess.fallback_reason == ""
    image = np.ones((2, 3, 32, 32), np.float32)
    (out,) = sess.run(image)
    assert out.shape == (2, 4)
    np.testing.assert_allclose(out[0], np.linspace(0.1, 1.0, 12, dtype=np.float32).reshape(3, 4).sum(0), rtol=1e-5)


def test_gpu_request_without_cuda_build_falls_back_quietly(model_path, capfd):
    sess = create_session(model_path, RuntimeSettings(device="gpu"))
    captured = capfd.readouterr()
    assert sess.provider == CPU and not sess.on_gpu
    assert "onnxruntime-gpu" in sess.fallback_reason
    assert captured.err == "" and captured.out == ""


def test_cuda_listed_but_unusable_reports_cpu_truthfully(model_path, capfd, monkeypatch, recwarn):
    """Simulate onnxruntime-gpu on a machine without a GPU: CUDA is 'available' but cannot run."""
    monkeypatch.setattr(runtime.ort, "get_available_providers", lambda: [CUDA, CPU])
    sess = create_session(model_path, RuntimeSettings(device="auto"))
    captured = capfd.readouterr()
    assert sess.provider == CPU  # the session's own answer, not the requested list
    assert "CUDA could not start" in sess.fallback_reason
    assert captured.err == ""
    assert not [w for w in recwarn if "provider" in str(w.message).lower()]


def test_auto_on_cpu_build_is_not_called_a_fallback(model_path):
    assert create_session(model_path).fallback_reason == ""


def test_thread_setting_reaches_the_session(model_path):
    assert runtime.session_options(RuntimeSettings(threads=3)).intra_op_num_threads == 3
    assert runtime.session_options(RuntimeSettings()).intra_op_num_threads == 0  # ORT decides


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError):
        RuntimeSettings(device="tpu")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        RuntimeSettings(threads=-1)


def test_unsilenced_ort_would_warn(model_path):
    """Control for the quiet tests: plain ORT does complain about the missing provider."""
    with pytest.warns(UserWarning, match="CUDAExecutionProvider"):
        ort.InferenceSession(str(model_path), providers=[CUDA, CPU])


def test_garbage_model_raises_a_load_error(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(Exception, match="(?i)protobuf|parse|load"):
        create_session(bad)
