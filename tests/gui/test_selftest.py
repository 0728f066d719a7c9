"""``photocull --open DIR --selftest OUT.png`` completes on a library bigger than the window.

The self-test used to wait for the thumbnails of a fixed 24 rows, but thumbnails
load only for rows the grid paints: with more photos than tiles on screen it
waited for ever (1,103 photos timed out after 500 s).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from photocull.app import create_window, parse_args, ready_for_grab, rows_on_screen
from tests.helpers.photo_factory import make_jpeg

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = 60


def _library(folder: Path) -> Path:
    for i in range(PHOTOS):
        make_jpeg(folder / f"IMG_{i:02d}.jpg", size=(96, 64), seed=i, taken=f"2024:01:01 12:{i:02d}:00")
    return folder


def test_ready_for_grab_waits_only_for_the_rows_on_screen(qtbot, tmp_path):
    window = create_window(parse_args(["--open", str(_library(tmp_path / "shoot"))]), save_settings=False)
    qtbot.addWidget(window)
    window.resize(900, 600)
    window.show()
    qtbot.waitUntil(lambda: ready_for_grab(window), timeout=120_000)
    shown = rows_on_screen(window)
    assert 0 < len(shown) < window.model.rowCount() == PHOTOS, "the library must not fit the window"
    assert all(window.thumbnails.is_settled(window.session.visible[row]) for row in shown)
    assert not window.thumbnails.is_settled(window.session.visible[-1]), "rows below the screen stay unloaded"


def test_selftest_exits_with_a_grab_on_a_library_bigger_than_the_window(tmp_path):
    library = _library(tmp_path / "shoot")
    out = tmp_path / "grab.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))   # XDG folders: the test's own
    done = subprocess.run([sys.executable, "-m", "photocull.app", "--open", str(library), "--selftest", str(out),
                           "--timeout", "150"], env=env, capture_output=True, text=True, timeout=200, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{PHOTOS} photos shown" in done.stdout
    with Image.open(out) as grab:
        assert grab.width > 0 and grab.height > 0
