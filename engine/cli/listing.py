"""``photocull-cli list DIR``: one record per photo, with its files, metadata and decision.

JSON output schema ``photocull.list/1`` (stable: fields are only ever added,
never renamed or removed, within version 1; the analysis fields from ``sort_score``
on were added compatibly with ``photocull-cli analyze``)::

    {
      "schema": "photocull.list/1",
      "library": "/absolute/path/of/the/library",
      "sort": "time",                      # time | name | size | folder | score (best first, unanalysed last)
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
          "label": null,                   # null | Red | Yellow | Green | Blue | Purple
          "sort_score": 7.4,               # 1..10 from the aesthetic model, else the technical one; null if none
          "sort_task": "technical",        # aesthetic | technical | null
          "analysis_status": "ok",         # ok | error (see analysis.error_message) | null (not analysed)
          "blurry": false,                 # subject soft (engine.analysis.cues), or null
          "eyes_closed": false,            # a prominent face has closed eyes; null when no face was measured
          "burst_id": 12,                  # id of the group's first photo; photos alone form their own group
          "burst_kind": "burst",           # single | burst | bracket | null
          "burst_rank": 1,                 # 1 = best of its group, or null
          "is_best": true,                 # or null
          "burst_reasons": ["subject sharper than #2"],   # short reasons for the rank
          "analysis": {                    # every detail; null when not analysed
            "status": "ok", "error_reason": null, "error_message": null,
            "model_set": "4be1c0d2a9f3e871",   # signature of the per-photo models used
            "sort_score": 7.4, "sort_task": "technical",
            "scores": [{"task": "technical", "model": "quality_ranker", "model_sha256": "...", "score": 7.4,
                        "raw": [7.4]}],  # the model's output row
            "cues": {"mean_luminance": 0.46, "highlights_clipped": 0.0, "shadows_clipped": 0.01,
                     "brightness_stops": -2.8, "contrast_rms": 0.21, "colourfulness": 38.0,
                     "noise_sigma": 1.2, "subject_sharpness": 0.71, "background_sharpness": 0.4,
                     "sharpest_elsewhere": 0.6},
            "blurry": false, "blur_reason": "face sharp, background soft (shallow depth of field)",
            "sharpness_region": "eyes",    # eyes | faces | salient tiles
            "faces": [{"box": [0.41, 0.12, 0.58, 0.37],   # x0, y0, x1, y1 as fractions of the displayed photo
                       "score": 0.93, "prominent": true,
                       "right_eye_openness": 0.29, "left_eye_openness": 0.31,   # lid gap / eye width, or null
                       "eyes_closed": false, "closed_probability": 0.0}],
            "eyes_closed": false, "eyes_closed_confidence": 0.99,
            "burst": {"group_id": 12, "kind": "burst", "size": 3, "rank": 1, "is_best": true,
                      "score": 0.83, "reasons": ["subject sharper than #2"]},
            "provider": "CPU", "analysed_at": 1714550000.0
          }
        }
      ]
    }

CSV has the same fields as columns (``files`` and ``burst_reasons`` joined with
``;``, ``analysis`` as compact JSON text, null as an empty cell); ``table`` shows a
readable subset.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from engine.analysis import PhotoAnalysis, read_analyses
from engine.cli.output import add_format_argument, write_records
from engine.library.catalog import SORT_ORDERS, Catalog, PhotoRecord

NAME = "list"
HELP = "list the photos of a scanned library with metadata and decisions"
SCHEMA = "photocull.list/1"

PHOTO_FIELDS = (
    "id", "path", "files", "folder", "capture_time", "capture_time_source", "make", "model", "lens",
    "focal_length", "aperture", "shutter", "iso", "width", "height", "orientation", "size", "status",
    "flag", "rating", "label",
)
#: Added by analysis. ``analysis`` is an object in JSON and compact JSON text in a CSV cell.
ANALYSIS_FIELDS = (
    "sort_score", "sort_task", "analysis_status", "blurry", "eyes_closed", "burst_id", "burst_kind", "burst_rank",
    "is_best", "burst_reasons", "analysis",
)
FIELDS = PHOTO_FIELDS + ANALYSIS_FIELDS
_CHUNK = 2000   # photos whose analyses are read in one go while listing
TABLE_COLUMNS = ("path", "capture_time", "model", "status", "flag", "rating", "label", "sort_score", "burst_id",
                 "burst_rank", "eyes_closed", "blurry")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="library folder (scanned before with `photocull-cli scan`)")
    parser.add_argument("--sort", choices=tuple(SORT_ORDERS), default="time", help="order (default: time)")
    add_format_argument(parser)


def run(args: argparse.Namespace) -> int:
    with Catalog.open(args.dir, create=False) as catalog:
        envelope = {"schema": SCHEMA, "library": str(catalog.root), "sort": args.sort}
        records = (
            {**photo_fields(photo), **analysis_fields(analysis, as_text=args.format != "json")}
            for photo, analysis in with_analyses(catalog, catalog.iter_photos(sort=args.sort))
        )
        write_records(records, args.format, sys.stdout, table_columns=TABLE_COLUMNS, envelope=envelope, key="photos")
    return 0


def with_analyses(catalog: Catalog, photos: Iterable[PhotoRecord]) -> Iterator[tuple[PhotoRecord, PhotoAnalysis | None]]:
    """Each photo with its analysis, read ``_CHUNK`` photos at a time: the listing streams in bounded memory."""
    iterator = iter(photos)
    while chunk := list(itertools.islice(iterator, _CHUNK)):
        analyses = read_analyses(catalog, [photo.id for photo in chunk])
        yield from ((photo, analyses.get(photo.id)) for photo in chunk)


def photo_fields(photo: PhotoRecord) -> dict[str, Any]:
    """One photo's catalog fields (key order = ``PHOTO_FIELDS``)."""
    values = {name: getattr(photo, name) for name in PHOTO_FIELDS}
    values["files"] = list(photo.files)
    return values


def analysis_fields(analysis: PhotoAnalysis | None, *, as_text: bool = False) -> dict[str, Any]:
    """The analysis part of a record (key order = ``ANALYSIS_FIELDS``); ``as_text`` makes ``analysis`` a JSON string."""
    burst = analysis.burst if analysis else None
    fields: dict[str, Any] = {
        "sort_score": _rounded(analysis.sort_score) if analysis else None,
        "sort_task": analysis.sort_task if analysis else None,
        "analysis_status": analysis.status if analysis else None,
        "blurry": analysis.blurry if analysis else None,
        "eyes_closed": analysis.eyes_closed if analysis else None,
        "burst_id": burst.group_id if burst else None,
        "burst_kind": burst.kind if burst else None,
        "burst_rank": burst.rank if burst else None,
        "is_best": burst.is_best if burst else None,
        "burst_reasons": list(burst.reasons) if burst else [],
    }
    details = analysis.as_json() if analysis else None
    fields["analysis"] = json.dumps(details, separators=(",", ":")) if as_text and details else details
    return fields


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
