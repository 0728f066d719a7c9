"""``photocull-cli errors DIR``: the files a scan could not read, and why.

JSON output schema ``photocull.errors/1``::

    {
      "schema": "photocull.errors/1",
      "library": "/absolute/path/of/the/library",
      "errors": [
        {
          "path": "day1/IMG_0002.JPG",   # relative to the library ('.' for the library folder itself)
          "reason": "truncated",         # empty_file | truncated | not_an_image | unsupported | too_large |
                                         # permission_denied | missing | corrupt
          "message": "JPEG data ends early (truncated file)",   # one sentence for people
          "size": 1234, "mtime_ns": 1714550400000000000,        # of the file when it failed, or null
          "at": 1714550400.5             # unix seconds when it was recorded
        }
      ]
    }
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from engine.cli.output import add_format_argument, write_records
from engine.library.catalog import Catalog

NAME = "errors"
HELP = "list the files of a scanned library that could not be read"
SCHEMA = "photocull.errors/1"
TABLE_COLUMNS = ("path", "reason", "message")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="library folder (scanned before with `photocull-cli scan`)")
    add_format_argument(parser)


def run(args: argparse.Namespace) -> int:
    with Catalog.open(args.dir, create=False) as catalog:
        records = [dataclasses.asdict(error) for error in catalog.scan_errors()]
        envelope = {"schema": SCHEMA, "library": str(catalog.root)}
    write_records(records, args.format, sys.stdout, table_columns=TABLE_COLUMNS, envelope=envelope, key="errors")
    return 0
