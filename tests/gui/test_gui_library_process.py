"""The app's scan and analysis run in a child process: progress, photo changes and reports come back,
pause/cancel reach it, failures are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.analysis import AnalysisControl, AnalysisFinished, AnalysisStarted, PhotoAnalyzed, read_analyses
from engine.config.settings import AppSettings
from engine.library.catalog import Catalog
from engine.library.photo_changes import PhotoChanges
from engine.library.scan import scan_library
from photocull.library_process import ANALYSE, SCAN, ScanFinished, ScanProgress, run_in_process
from tests.helpers.photo_factory import make_jpeg


def test_child_process_analysis_reports_every_photo_and_its_device(tmp_path: Path):
    for i in range(3):
        make_jpeg(tmp_path / "lib" / f"IMG_{i}.jpg", size=(200, 150), seed=i, taken=f"2024:01:01 10:00:0{i}")
    scan_library(tmp_path / "lib")
    events = []
    report = run_in_process(tmp_path / "lib", AppSettings(device="cpu"), AnalysisControl(), events.append)
    assert isinstance(events[0], AnalysisStarted) and events[0].provider == "CPU"
    assert sorted(e.done for e in events if isinstance(e, PhotoAnalyzed)) == [1, 2, 3]
    assert isinstance(next(e for e in reversed(events) if not isinstance(e, PhotoChanges)), AnalysisFinished)
    assert report.analysis.analysed == 3 and not report.analysis.cancelled and report.scan is None
    scored = {p.id for change in events if isinstance(change, PhotoChanges) for p in change.changed
              if p.insight.score is not None}
    assert len(scored) == 3, "the new scores stream back as photo changes"


def test_scan_then_analyse_streams_new_photos_and_only_what_changed(tmp_path: Path):
    library = tmp_path / "lib"
    for i in range(4):
        make_jpeg(library / f"IMG_{i}.jpg", size=(160, 120), seed=i, taken=f"2024:01:01 10:00:0{i}")
    Catalog.open(library).close()   # the window opens (creates) the catalog before the work starts
    events = []
    report = run_in_process(library, AppSettings(device="cpu"), AnalysisControl(), events.append, stages=(SCAN, ANALYSE))
    progress = [e for e in events if isinstance(e, ScanProgress)]
    assert progress and progress[-1].done == progress[-1].total == 4
    finished = next(i for i, e in enumerate(events) if isinstance(e, ScanFinished))
    new = [p for e in events[:finished + 2] if isinstance(e, PhotoChanges) for p in e.changed]
    assert sorted(p.name for p in new) == [f"IMG_{i}.jpg" for i in range(4)], "scanned photos arrive before analysis"
    assert report.scan.decoded == 4 and report.analysis.analysed == 4
    again = []
    run_in_process(library, AppSettings(device="cpu"), AnalysisControl(), again.append, stages=(SCAN, ANALYSE))
    assert not [e for e in again if isinstance(e, PhotoChanges)], "nothing changed, nothing is sent"


def test_cancel_from_the_gui_side_stops_the_child(tmp_path: Path):
    for i in range(3):
        make_jpeg(tmp_path / "lib" / f"IMG_{i}.jpg", seed=i)
    scan_library(tmp_path / "lib")
    control = AnalysisControl()
    control.cancel()
    report = run_in_process(tmp_path / "lib", AppSettings(device="cpu"), control, lambda event: None)
    with Catalog.open(tmp_path / "lib") as catalog:
        assert len(read_analyses(catalog)) < 3
    assert report.analysis is None or report.analysis.cancelled, "cancelled before or during the analysis"


def test_a_failing_analysis_raises_with_the_childs_message(tmp_path: Path):
    (tmp_path / "never-scanned").mkdir()
    with pytest.raises(RuntimeError, match="CatalogNotFound"):
        run_in_process(tmp_path / "never-scanned", AppSettings(), AnalysisControl(), lambda event: None)
