"""A scan picks up ratings, labels and rejects that other programs recorded."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from engine.library.catalog import Catalog
from engine.library.scan import scan_library

SIDECAR = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmp:Rating="{rating}" xmp:Label="{label}"/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
"""


def _photo(path: Path, colour: tuple[int, int, int]) -> None:
    Image.new("RGB", (64, 48), colour).save(path, quality=90)


def test_scan_imports_sidecar_ratings_and_rejects(tmp_path):
    library = tmp_path / "lib"
    library.mkdir()
    _photo(library / "a.jpg", (200, 10, 10))
    _photo(library / "b.jpg", (10, 200, 10))
    _photo(library / "c.jpg", (10, 10, 200))
    (library / "a.xmp").write_text(SIDECAR.format(rating=4, label="Green"), encoding="utf-8")
    (library / "b.xmp").write_text(SIDECAR.format(rating=-1, label=""), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in library.iterdir()}

    report = scan_library(library, workers=1)

    assert report.imported_decisions == 2
    with Catalog.open(library) as catalog:
        by_name = {photo.path: photo for photo in catalog.photos(sort="name")}
    assert (by_name["a.jpg"].rating, by_name["a.jpg"].label, by_name["a.jpg"].flag) == (4, "Green", 0)
    assert by_name["b.jpg"].flag == -1
    assert (by_name["c.jpg"].rating, by_name["c.jpg"].flag, by_name["c.jpg"].label) == (0, 0, None)
    assert {p.name: p.read_bytes() for p in library.iterdir()} == before


def test_sidecar_changed_by_another_program_is_imported_on_rescan(tmp_path):
    library = tmp_path / "lib"
    library.mkdir()
    _photo(library / "a.jpg", (120, 120, 120))
    scan_library(library, workers=1)
    (library / "a.xmp").write_text(SIDECAR.format(rating=2, label="Red"), encoding="utf-8")

    report = scan_library(library, workers=1)

    assert report.decoded == 0 and report.imported_decisions == 1
    with Catalog.open(library) as catalog:
        photo = catalog.photo_by_path("a.jpg")
    assert (photo.rating, photo.label) == (2, "Red")


def test_malformed_sidecar_is_reported_and_left_alone(tmp_path):
    library = tmp_path / "lib"
    library.mkdir()
    _photo(library / "a.jpg", (50, 60, 70))
    broken = library / "a.xmp"
    broken.write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF", encoding="utf-8")

    report = scan_library(library, workers=1)

    assert report.decoded == 1 and report.imported_decisions == 0
    assert any("a.xmp" in path for path, _ in report.sidecar_problems)
    assert broken.read_text(encoding="utf-8") == "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF"
