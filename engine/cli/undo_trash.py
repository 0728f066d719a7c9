"""``photocull-cli undo-trash DIR``: put back what the last ``trash`` command sent to the trash.

Works with the freedesktop.org trash (Linux and other Unix desktops). Files
whose place was taken again, or that are no longer in the trash, are
reported and left where they are. On Windows and macOS it exits 1 with a
pointer to the system's Trash / Recycle Bin.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.cli.library_scope import library_of, report_problems
from engine.decisions.trash import TrashUndoUnavailable, undo_trash

NAME = "undo-trash"
HELP = "restore the files the last `trash` command moved to the system trash"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="library folder (as given to `trash`)")
    parser.add_argument("--batch", type=int, help="restore this trash batch instead of the latest")


def run(args: argparse.Namespace) -> int:
    with library_of(args.dir) as (catalog, _):
        try:
            report = undo_trash(catalog, args.batch)
        except TrashUndoUnavailable as exc:
            print(f"photocull-cli undo-trash: {exc}", file=sys.stderr)
            return 1
    print(f"{len(report.restored)} file(s) restored" if report.batch else "nothing to restore")
    return report_problems(report.problems)
