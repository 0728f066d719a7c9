"""The shared file's ``quality_map`` output: read in the same run as the scores, stored, listed; absent without it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest

from engine.analysis import analyze_library, read_analyses
from engine.analysis.modelset import load_model_set
from engine.analysis.quality_map import MAP_OUTPUT
from engine.cli.listing import photo_records
from engine.config import paths
from engine.culling.insights import insight_of
from engine.culling.map_words import LEGEND_TITLE, legend_lines
from engine.inference.contract import sha256_of
from engine.inference.registry import discover, shipped_models_dir
from engine.inference.runtime import ModelSession, RuntimeSettings
from engine.library.catalog import Catalog
from engine.library.scan import scan_library
from tests.helpers.analysis_library import save_photo
from tests.helpers.onnx_factory import install_model

SHARED = "mobilenetv2_quality_embedding.onnx"
MANIFESTS = ("quality_ranker", "embedding_mobilenetv2")


def two_photos(root: Path) -> Path:
    """Two small synthetic photos: a textured gradient, and the same with its lower-right quadrant noised."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:96, 0:128]
    base = np.stack([x * 2, y * 2, (x + y)], axis=-1) % 256 + rng.integers(0, 20, (96, 128, 3))
    base = np.clip(base, 0, 255).astype(np.uint8)
    damaged = base.astype(np.int16)
    damaged[48:, 64:] += rng.integers(-60, 61, damaged[48:, 64:].shape, dtype=np.int16)
    save_photo(root / "clean.jpg", base, "2024:05:01 10:00:00")
    save_photo(root / "damaged.jpg", np.clip(damaged, 0, 255).astype(np.uint8), "2024:05:01 11:00:00")
    return root


def install_shared(folder: Path, *, with_map: bool = True) -> Path:
    """The shipped quality and embedding manifests on the shipped shared file, or on a copy that lacks the
    map output (the shared file before it had one)."""
    folder.mkdir(parents=True, exist_ok=True)
    onnx_path = folder / SHARED
    if with_map:
        onnx_path.symlink_to(shipped_models_dir() / SHARED)
    else:
        model = onnx.load(str(shipped_models_dir() / SHARED))
        kept = [o for o in model.graph.output if o.name != MAP_OUTPUT]
        del model.graph.output[:]
        model.graph.output.extend(kept)
        onnx.save(model, str(onnx_path))
    for name in MANIFESTS:
        raw = json.loads((shipped_models_dir() / f"{name}.json").read_text())
        raw["onnx_sha256"] = sha256_of(onnx_path)
        (folder / f"{name}.json").write_text(json.dumps(raw))
    return folder


def analysed(tmp_path: Path, *, with_map: bool):
    root = two_photos(tmp_path / "library")
    scan_library(root, workers=1)
    registry = discover(tmp_path / "none", install_shared(paths.user_models_dir(), with_map=with_map))
    assert {m.name for m in registry.models} == set(MANIFESTS) and not registry.refused
    report = analyze_library(root, workers=1, registry=registry, settings=RuntimeSettings(device="cpu", threads=1))
    assert report.analysed == 2 and report.errors == 0
    with Catalog.open(root) as catalog:
        records = list(photo_records(catalog))
        as_text = list(photo_records(catalog, as_text=True))   # CSV cells: the same object as compact JSON
        assert [json.loads(r["quality_map"]) if r["quality_map"] else None for r in as_text] == \
            [r["quality_map"] for r in records]
        return read_analyses(catalog), records


def test_the_map_is_read_in_the_scores_run_stored_and_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    runs: list[int] = []
    original = ModelSession.run
    monkeypatch.setattr(ModelSession, "run", lambda self, *inputs: runs.append(len(inputs[0])) or original(self, *inputs))
    analyses, records = analysed(tmp_path, with_map=True)
    assert runs[1:] == [2], "after the load's test run, one run for both photos: scores, embedding and map together"
    for analysis in analyses.values():
        (technical,) = [s for s in analysis.scores if s.task == "technical"]
        cells = technical.quality_map
        assert cells is not None and (cells.rows, cells.cols) == (8, 8)
        assert np.isfinite(cells.array()).all() and np.ptp(cells.array()) > 0.001
    clean, damaged = (next(r for r in records if r["path"] == f"{n}.jpg") for n in ("clean", "damaged"))
    assert clean["quality_map"]["cells"] != damaged["quality_map"]["cells"], "each photo keeps its own map"
    for record in records:
        grid = record["quality_map"]
        assert (grid["task"], grid["model"], grid["rows"], grid["cols"]) == ("technical", "quality_ranker", 8, 8)
        assert len(grid["cells"]) == 8 and all(len(row) == 8 for row in grid["cells"])
        assert sum(map(sum, grid["cells"])) + grid["photo_wide"] == pytest.approx(grid["score_raw"], abs=0.02)
        assert grid["score_raw"] == pytest.approx(record["score_raw"], abs=1e-3)
        assert grid["weakest"] in (None, "upper left", "upper right", "lower left", "lower right")
        assert [s["map_available"] for s in record["analysis"]["scores"]] == [True]


def test_the_map_is_exactly_the_graphs_output_for_the_stored_score(tmp_path: Path):
    """Read from one run: the model's rows are the session's own map and score outputs for the same batch."""
    registry = discover(tmp_path / "none", install_shared(tmp_path / "models"))
    models = load_model_set(registry, RuntimeSettings(device="cpu", threads=1))
    technical = next(m for m in models.image_models if m.task == "technical")
    batch = np.random.default_rng(1).standard_normal((2, 3, 256, 256)).astype(np.float32)
    outputs = dict(zip(technical.session.output_names, technical.session.run(batch)))
    results = technical.read(list(outputs.values()), 2)
    for i, result in enumerate(results):
        assert np.array_equal(result.quality_map.array(), outputs[MAP_OUTPUT][i])
        assert result.score == pytest.approx(float(outputs["quality"][i, 0]), abs=1e-6)


def test_a_shared_file_without_the_output_gives_no_map_and_no_error(tmp_path: Path):
    analyses, records = analysed(tmp_path, with_map=False)
    assert all(a.status == "ok" and a.mapped_score is None for a in analyses.values())
    assert all(r["quality_map"] is None for r in records)
    assert all(s["map_available"] is False for r in records for s in r["analysis"]["scores"])
    assert all(r["score"] is not None for r in records)


def test_sorted_by_an_aesthetic_model_the_map_stays_the_technical_one_and_says_so(tmp_path: Path):
    """The aesthetic score has no map (as an installed TANet or EAT has none): its entry says so, the record's
    map is still the image quality score's, and the loupe's words name the aesthetic model."""
    install_model(paths.user_models_dir(), "tiny_aesthetic", task="aesthetic", training_data="AVA aesthetic ratings")
    root = two_photos(tmp_path / "library")
    scan_library(root, workers=1)
    registry = discover(tmp_path / "none", install_shared(paths.user_models_dir()))
    analyze_library(root, workers=1, registry=registry, settings=RuntimeSettings(device="cpu", threads=1))
    with Catalog.open(root) as catalog:
        records, analyses = list(photo_records(catalog)), read_analyses(catalog)
    for record in records:
        assert record["score_task"] == "aesthetic" and record["quality_map"]["task"] == "technical"
        available = {s["task"]: s["map_available"] for s in record["analysis"]["scores"]}
        assert available == {"aesthetic": False, "technical": True}
    insight = insight_of(next(iter(analyses.values())))
    words = legend_lines(has_map=insight.quality_map is not None, analysed=True, score_task=insight.score_task,
                         score_model=insight.score_model)
    assert words[0] == LEGEND_TITLE
    assert words[-1] == "No picture of where the score comes from for tiny_aesthetic; this shows image quality."
