"""Print records as an aligned table, CSV or JSON: the three ``--format`` choices.

Every command that lists things hands over plain dicts, so the three formats
always carry the same fields; ``table`` shows a readable subset.

CSV and JSON are written as the records arrive from an iterator, so listing a
100,000-photo library never holds its records (or the whole JSON text) in
memory. JSON puts one record per line inside the envelope: still one valid JSON
document, and each record is encoded by orjson in one call (several times
faster than the standard library's encoder, mostly in formatting floats, which
an analysed photo's record is full of). Only the
table, meant for a person reading a terminal, is gathered first (its columns
are as wide as their widest cell).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

import orjson

FORMATS = ("table", "csv", "json")


def add_format_argument(parser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")


def write_records(
    records: Iterable[dict[str, Any]],
    fmt: str,
    out: TextIO,
    *,
    table_columns: Sequence[str],
    envelope: dict[str, Any],
    key: str,
) -> None:
    """Write ``records`` (consumed once, in order); JSON wraps them as ``{**envelope, key: [records]}``."""
    if fmt == "json":
        _write_json(records, out, envelope, key)
    elif fmt == "csv":
        _write_csv(records, out)
    else:
        _write_table(list(records), table_columns, out)


def _write_json(records: Iterable[dict[str, Any]], out: TextIO, envelope: dict[str, Any], key: str) -> None:
    out.write("{\n")
    for name, value in envelope.items():
        out.write(f"  {compact_json(name)}: {compact_json(value)},\n")
    out.write(f"  {compact_json(key)}: [")
    separator = "\n    "
    for record in records:
        out.write(separator)
        out.write(compact_json(record))
        separator = ",\n    "
    out.write("\n  ]\n}\n" if separator != "\n    " else "]\n}\n")


def compact_json(value: Any) -> str:
    """``value`` as compact JSON text (UTF-8 characters as they are; NaN and infinity become null; NumPy
    numbers, which the analysis may hand over, as the numbers they are; keys that are not text, as text, as the
    json module writes them)."""
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode()


def _write_csv(records: Iterable[dict[str, Any]], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    fields: list[str] = []
    for record in records:
        if not fields:   # the header is the first record's keys
            fields = list(record)
            writer.writerow(fields)
        writer.writerow([_cell(record.get(name)) for name in fields])


def _write_table(records: Sequence[dict[str, Any]], columns: Sequence[str], out: TextIO) -> None:
    rows = [[_cell(record[c]) for c in columns] for record in records]
    widths = [max([len(c), *(len(row[i]) for row in rows)]) for i, c in enumerate(columns)]
    for row in [list(columns), *rows]:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return str(value)
