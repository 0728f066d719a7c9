"""``photocull-cli`` (also ``python -m engine``): headless commands over a library.

Usage::

    photocull-cli scan ~/Pictures/2024-wedding          # build or update the catalog
    photocull-cli list ~/Pictures/2024-wedding --sort time --format json
    photocull-cli errors ~/Pictures/2024-wedding --format csv

Exit codes (stable; scripts may rely on them):

====  =========================================================
0     success
1     finished, but some files could not be read (see ``errors``)
2     usage error (bad arguments)
3     library or catalog not found or unreadable
130   interrupted (Ctrl-C); finished work is kept
====  =========================================================

Adding a command: create ``engine/cli/<module>.py`` exposing ``NAME``,
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``, then add the
module's name to ``COMMAND_MODULES``. Commands raise :class:`LibraryNotFound`
or :class:`~engine.library.catalog.CatalogError` for exit code 3; ``main`` turns them
and Ctrl-C into the codes above so each command stays short.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from engine.library.catalog import CatalogError
from engine.library.scan import LibraryNotFound

EXIT_OK = 0
EXIT_FILE_ERRORS = 1
EXIT_USAGE = 2
EXIT_NO_LIBRARY = 3
EXIT_INTERRUPTED = 130

#: Command modules inside ``engine.cli``, in the order ``--help`` lists them.
COMMAND_MODULES: list[str] = [
    "scan",
    "listing",
    "errors",
    "decide",
    "sidecars",
    "export",
    "trash",
    "undo_trash",
    "analyze",
    "models",
    "personalize",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="photocull-cli",
        description="Cull photos from the command line: scan a folder, list its photos and decisions.",
        epilog="Exit codes: 0 ok, 1 some files unreadable, 2 usage error, 3 library/catalog not found, 130 interrupted.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(f"{__name__}.{module_name}")
        sub = commands.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 0 for --help and 2 for usage errors
        return int(exc.code or 0)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("photocull-cli: interrupted; finished work is saved.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (LibraryNotFound, CatalogError) as exc:
        print(f"photocull-cli: {exc}", file=sys.stderr)
        return EXIT_NO_LIBRARY
