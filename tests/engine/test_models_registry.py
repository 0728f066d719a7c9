"""The model registry: discovery, refusals with reasons, and which model serves a task."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from engine.config import paths
from engine.inference.registry import discover, shipped_models_dir
from tests.helpers.onnx_factory import install_model


@pytest.fixture
def dirs(tmp_path):
    return tmp_path / "shipped", tmp_path / "user"


def _set_mtime(json_path: Path, when: float) -> None:
    os.utime(json_path, (when, when))


def test_empty_folders_say_nothing_is_installed(dirs):
    registry = discover(*dirs)
    assert registry.models == () and registry.refused == ()
    assert registry.for_task("technical") is None
    assert "No scoring model" in registry.sort_score().message


def test_without_aesthetic_model_the_technical_score_sorts(dirs):
    shipped, user = dirs
    install_model(shipped, "quality-ranker", task="technical")
    score = discover(shipped, user).sort_score()
    assert score.task == "technical" and score.model.name == "quality-ranker"
    assert "No aesthetic model is installed" in score.message and "technical quality score" in score.message


def test_installed_aesthetic_model_becomes_the_scorer(dirs):
    shipped, user = dirs
    install_model(shipped, "quality-ranker", task="technical")
    install_model(user, "tanet-ava", task="aesthetic",
                  training_data="AVA aesthetic ratings: 255,508 photos. Split of the authors, file list in the README")
    score = discover(shipped, user).sort_score()
    assert score.task == "aesthetic" and score.model.name == "tanet-ava" and score.model.origin == "user"
    assert score.message == "Sorting by aesthetic score (tanet-ava, trained on AVA aesthetic ratings, user)."


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        (dict(onnx_bytes=b"\x08\x01garbage that hashes fine"), "not a loadable ONNX model"),
        (dict(size=64, graph_size=32), "does not match the graph input"),
        (dict(flat_output=True), "needs an output of rank 2"),
        (dict(outputs=5), "has 5 classes, not 10"),
    ],
)
def test_contract_breakers_are_refused_with_a_reason(dirs, kwargs, reason):
    shipped, user = dirs
    install_model(user, "good")
    install_model(user, "bad", **kwargs)
    registry = discover(shipped, user)
    assert [m.name for m in registry.models] == ["good"]
    (refusal,) = registry.refused
    assert refusal.path.name == "bad.json" and refusal.origin == "user"
    assert reason in refusal.reason and refusal.reason.startswith("bad")


def test_bad_manifest_and_orphan_onnx_are_listed(dirs):
    shipped, user = dirs
    user.mkdir(parents=True)
    (user / "broken.json").write_text("{ not json", encoding="utf-8")
    (user / "broken.onnx").write_bytes(b"x")
    (user / "lonely.onnx").write_bytes(b"x")
    reasons = {r.path.name: r.reason for r in discover(shipped, user).refused}
    assert set(reasons) == {"broken.json", "lonely.onnx"}  # broken.onnx is its manifest's problem
    assert "not valid JSON" in reasons["broken.json"]
    assert "no manifest" in reasons["lonely.onnx"]


def test_user_model_overrides_shipped_and_newest_user_model_wins(dirs):
    shipped, user = dirs
    _set_mtime(install_model(shipped, "shipped-new", task="technical"), 3_000)
    _set_mtime(install_model(user, "user-old", task="technical"), 1_000)
    _set_mtime(install_model(user, "user-new", task="technical"), 2_000)
    registry = discover(shipped, user)
    assert [m.name for m in registry.candidates("technical")] == ["user-new", "user-old", "shipped-new"]


def test_explicit_choice_wins_and_a_missing_choice_is_reported(dirs):
    shipped, user = dirs
    install_model(shipped, "shipped-q", task="technical")
    install_model(user, "user-q", task="technical")
    assert discover(shipped, user, chosen={"technical": "shipped-q"}).for_task("technical").name == "shipped-q"
    registry = discover(shipped, user, chosen={"technical": "gone"})
    assert registry.for_task("technical").name == "user-q"
    (problem,) = registry.chosen_problems()
    assert "'gone'" in problem and "'user-q'" in problem


def test_untrained_models_are_listed_but_never_serve(dirs):
    shipped, user = dirs
    install_model(user, "smoke", task="untrained")
    registry = discover(shipped, user)
    assert [m.name for m in registry.models] == ["smoke"]
    assert registry.for_task("untrained") is None


def test_symbolic_graph_sizes_are_accepted(dirs):
    shipped, user = dirs
    install_model(user, "dyn", size=48, symbolic_size=True)
    assert [m.name for m in discover(shipped, user).models] == ["dyn"]


def test_default_folders_are_the_repo_assets_and_the_user_models_dir(monkeypatch):
    assert shipped_models_dir() == Path(__file__).resolve().parents[2] / "assets" / "models"
    install_model(paths.user_models_dir(), "mine")
    registry = discover(shipped_dir=Path("/nonexistent/for/this/test"))
    assert [(m.name, m.origin) for m in registry.models] == [("mine", "user")]
    monkeypatch.setattr(sys, "_MEIPASS", "/bundle", raising=False)
    assert shipped_models_dir() == Path("/bundle/assets/models")


def test_every_shipped_model_passes_its_own_contract(tmp_path):
    """The models in assets/models (faces, eyes, later the rankers) must never be refused."""
    registry = discover(user_dir=tmp_path)
    assert registry.refused == ()
    assert {m.origin for m in registry.models} <= {"shipped"}


def test_a_file_named_by_several_manifests_is_hashed_once_and_still_checked(tmp_path, monkeypatch):
    """The shipped MobileNetV2 file serves three manifests: one sha256 per file per scan,
    yet each manifest is still compared with it (a wrong digest is refused)."""
    from engine.inference import contract as model_contract

    shipped = tmp_path / "shipped"
    shutil.copytree(shipped_models_dir(), shipped)
    manifests = {p: json.loads(p.read_text()) for p in shipped.glob("*.json")}
    shared = [p for p, raw in manifests.items() if raw["onnx_file"] == "mobilenetv2_quality_embedding.onnx"]
    assert len(shared) == 3
    hashed: list[Path] = []
    real = model_contract.sha256_of
    monkeypatch.setattr(model_contract, "sha256_of", lambda path: hashed.append(Path(path)) or real(path))

    registry = discover(shipped, tmp_path / "user")
    assert len(registry.models) == len(manifests) and registry.refused == ()
    assert sorted(hashed) == sorted({shipped / raw["onnx_file"] for raw in manifests.values()})

    broken = dict(manifests[shared[0]], onnx_sha256="0" * 64)
    shared[0].write_text(json.dumps(broken))
    registry = discover(shipped, tmp_path / "user")
    assert [r.path for r in registry.refused] == [shared[0]]
    assert "does not match the sha256" in registry.refused[0].reason


def test_model_words_leave_out_module_names_and_file_lists():
    from engine.inference.registry import _first_clause

    text = "Synthetic distortion ranks (training.distortions) of 24 permissively licensed photos: a.jpg, b.jpg"
    assert _first_clause(text) == "Synthetic distortion ranks of 24 permissively licensed photos"
    assert _first_clause("AVA (aesthetic labels: 255,000 photos). More") == "AVA"
    assert _first_clause("ImageNet-1k (torchvision's pretrained MobileNetV2)") == \
        "ImageNet-1k (torchvision's pretrained MobileNetV2)"
