"""A big library stays instant: scan, rescan, list and the window at N photos, each against its target.

    python bench/scale.py N --photos DIR [--workdir /tmp/photocull-scale] [--workers 2] [--long-side PX]
                          [--analysis-photos 300] [--skip-window] [--skip-analysis] [--remove]

Builds (or reuses) ``WORKDIR/lib-N``: N hard links to the real photos of ``--photos``
(cycled, 300 to a folder), so the library costs no disk. User folders (catalog,
thumbnail cache, settings) are isolated under WORKDIR and started fresh, so the
first scan really is a first scan. Every step runs in its own process, timed with
its CPU time and peak memory (``wait4``):

* decode limit: a DCT-scaled decode to the grid thumbnail size of the library's
  first files, nothing else, on ``--workers`` threads; and the first scan of all N
  (``photocull-cli scan``) with the same thread count. Per photo, the scan's CPU time
  beyond the decode's is the work beside the decode (target: at most half the
  decode's own CPU time);
* rescan of the unchanged library (< 5 s at 100k);
* ``list --format json`` (< 5 s at 100k) and ``--format csv``;
* the real window, offscreen (``--window-probe``): time from ``open_folder`` to the
  first screen of thumbnails (< 2 s), the background work is then stopped and a
  sort change and a filter change are timed to the next painted frame (< 200 ms),
  then the grid is scrolled from top to bottom in 200 steps under a 5 ms heartbeat
  (longest event-loop stall < 50 ms), and the window's peak memory (< 1.5 GB);
* catalog and thumbnail cache sizes;
* ``list`` again once every photo has an analysis: the distinct files are analysed once
  and each link gets its file's rows (:func:`measure_analysed_listing`);
* analysis of the first ``--analysis-photos`` photos (a separate small library, fresh
  user folders each time): ``photocull-cli analyze`` against the window opened on
  the same photos (scan included in both).

``--long-side PX`` links copies of the photos resized to PX on the long side instead
(made once in ``WORKDIR/photos-PX``, Lanczos, JPEG quality 90): the target on work
beside the decode is set for 1,600-px JPEGs. Enlarged copies are smoother than camera
photos of that size, so their decode is cheaper and the ratio to it pessimistic.

``--remove`` deletes the library and the user folders at the end (the photos
themselves are only linked, never touched).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PHOTO_SUFFIXES = (".jpg", ".jpeg")
PER_FOLDER = 300
DECODE_SAMPLE = 2000
GRID_SIZE = 256
SCROLL_STEPS = 200
HEARTBEAT_MS = 5
TARGETS_AT_100K = "targets are for 100,000 photos on 2 cores; smaller runs are extrapolated linearly"


@dataclass
class Run:
    """One child process: wall seconds, CPU seconds (user + system) and peak resident memory."""

    wall: float
    cpu: float
    peak_mib: float
    code: int
    stdout: str = ""
    stderr: str = ""


@dataclass
class Row:
    name: str
    value: str
    target: str = ""
    met: bool | None = None


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)

    def add(self, name: str, value: str, target: str = "", met: bool | None = None) -> None:
        self.rows.append(Row(name, value, target, met))
        print(f"  {name}: {value}" + (f"   (target {target}: {'met' if met else 'NOT met'})" if target else ""),
              flush=True)

    def table(self) -> str:
        lines = ["| figure | measured | target | |", "|---|---|---|---|"]
        for row in self.rows:
            verdict = "" if row.met is None else ("met" if row.met else "**not met**")
            lines.append(f"| {row.name} | {row.value} | {row.target} | {verdict} |")
        return "\n".join(lines)


# ----------------------------------------------------------------- the library


def build_library(source: Path, library: Path, count: int) -> Path:
    """``count`` hard links to the photos of ``source`` (cycled), ``PER_FOLDER`` to a folder; reused when complete."""
    marker = library / ".complete"
    if marker.exists() and marker.read_text() == str(count):
        return library
    photos = sorted(p for p in source.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file())
    if not photos:
        raise SystemExit(f"no JPEG photos under {source}")
    shutil.rmtree(library, ignore_errors=True)
    started = time.monotonic()
    for index in range(count):
        folder = library / f"shoot{index // PER_FOLDER:04d}"
        if index % PER_FOLDER == 0:
            folder.mkdir(parents=True)
        original = photos[index % len(photos)]
        os.link(original, folder / f"IMG_{index:06d}{original.suffix.lower()}")
    library.joinpath(".complete").write_text(str(count))
    print(f"linked {count} photos ({len(photos)} distinct) into {library} in {time.monotonic() - started:.1f} s")
    return library


def user_dirs(base: Path) -> dict[str, str]:
    """Isolated XDG folders under ``base``: the environment for every child process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        path = base / var.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    return env


def run(command: list[str], env: dict[str, str], *, stdout_to: Path | None = None) -> Run:
    """Run ``command`` to its end and measure it with ``wait4`` (this child alone, not its siblings)."""
    work = Path(env["XDG_CACHE_HOME"]).parent
    stdout_path = stdout_to or work / "stdout.txt"
    stderr_path = work / "stderr.txt"
    started = time.perf_counter()
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    stdout = "" if stdout_to else stdout_path.read_text(errors="replace")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode,
               stdout, stderr_path.read_text(errors="replace"))


def engine(*args: str) -> list[str]:
    return [sys.executable, "-m", "engine", *args]


def resized_copies(source: Path, folder: Path, long_side: int) -> Path:
    """The JPEGs of ``source`` resized to ``long_side`` px on the long side, in ``folder`` (made once)."""
    from PIL import Image

    marker = folder / ".complete"
    if marker.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for photo in sorted(p for p in source.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file()):
        with Image.open(photo) as image:
            scale = long_side / max(image.size)
            size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
            image.convert("RGB").resize(size, Image.Resampling.LANCZOS).save(folder / f"{photo.stem}.jpg", quality=90)
    marker.write_text(str(long_side))
    return folder


# ----------------------------------------------------------------- the decode limit


def reduced_decode(path: Path) -> None:
    """The decode every scan must pay: DCT-scaled to the grid size, nothing more."""
    from PIL import Image

    with Image.open(path) as image:
        scale = GRID_SIZE / max(image.size)
        image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        image.load()


def decode_limit(files: list[Path], workers: int) -> tuple[float, float]:
    """(photos/s, CPU ms per photo) of the reduced decode alone on ``workers`` threads."""
    wall, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(reduced_decode, files))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(files) / wall, 1000 * cpu / len(files)


# ----------------------------------------------------------------- sizes


def folder_bytes(folder: Path) -> tuple[int, int]:
    total = files = 0
    for dirpath, _, names in os.walk(folder):
        for name in names:
            try:
                total += os.stat(os.path.join(dirpath, name)).st_size
                files += 1
            except OSError:
                continue
    return total, files


def mib(size: float) -> str:
    return f"{size / 2**20:.1f} MiB"


# ----------------------------------------------------------------- the measurements


def at_100k(run_: Run, start: Run, n: int) -> tuple[float, float]:
    """Seconds at 100,000 photos, extrapolated linearly (the start-up counted once): from the wall-clock
    time, and from the CPU time, which is what the single-threaded command takes on 2 cores nobody else uses."""
    scale = 100_000 / n
    return (start.wall + max(0.0, run_.wall - start.wall) * scale,
            start.cpu + max(0.0, run_.cpu - start.cpu) * scale)


def measure_cli(library: Path, env: dict[str, str], workdir: Path, n: int, workers: int, results: Results) -> None:
    files = sorted(library.rglob("IMG_*"))[:DECODE_SAMPLE]
    reduced_decode(files[0])   # warm the import
    decode_rate, decode_ms = decode_limit(files, workers)
    start = run(engine("list", str(workdir / "not-a-library")), env)   # interpreter and imports only
    results.add("command start-up (python -m engine)", f"{start.wall:.2f} s, CPU {start.cpu:.2f} s")
    scan = run(engine("scan", str(library), "--workers", str(workers), "--quiet"), env)
    if scan.code not in (0, 1):
        raise SystemExit(f"scan failed: {scan.stderr}")
    scan_rate, scan_ms = n / scan.wall, 1000 * max(0.0, scan.cpu - start.cpu) / n
    beside = scan_ms - decode_ms
    results.add("first scan", f"{scan_rate:.0f} photos/s ({scan.wall:.1f} s), CPU {scan_ms:.2f} ms/photo "
                f"(net of start-up), peak {scan.peak_mib:.0f} MiB")
    results.add("decode-only limit", f"{decode_rate:.0f} photos/s, CPU {decode_ms:.2f} ms/photo "
                f"({len(files)} files, {workers} threads)")
    results.add("scan / decode-only speed", f"{scan_rate / decode_rate:.2f} (wall; CPU {decode_ms / scan_ms:.2f})")
    results.add("scan work beside the decode", f"{beside:.2f} ms/photo = {beside / decode_ms:.2f} of the decode (CPU)",
                "<= 0.5 of the decode", beside <= 0.5 * decode_ms)
    rescan = run(engine("scan", str(library), "--workers", str(workers), "--quiet"), env)
    wall, cpu = at_100k(rescan, start, n)
    results.add("rescan, unchanged", f"{rescan.wall:.2f} s (CPU {rescan.cpu:.2f} s); at 100k ≈ {wall:.1f} s wall, "
                f"{cpu:.1f} s CPU; peak {rescan.peak_mib:.0f} MiB", "< 5 s at 100k (judged on CPU)", cpu < 5)
    measure_listing(library, env, workdir, n, start, results)
    catalog = sum(p.stat().st_size for p in Path(env["XDG_DATA_HOME"]).rglob("*.sqlite*"))
    thumbs, count = folder_bytes(Path(env["XDG_CACHE_HOME"]) / "photocull" / "thumbnails")
    results.add("catalog size", f"{mib(catalog)} ({catalog / n / 1024:.2f} KiB/photo)")
    results.add("thumbnail cache", f"{mib(thumbs)} in {count} files ({thumbs / max(count, 1) / 1024:.1f} KiB each)")


def measure_listing(library: Path, env: dict[str, str], workdir: Path, n: int, start: Run, results: Results,
                    label: str = "") -> None:
    """``list --format json`` and ``--format csv`` of the whole library, extrapolated to 100k."""
    for fmt in ("json", "csv"):
        out = workdir / f"list.{fmt}"
        listing = run(engine("list", str(library), "--format", fmt), env, stdout_to=out)
        if listing.code != 0:
            raise SystemExit(f"list failed: {listing.stderr}")
        size = out.stat().st_size
        wall, cpu = at_100k(listing, start, n)
        results.add(f"list --format {fmt}{label}", f"{listing.wall:.2f} s (CPU {listing.cpu:.2f} s); at 100k ≈ "
                    f"{wall:.1f} s wall, {cpu:.1f} s CPU; {mib(size)}, peak {listing.peak_mib:.0f} MiB",
                    "< 5 s at 100k (judged on CPU)" if fmt == "json" else "", cpu < 5 if fmt == "json" else None)
        out.unlink()


def measure_analysed_listing(photos: Path, library: Path, env: dict[str, str], workdir: Path, n: int,
                             results: Results) -> None:
    """The listing once every photo has an analysis (scores, quality map, cues, faces, bursts).

    Analysing N photos here would take hours, but the library's photos are links to a few distinct
    files: those are analysed once by ``photocull-cli analyze`` (a library of one link each, reused
    while its marker stands) and each link in the big catalog gets its file's stored rows.
    """
    distinct = len([p for p in photos.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES and p.is_file()])
    analysed = build_library(photos, workdir / f"analysed-{distinct}", distinct)
    analysed_env = user_dirs(workdir / f"xdg-analysed-{distinct}")
    marker = analysed / ".analysed"
    if not marker.exists():
        done = run(engine("analyze", str(analysed)), analysed_env)
        if done.code not in (0, 1):
            raise SystemExit(f"analyze failed: {done.stderr[-2000:]}")
        marker.write_text(f"{done.wall:.1f} s")
    copied = copy_analyses(catalog_file(analysed_env), catalog_file(env), distinct)
    results.add("analysed library", f"{copied} photos given the analysis of their file ({distinct} distinct files, "
                f"analysed by photocull-cli analyze in {marker.read_text()})")
    start = run(engine("list", str(workdir / "not-a-library")), env)
    measure_listing(library, env, workdir, n, start, results, label=", every photo analysed")


#: Tables holding one photo's analysis, copied by :func:`copy_analyses` (pair scores and embeddings are not listed).
ANALYSIS_TABLES = ("photo_analysis", "photo_scores", "photo_cues", "faces", "bursts")


def catalog_file(env: dict[str, str]) -> Path:
    """The one catalog under a set of isolated user folders."""
    found = sorted(Path(env["XDG_DATA_HOME"]).rglob("*.sqlite"))
    if len(found) != 1:
        raise SystemExit(f"expected one catalog under {env['XDG_DATA_HOME']}, found {len(found)}")
    return found[0]


def copy_analyses(source: Path, target: Path, distinct: int) -> int:
    """Each ``IMG_k`` of the target catalog gets the rows of ``IMG_(k mod distinct)`` of the source (the same file,
    see :func:`build_library`); returns how many photos got an analysis."""
    import sqlite3

    conn = sqlite3.connect(target, isolation_level=None)
    try:
        conn.execute("ATTACH DATABASE ? AS src", (str(source),))
        conn.execute("BEGIN")
        conn.execute("CREATE TEMP TABLE link AS SELECT t.id AS id, s.id AS src_id FROM photos t JOIN src.photos s "
                     "ON CAST(substr(s.stem, 5) AS INTEGER) = CAST(substr(t.stem, 5) AS INTEGER) % ?", (distinct,))
        for table in ANALYSIS_TABLES:
            columns = [row[1] for row in conn.execute(f"PRAGMA src.table_info({table})") if row[1] != "photo_id"]
            names = ", ".join(columns)
            conn.execute(f"DELETE FROM main.{table}")
            conn.execute(f"INSERT INTO main.{table}(photo_id, {names}) SELECT link.id, {names} "
                         f"FROM src.{table} JOIN link ON link.src_id = src.{table}.photo_id")
        conn.execute("INSERT OR IGNORE INTO main.model_sets SELECT * FROM src.model_sets")
        conn.execute("COMMIT")
        return conn.execute("SELECT COUNT(*) FROM main.photo_analysis").fetchone()[0]
    finally:
        conn.close()


def measure_window(library: Path, env: dict[str, str], workdir: Path, results: Results) -> None:
    report = workdir / "window.json"
    probe = run([sys.executable, str(Path(__file__).resolve()), "--window-probe", str(library), "--out", str(report)],
                env)
    if probe.code != 0 or not report.exists():
        results.add("window", f"probe failed ({probe.code}): {probe.stderr[-2000:]}")
        return
    found = json.loads(report.read_text())
    results.add("window: first screen of thumbnails", f"{found['first_screen_s']:.2f} s after opening "
                f"({found['first_screen_tiles']} tiles, {found['rows']} rows listed)", "< 2 s",
                found["first_screen_s"] < 2)
    for name in ("sort", "filter"):
        ms = found[f"{name}_ms"]
        results.add(f"window: {name} change", f"{ms:.0f} ms ({found[f'{name}_what']})", "< 200 ms", ms < 200)
    stall = found["scroll_longest_stall_ms"]
    results.add("window: scroll top to bottom", f"longest stall {stall:.0f} ms, {found['scroll_over_50']} over 50 ms "
                f"in {found['scroll_s']:.1f} s; GUI-thread CPU in the longest gap {found['scroll_longest_cpu_ms']:.0f} ms "
                f"(load {found['load']:.1f})", "no stall > 50 ms", stall <= 50)
    results.add("window: peak memory", f"{probe.peak_mib:.0f} MiB", "< 1536 MiB", probe.peak_mib < 1536)


def measure_analysis(source: Path, workdir: Path, count: int, results: Results) -> None:
    library = build_library(source, workdir / f"analysis-{count}", count)
    cli_dirs = workdir / "xdg-analysis-cli"
    shutil.rmtree(cli_dirs, ignore_errors=True)
    cli = run(engine("analyze", str(library)), user_dirs(cli_dirs))
    gui_dirs = workdir / "xdg-analysis-window"
    shutil.rmtree(gui_dirs, ignore_errors=True)
    report = workdir / "analysis-window.json"
    gui = run([sys.executable, str(Path(__file__).resolve()), "--window-analyse", str(library), "--out", str(report)],
              user_dirs(gui_dirs))
    found = json.loads(report.read_text()) if report.exists() else {}
    results.add(f"analyze CLI, {count} photos", f"{cli.wall:.1f} s, CPU {cli.cpu:.1f} s, peak {cli.peak_mib:.0f} MiB "
                f"(exit {cli.code})")
    if not found:
        results.add("analysis in the window", f"probe failed ({gui.code}): {gui.stderr[-2000:]}")
        return
    ratio = found["seconds"] / cli.wall
    results.add(f"analysis in the window, {count} photos",
                f"{found['seconds']:.1f} s = {ratio:.2f}x the CLI, child CPU {found['child_cpu_s']:.1f} s, "
                f"window CPU {found['window_cpu_s']:.1f} s, status: {found['status']}", "<= 1.1x the CLI", ratio <= 1.1)


# ----------------------------------------------------------------- the window, in its own process


def _window(app_factory: Callable[[], object]):
    from photocull.app import create_window, parse_args
    from photocull.style import apply_theme

    app = app_factory()
    apply_theme(app)
    window = create_window(parse_args([]), save_settings=False)
    window.resize(1280, 820)
    window.show()
    app.processEvents()
    return app, window


def _wait(app, done: Callable[[], bool], limit_s: float) -> bool:
    end = time.monotonic() + limit_s
    while not done():
        if time.monotonic() > end:
            return False
        app.processEvents()
        time.sleep(0.001)
    return True


def _first_screen_rows(window) -> int:
    """How many tiles the grid shows without scrolling."""
    from photocull.app import rows_on_screen

    return len(rows_on_screen(window))


def _painted(app, window) -> None:
    """Run events until the grid has painted its new contents."""
    window.grid.viewport().repaint()
    app.processEvents()


def window_probe(library: Path, out: Path) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app, window = _window(lambda: QApplication(sys.argv[:1]))
    found: dict[str, object] = {}
    started = time.perf_counter()
    window.open_folder(library)
    shown = _wait(app, lambda: window.model.rowCount() > 0 and window.model.thumbnails_settled(
        max(1, _first_screen_rows(window))), 120)
    found["first_screen_s"] = time.perf_counter() - started if shown else float("inf")
    found["first_screen_tiles"] = _first_screen_rows(window)
    window.work.cancel()   # the rescan and a 100k analysis would go on for hours; measure the idle window
    _wait(app, lambda: not window.working, 300)
    found["rows"] = window.model.rowCount()

    for name, what, change in (
        ("sort", "by name", lambda: window.filters.set_sort("name")),
        ("filter", "unflagged only", lambda: window.filters.flag_box.setCurrentIndex(_unflagged_index())),
    ):
        began = time.perf_counter()
        change()
        _painted(app, window)
        found[f"{name}_ms"] = 1000 * (time.perf_counter() - began)
        found[f"{name}_what"] = what

    gaps: list[float] = []
    cpu_gaps: list[float] = []   # GUI-thread CPU between beats: the stall a machine with a free core would see
    last = [time.perf_counter(), time.thread_time()]

    def beat() -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        gaps.append(max(0.0, (now - last[0]) * 1000 - HEARTBEAT_MS))
        cpu_gaps.append(max(0.0, (cpu - last[1]) * 1000 - HEARTBEAT_MS))
        last[0], last[1] = now, cpu

    heartbeat = QTimer(interval=HEARTBEAT_MS)
    heartbeat.timeout.connect(beat)
    bar = window.grid.verticalScrollBar()
    bar.setValue(0)
    began = time.perf_counter()
    last[0], last[1] = time.perf_counter(), time.thread_time()
    heartbeat.start()
    for step in range(SCROLL_STEPS + 1):
        bar.setValue(round(bar.maximum() * step / SCROLL_STEPS))
        pause = time.monotonic() + 0.03
        while time.monotonic() < pause:
            app.processEvents()
            time.sleep(0.001)
    heartbeat.stop()
    found["scroll_s"] = time.perf_counter() - began
    found["scroll_longest_stall_ms"] = max(gaps, default=0.0)
    found["scroll_over_50"] = sum(gap > 50 for gap in gaps)
    found["scroll_longest_cpu_ms"] = max(cpu_gaps, default=0.0)
    found["load"] = os.getloadavg()[0]
    out.write_text(json.dumps(found))
    window.close()
    return 0


def _unflagged_index() -> int:
    from photocull.controllers.filters import FLAG_FILTERS

    return next(i for i, (_, flags) in enumerate(FLAG_FILTERS) if flags == frozenset({0}))


def window_analyse(library: Path, out: Path) -> int:
    import resource

    from PySide6.QtWidgets import QApplication

    app, window = _window(lambda: QApplication(sys.argv[:1]))
    cpu = time.process_time()
    started = time.perf_counter()
    window.open_folder(library)
    _wait(app, lambda: not window.working, 3000)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out.write_text(json.dumps({
        "seconds": time.perf_counter() - started, "window_cpu_s": time.process_time() - cpu,
        "child_cpu_s": children.ru_utime + children.ru_stime, "status": window.statusBar().currentMessage(),
    }))
    window.close()
    return 0


# ----------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", help="photos in the library (up to 100,000)")
    parser.add_argument("--photos", type=Path, help="folder of real JPEGs to link the library from")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/photocull-scale"))
    parser.add_argument("--workers", type=int, default=2, help="scan and decode threads")
    parser.add_argument("--long-side", type=int, help="link copies of the photos resized to this long side")
    parser.add_argument("--analysis-photos", type=int, default=300)
    parser.add_argument("--skip-window", action="store_true")
    parser.add_argument("--skip-analysis", action="store_true")
    parser.add_argument("--remove", action="store_true", help="delete the library and user folders at the end")
    parser.add_argument("--window-probe", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--window-analyse", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.window_probe:
        return window_probe(args.window_probe, args.out)
    if args.window_analyse:
        return window_analyse(args.window_analyse, args.out)
    if not args.n or not args.photos:
        raise SystemExit("usage: bench/scale.py N --photos DIR")
    workdir = args.workdir.resolve()
    photos, name = args.photos.resolve(), str(args.n)
    if args.long_side:
        photos, name = resized_copies(photos, workdir / f"photos-{args.long_side}", args.long_side), f"{name}-{args.long_side}px"
    library = build_library(photos, workdir / f"lib-{name}", args.n)
    dirs = workdir / f"xdg-{name}"
    shutil.rmtree(dirs, ignore_errors=True)   # a first scan is a first scan
    env = user_dirs(dirs)
    results = Results()
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    sizes = f"resized to {args.long_side} px" if args.long_side else "as they are"
    print(f"{args.n} photos ({sizes}), {os.cpu_count()} cores, load {load}; {TARGETS_AT_100K}")
    measure_cli(library, env, workdir, args.n, args.workers, results)
    if not args.skip_window:
        measure_window(library, env, workdir, results)
    if not args.skip_analysis:
        measure_analysed_listing(photos, library, env, workdir, args.n, results)
        measure_analysis(args.photos.resolve(), workdir, args.analysis_photos, results)
    print()
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(results.table())
    if args.remove:
        shutil.rmtree(library, ignore_errors=True)
        shutil.rmtree(dirs, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
