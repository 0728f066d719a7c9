"""The main window: builds the views and composes the controllers that do the work.

It holds no culling logic (that is :class:`engine.culling.session.CullingSession`)
and no list of actions (that is :mod:`engine.culling.actions`): each concern is a
controller in :mod:`photocull.controllers`, and the window wires them together —
menus and keys from the declared actions, toolbars from the controllers' widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QDialog, QLabel, QMainWindow, QStackedWidget

from engine.analysis.storage import read_analyses
from engine.config.settings import AppSettings
from engine.culling.actions import AppState
from engine.culling.session import CullingSession
from photocull.controllers.background import BackgroundWork
from photocull.controllers.commands import Commands
from photocull.controllers.decisions import DecisionController
from photocull.controllers.filters import FilterSortController
from photocull.controllers.library import LibraryController
from photocull.controllers.navigation import NavigationController
from photocull.controllers.personalization import PersonalizeController
from photocull.controllers.preferences import PreferencesController
from photocull.controllers.sidecars import SidecarController
from photocull.photo_list_model import PhotoListModel
from photocull.views.compare import CompareView
from photocull.views.grid import GridView
from photocull.views.loupe import LoupeView
from photocull.workers import JobRunner, PreviewLoader, ThumbnailLoader

TOOLBAR_ACTIONS = ("photo.auto_cull", "personalize.fit", "file.settings")


class MainWindow(QMainWindow):
    HANDLES = ("quit",)

    def __init__(self, settings: AppSettings | None = None, *, save: bool = True):
        super().__init__()
        self.settings = settings or AppSettings()
        self.persist = save
        self.session: CullingSession | None = None
        self.open_dialog: QDialog | None = None   # the last dialog shown (tests and screenshots look at it)
        self.setWindowTitle("photocull")
        self.resize(1280, 820)
        self.setAcceptDrops(True)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(4)
        self.jobs = JobRunner(self.pool, self)
        self.thumbnails = ThumbnailLoader(self.pool, self)
        self.previews = PreviewLoader(self.pool, self)
        self.model = PhotoListModel(self.thumbnails, self)
        self._build_views()
        self.work = BackgroundWork(self)
        self.library = LibraryController(self)
        self.filters = FilterSortController(self)
        self.navigation = NavigationController(self)
        self.decisions = DecisionController(self)
        self.sidecars = SidecarController(self)
        self.personal = PersonalizeController(self)
        self.preferences = PreferencesController(self)
        self.commands = Commands(self, self.handlers(), viewers=(self.loupe, self.compare))
        self._build_bars()
        self.stack.currentChanged.connect(lambda _index: self.update_actions())
        self.update_actions()
        self.say("Open a folder of photos to start.")
        self.preferences.apply_to_views()
        self.work.find_models()

    def handlers(self) -> dict[str, Callable[..., None]]:
        """Each action handler name → the controller method that implements it."""
        owners = (self, self.library, self.filters, self.navigation, self.decisions, self.sidecars, self.personal,
                  self.preferences)
        return {name: getattr(owner, name) for owner in owners for name in owner.HANDLES}

    def _build_views(self) -> None:
        self.grid = GridView(self)
        self.grid.setModel(self.model)
        self.grid.doubleClicked.connect(lambda index: self.navigation.show_loupe(index.row()))
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

    def _build_bars(self) -> None:
        menus = self.commands.fill_menus(self.menuBar(), extra={"File": self.library.add_recent_menu})
        self.personal.add_state_line(menus["Personalize"])
        bar = self.addToolBar("Library")
        bar.setMovable(False)
        bar.addAction(self.commands["file.open"])
        self.filters.add_sort_widgets(bar)
        bar.addSeparator()
        for action_id in TOOLBAR_ACTIONS:
            bar.addAction(self.commands[action_id])
        self.addToolBarBreak()
        filter_bar = self.addToolBar("Filter")
        filter_bar.setMovable(False)
        self.filters.fill_filter_bar(filter_bar)

    # -- shared by the controllers ----------------------------------------------------------------

    @property
    def working(self) -> bool:
        return self.work.working

    def open_folder(self, folder: Path) -> None:
        self.library.open_folder(folder)
        self.update_actions()

    def update_actions(self) -> None:
        """Enable the actions as the session and the page showing allow."""
        self.commands.update(AppState(library_open=self.session is not None, page=self.navigation.page))

    def run_dialog(self, dialog: QDialog) -> bool:
        """Show a modal dialog; afterwards the keyboard is back on the window, however it was closed."""
        self.open_dialog = dialog
        accepted = bool(dialog.exec())
        self.activateWindow()
        self.navigation.focus_page()
        return accepted

    def say(self, text: str) -> None:
        self.statusBar().showMessage(text)

    def quit(self) -> None:
        self.close()

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
        self.work.stop()
        if self.session is not None:
            self.session.close()
            self.session = None
        super().closeEvent(event)
