"""``photocull-cli scan DIR``: build or update the catalog of a library, with a progress bar.

Only new and changed files are decoded; run it again at any time (also after
Ctrl-C or a crash: it resumes). Nothing is written next to the photos.
Exit code 1 when the library has unreadable files (``photocull-cli errors DIR``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from engine.library.scan import ScanReport, scan_library

NAME = "scan"
HELP = "scan a folder (recursively) into its catalog: metadata and thumbnails, incrementally"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="library folder")
    parser.add_argument(
        "--workers", type=int, default=min(4, os.cpu_count() or 1),
        help="decoding threads (default: CPU cores, at most 4)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no summary")


def run(args: argparse.Namespace) -> int:
    bar = tqdm(unit="file", desc="scanning", disable=args.quiet or None, dynamic_ncols=True)

    def progress(done: int, total: int, current: str) -> None:
        if bar.total != total:
            bar.total = total
        bar.set_postfix_str(current[-40:], refresh=False)
        bar.update(done - bar.n)

    try:
        report = scan_library(args.dir, workers=max(1, args.workers), progress=progress)
    finally:
        bar.close()
    if not args.quiet:
        print(summary(report, args.dir), file=sys.stderr)
    return 1 if report.errors else 0


def summary(report: ScanReport, library: Path) -> str:
    text = (
        f"{report.discovered} files in {report.seconds:.1f} s: {report.decoded} photos read, "
        f"{report.unchanged} files unchanged, {report.removed} files gone"
    )
    if report.errors:
        text += f"; {report.errors} unreadable (photocull-cli errors {library})"
    return text
