"""Background work: the scan/analysis process and its progress, pause and cancel, and the model search.

Opening a folder reads what the catalog knows first (:mod:`photocull.controllers.library`);
then one child process scans for changes and analyses (:mod:`photocull.library_process`)
and streams back the photos that changed, which the library controller merges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QProgressBar, QToolButton

from engine.analysis import AnalysisControl, AnalysisStarted, GroupingStarted, PhotoAnalyzed
from engine.culling.score_words import sort_explanation
from engine.library.photo_changes import PhotoChanges
from photocull import analysis_hook
from photocull.library_process import SCAN, ScanFinished, ScanProgress
from photocull.workers import EngineJob

if TYPE_CHECKING:
    from photocull.main_window import MainWindow


class BackgroundWork:
    def __init__(self, window: MainWindow):
        self.window = window
        self.control = AnalysisControl()   # pause/cancel of the running scan or analysis
        self.busy: set[str] = set()        # "load", "scan", "analysis": background stages running
        self.refresh_pending = False
        self.registry = None
        self.device_text = "CPU"
        self.scan_errors = 0
        self.analysis_report = None
        self._build_status_bar()

    def _build_status_bar(self) -> None:
        status = self.window.statusBar()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(False)
        self.pause_button = QToolButton(text="Pause", checkable=True)
        self.pause_button.toggled.connect(self.set_paused)
        self.cancel_button = QToolButton(text="Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.device_label = QLabel("Scoring: CPU")
        for widget in (self.progress, self.pause_button, self.cancel_button, self.device_label):
            status.addPermanentWidget(widget)
        self.show_progress(False)

    @property
    def working(self) -> bool:
        return bool(self.busy) or self.refresh_pending

    def start(self, stages: tuple[str, ...]) -> None:
        """Scan and/or analyse in the background process; its events arrive in :meth:`work_event`."""
        window = self.window
        self.show_progress(True, "Scanning…" if SCAN in stages else "Analysing…")
        window.jobs.start(EngineJob(analysis_hook.run_library_work, window.session.root, window.settings, self.control,
                                    stages, with_events=True),
                          finished=self.work_done, failed=self.failed, event=self.work_event)

    def work_event(self, event) -> None:
        if self.window.session is None:   # delivered after the window closed
            return
        if isinstance(event, PhotoChanges):
            self.window.library.merge(event)
        elif isinstance(event, ScanProgress):
            self.stage_progress("Scanning", event.done, event.total, event.path)
        elif isinstance(event, ScanFinished):
            self.busy.discard("scan")
            if event.report.cancelled:
                self.busy.discard("analysis")
        elif isinstance(event, AnalysisStarted):
            self.device_text = event.provider + (f" ({event.provider_note})" if event.provider_note else "")
            self.device_label.setText(f"Scoring: {self.device_text}")
            self.device_label.setToolTip(self.window.filters.score_tip)
        elif isinstance(event, PhotoAnalyzed):
            self.stage_progress("Analysing", event.done, event.total, event.path)
        elif isinstance(event, GroupingStarted):
            self.window.say(f"Grouping {event.photos} photos into bursts…")

    def work_done(self, report) -> None:
        self.busy -= {"scan", "analysis"}
        if self.window.session is None:
            return
        if report.scan is not None:
            self.scan_errors = report.scan.errors
        self.analysis_report = report.analysis
        if report.scan is not None and report.scan.cancelled or report.analysis is not None and report.analysis.cancelled:
            self.show_progress(False)
            self.window.say("Stopped; what was done so far is shown.")
            return
        self.show_progress(False)
        self.window.say(self.summary())

    def summary(self) -> str:
        """"1103 photos, 5 bursts", and the unreadable files if any."""
        session, report = self.window.session, self.analysis_report
        message = f"{len(session.photos)} photos"
        if report is not None and report.groups:
            message += f", {report.groups} burst{'s' if report.groups != 1 else ''}"
        if self.scan_errors:
            message += f", {self.scan_errors} unreadable files (photocull-cli errors {session.root})"
        return message

    def stage_progress(self, stage: str, done: int, total: int, text: str) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        paused = " (paused)" if self.control.paused else ""
        self.window.say(f"{stage} {done}/{total}{paused}  {text}")

    def failed(self, message: str) -> None:
        self.busy.clear()
        self.refresh_pending = False
        self.show_progress(False)
        self.window.say(f"Background work failed: {message}")

    def show_progress(self, visible: bool, text: str = "") -> None:
        for widget in (self.progress, self.pause_button, self.cancel_button):
            widget.setVisible(visible)
        if visible:
            self.progress.setValue(0)
            self.pause_button.setChecked(False)
            self.window.say(text)

    def set_paused(self, paused: bool) -> None:
        (self.control.pause if paused else self.control.resume)()
        self.pause_button.setText("Resume" if paused else "Pause")
        self.window.say("Paused." if paused else "Resumed.")

    def cancel(self) -> None:
        self.control.cancel()
        self.window.say("Stopping…")

    def stop(self) -> None:
        """Cancel background work and wait for it (jobs stop within one item)."""
        self.control.cancel()
        self.window.pool.waitForDone()
        self.busy.clear()

    def restart(self) -> None:
        """A fresh pause/cancel switch for the next library."""
        self.control = AnalysisControl()

    # -- models and device ------------------------------------------------------------------

    def find_models(self) -> None:
        self.window.jobs.start(EngineJob(analysis_hook.find_models, self.window.settings), finished=self.models_found)

    def models_found(self, found) -> None:
        self.registry, device = found
        self.device_text = device
        self.device_label.setText(f"Scoring: {device}")
        sort = self.registry.sort_score()
        self.device_label.setToolTip(sort_explanation("score", sort.task))
        self.window.filters.describe_score_sort(sort)
