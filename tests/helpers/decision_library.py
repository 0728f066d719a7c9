"""A tiny scanned library for the decision, sidecar, export and trash tests.

JPEGs are generated (tests/photo_factory.py); RAW files are a few random bytes
behind a TIFF header — the scan catalogues a RAW partner of a JPEG without
decoding it, which is all these tests need.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from engine.library.catalog import Catalog, PhotoRecord
from engine.library.scan import scan_library
from tests.helpers.photo_factory import make_jpeg

RASTER = (".jpg", ".jpeg")


def build(root: Path, names: list[str]) -> list[Path]:
    """Create ``names`` (relative paths) under ``root``; returns their paths."""
    made = []
    for seed, name in enumerate(names):
        path = root / name
        if path.suffix.lower() in RASTER:
            make_jpeg(path, seed=seed)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"II*\x00" + os.urandom(2048))
        made.append(path)
    return made


def scanned(root: Path) -> Catalog:
    """Scan ``root`` (files only: sidecar import is what these tests exercise) and open its catalog."""
    report = scan_library(root, workers=1, import_decisions=False)
    assert report.errors == 0, report
    return Catalog.open(root, create=False)


def photo(catalog: Catalog, relative: str) -> PhotoRecord:
    found = catalog.photo_by_path(relative)
    assert found is not None, relative
    return found


def fingerprint(root: Path) -> dict[str, str]:
    """sha256 of every non-sidecar file under ``root`` (originals must never change)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.suffix.lower() != ".xmp"}
