"""Print records as an aligned table, CSV or JSON: the three ``--format`` choices.

Every command that lists things hands over plain dicts, so the three formats
always carry the same fields; ``table`` shows a readable subset.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import Any, TextIO

FORMATS = ("table", "csv", "json")


def add_format_argument(parser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")


def write_records(
    records: Sequence[dict[str, Any]],
    fmt: str,
    out: TextIO,
    *,
    table_columns: Sequence[str],
    envelope: dict[str, Any],
    key: str,
) -> None:
    """Write ``records``; JSON wraps them as ``{**envelope, key: records}``."""
    if fmt == "json":
        json.dump({**envelope, key: list(records)}, out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif fmt == "csv":
        _write_csv(records, out)
    else:
        _write_table(records, table_columns, out)


def _write_csv(records: Sequence[dict[str, Any]], out: TextIO) -> None:
    if not records:
        return
    writer = csv.DictWriter(out, fieldnames=list(records[0]), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: _cell(v) for k, v in record.items()})


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
