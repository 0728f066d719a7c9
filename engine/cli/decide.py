"""``photocull-cli decide PATH...``: pick, reject, rate or label photos in their catalog.

PATH is a photo file (any file of it: ``IMG_1.CR2`` and ``IMG_1.JPG`` are one
photo) or a folder (every photo inside). The library is found from the path
(the innermost scanned folder holding it). All photos change as one action:
``--undo`` reverts it, ``--redo`` re-applies it. Sidecars are not written
here: run ``photocull-cli sidecars DIR --write`` (the app can do it on every change).

Exit code 1 when some PATH is not a photo of a scanned library.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.cli.library_scope import library_of
from engine.decisions.record import KEEP, PICK, REJECT, UNFLAGGED, parse_label, redo, set_decisions, undo
from engine.library.catalog import PhotoRecord

NAME = "decide"
HELP = "pick/reject/unflag photos, set stars (0-5) or a colour label; --undo/--redo the last change"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="photo files or folders")
    flag = parser.add_mutually_exclusive_group()
    flag.add_argument("--pick", dest="flag", action="store_const", const=PICK, default=KEEP)
    flag.add_argument("--reject", dest="flag", action="store_const", const=REJECT)
    flag.add_argument("--unflag", dest="flag", action="store_const", const=UNFLAGGED)
    flag.add_argument("--undo", action="store_true", help="revert the last change in this library")
    flag.add_argument("--redo", action="store_true", help="re-apply the last undone change")
    parser.add_argument("--stars", type=int, choices=range(6), default=KEEP, metavar="N", help="rating 0-5")
    parser.add_argument("--label", type=_label, default=KEEP, metavar="COLOR",
                        help="Red, Yellow, Green, Blue, Purple, or none")


def run(args: argparse.Namespace) -> int:
    if args.undo or args.redo:
        with library_of(args.paths[0]) as (catalog, _):
            touched = (undo if args.undo else redo)(catalog)
        print(f"{'undid' if args.undo else 'redid'} a change to {len(touched)} photo(s)" if touched
              else f"nothing to {'undo' if args.undo else 'redo'}")
        return 0
    if args.flag is KEEP and args.stars is KEEP and args.label is KEEP:
        print("photocull-cli decide: give --pick, --reject, --unflag, --stars or --label", file=sys.stderr)
        return 2
    unknown = 0
    for path in args.paths:
        with library_of(path if path.is_dir() else path.parent) as (catalog, photos):
            chosen = photos if path.is_dir() else _photo_of(catalog, path)
            if not chosen:
                print(f"{path}: not a photo of the library {catalog.root} (scan it first?)", file=sys.stderr)
                unknown += 1
                continue
            set_decisions(catalog, [p.id for p in chosen], flag=args.flag, rating=args.stars, label=args.label)
            print(f"{path}: {len(chosen)} photo(s) updated")
    return 1 if unknown else 0


def _photo_of(catalog, path: Path) -> list[PhotoRecord]:
    try:
        found = catalog.photo_by_path(path.expanduser().resolve())
    except ValueError:   # outside this library
        return []
    return [found] if found else []


def _label(text: str) -> str | None:
    try:
        return parse_label(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
