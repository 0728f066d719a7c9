"""``photocull-cli analyze``, ``models`` and the analysis fields of ``list``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from engine.analysis import PhotoAnalyzed
from engine.cli import EXIT_INTERRUPTED, main
from engine.cli import analyze as analyze_command
from engine.cli.listing import FIELDS
from engine.config import paths
from tests.helpers.analysis_library import burst_library, install_scorer
from tests.helpers.onnx_factory import install_model


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
    assert code == 0 and document["schema"] == "photocull.list/1" and document["sort"] == "score"
    assert all(list(p) == list(FIELDS) for p in photos)
    scores = [p["sort_score"] for p in photos]
    assert None not in scores and scores == sorted(scores, reverse=True)
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
    assert code == 0 and document["schema"] == "photocull.photo_list_model/1" and document["provider"] == "CPU"
    assert rows["tiny_quality"]["status"] == "in use" and rows["tiny_quality"]["origin"] == "user"
    assert rows["face_detection_full_range"]["origin"] == "shipped" and len(rows["tiny_quality"]["sha256"]) == 12
    assert rows["broken_model"]["status"] == "refused" and "not a loadable ONNX model" in rows["broken_model"]["reason"]
    assert "technical" in document["sort"]
    code, out, _ = cli(capsys, "models")
    assert code == 0 and "provider: CPU" in out and "refused" in out
