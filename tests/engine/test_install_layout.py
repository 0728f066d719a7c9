"""A non-editable install carries the shipped models and icons the app looks for.

`pip install ".[raw,heif]"` (the README's launch command) copies packages into
site-packages; the app finds models at ``<engine>/../assets/models``. This builds
the wheel and checks that every shipped manifest and the ONNX file it names,
plus the icons and NOTICE, are inside it at that place.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _clean_source(destination: Path) -> Path:
    """The project's sources without build/ leftovers, which setuptools would otherwise reuse."""
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("engine", "photocull", "training", "assets"):
        shutil.copytree(ROOT / name, destination / name, ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, destination / name)
    return destination


def test_wheel_ships_every_model_its_manifest_names_and_the_icons(tmp_path):
    source = _clean_source(tmp_path / "src")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path / "dist"), str(source)], check=True, capture_output=True, timeout=600)
    (wheel,) = (tmp_path / "dist").glob("photocull-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    manifests = sorted((ROOT / "assets" / "models").glob("*.json"))
    assert manifests
    for manifest in manifests:
        assert f"assets/models/{manifest.name}" in names
        onnx_file = json.loads(manifest.read_text(encoding="utf-8"))["onnx_file"]
        assert f"assets/models/{onnx_file}" in names, f"{manifest.name} names {onnx_file}, missing from the wheel"
    assert "assets/icons/photocull-256.png" in names and "assets/NOTICE" in names
    assert "engine/inference/registry.py" in names and "photocull/app.py" in names
