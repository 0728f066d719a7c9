"""Scan speed against its own limits, measured in one run on the same thread count.

    python bench/scan.py [--photos DIR] [--n 40] [--workers 2] [--workdir DIR] [--rescan-files 10000]

Builds ``--n`` 24-megapixel camera-like JPEGs (6000x4000, q92, noise sigma 6 so
they don't compress trivially, EXIF with Orientation=6 on odd files) from real
photos (``--photos``, default: the photos bundled with scikit-image), then
measures, best of ``--rounds``:

(a) decode limit: a reduced-size decode of every file (``draft`` at the grid
    size with the file's aspect ratio, as ingest does), nothing else, on the
    same thread pool;
(b) photocull's full scan: discovery, decode, metadata, grid thumbnails,
    catalog, into a fresh cache and catalog;
(c) a naive pipeline: full decode, EXIF rotation, Lanczos resize to the grid size;
(d) for reference, full decode with Pillow's ``thumbnail`` (integer pre-shrink),
    the strongest pipeline that still decodes every pixel.

It prints images/s and CPU ms per image for each (CPU time, all threads, is
what a pipeline costs whatever else a shared machine runs) and the ratios b/a (target >= 0.85: the scan adds
little to the unavoidable decode) and b/c (target >= 3: reduced decoding pays),
then times a rescan of an unchanged library of ``--rescan-files`` small files
(target < 2 s) and reports peak memory. User folders (XDG) are isolated under
the work dir, so the benchmark never touches a real catalog.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageOps

PIPELINES = {"a": "decode_limit", "b": "scan", "c": "naive", "d": "full_smart"}
SIZE = (6000, 4000)
NOISE_SIGMA = 6
QUALITY = 92
SKIMAGE_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry", "retina")
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="photocull-bench-")).resolve()
    isolate_user_dirs(workdir / "xdg")
    # Imported after the XDG variables are set, so nothing can cache a real user folder.
    from engine.library.scan import scan_library
    from engine.library.thumbnails import GRID_SIZE

    # Built in a child process so that the peak memory reported below is the scan's, not the builder's.
    with ProcessPoolExecutor(max_workers=1) as builder:
        library = builder.submit(build_library, workdir / f"library-{args.n}", args.photos, args.n).result()
    files = sorted(library.glob("*.jpg"))
    load_before = load_line()
    print(f"{len(files)} JPEGs of {SIZE[0]}x{SIZE[1]} in {library}; workers={args.workers}; {load_before}")

    best: dict[str, Timing] = {}
    peak_scan = 0.0
    for round_index in range(args.rounds):
        timings = {
            "a": timed(lambda: run_on_pool(files, lambda p: reduced_decode(p, GRID_SIZE), args.workers)),
            "b": timed(lambda: fresh_scan(scan_library, library, workdir / "xdg" / f"fresh-{round_index}", args.workers)),
        }
        peak_scan = peak_scan or peak_rss_mib()  # taken before (c), whose full frames are not the scan's cost
        timings["c"] = timed(lambda: run_on_pool(files, lambda p: naive_thumbnail(p, GRID_SIZE), args.workers))
        timings["d"] = timed(lambda: run_on_pool(files, lambda p: full_decode_smart_shrink(p, GRID_SIZE), args.workers))
        print(f"round {round_index + 1}: " + ", ".join(f"{k} {len(files) / t.wall:.1f} img/s" for k, t in timings.items()))
        best = {k: min(best.get(k, t), t, key=lambda x: x.wall) for k, t in timings.items()}

    rescan = rescan_seconds(scan_library, workdir / f"small-{args.rescan_files}", args.rescan_files, args.workers)
    n = len(files)
    results = {
        "images": n,
        "workers": args.workers,
        **{f"{name}_img_s": round(n / best[k].wall, 2) for k, name in PIPELINES.items()},
        **{f"{name}_cpu_ms_per_image": round(1000 * best[k].cpu / n, 1) for k, name in PIPELINES.items()},
        "b_over_a_wall": round(best["a"].wall / best["b"].wall, 3),
        "b_over_c_wall": round(best["c"].wall / best["b"].wall, 3),
        "b_over_a_cpu": round(best["a"].cpu / best["b"].cpu, 3),
        "b_over_c_cpu": round(best["c"].cpu / best["b"].cpu, 3),
        "b_over_d_wall": round(best["d"].wall / best["b"].wall, 3),
        "b_over_d_cpu": round(best["d"].cpu / best["b"].cpu, 3),
        "rescan_files": args.rescan_files,
        "rescan_seconds": round(rescan, 3),
        "peak_rss_scan_mib": peak_scan,
        "peak_rss_all_mib": peak_rss_mib(),
        "load_before": load_before,
        "load_after": load_line(),
    }
    report(results)
    (workdir / "results.json").write_text(json.dumps(results, indent=2))
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=Path, help="folder of source photos (default: scikit-image's bundled photos)")
    parser.add_argument("--n", type=int, default=40, help="number of 24 MP JPEGs (default 40)")
    parser.add_argument("--workers", type=int, default=2, help="decoding threads for all three pipelines (default 2)")
    parser.add_argument("--rounds", type=int, default=2, help="repetitions; the best of each is kept (default 2)")
    parser.add_argument("--workdir", type=Path, help="where the test library, catalogs and caches go (default: a temp dir)")
    parser.add_argument("--rescan-files", type=int, default=10_000, help="size of the unchanged library rescanned (default 10000)")
    return parser.parse_args(argv)


def isolate_user_dirs(base: Path) -> None:
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        (base / var.lower()).mkdir(parents=True, exist_ok=True)
        os.environ[var] = str(base / var.lower())


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} CPUs"


# ----------------------------------------------------------------- test library


def load_sources(folder: Path | None) -> list[np.ndarray]:
    if folder is None:
        from skimage import data

        return [getattr(data, name)() for name in SKIMAGE_PHOTOS]
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES)
    if not paths:
        sys.exit(f"no photos in {folder}")
    return [np.asarray(ImageOps.exif_transpose(Image.open(p)).convert("RGB")) for p in paths[:50]]


def build_library(folder: Path, photos: Path | None, count: int) -> Path:
    """Camera-like 24 MP JPEGs; reused when a previous run left them complete."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = load_sources(photos)
    rng = np.random.default_rng(0)
    for index in range(count):
        path = folder / f"IMG_{index:04d}.jpg"
        if not path.exists():
            write_camera_jpeg(path, sources[index % len(sources)], rng, orientation=6 if index % 2 else 1)
    return folder


def write_camera_jpeg(path: Path, source: np.ndarray, rng: np.random.Generator, orientation: int) -> None:
    big = np.asarray(Image.fromarray(source[..., :3]).resize(SIZE, Image.Resampling.LANCZOS))
    noisy = np.empty_like(big)
    patch = rng.normal(0, NOISE_SIGMA, (512, SIZE[0], 3)).astype(np.int16)  # a stripe of noise, reused per band
    for top in range(0, SIZE[1], 512):
        band = big[top : top + 512].astype(np.int16)
        noisy[top : top + 512] = np.clip(band + patch[: band.shape[0]], 0, 255)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = "Benchcam", "B24"
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = "2024:06:01 12:00:00"
    temp = path.with_suffix(".tmp")
    Image.fromarray(noisy).save(temp, "JPEG", quality=QUALITY, exif=exif)
    temp.rename(path)


# ----------------------------------------------------------------- pipelines


def reduced_decode(path: Path, size: int) -> None:
    """(a) The decode every scan must pay: DCT-scaled to the grid size, nothing more."""
    with Image.open(path) as image:
        scale = size / max(image.size)
        image.draft("RGB", (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        image.load()


def naive_thumbnail(path: Path, size: int) -> None:
    """(c) The textbook way: decode everything, rotate upright, resize with Lanczos."""
    with Image.open(path) as image:
        upright = ImageOps.exif_transpose(image.convert("RGB"))
        scale = size / max(upright.size)
        upright.resize((round(upright.width * scale), round(upright.height * scale)), Image.Resampling.LANCZOS)


def full_decode_smart_shrink(path: Path, size: int) -> None:
    """(d) For reference, a stronger full-decode baseline: Pillow's ``thumbnail`` first
    shrinks by an integer factor (``reducing_gap``), then rotates the small image."""
    with Image.open(path) as image:
        image = image.convert("RGB")
        image.thumbnail((size, size), Image.Resampling.LANCZOS)
        ImageOps.exif_transpose(image)


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds (all threads of this process) of one pipeline run.

    CPU time is what the pipeline costs whatever else the machine runs; on a
    shared machine the wall-clock ratios wander with the load, the CPU ones don't.
    """

    wall: float
    cpu: float


def timed(work: Callable[[], None]) -> Timing:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


def run_on_pool(files: list[Path], work: Callable[[Path], None], workers: int) -> None:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(work, files))


def fresh_scan(scan_library, library: Path, user_dirs: Path, workers: int) -> None:
    """(b) A first scan into a brand-new catalog and thumbnail cache."""
    shutil.rmtree(user_dirs, ignore_errors=True)
    isolate_user_dirs(user_dirs)
    report = scan_library(library, workers=workers)
    assert report.decoded == report.discovered and report.errors == 0, report


def rescan_seconds(scan_library, folder: Path, count: int, workers: int) -> float:
    """Median of three rescans of an unchanged library of ``count`` small JPEGs."""
    isolate_user_dirs(folder.parent / "xdg" / "rescan")
    if not folder.exists():
        tiny = folder.with_suffix(".tiny.jpg")
        Image.new("RGB", (32, 24), (90, 120, 160)).save(tiny, quality=80)
        payload = tiny.read_bytes()
        for index in range(count):
            sub = folder / f"day{index // 500:03d}"
            sub.mkdir(parents=True, exist_ok=True)
            (sub / f"IMG_{index:05d}.jpg").write_bytes(payload)
    started = time.perf_counter()
    first = scan_library(folder, workers=workers)
    print(f"first scan of {count} small files: {time.perf_counter() - started:.1f} s ({first.decoded} read)")
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        report = scan_library(folder, workers=workers)
        timings.append(time.perf_counter() - started)
        assert report.decoded == 0 and report.unchanged == count, report
    return statistics.median(timings)


def report(results: dict) -> None:
    print()
    for key, name in PIPELINES.items():
        print(
            f"({key}) {name:<13} {results[f'{name}_img_s']:7.1f} img/s   "
            f"{results[f'{name}_cpu_ms_per_image']:7.1f} ms CPU per image"
        )
    print(f"b/a = {results['b_over_a_wall']:.2f} wall, {results['b_over_a_cpu']:.2f} CPU   (target >= 0.85)")
    print(f"b/c = {results['b_over_c_wall']:.2f} wall, {results['b_over_c_cpu']:.2f} CPU   (target >= 3)")
    print(f"b/d = {results['b_over_d_wall']:.2f} wall, {results['b_over_d_cpu']:.2f} CPU   (reference)")
    print(f"rescan of {results['rescan_files']} unchanged files: {results['rescan_seconds']:.2f} s (target < 2 s)")
    print(
        f"peak RSS {results['peak_rss_scan_mib']} MiB through (a)+(b), {results['peak_rss_all_mib']} MiB "
        f"with the naive full decodes and the rescans"
    )
    print(f"before: {results['load_before']}; after: {results['load_after']}")


if __name__ == "__main__":
    sys.exit(main())
