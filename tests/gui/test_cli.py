"""photocull-cli: scan, list, errors, exit codes, Ctrl-C, and ``python -m engine``."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cli import main
from engine.cli.listing import FIELDS
from engine.library.catalog import Catalog, catalog_path
from tests.helpers.photo_factory import make_jpeg, make_library


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "lib"
    make_jpeg(root / "day1" / "IMG_1.JPG", size=(80, 60), taken="2024:05:01 10:00:00")
    (root / "day1" / "IMG_1.CR2").write_bytes(b"raw partner")
    make_jpeg(root / "day1" / "IMG_2.JPG", size=(200, 150), seed=2, taken="2024:05:01 09:00:00")
    return root


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_scan_then_list_as_json_follows_the_documented_schema(library: Path, capsys):
    code, _, err = run_cli(capsys, "scan", str(library), "--workers", "1")
    assert code == 0 and "2 photos read" in err
    with Catalog.open(library) as catalog, catalog.transaction() as conn:
        photo_id = catalog.photo_by_path("day1/IMG_1.CR2").id
        conn.execute("INSERT INTO decisions(photo_id, flag, rating, label, updated_at) VALUES (?, 1, 5, 'Green', 0)", (photo_id,))
    code, out, _ = run_cli(capsys, "list", str(library), "--format", "json")
    document = json.loads(out)
    assert code == 0
    assert (document["schema"], document["library"], document["sort"]) == ("photocull.list/2", str(library), "time")
    early, late = document["photos"]
    assert list(early) == list(FIELDS)
    assert (early["path"], early["capture_time"], early["capture_time_source"]) == (
        "day1/IMG_2.JPG", "2024-05-01T09:00:00", "exif",
    )
    assert late["files"] == ["day1/IMG_1.JPG", "day1/IMG_1.CR2"]
    assert (late["flag"], late["rating"], late["label"], late["status"]) == (1, 5, "Green", "ok")
    assert (late["width"], late["height"], late["folder"]) == (80, 60, "day1")


def test_list_csv_table_and_sort(library: Path, capsys):
    main(["scan", str(library), "--quiet"])
    _, out, _ = run_cli(capsys, "list", str(library), "--format", "csv", "--sort", "size")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(FIELDS)
    assert [r["path"] for r in rows] == ["day1/IMG_2.JPG", "day1/IMG_1.JPG"], "largest file first"
    assert rows[1]["files"] == "day1/IMG_1.JPG;day1/IMG_1.CR2" and rows[1]["label"] == ""
    _, out, _ = run_cli(capsys, "list", str(library), "--sort", "name")
    header, first, second = out.splitlines()
    assert header.split()[:2] == ["path", "capture_time"]
    assert first.startswith("day1/IMG_1.JPG") and second.startswith("day1/IMG_2.JPG")


def test_unreadable_files_give_exit_code_1_and_are_listed(library: Path, capsys):
    (library / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    code, _, err = run_cli(capsys, "scan", str(library), "--quiet")
    assert code == 1
    code, out, _ = run_cli(capsys, "errors", str(library), "--format", "json")
    document = json.loads(out)
    assert code == 0 and document["schema"] == "photocull.errors/1"
    (error,) = document["errors"]
    assert (error["path"], error["reason"]) == ("broken.jpg", "truncated") and error["message"]
    _, out, _ = run_cli(capsys, "errors", str(library))
    assert "broken.jpg" in out and "truncated" in out


def test_exit_codes_for_missing_library_catalog_and_usage(tmp_path: Path, capsys):
    assert run_cli(capsys, "scan", str(tmp_path / "nope"))[0] == 3
    code, _, err = run_cli(capsys, "list", str(tmp_path))
    assert code == 3 and "scan it first" in err
    assert not catalog_path(tmp_path).exists()
    assert run_cli(capsys, "errors", str(tmp_path))[0] == 3
    assert run_cli(capsys, "list", str(tmp_path), "--sort", "colour")[0] == 2
    assert run_cli(capsys, "frobnicate")[0] == 2
    assert run_cli(capsys, "--help")[0] == 0


def test_python_dash_m_engine_runs_the_cli(library: Path):
    scan = subprocess.run([sys.executable, "-m", "engine", "scan", str(library)], capture_output=True, text=True)
    assert scan.returncode == 0, scan.stderr
    listing = subprocess.run(
        [sys.executable, "-m", "engine", "list", str(library), "--format", "json"], capture_output=True, text=True
    )
    assert [p["path"] for p in json.loads(listing.stdout)["photos"]] == ["day1/IMG_2.JPG", "day1/IMG_1.JPG"]


# The CLI's own main, with decoding slowed so Ctrl-C reliably lands mid-scan.
SLOW_CLI = """
import sys, time
import engine.library.scan
from engine.cli import main
real = engine.library.scan.ingest
def slow(*args, **kwargs):
    time.sleep(0.02)
    return real(*args, **kwargs)
engine.library.scan.ingest = slow
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_keeps_finished_work_and_exits_130(tmp_path: Path):
    library = tmp_path / "lib"
    make_library(library, 150)
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_CLI, "scan", str(library), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 30
    while photos_in(library) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "interrupted" in err
    with Catalog.open(library, create=False) as catalog:
        assert catalog.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kept = len(catalog.photos())
    assert 0 < kept < 150
    assert main(["scan", str(library), "--quiet"]) == 0
    assert photos_in(library) == 150


def photos_in(library: Path) -> int:
    if not catalog_path(library).exists():
        return 0
    with Catalog.open(library, create=False) as catalog:
        return catalog.conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
