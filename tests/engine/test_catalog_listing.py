"""The catalog's listing paths agree: streamed, limited (the window's first screen) and whole."""

from __future__ import annotations

import pytest

from engine.culling.session import read_first_photos, read_photos
from engine.decisions.record import PICK, set_decisions
from engine.library.catalog import SORT_ORDERS, Catalog
from engine.library.scan import scan_library
from tests.helpers.photo_factory import make_jpeg


@pytest.fixture
def catalog(tmp_path):
    for i in range(12):
        folder = tmp_path / "lib" / f"day{i % 3}"
        make_jpeg(folder / f"IMG_{i:02d}.jpg", seed=i, taken=f"2024:05:0{1 + i % 2} 10:00:{59 - i:02d}" if i % 5 else None)
    (tmp_path / "lib" / "day0" / "IMG_00.CR2").write_bytes(b"raw partner, never decoded")
    scan_library(tmp_path / "lib")
    with Catalog.open(tmp_path / "lib") as opened:
        set_decisions(opened, [opened.photos()[3].id], flag=PICK)
        yield opened


@pytest.mark.parametrize("sort", list(SORT_ORDERS))
def test_streamed_and_limited_listings_equal_the_whole_list(catalog, sort):
    whole = catalog.photos(sort=sort)
    assert list(catalog.iter_photos(sort=sort)) == whole
    for limit in (0, 1, 5, 50):
        assert list(catalog.iter_photos(sort=sort, limit=limit)) == whole[:limit]
    assert any(len(photo.files) == 2 for photo in whole), "a RAW+JPEG pair keeps both files"


def test_the_first_screen_is_the_start_of_the_whole_library(catalog):
    whole = read_photos(catalog)
    assert read_first_photos(catalog, 4) == whole[:4]
    assert read_first_photos(catalog, 100) == whole
