"""The analysis pipeline on a generated library: stored results, resume, cancel, re-analysis, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.analysis import (
    AnalysisControl,
    AnalysisFinished,
    AnalysisStarted,
    GroupingStarted,
    PhotoAnalyzed,
    analysis_of,
    analyze_library,
    read_analyses,
)
from engine.analysis.best_shot import blur_words
from engine.config import paths
from engine.library.catalog import Catalog, CatalogNotFound
from engine.library.scan import scan_library
from tests.helpers.analysis_library import (
    analyze,
    burst_library,
    install_embedding,
    install_fixed_batch_scorer,
    install_scorer,
)
from tests.helpers.onnx_factory import install_model

PHOTOS = 5


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = burst_library(tmp_path / "library")
    scan_library(root, workers=1)
    install_scorer(paths.user_models_dir())
    return root


def counts(root: Path) -> dict[str, int]:
    with Catalog.open(root) as catalog:
        return {table: catalog.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("photo_analysis", "photo_scores", "photo_cues", "photo_embeddings", "faces", "bursts")}


def test_first_run_stores_scores_cues_faces_and_bursts_for_every_photo(library: Path):
    events = []
    report = analyze(library, on_event=events.append)
    kinds = [type(e) for e in events]
    assert kinds[0] is AnalysisStarted and kinds[-1] is AnalysisFinished and GroupingStarted in kinds
    assert kinds.count(PhotoAnalyzed) == PHOTOS and events[-1].report is report
    assert (report.analysed, report.skipped, report.errors, report.cancelled) == (PHOTOS, 0, 0, False)
    assert events[0].provider == "CPU" and "technical: tiny_quality" in events[0].models
    with Catalog.open(library) as catalog:
        results = read_analyses(catalog)
        portrait = analysis_of(catalog, catalog.photo_by_path("portrait.jpg").id)
        frames = [results[catalog.photo_by_path(f"burst/frame_{i}.jpg").id] for i in (1, 2, 3)]
        providers = {row[0] for row in catalog.conn.execute("SELECT provider FROM photo_analysis")}
    assert len(results) == PHOTOS and providers == {"CPU"}
    assert all(r.status == "ok" and r.sort_task == "technical" and r.sort_score is not None for r in results.values())
    assert all(r.scores[0].model == "tiny_quality" and r.cues is not None for r in results.values())
    # The astronaut: one prominent face with open eyes, drawn in the upper part of the photo.
    assert portrait is not None and len(portrait.faces) >= 1 and portrait.eyes_closed is False
    face = portrait.faces[0]
    assert face.prominent and face.right_eye_openness > 0.2 and 0 <= face.box[0] < face.box[2] <= 1
    assert face.box[3] < 0.6 and portrait.sharpness_region == "eyes"
    # The three frames are one burst; the blurred middle frame is not the best and says why.
    assert {f.burst.kind for f in frames} == {"burst"} and len({f.burst.group_id for f in frames}) == 1
    assert not frames[1].burst.is_best and frames[1].burst.rank == 3
    assert frames[1].blurry and blur_words(frames[1].blur_reason) in frames[1].burst.reasons
    assert counts(library)["bursts"] == PHOTOS


def test_cancel_mid_run_keeps_finished_photos_and_the_next_run_resumes(library: Path):
    control = AnalysisControl()

    def cancel_after_two(event) -> None:
        if isinstance(event, PhotoAnalyzed) and event.done == 2:
            control.cancel()

    first = analyze(library, batch_size=1, control=control, on_event=cancel_after_two)
    assert first.cancelled and first.analysed == 2
    stored = counts(library)
    assert stored["photo_analysis"] == 2 and stored["photo_scores"] == 2 and stored["bursts"] == 0, "no grouping yet"
    second = analyze(library)
    assert (second.total, second.skipped, second.analysed, second.cancelled) == (PHOTOS - 2, 2, PHOTOS - 2, False)
    stored = counts(library)
    assert stored["photo_analysis"] == stored["photo_scores"] == stored["photo_cues"] == stored["bursts"] == PHOTOS
    third = analyze(library)
    assert (third.total, third.skipped) == (0, PHOTOS)
    assert counts(library) == stored, "nothing duplicated or lost by a run with nothing to do"


def test_pause_holds_the_run_until_resumed(library: Path):
    control = AnalysisControl()
    seen: list[bool] = []

    def pause_then_resume(event) -> None:
        if isinstance(event, PhotoAnalyzed):
            seen.append(control.paused)
            if event.done == 1:
                control.pause()
                assert control.paused
                control.resume()

    report = analyze(library, batch_size=1, control=control, on_event=pause_then_resume)
    assert report.analysed == PHOTOS and not any(seen)


def test_changing_the_model_set_reanalyses_and_replaces_old_rows(library: Path):
    analyze(library)
    install_embedding(paths.user_models_dir())
    report = analyze(library)
    assert (report.total, report.skipped) == (PHOTOS, 0)
    with Catalog.open(library) as catalog:
        models = {row[0] for row in catalog.conn.execute("SELECT DISTINCT model FROM photo_embeddings")}
        signatures = {row[0] for row in catalog.conn.execute("SELECT model_set FROM photo_analysis")}
        known_sets = catalog.conn.execute("SELECT COUNT(*) FROM model_sets").fetchone()[0]
    assert models == {"descriptor", "tiny_embedding"} and len(signatures) == 1 and known_sets == 2
    assert counts(library)["photo_embeddings"] == 2 * PHOTOS


def test_bad_models_are_refused_with_reasons_and_the_run_goes_on(library: Path):
    user = paths.user_models_dir()
    install_model(user, "not_onnx", task="aesthetic", training_data="AVA aesthetic ratings", onnx_bytes=b"garbage")
    install_fixed_batch_scorer(user, "batch_one")  # newer than tiny_quality, so the registry prefers it
    report = analyze(library)
    assert report.analysed == PHOTOS and report.errors == 0
    assert any("not_onnx" in reason for reason in report.refused)
    assert any("batch_one" in reason and "test run" in reason for reason in report.refused)
    assert "technical: tiny_quality" in report.models, "the next technical model serves instead"


def test_a_photo_that_no_longer_decodes_is_recorded_and_the_run_goes_on(library: Path):
    damaged = library / "coffee.jpg"
    damaged.write_bytes(damaged.read_bytes()[:2000])  # truncated after the scan
    report = analyze(library)
    assert (report.analysed, report.errors, report.error_paths) == (PHOTOS - 1, 1, ["coffee.jpg"])
    with Catalog.open(library) as catalog:
        row = catalog.conn.execute(
            "SELECT status, error_reason, error_message FROM photo_analysis WHERE file_path = 'coffee.jpg'").fetchone()
    assert row[0] == "error" and row[1] == "truncated" and row[2]
    assert analyze(library).total == 0, "the same damaged file is not retried"
    scan_library(library, workers=1)  # the scan notices the change; the photo leaves the catalog's ok set
    assert analyze(library).errors == 0


def test_an_unscanned_library_is_reported(tmp_path: Path):
    with pytest.raises(CatalogNotFound):
        analyze_library(tmp_path)


def test_removing_a_photo_removes_its_results(library: Path):
    analyze(library)
    (library / "coffee.jpg").unlink()
    scan_library(library, workers=1)
    assert counts(library)["photo_analysis"] == PHOTOS - 1
    with Catalog.open(library) as catalog:
        orphans = catalog.conn.execute("SELECT COUNT(*) FROM photo_cues WHERE photo_id NOT IN (SELECT id FROM photos)")
        assert orphans.fetchone()[0] == 0


def test_a_bad_sensitivity_is_refused_before_any_work(library: Path):
    with pytest.raises(ValueError):
        analyze(library, sensitivity=1.5)
    assert counts(library)["photo_analysis"] == 0
