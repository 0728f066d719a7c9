"""``photocull-cli list DIR``: one record per photo, with its files, metadata and decision.

JSON output schema ``photocull.list/1`` (stable: fields are only ever added,
never renamed or removed, within version 1)::

    {
      "schema": "photocull.list/1",
      "library": "/absolute/path/of/the/library",
      "sort": "time",                      # time | name | size | folder
      "photos": [
        {
          "id": 12,                        # catalog id of the photo (stable for this catalog)
          "path": "day1/IMG_0001.JPG",     # primary file, relative to the library, '/' separators;
                                           # "" when every file of the photo is gone (status "missing")
          "files": ["day1/IMG_0001.JPG", "day1/IMG_0001.CR2"],   # primary first, then partners
          "folder": "day1",                # "" for the library root
          "capture_time": "2024-05-01T10:00:00.120+02:00",      # ISO 8601 or null
          "capture_time_source": "exif",   # exif | mtime | null
          "make": "Canon", "model": "EOS R5", "lens": "RF24-70mm F2.8 L IS USM",  # or null
          "focal_length": 50.0,            # mm, or null
          "aperture": 2.8,                 # f-number, or null
          "shutter": 0.004,                # seconds, or null
          "iso": 400,                      # or null
          "width": 6000, "height": 4000,   # pixels as displayed (after orientation), or null
          "orientation": 1,                # EXIF orientation 1..8, or null
          "size": 6123456,                 # bytes of the primary file, or null
          "status": "ok",                  # ok | error (unreadable, kept for its decision) | missing (files gone)
          "flag": 0,                       # 1 pick, 0 none, -1 reject
          "rating": 0,                     # 0..5
          "label": null                    # null | Red | Yellow | Green | Blue | Purple
        }
      ]
    }

CSV has the same fields as columns (``files`` joined with ``;``, null as an
empty cell); ``table`` shows a readable subset.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from engine.catalog import SORT_ORDERS, Catalog, PhotoRecord
from engine.cli.output import add_format_argument, write_records

NAME = "list"
HELP = "list the photos of a scanned library with metadata and decisions"
SCHEMA = "photocull.list/1"

FIELDS = (
    "id", "path", "files", "folder", "capture_time", "capture_time_source", "make", "model", "lens",
    "focal_length", "aperture", "shutter", "iso", "width", "height", "orientation", "size", "status",
    "flag", "rating", "label",
)
TABLE_COLUMNS = ("path", "capture_time", "model", "size", "status", "flag", "rating", "label")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="library folder (scanned before with `photocull-cli scan`)")
    parser.add_argument("--sort", choices=tuple(SORT_ORDERS), default="time", help="order (default: time)")
    add_format_argument(parser)


def run(args: argparse.Namespace) -> int:
    with Catalog.open(args.dir, create=False) as catalog:
        records = [photo_fields(photo) for photo in catalog.photos(sort=args.sort)]
        envelope = {"schema": SCHEMA, "library": str(catalog.root), "sort": args.sort}
    write_records(records, args.format, sys.stdout, table_columns=TABLE_COLUMNS, envelope=envelope, key="photos")
    return 0


def photo_fields(photo: PhotoRecord) -> dict[str, Any]:
    """One photo as the documented flat record (key order = ``FIELDS``)."""
    values = dataclasses.asdict(photo)
    values["files"] = list(photo.files)
    return {name: values[name] for name in FIELDS}
