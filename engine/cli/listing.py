"""``photocull-cli list DIR``: one record per photo, with its files, metadata, decision and scores.

JSON output schema ``photocull.list/2``::

    {
      "schema": "photocull.list/2",
      "library": "/absolute/path/of/the/library",
      "sort": "time",                      # time | name | size | folder | score | personal
                                           # (score and personal: best first, photos without one last, by time)
      "score_meaning": "Score 0–100: how this photo compares with ...",   # the sentence the app shows
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
          "score": 63.5,                   # 0..100, the score the app shows (engine.inference.score_scale):
                                           # the model's score placed against the fixed reference distribution
                                           # in its manifest, so it means the same in every shoot; null if none
          "score_task": "technical",       # aesthetic | technical | null: which model gave it
          "score_scale": "reference",      # reference (the manifest's distribution) | fallback (documented
                                           # logistic of a 1..10 score, for manifests without one) | null
          "score_raw": 7.4,                # the model's own score behind "score" (its scale is the model's)
          "shoot_rank": 88.2,              # 0..100, place of "score" among this library's scored photos
                                           # (100 = the best; ties share their mean place), or null
          "personal_score": null,          # 0..100, rank in this library by your personal model (100 = most to
                                           # your taste); null while no personal model is on
          "analysis_status": "ok",         # ok | error (see analysis.error_message) | null (not analysed)
          "blurry": false,                 # subject soft (engine.analysis.cues), or null
          "eyes_closed": false,            # a prominent face has closed eyes; null when no face was measured
          "burst_id": 12,                  # id of the group's first photo; photos alone form their own group
          "burst_kind": "burst",           # single | burst | bracket | null
          "burst_rank": 1,                 # 1 = best of its group, or null
          "is_best": true,                 # or null
          "burst_reasons": ["sharper (eyes) than #2"],   # short reasons for the rank
          "quality_map": {                 # where the image quality (technical) score comes from, or null when
                                           # its model gives no map (an older shared file, a user's model)
            "task": "technical", "model": "quality_ranker",   # the score the cells split
            "score_raw": 7.4,              # that model's own score (not the 0..100 "score", not an aesthetic one)
            "rows": 8, "cols": 8,          # cells over the displayed photo; row 0 is the top, column 0 the left
            "cells": [[0.12, 0.09, ...], ...],   # each cell's share of score_raw, in its units (3 decimals);
                                           # lower = the photo loses more quality there
            "photo_wide": 1.31,            # the part no cell owns (tone, bias): Σ cells + photo_wide = score_raw
            "weakest": "upper left",       # the quadrant the cells clearly single out (engine.analysis.quality_map),
                                           # upper left | upper right | lower left | lower right | null
            "reason": "soft in the upper left"   # with a technical weakness (engine.culling.map_words), or null
          },
          "analysis": {                    # every detail, raw model outputs included; null when not analysed
            "status": "ok", "error_reason": null, "error_message": null,
            "model_set": "4be1c0d2a9f3e871",   # signature of the per-photo models used
            "sort_score": 7.4, "sort_task": "technical",   # = score_raw, score_task
            "scores": [{"task": "technical", "model": "quality_ranker", "model_sha256": "...", "score": 7.4,
                        "raw": [7.4],    # every model's score and its output row
                        "map_available": true}],   # whether "quality_map" splits this score: false for an
                                           # aesthetic score (TANet, EAT and the like give none)
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
                      "score": 0.83, "reasons": ["sharper (eyes) than #2"]},
            "provider": "CPU", "analysed_at": 1714550000.0
          }
        }
      ]
    }

What changed from ``photocull.list/1``: ``sort_score`` (documented as 1..10, but the
model's unclamped value, seen from −6 to 17) is now ``score_raw``, and ``sort_task`` is
``score_task``; ``score`` (0..100), ``score_scale``, ``shoot_rank`` and ``personal_score`` are new, as are
``--sort personal`` and the envelope's ``score_meaning``; ``--sort score`` orders by the
0..100 score (then the raw score). Within version 2 fields are only ever added, never
renamed or removed. Added since: ``quality_map`` and each score's ``map_available``.

CSV has the same fields as columns (``files`` and ``burst_reasons`` joined with
``;``, ``quality_map`` and ``analysis`` as compact JSON text, null as an empty cell); ``table``
shows a readable subset.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from engine import personalize as taste
from engine.analysis import PhotoAnalysis, read_analyses
from engine.analysis.storage import read_sort_scores
from engine.cli.output import add_format_argument, compact_json, write_records
from engine.culling.insights import (
    map_reason,
    personal_percent,
    placed_score,
    shoot_ranks,
    sort_score_of,
)
from engine.inference.score_scale import SCORE_MEANING, ScoreScale, installed_scales
from engine.library.catalog import SORT_ORDERS, Catalog, PhotoRecord

NAME = "list"
HELP = "list the photos of a scanned library with metadata and decisions"
SCHEMA = "photocull.list/2"

PHOTO_FIELDS = (
    "id", "path", "files", "folder", "capture_time", "capture_time_source", "make", "model", "lens",
    "focal_length", "aperture", "shutter", "iso", "width", "height", "orientation", "size", "status",
    "flag", "rating", "label",
)
#: Added by analysis. ``analysis`` is an object in JSON and compact JSON text in a CSV cell.
ANALYSIS_FIELDS = (
    "score", "score_task", "score_scale", "score_raw", "shoot_rank", "personal_score", "analysis_status",
    "blurry", "eyes_closed", "burst_id", "burst_kind", "burst_rank",
    "is_best", "burst_reasons", "quality_map", "analysis",
)
FIELDS = PHOTO_FIELDS + ANALYSIS_FIELDS
_CHUNK = 2000   # photos whose analyses are read in one go while listing
TABLE_COLUMNS = ("path", "capture_time", "model", "status", "flag", "rating", "label", "score", "personal_score",
                 "burst_id", "burst_rank", "eyes_closed", "blurry")
#: ``--sort`` choices: the catalog's orders, and the two score orders computed here.
SORTS = tuple(SORT_ORDERS) + ("personal",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="library folder (scanned before with `photocull-cli scan`)")
    parser.add_argument("--sort", choices=SORTS, default="time",
                        help="order (default: time); score and personal: best first")
    add_format_argument(parser)


def run(args: argparse.Namespace) -> int:
    with Catalog.open(args.dir, create=False) as catalog:
        envelope = {"schema": SCHEMA, "library": str(catalog.root), "sort": args.sort, "score_meaning": SCORE_MEANING}
        records = photo_records(catalog, args.sort, as_text=args.format != "json")
        write_records(records, args.format, sys.stdout, table_columns=TABLE_COLUMNS, envelope=envelope, key="photos")
    return 0


def photo_records(catalog: Catalog, sort: str = "time", *, as_text: bool = False) -> Iterator[dict[str, Any]]:
    """One record per photo (key order = ``FIELDS``) in the ``sort`` order, streamed in bounded memory
    except for the two score orders, which need every record first.

    Each photo's place in the shoot needs every score, so one query reads the sort scores alone
    before the records stream.
    """
    scales = installed_scales()
    personal = taste.personal_scores(catalog)
    scores = {pid: placed_score(raw, model, scales) for pid, (raw, model) in read_sort_scores(catalog).items()}
    ranks = shoot_ranks({pid: key for pid, key in scores.items() if key[0] is not None})
    order = "time" if sort in ("score", "personal") else sort
    records = (
        {**photo_fields(photo),
         **analysis_fields(analysis, as_text=as_text, scales=scales, shoot_rank=ranks.get(photo.id),
                           personal=personal_percent(personal.get(photo.id)))}
        for photo, analysis in with_analyses(catalog, catalog.iter_photos(sort=order))
    )
    if sort in ("score", "personal"):
        yield from sorted(records, key=_best_first("personal_score") if sort == "personal" else _best_first("score"))
    else:
        yield from records


def with_analyses(catalog: Catalog, photos: Iterable[PhotoRecord]) -> Iterator[tuple[PhotoRecord, PhotoAnalysis | None]]:
    """Each photo with its analysis, read ``_CHUNK`` photos at a time: the listing streams in bounded memory."""
    iterator = iter(photos)
    while chunk := list(itertools.islice(iterator, _CHUNK)):
        analyses = read_analyses(catalog, [photo.id for photo in chunk])
        yield from ((photo, analyses.get(photo.id)) for photo in chunk)


def _best_first(field: str):
    """Sort key: highest ``field`` first, then the higher place in the shoot (the unrounded scores);
    records without ``field`` last, in their time order (the sort is stable)."""
    def key(record: dict[str, Any]) -> tuple:
        value, place = record[field], record["shoot_rank"]
        return (value is None, -(value or 0.0), place is None, -(place or 0.0))
    return key


def photo_fields(photo: PhotoRecord) -> dict[str, Any]:
    """One photo's catalog fields (key order = ``PHOTO_FIELDS``)."""
    values = {name: getattr(photo, name) for name in PHOTO_FIELDS}
    values["files"] = list(photo.files)
    return values


def analysis_fields(analysis: PhotoAnalysis | None, *, as_text: bool = False,
                    scales: Mapping[tuple[str, str], ScoreScale] | None = None,
                    personal: float | None = None, shoot_rank: float | None = None) -> dict[str, Any]:
    """The analysis part of a record (key order = ``ANALYSIS_FIELDS``); ``as_text`` makes ``analysis`` a JSON
    string; ``personal`` is the photo's 0..100 personal score (None while no personal model is on) and
    ``shoot_rank`` its place in the library (:func:`engine.culling.insights.shoot_ranks`)."""
    burst = analysis.burst if analysis else None
    scales = installed_scales() if scales is None else scales
    score, raw = sort_score_of(analysis, scales)
    fields: dict[str, Any] = {
        "score": score,
        "score_task": analysis.sort_task if analysis and raw is not None else None,
        "score_scale": _scale_name(analysis, scales) if raw is not None else None,
        "score_raw": _rounded(raw),
        "shoot_rank": shoot_rank,
        "personal_score": personal,
        "analysis_status": analysis.status if analysis else None,
        "blurry": analysis.blurry if analysis else None,
        "eyes_closed": analysis.eyes_closed if analysis else None,
        "burst_id": burst.group_id if burst else None,
        "burst_kind": burst.kind if burst else None,
        "burst_rank": burst.rank if burst else None,
        "is_best": burst.is_best if burst else None,
        "burst_reasons": list(burst.reasons) if burst else [],
    }
    for name, details in (("quality_map", quality_map_json(analysis, scales)),
                          ("analysis", analysis.as_json() if analysis else None)):
        fields[name] = compact_json(details) if as_text and details else details
    return fields


def quality_map_json(analysis: PhotoAnalysis | None, scales: Mapping[tuple[str, str], ScoreScale]
                     ) -> dict[str, Any] | None:
    """The record's ``quality_map`` object (module docstring), or None when the photo has no map."""
    row = analysis.mapped_score if analysis else None
    if row is None or row.quality_map is None:
        return None
    cells = row.quality_map
    return {
        "task": row.task, "model": row.model, "score_raw": _rounded(row.score),
        "rows": cells.rows, "cols": cells.cols, "cells": cells.grid(),
        "photo_wide": _rounded(None if row.score is None else row.score - cells.total),
        "weakest": cells.weakest,
        "reason": map_reason(analysis, scales),
    }


def _scale_name(analysis: PhotoAnalysis, scales: Mapping[tuple[str, str], ScoreScale]) -> str:
    row = next((s for s in analysis.scores if s.task == analysis.sort_task), None)
    scale = scales.get((row.model, row.model_sha256)) if row else None
    return "reference" if scale is not None and scale.has_reference else "fallback"


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
