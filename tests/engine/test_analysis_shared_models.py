"""Manifests sharing one ONNX file: one session, one run per batch, each task reading its named output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from engine.analysis.modelset import load_model_set
from engine.config import paths
from engine.inference.registry import discover
from engine.inference.runtime import ModelSession, RuntimeSettings
from engine.library.catalog import Catalog
from engine.library.scan import scan_library
from tests.helpers.analysis_library import analyze, burst_library
from tests.helpers.onnx_factory import install_head, two_head_onnx


def install_shared_pair(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    onnx_path = two_head_onnx(directory / "trunk.onnx")
    install_head(directory, "shared_quality", onnx_path, "quality", task="technical", kind="distribution10",
                 score_rule="mean_of_distribution")
    install_head(directory, "shared_embedding", onnx_path, "embedding", task="embedding", kind="embedding")
    return onnx_path


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    return install_shared_pair(tmp_path / "models")


def test_two_manifests_on_one_file_share_a_session_and_a_run(shared: Path, tmp_path: Path):
    registry = discover(shipped_dir=tmp_path / "none", user_dir=shared.parent)
    assert {m.name for m in registry.models} == {"shared_quality", "shared_embedding"} and not registry.refused
    models = load_model_set(registry, RuntimeSettings(device="cpu", threads=1))
    quality, embedding = (next(m for m in models.image_models if m.task == t) for t in ("technical", "embedding"))
    assert quality.session is embedding.session
    assert len(models.runs) == 1 and set(models.runs[0].models) == {quality, embedding}
    assert len(models.input_specs) == 1

    batch = np.random.default_rng(0).standard_normal((3, 3, 32, 32)).astype(np.float32)
    results = dict(models.runs[0].run(batch))
    direct = ort.InferenceSession(str(shared)).run(["quality", "embedding"], {"image": batch})
    assert np.allclose([o.vector for o in results[embedding]], direct[1], atol=1e-6)
    expected = (direct[0] @ np.arange(1, 11)).tolist()
    assert [o.score for o in results[quality]] == pytest.approx(expected, rel=1e-5)


def test_an_output_name_missing_from_the_graph_is_refused_with_the_outputs_listed(shared: Path, tmp_path: Path):
    install_head(shared.parent, "wrong_head", shared, "aesthetics", task="technical", kind="distribution10",
                 score_rule="mean_of_distribution")
    registry = discover(shipped_dir=tmp_path / "none", user_dir=shared.parent)
    (refusal,) = registry.refused
    assert "wrong_head" in refusal.reason and "'aesthetics' is not in trunk.onnx" in refusal.reason
    assert "quality, embedding" in refusal.reason
    assert "wrong_head" not in {m.name for m in registry.models}


def test_analysis_runs_the_shared_file_once_per_batch_and_stores_both_tasks(tmp_path: Path, monkeypatch):
    root = burst_library(tmp_path / "library")
    scan_library(root, workers=1)
    install_shared_pair(paths.user_models_dir())
    runs: list[tuple[str, int]] = []
    original = ModelSession.run

    def counting(self: ModelSession, *inputs: np.ndarray) -> list[np.ndarray]:
        outputs = original(self, *inputs)
        runs.append((",".join(self.output_names), len(inputs[0])))
        return outputs

    monkeypatch.setattr(ModelSession, "run", counting)
    report = analyze(root, batch_size=2)
    assert report.analysed == 5 and {"technical: shared_quality", "embedding: shared_embedding"} <= set(report.models)
    shared_runs = [n for names, n in runs if names == "quality,embedding"]
    assert shared_runs[0] == 2, "one test run at load (two grey images), read by both manifests"
    assert sorted(shared_runs[1:]) == [1, 2, 2], "one run per batch of photos for both tasks"
    with Catalog.open(root) as catalog:
        scores = catalog.conn.execute("SELECT COUNT(*) FROM photo_scores WHERE model = 'shared_quality'").fetchone()[0]
        vectors = catalog.conn.execute(
            "SELECT COUNT(*) FROM photo_embeddings WHERE model = 'shared_embedding'").fetchone()[0]
    assert scores == vectors == 5
