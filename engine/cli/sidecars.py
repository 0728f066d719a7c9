"""``photocull-cli sidecars DIR --write|--import``: exchange decisions with XMP sidecars.

``--write`` records every decided photo's flag, stars and label in XMP
sidecars (``--naming adobe``: ``IMG_1.xmp``, the default, read by Lightroom
and Capture One; ``--naming darktable``: ``IMG_1.CR2.xmp``, read by darktable
and digiKam). Existing sidecars are updated in place, keeping everything other
programs stored there; malformed ones are reported and left untouched.
``--lightroom-pick`` also writes ``xmpDM:pick``/``xmpDM:good`` (unconfirmed by
Adobe; see engine/xmp.py).

``--import`` reads ratings, labels and rejects from sidecars and embedded XMP;
for each photo the newer of the sidecar and the catalog's decision wins.
One ``photocull-cli decide DIR --undo`` reverts a whole import.

Exit code 1 when some sidecar could not be read or written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.cli.library_scope import library_of, progress_bar, report_problems
from engine.decisions.sidecars import Naming, SidecarSettings, import_sidecars, write_sidecars

NAME = "sidecars"
HELP = "write decisions to XMP sidecars (--write) or import them from sidecars (--import)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="library folder or a folder inside it")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="write the catalog's decisions to sidecars")
    mode.add_argument("--import", dest="import_", action="store_true", help="import decisions from sidecars")
    parser.add_argument("--naming", choices=[n.value for n in Naming], default=Naming.ADOBE.value,
                        help="new sidecar names: adobe = IMG_1.xmp (default), darktable = IMG_1.CR2.xmp")
    parser.add_argument("--lightroom-pick", action="store_true",
                        help="also write Lightroom's xmpDM:pick/good flags (unverified against Adobe docs)")


def run(args: argparse.Namespace) -> int:
    with library_of(args.dir) as (catalog, photos):
        if args.write:
            settings = SidecarSettings(Naming(args.naming), args.lightroom_pick)
            with progress_bar("writing sidecars") as progress:
                report = write_sidecars(catalog, settings, photos=photos, progress=progress)
            print(f"{len(report.written)} sidecar(s) written, {report.unchanged} already up to date")
        else:
            with progress_bar("importing sidecars") as progress:
                report = import_sidecars(catalog, photos=photos, progress=progress)
            print(f"{report.imported} photo(s) updated from sidecars, "
                  f"{report.kept} kept (decided in photocull after the sidecar changed)")
    return report_problems(report.problems)
