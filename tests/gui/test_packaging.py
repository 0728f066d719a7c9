"""The frozen desktop app: build it with PyInstaller (or use PHOTOCULL_FROZEN=path/to/photocull),
start it headless on a generated folder with ``--selftest``, and check it opened the folder.

Slow (a full PyInstaller build, then a run of the frozen app); skipped only when PyInstaller is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from engine.library.catalog import Catalog
from tests.helpers.photo_factory import make_jpeg

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def frozen_app(tmp_path_factory) -> Path:
    prebuilt = os.environ.get("PHOTOCULL_FROZEN")
    if prebuilt:
        return Path(prebuilt)
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("PyInstaller is not installed (pip install '.[build]') so the app cannot be frozen")
    work = tmp_path_factory.mktemp("freeze")
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(work / "dist"),
                    "--workpath", str(work / "build"), str(ROOT / "packaging" / "photocull.spec")],
                   check=True, cwd=ROOT, capture_output=True, timeout=900)
    return work / "dist" / "photocull" / "photocull"


def test_frozen_app_opens_a_folder_headless_and_ships_models_without_torch(frozen_app, tmp_path, monkeypatch):
    for i in range(3):
        make_jpeg(tmp_path / "card" / f"IMG_{i}.jpg", size=(320, 240), seed=i, taken=f"2024:01:01 12:0{i}:00")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        env[var] = os.environ[var]                      # the test's isolated folders (conftest)
    out = tmp_path / "grab.png"
    done = subprocess.run([str(frozen_app), "--open", str(tmp_path / "card"), "--selftest", str(out)],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "3 photos shown, 3 thumbnails" in done.stdout
    with Image.open(out) as grab:
        assert grab.width >= 800 and grab.height >= 500
    with Catalog.open(tmp_path / "card", create=False) as catalog:   # the frozen app scanned the folder
        assert sorted(Path(p.path).name for p in catalog.photos()) == ["IMG_0.jpg", "IMG_1.jpg", "IMG_2.jpg"]
        analysed = catalog.conn.execute("SELECT COUNT(*) FROM photo_analysis").fetchone()[0]
    assert analysed == 3, "bundled ONNX models were found under sys._MEIPASS and ran"
    internal = frozen_app.parent / "_internal"
    assert (internal / "assets" / "models").is_dir() and (internal / "assets" / "icons").is_dir()
    assert not (internal / "torch").exists() and not (internal / "training").exists()
