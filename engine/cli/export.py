"""``photocull-cli export DIR --picks --to DEST``: copy (or move) the picked photos.

Each photo goes with its partners (RAW+JPEG) and sidecars. Folders are kept
(``--flatten`` puts everything in DEST). Nothing in DEST is overwritten: a taken
name gets a suffix (``IMG_1-1.CR2``) shared by the photo's files. Every copy
is checked (size and sha256) before it is used; ``--move`` deletes a photo's
sources only after all its copies checked out.

Exit code 1 when some photo could not be exported (its sources are kept).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.cli.library_scope import library_of, progress_bar, report_problems
from engine.decisions.export_picks import export_picks

NAME = "export"
HELP = "copy (or --move) picked photos with their partners and sidecars to another folder"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="library folder or a folder inside it")
    parser.add_argument("--picks", action="store_true", required=True, help="export the picked photos")
    parser.add_argument("--to", dest="destination", type=Path, required=True, metavar="DEST",
                        help="destination folder (created if needed)")
    parser.add_argument("--move", action="store_true", help="remove the sources once their copies are verified")
    parser.add_argument("--flatten", action="store_true", help="put every photo directly in DEST")


def run(args: argparse.Namespace) -> int:
    with library_of(args.dir) as (catalog, photos):
        with progress_bar("moving" if args.move else "copying") as progress:
            report = export_picks(catalog, args.destination, photos=photos, move=args.move,
                                  flatten=args.flatten, progress=progress)
    verb = "moved" if args.move else "copied"
    print(f"{report.exported} photo(s) {verb} ({len(report.copied)} files) to {args.destination}")
    return report_problems(report.problems)
