"""``photocull-cli analyze``, ``models`` and the analysis fields of ``list``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

import engine.personalize as taste
from engine.analysis import PhotoAnalyzed, read_analyses
from engine.analysis.storage import read_sort_scores
from engine.cli import EXIT_INTERRUPTED, main
from engine.cli import analyze as analyze_command
from engine.cli.listing import FIELDS
from engine.config import paths
from engine.library.catalog import Catalog
from tests.helpers.analysis_library import burst_library, install_scorer
from tests.helpers.onnx_factory import install_model
from tests.helpers.personal_library import DIM, analysed_catalog, decide, taste_decisions


@pytest.fixture
def library(tmp_path: Path) -> Path:
    install_scorer(paths.user_models_dir())
    return burst_library(tmp_path / "library")


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_analyze_scans_first_then_list_json_carries_scores_faces_and_bursts(library: Path, capsys):
    code, _, err = cli(capsys, "analyze", str(library), "--device", "cpu", "--threads", "1", "--sensitivity", "0.5")
    assert code == 0 and "models on CPU" in err and "5 photos analysed" in err
    code, out, _ = cli(capsys, "list", str(library), "--format", "json", "--sort", "score")
    document = json.loads(out)
    photos = document["photos"]
    assert code == 0 and document["schema"] == "photocull.list/2" and document["sort"] == "score"
    assert all(list(p) == list(FIELDS) for p in photos) and "0–100" in document["score_meaning"]
    scores = [p["score"] for p in photos]
    assert None not in scores and scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores)
    assert all(p["score_raw"] == pytest.approx(p["analysis"]["sort_score"], abs=1e-3) for p in photos)
    ranks = [p["shoot_rank"] for p in photos]
    assert ranks[0] == 100.0 and ranks[-1] == 0.0 and ranks == sorted(ranks, reverse=True)
    with Catalog.open(library) as catalog:   # the ranking's one-query read agrees with the full analyses
        analyses = read_analyses(catalog)
        assert read_sort_scores(catalog) == {
            pid: (a.sort_score, next((s.model, s.model_sha256) for s in a.scores if s.task == a.sort_task))
            for pid, a in analyses.items() if a.sort_score is not None}
    assert {(p["score_task"], p["score_scale"], p["personal_score"]) for p in photos} == {("technical", "fallback", None)}, \
        "the test model's manifest has no reference; no personal model is on"
    by_path = {p["path"]: p for p in photos}
    portrait = by_path["portrait.jpg"]["analysis"]
    assert portrait["faces"] and portrait["faces"][0]["right_eye_openness"] is not None
    assert by_path["portrait.jpg"]["eyes_closed"] is False and portrait["cues"]["subject_sharpness"] > 0
    frames = [by_path[f"burst/frame_{i}.jpg"] for i in (1, 2, 3)]
    assert {f["burst_kind"] for f in frames} == {"burst"} and sorted(f["burst_rank"] for f in frames) == [1, 2, 3]
    assert sum(f["is_best"] for f in frames) == 1 and not frames[1]["is_best"], "the blurred frame loses"
    assert frames[1]["blurry"] and frames[1]["burst_reasons"] and all(f["burst_reasons"] for f in frames if f["is_best"])
    assert {s["model"] for s in portrait["scores"]} >= {"tiny_quality"}


def test_list_csv_flattens_the_analysis(library: Path, capsys):
    main(["analyze", str(library), "--quiet"])
    _, out, _ = cli(capsys, "list", str(library), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(FIELDS)
    assert all(json.loads(row["analysis"])["status"] == "ok" for row in rows)


def test_ctrl_c_exits_130_and_the_next_run_resumes(library: Path, capsys, monkeypatch: pytest.MonkeyPatch):
    show = analyze_command._show

    def interrupt_after_two(event, bar, quiet):
        show(event, bar, quiet)
        if isinstance(event, PhotoAnalyzed) and event.done == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(analyze_command, "_show", interrupt_after_two)
    code, _, err = cli(capsys, "analyze", str(library), "--workers", "1")
    assert code == EXIT_INTERRUPTED and "interrupted" in err
    monkeypatch.setattr(analyze_command, "_show", show)  # (not undo(): that would also undo the XDG isolation)
    code, _, err = cli(capsys, "analyze", str(library))
    assert code == 0 and "3 photos to analyse, 2 already analysed" in err


def test_analyze_reports_unreadable_files_with_exit_code_1(library: Path, capsys):
    (library / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    code, _, _ = cli(capsys, "analyze", str(library), "--quiet")
    assert code == 1


def test_models_lists_in_use_and_refused_models_and_the_provider(capsys):
    install_scorer(paths.user_models_dir())
    install_model(paths.user_models_dir(), "broken_model", onnx_bytes=b"not onnx")
    code, out, _ = cli(capsys, "models", "--device", "cpu", "--format", "json")
    document = json.loads(out)
    rows = {row["name"]: row for row in document["models"]}
    assert code == 0 and document["schema"] == "photocull.models/1" and document["provider"] == "CPU"
    assert rows["tiny_quality"]["status"] == "in use" and rows["tiny_quality"]["origin"] == "user"
    assert rows["face_detection_full_range"]["origin"] == "shipped" and len(rows["tiny_quality"]["sha256"]) == 12
    assert rows["broken_model"]["status"] == "refused" and "not a loadable ONNX model" in rows["broken_model"]["reason"]
    assert "technical" in document["sort"] and document["personal_model"] is None
    code, out, _ = cli(capsys, "models")
    assert code == 0 and "provider: CPU" in out and "refused" in out


def test_list_sort_personal_and_personal_score_in_every_format(tmp_path: Path, capsys):
    catalog, vectors = analysed_catalog(tmp_path / "lib", 120)
    root = str(catalog.root)
    code, out, _ = cli(capsys, "list", root, "--format", "json", "--sort", "personal")
    before = json.loads(out)["photos"]
    assert code == 0 and all(p["personal_score"] is None for p in before), "null while no personal model is on"
    assert [p["id"] for p in before] == [p["id"] for p in sorted(before, key=lambda p: -p["score_raw"])], \
        "without personal scores the order falls back to the score"
    code, out, _ = cli(capsys, "models", "--library", root, "--format", "json")
    assert json.loads(out)["personal_model"]["on"] is False
    direction = np.zeros(DIM)
    direction[0] = 1.0
    decide(catalog, taste_decisions(vectors, list(range(1, 101)), direction, noise=0.2))
    assert taste.personalize(catalog).status == "active"
    expected = taste.personal_scores(catalog)
    catalog.close()
    _, out, _ = cli(capsys, "list", root, "--format", "json", "--sort", "personal")
    photos = json.loads(out)["photos"]
    personal = [p["personal_score"] for p in photos]
    assert None not in personal and personal == sorted(personal, reverse=True)
    assert (min(personal), max(personal)) == (0.0, 100.0), "a rank in this library on 0..100"
    assert all(p["personal_score"] == pytest.approx((expected[p["id"]] - 1) * 100 / 9, abs=0.05) for p in photos)
    _, out, _ = cli(capsys, "list", root, "--format", "csv", "--sort", "personal")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [float(r["personal_score"]) for r in rows] == personal
    _, out, _ = cli(capsys, "list", root, "--sort", "personal")
    assert out.splitlines()[0].split()[7:9] == ["score", "personal_score"]
    _, out, _ = cli(capsys, "models", "--library", root, "--format", "json")
    state = json.loads(out)["personal_model"]
    assert state["on"] is True and state["decisions"] == 100 and 0.5 < state["held_out_accuracy"] <= 1.0
    assert state["message"].startswith("Personal model: on; trained on 100 decisions")
    _, out, _ = cli(capsys, "models", "--library", root)
    assert "Personal model: on; trained on 100 decisions" in out
