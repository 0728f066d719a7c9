"""The app's analysis runs in a child process: events come back, pause/cancel reach it, failures are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.analysis import AnalysisControl, AnalysisFinished, AnalysisStarted, PhotoAnalyzed
from engine.scan import scan_library
from engine.settings import AppSettings
from photo_factory import make_jpeg
from photocull.analysis_process import run_in_process


def test_child_process_analysis_reports_every_photo_and_its_device(tmp_path: Path):
    for i in range(3):
        make_jpeg(tmp_path / "lib" / f"IMG_{i}.jpg", size=(200, 150), seed=i, taken=f"2024:01:01 10:00:0{i}")
    scan_library(tmp_path / "lib")
    events = []
    report = run_in_process(tmp_path / "lib", AppSettings(device="cpu"), AnalysisControl(), events.append)
    assert isinstance(events[0], AnalysisStarted) and events[0].provider == "CPU"
    assert sorted(e.done for e in events if isinstance(e, PhotoAnalyzed)) == [1, 2, 3]
    assert isinstance(events[-1], AnalysisFinished)
    assert report.analysed == 3 and not report.cancelled


def test_cancel_from_the_gui_side_stops_the_child(tmp_path: Path):
    for i in range(3):
        make_jpeg(tmp_path / "lib" / f"IMG_{i}.jpg", seed=i)
    scan_library(tmp_path / "lib")
    control = AnalysisControl()
    control.cancel()
    report = run_in_process(tmp_path / "lib", AppSettings(device="cpu"), control, lambda event: None)
    assert report.cancelled and report.analysed < 3


def test_a_failing_analysis_raises_with_the_childs_message(tmp_path: Path):
    (tmp_path / "never-scanned").mkdir()
    with pytest.raises(RuntimeError, match="CatalogNotFound"):
        run_in_process(tmp_path / "never-scanned", AppSettings(), AnalysisControl(), lambda event: None)
