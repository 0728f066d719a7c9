"""The CLI's record writers stream: each record is written before the next is read."""

from __future__ import annotations

import csv
import io
import json

import pytest

from engine.cli.output import write_records

RECORDS = [{"id": 1, "path": "a/IMG_1.JPG", "files": ["a/IMG_1.JPG", "a/IMG_1.CR2"], "score": None},
           {"id": 2, "path": "b/ü.jpg", "files": [], "score": 7.5},
           {"id": 3, "path": "c.jpg", "files": ["c.jpg"], "score": 1.0}]


def _write(fmt: str, records) -> str:
    out = io.StringIO()
    write_records(records, fmt, out, table_columns=("id", "path"), envelope={"schema": "x/1", "sort": "time"},
                  key="photos")
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_each_record_is_written_before_the_next_is_read(fmt):
    out = io.StringIO()
    previous_written = []

    def records():
        for index, record in enumerate(RECORDS):
            if index:
                previous_written.append(RECORDS[index - 1]["path"] in out.getvalue())
            yield record

    write_records(records(), fmt, out, table_columns=("id",), envelope={"schema": "x/1"}, key="photos")
    assert previous_written == [True, True]
    assert all(record["path"] in out.getvalue() for record in RECORDS)


def test_json_is_one_document_with_the_envelope_and_every_record():
    document = json.loads(_write("json", iter(RECORDS)))
    assert document == {"schema": "x/1", "sort": "time", "photos": RECORDS}


def test_json_of_no_records_is_an_empty_list():
    assert json.loads(_write("json", iter([]))) == {"schema": "x/1", "sort": "time", "photos": []}


def test_csv_has_a_header_and_joined_lists():
    rows = list(csv.reader(io.StringIO(_write("csv", iter(RECORDS)))))
    assert rows[0] == ["id", "path", "files", "score"]
    assert rows[1] == ["1", "a/IMG_1.JPG", "a/IMG_1.JPG;a/IMG_1.CR2", ""]
    assert rows[2] == ["2", "b/ü.jpg", "", "7.5"]
    assert len(rows) == 4


def test_table_aligns_the_chosen_columns():
    lines = _write("table", iter(RECORDS)).splitlines()
    assert lines[0].split() == ["id", "path"]
    assert lines[1].index("a/IMG_1.JPG") == lines[0].index("path")


def test_json_takes_numpy_numbers_and_number_keys_and_writes_no_invalid_nan():
    import numpy as np

    records = [{"id": np.int64(4), "score": np.float64(62.5), "shares": np.float32(0.25), "raw": float("nan"),
                "by_level": {1: 0.5}}]
    assert json.loads(_write("json", records))["photos"] == [{"id": 4, "score": 62.5, "shares": 0.25, "raw": None,
                                                              "by_level": {"1": 0.5}}]


def test_an_analysis_stored_with_a_nan_measure_still_lists(tmp_path):
    """The analysis writes its JSON columns with the json module, which writes NaN for a measure that could
    not be taken; the faster reader refuses that text, so the listing must fall back, not fail."""
    import math

    from engine.analysis.storage import read_analyses
    from engine.cli.listing import photo_records
    from tests.helpers.personal_library import analysed_catalog

    catalog, _ = analysed_catalog(tmp_path / "lib", 3)
    with catalog.transaction() as conn:
        conn.execute("UPDATE photo_cues SET cues = ? WHERE photo_id = 2", (json.dumps({"noise_sigma": float("nan")}),))
    assert math.isnan(read_analyses(catalog)[2].cues["noise_sigma"])
    listed = json.loads(_write("json", photo_records(catalog)))["photos"]
    assert [photo["analysis"]["cues"] for photo in listed][1] == {"noise_sigma": None}
    catalog.close()
