"""``photocull-cli trash DIR --rejects``: send the rejected photos to the system trash.

Every file of each rejected photo (RAW+JPEG partners) and its sidecars go to
the operating system's trash, never deleted outright; what went is recorded,
and ``photocull-cli undo-trash DIR`` puts it back (Linux/freedesktop trash;
on Windows and macOS restore from the Recycle Bin / Trash).

Exit code 1 when some file could not be moved to the trash.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.cli.library_scope import library_of, progress_bar, report_problems
from engine.decisions.trash import can_undo, trash_rejects

NAME = "trash"
HELP = "move rejected photos (with partners and sidecars) to the system trash"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="library folder or a folder inside it")
    parser.add_argument("--rejects", action="store_true", required=True, help="trash the rejected photos")


def run(args: argparse.Namespace) -> int:
    with library_of(args.dir) as (catalog, photos):
        with progress_bar("trashing") as progress:
            report = trash_rejects(catalog, photos=photos, progress=progress)
    print(f"{len(report.trashed)} file(s) moved to the trash")
    if report.trashed:
        print(f"undo with: photocull-cli undo-trash {args.dir}" if can_undo()
              else "to undo, restore them from the system Trash / Recycle Bin")
    return report_problems(report.problems)
