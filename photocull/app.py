"""The photocull window (minimal): open a folder, scan it, show its grid thumbnails.

Everything that knows about photos lives in ``engine``; this module only runs
engine calls on a ``QThreadPool`` and renders what comes back. Workers talk to
the GUI thread exclusively through Qt signals (queued connections), carrying
``QImage`` objects, which are safe to create off the GUI thread, unlike
``QPixmap``. Opening a folder first shows what the catalog already knows, then
scans in the background and refreshes.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QAction, QColor, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import QApplication, QFileDialog, QListView, QMainWindow

from engine.catalog import Catalog, PhotoRecord
from engine.decode import DecodeError
from engine.scan import ScanReport, grid_thumbnail, scan_library

CELL_SIZE = 180
THUMBNAILS_PER_JOB = 32


@dataclass
class GridItem:
    photo: PhotoRecord
    pixmap: QPixmap | None = None


class PhotoGridModel(QAbstractListModel):
    """The photos of one library, with thumbnails filled in as they arrive."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.items: list[GridItem] = []
        self.generation = 0  # bumps on every reset, so late thumbnails for old rows are dropped
        self.placeholder = QPixmap(CELL_SIZE, CELL_SIZE * 2 // 3)
        self.placeholder.fill(QColor(128, 128, 128))

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return Path(item.photo.path).name
        if role == Qt.ItemDataRole.DecorationRole:
            return item.pixmap or self.placeholder
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(CELL_SIZE + 8, CELL_SIZE + 28)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{item.photo.path}\n{item.photo.capture_time or 'no capture time'}"
        return None

    def set_photos(self, photos: Sequence[PhotoRecord]) -> None:
        self.beginResetModel()
        self.items = [GridItem(photo) for photo in photos]
        self.generation += 1
        self.endResetModel()

    def set_thumbnail(self, generation: int, row: int, image: QImage) -> None:
        if generation != self.generation:
            return
        self.items[row].pixmap = QPixmap.fromImage(image)
        index = self.index(row)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def thumbnails_shown(self) -> int:
        return sum(item.pixmap is not None for item in self.items)


class ScanSignals(QObject):
    progress = Signal(int, int, str)
    finished = Signal(object)  # ScanReport
    failed = Signal(str)


class ScanJob(QRunnable):
    """Runs ``engine.scan.scan_library`` off the GUI thread."""

    def __init__(self, root: Path, cancel: threading.Event):
        super().__init__()
        self.root = root
        self.cancel = cancel
        self.signals = ScanSignals()  # kept as an attribute so it outlives run()

    def run(self) -> None:
        try:
            report = scan_library(self.root, progress=self.signals.progress.emit, cancel=self.cancel)
        except Exception as exc:  # shown in the status bar; the window stays usable
            self.signals.failed.emit(str(exc))
            return
        self.signals.finished.emit(report)


class ThumbnailSignals(QObject):
    loaded = Signal(int, int, QImage)  # generation, row, image


class ThumbnailJob(QRunnable):
    """Loads a chunk of grid thumbnails (rebuilding any the cache lost)."""

    def __init__(self, root: Path, generation: int, rows: list[tuple[int, PhotoRecord]], cancel: threading.Event):
        super().__init__()
        self.root = root
        self.generation = generation
        self.rows = rows
        self.cancel = cancel
        self.signals = ThumbnailSignals()

    def run(self) -> None:
        for row, photo in self.rows:
            if self.cancel.is_set():
                return
            try:
                image = QImage(str(grid_thumbnail(self.root, photo)))
            except DecodeError:
                continue  # listed by `photocull-cli errors`; the tile stays blank
            if image.isNull():
                continue
            if max(image.width(), image.height()) > CELL_SIZE:  # shrink here, off the GUI thread
                image = image.scaled(
                    CELL_SIZE, CELL_SIZE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
                )
            self.signals.loaded.emit(self.generation, row, image)


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("photocull")
        self.resize(1100, 750)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(3)
        self.cancel = threading.Event()
        self.root: Path | None = None
        self.model = PhotoGridModel(self)
        self.view = self._make_view()
        self.setCentralWidget(self.view)
        open_action = QAction("Open folder…", self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self.choose_folder)
        self.addToolBar("Library").addAction(open_action)
        self.statusBar().showMessage("Open a folder of photos to start.")

    def _make_view(self) -> QListView:
        view = QListView(self)
        view.setViewMode(QListView.ViewMode.IconMode)
        view.setMovement(QListView.Movement.Static)
        view.setResizeMode(QListView.ResizeMode.Adjust)
        view.setUniformItemSizes(True)
        view.setIconSize(QSize(CELL_SIZE, CELL_SIZE))
        view.setGridSize(QSize(CELL_SIZE + 16, CELL_SIZE + 36))
        view.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        view.setModel(self.model)
        return view

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open folder")
        if folder:
            self.open_folder(Path(folder))

    def open_folder(self, folder: Path) -> None:
        """Show what the catalog knows at once, then scan for changes."""
        folder = Path(folder).expanduser().resolve()
        if not folder.is_dir():
            self.statusBar().showMessage(f"{folder} is not a folder.")
            return
        self.stop_work()
        self.cancel = threading.Event()
        self.root = folder
        self.setWindowTitle(f"photocull — {self.root}")
        self.show_catalog()
        job = ScanJob(self.root, self.cancel)
        job.signals.progress.connect(self.on_scan_progress)
        job.signals.finished.connect(self.on_scan_finished)
        job.signals.failed.connect(lambda message: self.statusBar().showMessage(f"Scan failed: {message}"))
        self.pool.start(job)

    def show_catalog(self) -> None:
        with Catalog.open(self.root) as catalog:
            photos = [photo for photo in catalog.photos(sort="time") if photo.path]
        self.model.set_photos(photos)
        rows = list(enumerate(photos))
        for start in range(0, len(rows), THUMBNAILS_PER_JOB):
            job = ThumbnailJob(self.root, self.model.generation, rows[start : start + THUMBNAILS_PER_JOB], self.cancel)
            job.signals.loaded.connect(self.model.set_thumbnail)
            self.pool.start(job)

    def on_scan_progress(self, done: int, total: int, current: str) -> None:
        self.statusBar().showMessage(f"Scanning {done}/{total}  {current}")

    def on_scan_finished(self, report: ScanReport) -> None:
        if report.cancelled:
            return
        self.show_catalog()
        message = f"{self.model.rowCount()} photos"
        if report.errors:
            message += f", {report.errors} unreadable files (photocull-cli errors {self.root})"
        self.statusBar().showMessage(message)

    def stop_work(self) -> None:
        """Cancel the scan and thumbnail jobs and wait for them (they finish within a decode)."""
        self.cancel.set()
        self.pool.clear()
        self.pool.waitForDone()

    def closeEvent(self, event) -> None:
        self.stop_work()
        super().closeEvent(event)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="photocull", description="Cull photos: thumbnails at once, decisions in XMP.")
    parser.add_argument("--open", type=Path, metavar="DIR", help="open this folder at start")
    return parser.parse_args(argv)


def create_window(args: argparse.Namespace) -> MainWindow:
    window = MainWindow()
    if args.open is not None:
        window.open_folder(args.open)
    return window


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = create_window(args)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
