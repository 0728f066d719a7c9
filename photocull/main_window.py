"""The main window: wires the views, the session and the background work together.

It holds no culling logic: key presses become :class:`CullingSession` calls
(engine), results are re-rendered. Long work (reading the catalog, scanning,
analysing, writing sidecars, finding models) runs as :class:`EngineJob`s.

Background flow after opening a folder: read what the catalog already knows
(thumbnails appear at once from the cache) → one child process scans for
changes, then analyses (:mod:`photocull.library_process`), and streams back the
photos that changed; the window merges those (:meth:`CullingSession.merge`) and
repaints only their tiles unless rows were added, removed or reordered.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QItemSelectionModel, Qt, QThreadPool
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QToolButton,
)

from engine import personalize as taste
from engine.analysis import AnalysisControl, AnalysisStarted, GroupingStarted, PhotoAnalyzed
from engine.analysis.focus_region import sharpest_region
from engine.analysis.storage import read_analyses
from engine.config.settings import AppSettings, save_settings
from engine.culling.filters import DEFAULT_SCORE_BOUNDS, PhotoFilter, score_bounds
from engine.culling.keymap import DECISION_KEYS, VIEW_KEYS
from engine.culling.session import CullingSession, read_photos
from engine.culling.sorting import SORT_LABELS, available_sorts
from engine.decisions import sidecars
from engine.inference.registry import ModelRegistry
from engine.library.catalog import Catalog
from engine.library.photo_changes import PhotoChanges
from photocull import analysis_hook
from photocull.auto_cull_dialog import AutoCullDialog
from photocull.calibrate_dialog import CalibrateDialog
from photocull.library_process import ANALYSE, SCAN, ScanFinished, ScanProgress
from photocull.personalize_menu import UNAVAILABLE, calibration_pairs, personalize_function, run_personalize
from photocull.photo_list_model import PhotoListModel
from photocull.settings_dialog import SettingsDialog
from photocull.views.compare import CompareView
from photocull.views.grid import GridView
from photocull.views.loupe import LoupeView
from photocull.workers import PREVIEW_CACHE_ITEMS, EngineJob, JobRunner, PreviewLoader, ThumbnailLoader, preview_path

PERSONAL_MODEL_FILES = "Personal model (*.npz)"
SURVEY_MAX = PREVIEW_CACHE_ITEMS   # more panes than cached previews would evict each other forever
FLAG_FILTERS = (("All photos", None), ("Picks", frozenset({1})), ("Picks + unflagged", frozenset({1, 0})),
                ("Unflagged", frozenset({0})), ("Rejects", frozenset({-1})))
LABEL_FILTERS = (("Any label", None), ("Red", frozenset({"Red"})), ("Yellow", frozenset({"Yellow"})),
                 ("Green", frozenset({"Green"})), ("Blue", frozenset({"Blue"})), ("No label", frozenset({None})))


class MainWindow(QMainWindow):
    def __init__(self, settings: AppSettings | None = None, *, save: bool = True):
        super().__init__()
        self.settings = settings or AppSettings()
        self.persist = save
        self.setWindowTitle("photocull")
        self.resize(1280, 820)
        self.setAcceptDrops(True)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(4)
        self.jobs = JobRunner(self.pool, self)
        self.session: CullingSession | None = None
        self.control = AnalysisControl()   # pause/cancel of the running scan or analysis
        self.registry: ModelRegistry | None = None
        self.device_text = "CPU"
        self.busy: set[str] = set()          # "load", "scan", "analysis": background stages running
        self._refresh_pending = False
        self.score_range = DEFAULT_SCORE_BOUNDS
        self.thumbnails = ThumbnailLoader(self.pool, self)
        self.previews = PreviewLoader(self.pool, self)
        self.model = PhotoListModel(self.thumbnails, self)
        self._build_views()
        self._build_toolbar()
        self._build_status_bar()
        self._build_actions()
        self._apply_settings_to_views()
        self._find_models()

    # -- construction -------------------------------------------------------------------

    def _build_views(self) -> None:
        self.grid = GridView(self)
        self.grid.setModel(self.model)
        self.grid.doubleClicked.connect(lambda index: self.show_loupe(index.row()))
        self.grid.selectionModel().currentChanged.connect(self._grid_current_changed)
        self.view = self.grid  # the grid is "the view" for older callers
        self.loupe = LoupeView(self.previews, self)
        self.compare = CompareView(self.previews, self)
        self.loupe.frames_for = lambda photo: self.session.burst_members(photo.id)
        for strip in (self.loupe.face_strip, self.compare.face_strip):
            strip.analyses = lambda ids: read_analyses(self.session.catalog, ids) if self.session else {}
        self.welcome = QLabel("Open a folder of photos (Ctrl+O), or drop one here.")
        self.welcome.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.welcome.setStyleSheet("color: #8c8c8c; font-size: 15px;")
        self.stack = QStackedWidget(self)
        for page in (self.welcome, self.grid, self.loupe, self.compare):
            self.stack.addWidget(page)
        self.setCentralWidget(self.stack)
        self.current_row = 0

    def _grid_current_changed(self, current, previous) -> None:
        if current.isValid():
            self.current_row = current.row()

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Library")
        bar.setMovable(False)
        bar.addAction(self._action("Open…", self.choose_folder, QKeySequence.StandardKey.Open))
        bar.addWidget(QLabel("Sort"))
        self.sort_box = QComboBox()
        self.score_label = SORT_LABELS["score"]
        self._fill_sort_box(available_sorts([]))
        self.sort_box.currentIndexChanged.connect(lambda: self.set_sort(self.sort_box.currentData()))
        bar.addWidget(self.sort_box)
        self.bursts_button = self._toggle("Bursts collapsed", "Show each burst as its best frame (Return expands one)")
        self.bursts_button.setChecked(True)
        self.bursts_button.toggled.connect(self.set_collapse_bursts)
        bar.addWidget(self.bursts_button)
        bar.addSeparator()
        self.auto_cull_button = QPushButton("Auto-cull…")
        self.auto_cull_button.setToolTip("Suggest picks (best of each burst) and rejects (eyes closed, subject soft) "
                                         "for you to confirm")
        self.auto_cull_button.clicked.connect(self.open_auto_cull)
        bar.addWidget(self.auto_cull_button)
        self.personalize_button = QPushButton("Personalize from my picks")
        self.personalize_button.clicked.connect(self.personalize)
        self._update_personalize_button()
        bar.addWidget(self.personalize_button)
        bar.addAction(self._action("Settings…", self.open_settings, QKeySequence.StandardKey.Preferences))
        self._build_filter_bar()

    def _build_filter_bar(self) -> None:
        self.addToolBarBreak()
        bar = self.addToolBar("Filter")
        bar.setMovable(False)
        bar.addWidget(QLabel("Show"))
        # (filter values are looked up by index: PySide 6.12 on Python 3.11 mis-counts references
        #  when a None item data crosses QVariant, so None never goes into a combo box)
        self.flag_box = _combo(text for text, _ in FLAG_FILTERS)
        self.stars_box = _combo(["Any stars"] + [f"≥ {n}★" for n in range(1, 6)])
        self.label_box = _combo(text for text, _ in LABEL_FILTERS)
        for box in (self.flag_box, self.stars_box, self.label_box):
            box.currentIndexChanged.connect(self.apply_filter_controls)
            bar.addWidget(box)
        self.eyes_button = self._toggle("Eyes closed", "Only photos where analysis found closed eyes")
        self.blurry_button = self._toggle("Blurry", "Only photos whose subject analysis found soft")
        for button in (self.eyes_button, self.blurry_button):
            button.toggled.connect(self.apply_filter_controls)
            bar.addWidget(button)
        bar.addWidget(QLabel("Score"))
        self.score_min, self.score_max = _score_spin(*self.score_range, 0), _score_spin(*self.score_range, 1)
        for spin in (self.score_min, self.score_max):
            spin.valueChanged.connect(self.apply_filter_controls)
            bar.addWidget(spin)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(False)
        self.pause_button = QToolButton(text="Pause", checkable=True)
        self.pause_button.toggled.connect(self.set_paused)
        self.cancel_button = QToolButton(text="Cancel")
        self.cancel_button.clicked.connect(self.cancel_work)
        self.device_label = QLabel("Scoring: CPU")
        for widget in (self.progress, self.pause_button, self.cancel_button, self.device_label):
            status.addPermanentWidget(widget)
        self._show_progress(False)
        self.say("Open a folder of photos to start.")

    def _build_actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self._action("Open folder…", self.choose_folder))
        self.recent_menu = file_menu.addMenu("Open recent")
        self._fill_recent_menu()
        file_menu.addAction(self._action("Write sidecars now", self.write_all_sidecars, "Ctrl+S"))
        file_menu.addAction(self._action("Quit", self.close, QKeySequence.StandardKey.Quit))
        edit = menu.addMenu("&Edit")
        edit.addAction(self._action("Undo", self.undo, "Ctrl+Z"))
        edit.addAction(self._action("Redo", self.redo, "Ctrl+Shift+Z"))
        self._build_personalize_menu(menu.addMenu("P&ersonalize"))
        photo = menu.addMenu("&Photo")
        for key, binding in DECISION_KEYS.items():
            photo.addAction(self._action(binding.description.capitalize(), lambda _checked=False, k=key: self.apply_key(k), key))
        view = menu.addMenu("&View")
        for key, slot in (("G", self.show_grid), ("E", lambda: self.show_loupe()), ("C", lambda: self.show_compare("2-up")),
                          ("N", lambda: self.show_compare("survey")), ("B", lambda: self.show_compare("burst")),
                          ("Z", self.loupe_toggle_zoom), ("F", self.loupe_next_face), ("S", self.loupe_sharpest),
                          ("V", self.toggle_face_strip),
                          ("Return", self.toggle_burst), ("Escape", self.show_grid)):
            view.addAction(self._action(VIEW_KEYS.get(key, "back to the grid").capitalize(), slot, key))
        for widget in (self.loupe, self.compare):
            for key, step in (("Left", -1), ("Right", 1), ("Up", -1), ("Down", 1)):
                shortcut = QShortcut(QKeySequence(key), widget, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(lambda s=step: self.step(s))

    def _build_personalize_menu(self, menu) -> None:
        menu.addAction(self._action("Personalize from my picks", self.personalize))
        menu.addAction(self._action("Help me calibrate…", self.calibrate))
        menu.addSeparator()
        menu.addAction(self._action("Export personal model…", lambda: self.export_personal_model()))
        menu.addAction(self._action("Import personal model…", lambda: self.import_personal_model()))
        menu.addAction(self._action("Reset personal model", self.reset_personal_model))

    def _action(self, text: str, slot: Callable, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even where no menu is visible
        return action

    def _toggle(self, text: str, tip: str) -> QToolButton:
        button = QToolButton(text=text, checkable=True)
        button.setToolTip(tip)
        return button

    # -- opening a library ----------------------------------------------------------------

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open folder")
        if folder:
            self.open_folder(Path(folder))

    def open_folder(self, folder: Path) -> None:
        """Show what the catalog knows at once, then scan and analyse in the background."""
        folder = Path(folder).expanduser().resolve()
        if not folder.is_dir():
            self.say(f"{folder} is not a folder.")
            return
        self.stop_work()
        if self.session is not None:
            self.session.close()
        self.control = AnalysisControl()
        self.session = CullingSession(Catalog.open(folder), self.settings)
        self.session.state.collapse_bursts = self.bursts_button.isChecked()
        self.thumbnails.set_root(self.session.root)
        self.previews.set_root(self.session.root)
        self.model.set_session(self.session)
        self.stack.setCurrentWidget(self.grid)
        self.setWindowTitle(f"photocull — {self.session.root}")
        self._remember(folder)
        self.busy = {"load", "scan", "analysis"}
        self._reload(then=lambda: self._start_work((SCAN, ANALYSE)))

    def _remember(self, folder: Path) -> None:
        self.settings = self.settings.with_recent(folder)
        if self.persist:
            save_settings(self.settings)
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for entry in self.settings.recent_libraries:
            self.recent_menu.addAction(entry, lambda _checked=False, e=entry: self.open_folder(Path(e)))
        self.recent_menu.setEnabled(bool(self.settings.recent_libraries))

    def _reload(self, then: Callable[[], None] | None = None) -> None:
        """Re-read the catalog in a worker, then show it (keeping the cursor and selection)."""
        if self.session is None:   # a job finished after the window closed
            return
        root = self.session.root
        self._refresh_pending = True

        def read(root: Path = root):
            with Catalog.open(root) as catalog:
                return root, read_photos(catalog)

        def done(result) -> None:
            self._refresh_pending = False
            loaded_root, photos = result
            if self.session is None or loaded_root != self.session.root:
                return
            self._show_photos(photos)
            self.busy.discard("load")
            if then is not None:
                then()

        self.jobs.start(EngineJob(read), finished=done, failed=self._failed)

    def _show_photos(self, photos) -> None:
        keep_current = self.model.photo_at(self.current_row)
        selected = self.selected_ids()
        self.session.set_photos(photos)
        self.model.reset()
        self._restore_selection(selected, keep_current.id if keep_current else None)
        self._after_list_changed()

    def _merge(self, changes: PhotoChanges) -> None:
        """Photos changed by the background process: repaint their tiles, or relist when rows moved."""
        if self.session is None:
            return
        if self.session.merge(changes):
            self._relist()
        else:
            self.model.photos_changed(photo.id for photo in changes.changed)
        self._after_list_changed()

    def _after_list_changed(self) -> None:
        self._refresh_open_views()
        self._update_counts()
        self._update_score_range()
        self._update_sort_options()

    def _restore_selection(self, selected: list[int], current_id: int | None) -> None:
        rows = [self.session.row_of(pid) for pid in selected]
        selection = self.grid.selectionModel()
        for row in rows:
            if row is not None:
                selection.select(self.model.index(row), QItemSelectionModel.SelectionFlag.Select)
        row = self.session.row_of(current_id) if current_id is not None else None
        self.current_row = row if row is not None else min(self.current_row, max(0, self.model.rowCount() - 1))
        if self.model.rowCount():
            selection.setCurrentIndex(self.model.index(self.current_row), QItemSelectionModel.SelectionFlag.NoUpdate)

    def _start_work(self, stages: tuple[str, ...]) -> None:
        """Scan and/or analyse in the background process; its events arrive in :meth:`_work_event`."""
        self._show_progress(True, "Scanning…" if SCAN in stages else "Analysing…")
        self.jobs.start(EngineJob(analysis_hook.run_library_work, self.session.root, self.settings, self.control,
                                  stages, with_events=True),
                        finished=self._work_done, failed=self._failed, event=self._work_event)

    def _work_event(self, event) -> None:
        if self.session is None:   # delivered after the window closed
            return
        if isinstance(event, PhotoChanges):
            self._merge(event)
        elif isinstance(event, ScanProgress):
            self._stage_progress("Scanning", event.done, event.total, event.path)
        elif isinstance(event, ScanFinished):
            self.busy.discard("scan")
            if event.report.cancelled:
                self.busy.discard("analysis")
        elif isinstance(event, AnalysisStarted):
            self.device_text = event.provider + (f" ({event.provider_note})" if event.provider_note else "")
            self.device_label.setText(f"Scoring: {self.device_text}")
            self.device_label.setToolTip(event.sort_message)
        elif isinstance(event, PhotoAnalyzed):
            self._stage_progress("Analysing", event.done, event.total, event.path)
        elif isinstance(event, GroupingStarted):
            self.say(f"Grouping {event.photos} photos into bursts…")

    def _work_done(self, report) -> None:
        self.busy -= {"scan", "analysis"}
        if self.session is None:
            return
        if report.scan is not None:
            self.scan_errors = report.scan.errors
        self.analysis_report = report.analysis
        if report.scan is not None and report.scan.cancelled or report.analysis is not None and report.analysis.cancelled:
            self._show_progress(False)
            self.say("Stopped; what was done so far is shown.")
            return
        self._work_finished()

    def _work_finished(self) -> None:
        self._show_progress(False)
        report = getattr(self, "analysis_report", None)
        message = f"{len(self.session.photos)} photos"
        if report is not None and report.groups:
            message += f", {report.groups} burst{'s' if report.groups != 1 else ''}"
        if getattr(self, "scan_errors", 0):
            message += f", {self.scan_errors} unreadable files (photocull-cli errors {self.session.root})"
        self.say(message)

    def _stage_progress(self, stage: str, done: int, total: int, text: str) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        paused = " (paused)" if self.control.paused else ""
        self.say(f"{stage} {done}/{total}{paused}  {text}")

    def _failed(self, message: str) -> None:
        self.busy.clear()
        self._refresh_pending = False
        self._show_progress(False)
        self.say(f"Background work failed: {message}")

    def _show_progress(self, visible: bool, text: str = "") -> None:
        for widget in (self.progress, self.pause_button, self.cancel_button):
            widget.setVisible(visible)
        if visible:
            self.progress.setValue(0)
            self.pause_button.setChecked(False)
            self.say(text)

    def set_paused(self, paused: bool) -> None:
        (self.control.pause if paused else self.control.resume)()
        self.pause_button.setText("Resume" if paused else "Pause")
        self.say("Paused." if paused else "Resumed.")

    def cancel_work(self) -> None:
        self.control.cancel()
        self.say("Stopping…")

    def stop_work(self) -> None:
        """Cancel background work and wait for it (jobs stop within one item)."""
        self.control.cancel()
        self.pool.waitForDone()
        self.busy.clear()

    @property
    def working(self) -> bool:
        return bool(self.busy) or self._refresh_pending

    # -- models and device ------------------------------------------------------------------

    def _find_models(self) -> None:
        settings = self.settings
        self.jobs.start(EngineJob(analysis_hook.find_models, settings), finished=self._models_found)

    def _models_found(self, found) -> None:
        self.registry, device = found
        self.device_text = device
        self.device_label.setText(f"Scoring: {device}")
        sort = self.registry.sort_score()
        task = {"aesthetic": "aesthetic", "technical": "quality"}.get(sort.task or "", "none yet")
        self.score_label, self.score_tip = f"Score ({task})", sort.message
        self._label_score_sort()
        self.device_label.setToolTip(sort.message)

    def _label_score_sort(self) -> None:
        row = self.sort_box.findData("score")
        self.sort_box.setItemText(row, self.score_label)
        self.sort_box.setItemData(row, getattr(self, "score_tip", ""), Qt.ItemDataRole.ToolTipRole)

    def _fill_sort_box(self, keys: tuple[str, ...]) -> None:
        current = self.sort_box.currentData() or "time"
        self.sort_box.blockSignals(True)
        self.sort_box.clear()
        for key in keys:
            self.sort_box.addItem(SORT_LABELS[key], key)
        self.sort_box.setCurrentIndex(max(0, self.sort_box.findData(current)))
        self.sort_box.blockSignals(False)
        self._label_score_sort()

    def _update_sort_options(self) -> None:
        """Offer "Score (personal)" exactly when the personal model scores this library."""
        keys = available_sorts(self.session.photos)
        if keys == tuple(self.sort_box.itemData(i) for i in range(self.sort_box.count())):
            return
        self._fill_sort_box(keys)
        if self.session.state.sort not in keys:
            self.set_sort("score")

    def _update_score_range(self) -> None:
        """Stretch the score filter to the library's scores; an end left at its bound stays open."""
        bounds = score_bounds(self.session.photos)
        if bounds == self.score_range:
            return
        old, self.score_range = self.score_range, bounds
        for spin, end in ((self.score_min, 0), (self.score_max, 1)):
            spin.blockSignals(True)
            was_open = spin.value() == old[end]
            spin.setRange(*bounds)
            if was_open:
                spin.setValue(bounds[end])
            spin.blockSignals(False)

    # -- sort, filter, bursts -------------------------------------------------------------------

    def set_sort(self, key: str) -> None:
        if self.session is None:
            return
        self.session.set_sort(key)
        row = self.sort_box.findData(key)
        if row >= 0 and row != self.sort_box.currentIndex():
            self.sort_box.blockSignals(True)
            self.sort_box.setCurrentIndex(row)
            self.sort_box.blockSignals(False)
        self._relist()
        if key == "score" and self.registry is not None:
            self.say(self.registry.sort_score().message)

    def apply_filter_controls(self) -> None:
        low, high = self.score_min.value(), self.score_max.value()
        photo_filter = PhotoFilter(
            flags=FLAG_FILTERS[self.flag_box.currentIndex()][1], min_stars=self.stars_box.currentIndex(),
            labels=LABEL_FILTERS[self.label_box.currentIndex()][1], eyes_closed=self.eyes_button.isChecked(),
            blurry=self.blurry_button.isChecked(),
            min_score=low if low > self.score_range[0] else None, max_score=high if high < self.score_range[1] else None,
        )
        if self.session is not None:
            self.session.set_filter(photo_filter)
            self._relist()

    def set_collapse_bursts(self, collapse: bool) -> None:
        if self.session is not None:
            self.session.set_collapse_bursts(collapse)
            self._relist()

    def toggle_burst(self) -> None:
        photo = self.model.photo_at(self.current_row)
        if photo is not None and self.stack.currentWidget() is self.grid:
            self.session.toggle_burst(photo.id)
            self._relist()

    def _relist(self) -> None:
        current = self.model.photo_at(self.current_row)
        selected = self.selected_ids()
        self.model.reset()
        self._restore_selection(selected, current.id if current else None)
        self._update_counts()

    def _update_counts(self) -> None:
        if self.session is None:
            return
        counts = self.session.counts()
        described = self.session.state.filter.describe()
        shown = f"{counts['shown']} shown ({described}) of " if described else ""
        self.setWindowTitle(f"photocull — {self.session.root} — {shown}{counts['photos']} photos, "
                            f"{counts['picks']} picks, {counts['rejects']} rejects")

    # -- decisions -----------------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        rows = sorted(index.row() for index in self.grid.selectionModel().selectedIndexes())
        return [self.model.photo_at(r).id for r in rows if self.model.photo_at(r) is not None]

    def target_ids(self) -> list[int]:
        """What a key applies to: the grid's selection, the loupe's photo, compare's active pane."""
        page = self.stack.currentWidget()
        if page is self.compare:
            return [self.compare.active_photo.id] if self.compare.active_photo else []
        if page is self.grid:
            selected = self.selected_ids()
            if selected:
                return selected
        photo = self.model.photo_at(self.current_row)
        return [photo.id] if photo else []

    def apply_key(self, key: str) -> None:
        if self.session is None:
            return
        changed = self.session.apply_key(key, self.target_ids())
        self._after_decisions(changed)
        if self.stack.currentWidget() is self.loupe:
            self.show_loupe(self.session.advance_after(key, self.current_row))

    def undo(self) -> None:
        if self.session is not None:
            changed = self.session.undo()
            self._after_decisions(changed)
            self.say(f"Undid a change to {len(changed)} photo(s)." if changed else "Nothing to undo.")

    def redo(self) -> None:
        if self.session is not None:
            changed = self.session.redo()
            self._after_decisions(changed)
            self.say(f"Redid a change to {len(changed)} photo(s)." if changed else "Nothing to redo.")

    def _after_decisions(self, changed: list[int]) -> None:
        if not changed:
            return
        self.model.photos_changed(changed)
        self._refresh_open_views()
        self._update_counts()
        if self.session.writes_sidecars_on_decision:
            self._write_sidecars(changed)

    def _write_sidecars(self, photo_ids: list[int] | None) -> None:
        root, settings = self.session.root, self.settings.sidecars()

        def write(root: Path = root):
            with Catalog.open(root) as catalog:
                photos = catalog.photos() if photo_ids is None else [p for p in catalog.photos() if p.id in set(photo_ids)]
                return sidecars.write_sidecars(catalog, settings, photos=photos)

        self.jobs.start(EngineJob(write), failed=self._failed,
                  finished=lambda report: self.say(f"Sidecars: {len(report.written)} written, "
                                                   f"{len(report.problems)} problems."))

    def write_all_sidecars(self) -> None:
        if self.session is not None:
            self._write_sidecars(None)

    def open_auto_cull(self) -> None:
        if self.session is None:
            return
        proposals = self.session.propose_auto_cull()
        if not proposals:
            self.say("Auto-cull has nothing to suggest (run analysis first, or everything is flagged already).")
            return
        names = {p.id: p.name for p in self.session.photos}
        dialog = AutoCullDialog(proposals, names, self)
        self.auto_cull_dialog = dialog
        if dialog.exec():
            changed = self.session.accept_proposals(dialog.accepted_proposals())
            self._after_decisions(changed)
            self.say(f"Applied {len(changed)} auto-cull suggestions (Ctrl+Z undoes them).")

    # -- personalize ------------------------------------------------------------------------------

    def _update_personalize_button(self) -> None:
        available = personalize_function() is not None
        self.personalize_button.setEnabled(available)
        self.personalize_button.setToolTip(
            "Learn your taste from the photos you picked and rejected" if available else UNAVAILABLE)

    def personalize(self) -> None:
        function = personalize_function()
        if function is None or self.session is None:
            self.say(UNAVAILABLE)
            return
        self._show_progress(True, "Personalizing from your picks…")
        self.jobs.start(EngineJob(run_personalize, function, self.session.root, with_progress=True),
                        failed=self._failed, progress=lambda d, t, p: self._stage_progress("Personalizing", d, t, p),
                        finished=self._personalized)

    def _personalized(self, message: str) -> None:
        self._show_progress(False)
        self.say(message)
        self._reload()

    def calibrate(self) -> None:
        """Ask the least-sure A/B questions (found in a worker), then personalize with the answers."""
        if self.session is None:
            return
        self.jobs.start(EngineJob(calibration_pairs, self.session.root), finished=self._ask_calibration,
                        failed=self._failed)

    def _ask_calibration(self, pairs) -> None:
        if self.session is None:
            return
        pairs = [p for p in pairs if self.session.has(p.first_id) and self.session.has(p.second_id)]
        if not pairs:
            self.say("Nothing to calibrate: analyse the library first (or you have ordered every close pair already).")
            return
        dialog = CalibrateDialog(pairs, self.session.photo, self.previews, self._record_choice, self)
        self.calibrate_dialog = dialog
        dialog.exec()
        self.say(f"{dialog.answered} answer(s) recorded.")
        if dialog.answered:
            self.personalize()

    def _record_choice(self, winner_id: int, loser_id: int) -> None:
        taste.record_choice(self.session.catalog, winner_id, loser_id)

    def reset_personal_model(self) -> None:
        if self.session is not None:
            removed = taste.reset(self.session.catalog)
            self.say(f"Personal model reset ({removed} version(s) and your calibration answers forgotten).")
            self._reload()

    def export_personal_model(self, destination: Path | None = None) -> None:
        if self.session is None:
            return
        destination = destination or _chosen_path(QFileDialog.getSaveFileName(
            self, "Export personal model", str(Path.home() / "personal-model.npz"), PERSONAL_MODEL_FILES))
        if destination is None:
            return
        try:
            self.say(f"Personal model exported to {taste.export_model(self.session.catalog, destination)}.")
        except taste.PersonalModelError as exc:
            self.say(str(exc))

    def import_personal_model(self, source: Path | None = None) -> None:
        if self.session is None:
            return
        source = source or _chosen_path(QFileDialog.getOpenFileName(self, "Import personal model", str(Path.home()),
                                                                     PERSONAL_MODEL_FILES))
        if source is None:
            return
        try:
            version, model = taste.import_model(self.session.catalog, source)
        except taste.PersonalModelError as exc:
            self.say(str(exc))
            return
        state = "in use" if model.active else "stored, but not in use (it did not beat the generic score)"
        self.say(f"Personal model imported as version {version}, {state}.")
        self._reload()

    # -- settings ---------------------------------------------------------------------------------

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self.registry, self.device_text, self)
        self.settings_dialog = dialog
        if dialog.exec():
            before, self.settings = self.settings, dialog.result_settings()
            if self.persist:
                save_settings(self.settings)
            if self.session is not None:
                self.session.settings = self.settings
            self._apply_settings_to_views()
            self._find_models()
            if _analysis_inputs(before) != _analysis_inputs(self.settings) and self.session and not self.working:
                self.busy.add("analysis")   # re-score / re-group; unchanged photos are skipped by the engine
                self._start_work((ANALYSE,))

    def _apply_settings_to_views(self) -> None:
        show = self.settings.show_insights
        self.model.show_insights = self.loupe.show_insights = self.compare.show_insights = show
        self.grid.viewport().update()
        self._refresh_open_views()

    # -- views ---------------------------------------------------------------------------------------

    def show_grid(self) -> None:
        if self.session is None:
            return
        self.stack.setCurrentWidget(self.grid)
        if self.model.rowCount():
            index = self.model.index(self.current_row)
            self.grid.setCurrentIndex(index)
            self.grid.scrollTo(index)
        self.grid.setFocus()

    def show_loupe(self, row: int | None = None) -> None:
        if self.session is None or not self.model.rowCount():
            return
        if row is None:
            row = self.grid.currentIndex().row() if self.stack.currentWidget() is self.grid else self.current_row
        self.current_row = self.session.next_row(max(row, 0), 0)
        photo = self.model.photo_at(self.current_row)
        neighbours = [p for p in (self.model.photo_at(self.current_row + 1), self.model.photo_at(self.current_row - 1)) if p]
        self.loupe.show_photo(photo, neighbours)
        self.stack.setCurrentWidget(self.loupe)
        self.loupe.setFocus()

    def show_compare(self, mode: str) -> None:
        if self.session is None or not self.model.rowCount():
            return
        if self.stack.currentWidget() is self.grid:
            self.current_row = max(0, self.grid.currentIndex().row())
        current = self.model.photo_at(self.current_row)
        photos = self._compare_photos(mode, current)
        self.compare.show_photos(photos, mode, active=1 if mode == "2-up" and len(photos) > 1 else 0)
        self.stack.setCurrentWidget(self.compare)
        self.compare.setFocus()

    def _compare_photos(self, mode: str, current):
        selected = [self.session.photo(pid) for pid in self.selected_ids()]
        if mode == "burst":
            return self.session.burst_members(current.id)
        if mode == "survey":
            if len(selected) > SURVEY_MAX:
                self.say(f"Survey shows the first {SURVEY_MAX} of the {len(selected)} selected photos.")
            return selected[:SURVEY_MAX] if len(selected) >= 2 else [current]
        if len(selected) >= 2:
            return selected[:2]
        return [current] + self._candidate_for(current)

    def _candidate_for(self, current) -> list:
        """2-up's first challenger: the burst's next frame, else the next photo (the previous at the end)."""
        members = self.session.burst_members(current.id)
        if len(members) > 1:
            return [next(p for p in members if p.id != current.id)]
        for step in (1, -1):
            candidate = self.model.photo_at(self.session.next_row(self.current_row, step))
            if candidate is not None and candidate.id != current.id:
                return [candidate]
        return []

    def step(self, step: int) -> None:
        page = self.stack.currentWidget()
        if page is self.loupe:
            self.show_loupe(self.session.next_row(self.current_row, step))
        elif page is self.compare and self.compare.mode == "2-up" and len(self.compare.photos) == 2:
            self._step_candidate(step)
        elif page is self.compare:
            self.compare.step_active(step)

    def _step_candidate(self, step: int) -> None:
        """Champion stays; the candidate walks the list, skipping the champion."""
        champion = self.compare.photos[0]
        row = self.session.row_of(self.compare.photos[1].id) or 0
        for _ in range(2):
            row = self.session.next_row(row, step)
            candidate = self.model.photo_at(row)
            if candidate is not None and candidate.id != champion.id:
                self.compare.set_candidate(candidate)
                return

    def toggle_face_strip(self) -> None:
        """Every face up close, under the loupe or compare."""
        page = self.stack.currentWidget()
        if page in (self.loupe, self.compare):
            page.toggle_faces()

    def loupe_toggle_zoom(self) -> None:
        if self.stack.currentWidget() is self.loupe:
            self.loupe.toggle_zoom()

    def loupe_next_face(self) -> None:
        if self.stack.currentWidget() is self.loupe and not self.loupe.next_face():
            self.say("No faces were found in this photo.")

    def loupe_sharpest(self) -> None:
        """Find the sharpest region of the loupe's photo (in a worker) and zoom there."""
        photo = self.loupe.photo
        if self.stack.currentWidget() is not self.loupe or photo is None:
            return
        root = self.session.root

        def locate(photo=photo):
            with Image.open(preview_path(root, photo.record)) as image:
                return photo.id, sharpest_region(image)

        def show(result) -> None:
            photo_id, region = result
            if self.loupe.photo is not None and self.loupe.photo.id == photo_id:
                self.loupe.focus_on(region)

        self.jobs.start(EngineJob(locate), finished=show, failed=self._failed)

    def _refresh_open_views(self) -> None:
        if self.session is None:
            return
        page = self.stack.currentWidget()
        if page is self.loupe and self.loupe.photo is not None:
            self.loupe.show_photo(self.model.photo_at(self.current_row))
        if page is self.compare:
            self.compare.refresh({p.id: p for p in self.session.photos})

    def say(self, text: str) -> None:
        self.statusBar().showMessage(text)

    # -- window events ---------------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                path = Path(url.toLocalFile())
                self.open_folder(path if path.is_dir() else path.parent)
                return

    def closeEvent(self, event) -> None:
        self.stop_work()
        if self.session is not None:
            self.session.close()
            self.session = None
        super().closeEvent(event)


def _analysis_inputs(settings: AppSettings) -> tuple:
    return (settings.device, settings.chosen_models, settings.burst_sensitivity)


def _chosen_path(answer: tuple[str, str]) -> Path | None:
    """The path from a QFileDialog answer, None when the user cancelled."""
    return Path(answer[0]) if answer[0] else None


def _combo(texts) -> QComboBox:
    box = QComboBox()
    box.addItems(list(texts))
    return box


def _score_spin(low: float, high: float, end: int) -> QDoubleSpinBox:
    """One end of the score filter; at its bound (the library's lowest / highest score) it is open."""
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(0.5)
    spin.setDecimals(1)
    spin.setValue((low, high)[end])
    spin.setToolTip("Score range shown; its ends follow the library's lowest and highest scores (there: open ended)")
    return spin
