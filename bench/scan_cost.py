"""Where a first scan's CPU goes per photo, beside the decode that ``bench/scale.py`` takes as its baseline.

    python bench/scan_cost.py DIR [--files 600] [--rounds 3]

Single-threaded, on the JPEGs of DIR (a folder of photos or a ``bench/scale.py``
library). For each file it times, with the thread's CPU clock, the baseline of
``bench/scale.py`` (a DCT-scaled decode to the grid size, nothing else) and then
each step of the scan's own path (:func:`engine.library.thumbnails.ingest` and the
thumbnail store) in ms per photo: open, metadata, identity and cache lookup,
the scan's decode, colour and orientation, the shrink to the grid size, and the
stored thumbnail's JPEG encode and file write, the last two once between decodes
(as the scan did before) and once a batch back to back (as the scan does now).
Catalog writes and the scan's threads are not in this loop: ``bench/scale.py``
measures the whole scan.

Timing steps one by one adds a little of its own, so the steps' sum is a little
above a plain ``ingest``; the "beside" line is the sum of every step but the
decode, less what the baseline's open costs beyond the scan's decode.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import PHOTO_SUFFIXES, reduced_decode  # noqa: E402  (bench/scale.py, the baseline it judges by)

from engine.library import decode, thumbnails  # noqa: E402
from engine.library.metadata import metadata_of  # noqa: E402

BATCH = 50   # the scan's default batch_files


class Steps:
    """CPU seconds per named step, summed over files."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.mark = time.thread_time()

    def restart(self) -> None:
        self.mark = time.thread_time()

    def took(self, name: str) -> None:
        now = time.thread_time()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self.mark
        self.mark = now


def scan_steps(path: Path, cache: thumbnails.ThumbnailCache, steps: Steps):
    """The scan's path for one file up to the grid image, step by step; returns (identity, grid image)."""
    with decode.open_source(path) as source:
        steps.took("open (file, header markers)")
        metadata_of(source)
        thumbnails._may_embed_xmp(source.image)
        steps.took("metadata")
        ident = thumbnails.FileIdentity.of(path, source.stat)
        cache.get(ident, thumbnails.GRID_SIZE)
        steps.took("identity and cache lookup")
        image = source.image
        image.draft(None, decode._draft_request(image.size, thumbnails.GRID_SIZE))
        image.load()
        steps.took("decode (the scan's own)")
        pending = image.getexif().get(decode.ORIENTATION_TAG, 1)
        icc = image.info.get("icc_profile")
        pixels = decode._to_managed_mode(image)
        steps.took("colour and orientation")
        pixels = decode.shrink(pixels, thumbnails.GRID_SIZE, thumbnails.GRID_RESAMPLE)
        steps.took("shrink to 256 px (Hamming)")
        pixels = decode._to_srgb(pixels, icc)
        transpose = decode._TRANSPOSE_FOR_ORIENTATION.get(pending)
        pixels = pixels.transpose(transpose) if transpose is not None else pixels
        steps.took("colour and orientation")
    steps.took("open (file, header markers)")
    return ident, pixels


def store(cache: thumbnails.ThumbnailCache, ident: thumbnails.FileIdentity, image, steps: Steps, when: str) -> None:
    encoded = io.BytesIO()
    image.save(encoded, "JPEG", quality=thumbnails.JPEG_QUALITY)
    steps.took(f"JPEG encode, {when}")
    thumbnails._write_atomically(cache.path_for(ident, thumbnails.GRID_SIZE), encoded.getbuffer())
    steps.took(f"file write, {when}")


def one_round(files: list[Path], steps: Steps) -> None:
    """Every file once; odd files store their thumbnail at once, even ones in batches of ``BATCH``."""
    folder = Path(tempfile.mkdtemp(prefix="scan-cost-"))
    cache = thumbnails.ThumbnailCache(folder)
    batch: list = []
    for index, path in enumerate(files):
        steps.restart()
        reduced_decode(path)
        steps.took("baseline: reduced decode")
        ident, image = scan_steps(path, cache, steps)
        if index % 2:
            store(cache, ident, image, steps, "between decodes")
            continue
        batch.append((ident, image))
        if len(batch) == BATCH:
            store_batch(cache, batch, steps)
    store_batch(cache, batch, steps)
    shutil.rmtree(folder)


def store_batch(cache: thumbnails.ThumbnailCache, batch: list, steps: Steps) -> None:
    steps.restart()
    for ident, image in batch:
        store(cache, ident, image, steps, "batched")
    batch.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    files = sorted(p for p in args.dir.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES)[: args.files]
    if len(files) < 2:
        raise SystemExit(f"need at least 2 JPEGs under {args.dir}")
    one_round(files[:50], Steps())   # warm imports and caches
    steps = Steps()
    for _ in range(args.rounds):
        one_round(files, steps)
    photos = len(files) * args.rounds
    halves = {"between decodes": (len(files) // 2) * args.rounds, "batched": (len(files) - len(files) // 2) * args.rounds}
    per = {}
    for name, seconds in steps.seconds.items():
        count = next((n for when, n in halves.items() if name.endswith(when)), photos)
        per[name] = 1000 * seconds / count
    print(f"{len(files)} JPEGs of {args.dir}, {args.rounds} rounds, one thread; load {os.getloadavg()[0]:.1f}")
    for name, ms in per.items():
        print(f"  {name:38s} {ms:6.3f} ms/photo")
    scan_decode = per["decode (the scan's own)"]
    baseline = per["baseline: reduced decode"]
    rest = sum(ms for name, ms in per.items() if not name.startswith(("baseline", "decode", "JPEG", "file")))
    for when in halves:
        beside = rest + scan_decode - baseline + per[f"JPEG encode, {when}"] + per[f"file write, {when}"]
        print(f"  beside the decode, thumbnails stored {when}: {beside:.2f} ms/photo = {beside / baseline:.2f} "
              f"of the baseline decode (target <= 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
