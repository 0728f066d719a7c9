"""Shared by the GUI tests: the analysed scikit-image shoot and the real window opened on it.

The shoot is scanned and analysed once per test session (with the engine, as the
app does); each test starts from a copy of that catalog and thumbnail cache, and
the app's own background process then rescans and re-analyses it (finding nothing
changed), so the tests still cover the whole path. Test modules import the
fixtures they use from here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from engine.analysis import analyze_library
from engine.library.catalog import Catalog
from engine.library.scan import scan_library
from photocull.app import create_window, parse_args, ready_for_grab
from tests.helpers.skimage_shoot import make_shoot

XDG_DIRS = ("xdg_data_home", "xdg_cache_home")


@pytest.fixture(scope="session")
def analysed(tmp_path_factory) -> tuple[dict[str, list[Path]], Path]:
    """The shoot, scanned and analysed into a private XDG home."""
    base = tmp_path_factory.mktemp("analysed-xdg")
    shoot = make_shoot(tmp_path_factory.mktemp("library") / "shoot")
    with pytest.MonkeyPatch.context() as patch:
        for name in (*XDG_DIRS, "xdg_config_home"):
            (base / name).mkdir()
            patch.setenv(name.upper(), str(base / name))
        scan_library(shoot["singles"][0].parent)
        analyze_library(shoot["singles"][0].parent)
    return shoot, base


@pytest.fixture
def shoot(analysed, isolated_user_dirs: Path) -> dict[str, list[Path]]:
    """The analysed shoot, with a fresh copy of its catalog and thumbnails for this test."""
    library, base = analysed
    for name in XDG_DIRS:
        shutil.copytree(base / name, isolated_user_dirs / name, dirs_exist_ok=True)
    return library


@pytest.fixture
def window(qtbot, shoot):
    win = open_window(qtbot, shoot["singles"][0].parent)
    yield win
    win.close()


def open_window(qtbot, folder: Path | None):
    """The real window, shown, active, and done with its background work on ``folder``."""
    win = create_window(parse_args(["--open", str(folder)] if folder else []))
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    win.activateWindow()            # shortcuts (the culling keys) go to the active window
    qtbot.waitUntil(win.isActiveWindow, timeout=5_000)
    if folder is not None:
        qtbot.waitUntil(lambda: ready_for_grab(win), timeout=60_000)
    return win


def library_root(shoot: dict[str, list[Path]]) -> Path:
    return shoot["singles"][0].parent


def row_of(win, name: str) -> int:
    return next(row for row, p in enumerate(win.session.visible) if p.name == name)


def burst_cover_row(win) -> int:
    return next(row for row, p in enumerate(win.session.visible) if p.insight.burst_id is not None)


def flags_in_catalog(root: Path) -> dict[str, int]:
    with Catalog.open(root) as catalog:
        return {Path(p.path).name: p.flag for p in catalog.photos()}


def press(qtbot, win, key: str) -> None:
    target = QApplication.focusWidget() or win
    qtbot.keyClick(target, key)
