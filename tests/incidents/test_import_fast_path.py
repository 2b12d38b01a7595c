# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""The PostgreSQL SQL path (incidents/importing/fast.py) stages exactly what the Python path stages.

Every test stages the same file twice, once through each path, and compares every staged value
(including the row hash), every error (row, column, reason, value) and the counts.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import connection, transaction

from incidents.importing import fast, services
from incidents.importing.normalise import STAGE_COLUMNS, Normaliser
from incidents.importing.reading import FileRefused
from incidents.importing.staging import STAGE, Stage
from incidents.models import Upload
from tests.incidents.test_import_support import (  # noqa: F401 - fixtures
    IN_AREA,
    IN_AREA_2,
    OUTSIDE,
    TEMPLATE_HEADER,
    UNKNOWN,
    categories,
    geography,
    run,
    template_csv,
    template_dataset,
    template_row,
    write,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the SQL path exists only on PostgreSQL (CI runs this module there)",
    ),
]


@contextmanager
def python_normalised() -> Iterator[list[int]]:
    """Counts the rows the Python normaliser handles."""
    calls: list[int] = []
    original = Normaliser.normalise

    def counting(self: Normaliser, row_no: int, cells: list[str]) -> Any:
        calls.append(row_no)
        return original(self, row_no, cells)

    with mock.patch.object(Normaliser, "normalise", counting):
        yield calls


def stage(dataset, path: Path, *, sql: bool) -> dict[str, Any]:
    """Stage the file (as the check does) and return what was staged and reported."""
    with open(path, "rb") as handle:
        upload = services.upload_receive(
            dataset=dataset, user=None, file=handle, filename=path.name, queue_check=False
        )
    upload = Upload.objects.select_related("dataset").get(pk=upload.pk)
    applies = fast.applies if sql else (lambda *args: False)
    sql_used: list[bool] = []
    reported: list[int] = []
    original_stage_file = fast.stage_file

    def spy(**kwargs: Any) -> int | None:
        seen = original_stage_file(**kwargs)
        sql_used.append(seen is not None)
        return seen

    with (
        mock.patch.object(fast, "applies", applies),
        mock.patch.object(fast, "stage_file", spy),
        python_normalised() as normalised,
    ):
        try:
            with transaction.atomic(), Stage() as staged:
                result = services._stage_file(upload, staged, reported.append)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT {', '.join(STAGE_COLUMNS)} FROM {STAGE} ORDER BY row_no"  # noqa: S608
                    )
                    rows = cursor.fetchall()
        except FileRefused as refusal:
            return {"refused": refusal.message, "sql_used": any(sql_used)}
    return {
        "rows": rows,
        "errors": result.report.decode(),
        "counts": result.counts,
        "first_errors": result.first_errors,
        "sql_used": any(sql_used),
        "python_rows": len(normalised),
        "progress": reported,
    }


def assert_same(dataset, path: Path) -> dict[str, Any]:
    by_sql = stage(dataset, path, sql=True)
    by_python = stage(dataset, path, sql=False)
    assert by_sql.pop("python_rows", 0) <= by_python.pop("python_rows", 0)
    progress = by_sql.pop("progress", [])
    by_python.pop("progress", None)
    assert by_python.pop("sql_used") is False
    sql_used = by_sql.pop("sql_used")
    for got, expected in zip(by_sql.get("rows", []), by_python.get("rows", []), strict=False):
        assert dict(zip(STAGE_COLUMNS, got, strict=True)) == dict(
            zip(STAGE_COLUMNS, expected, strict=True)
        )
    assert by_sql == by_python
    return {**by_sql, "sql_used": sql_used, "progress": progress}


POOLS: dict[str, list[str]] = {
    "occurred_date": [
        "2022-03-14", "14/03/2022", "2022-03", "2022-3-4", "4/3/2022", "2022-02-31",
        "2022-13", "0000-01-01", "2099-01-01", "2022-02-29", "2024-02-29", " 2022-03-14 ",
        "\uff12\uff10\uff12\uff12-03-14", "", "1990-06-01", "2023-03-26", "2023-10-29",
        "2022-00-10", "31/04/2022", "2022-12", "9999-12-31", "2022-03-14T10:00",
    ],
    "occurred_time": [
        "", "22:30", "7:05", "23:59:59", "24:00", "12:60", "noon", "00:00", "01:30", "1:30:61",
    ],
    "category": [
        "Robbery", "robbery", "ROBBERY", " Robbery ", "34B", "Violence and sexual offences",
        "Unknown category", "", "Robb\u00e9ry", "34b",
    ],
    "lsoa_code": [
        IN_AREA, IN_AREA.lower(), IN_AREA_2, OUTSIDE, UNKNOWN, "", "W01000001", "garbage",
        f" {IN_AREA}\u00a0",
    ],
    "location_text": [
        "On or near Market Square", 'Near "The Swan", Sheep Street', "x" * 300, "Caf\u00e9 Row",
        "\u00a0Padded\u00a0", "Bus station \U0001f68c", "Line one\nline two", "",
        "Tab\tinside", "y" * 255,
    ],
    "latitude": [
        "52.24", "52.123456", "52.1234567", "-0.0", "1e1", "nan", "91", "", " 52.1 ", "+52.1",
        "90", "-90.000000", "52.", ".5",
    ],
    "longitude": ["-0.9", "-0.902745", "180.5", "", "-180", "0", "-0", "1,5", "-0.0000001"],
    "location_type": [
        "public_place", "Pub", "PUB", "street", "", "spaceship", "Public place",
        "Licensed premises",
    ],
    "weapon": ["knife", "Knife/Sharp", "bottle/glass", "", "banana", "NONE", "Body (hit, kick)"],
    "domestic_abuse": ["yes", "Y", "TRUE", "0", "", "maybe", "Yes", "n"],
    "alcohol_involved": ["no", "1", "", "False"],
    "exploitation": ["", "yes", "No"],
    "victim_age_band": ["18-24", "under 10", "65 AND OVER", "", "unknown", "200", "10-17"],
    "victim_sex": ["f", "M", "female", "", "x", "Unknown"],
    "suspect_age_band": ["", "25-34", "Under 10"],
    "suspect_sex": ["", "male", "Female"],
    "injury_severity": ["minor", "Serious", "", "bad", "NONE"],
    "outcome": ["Under investigation", "", "z" * 201, "Charged \u2013 court"],
    "offence_code": ["34B", "", "c" * 41, "8N"],
}  # fmt: skip


def generated_rows(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)  # noqa: S311 - test data
    rows = []
    for i in range(count):
        values = {
            name: (pool[0] if rng.random() < 0.6 else rng.choice(pool))
            for name, pool in POOLS.items()
        }
        ref = f"R{i}"
        roll = rng.random()
        if roll < 0.01:
            ref = ""
        elif roll < 0.02:
            ref = "r" * 101
        elif roll < 0.04:
            ref = f"R{i - 1}"  # a duplicate of the previous row's reference
        elif roll < 0.05:
            ref = f" R{i}\u3000"
        rows.append(template_row(ref, values.pop("occurred_date"), **values))
    return rows


def test_both_paths_stage_identical_values_hashes_and_errors(template_dataset, tmp_path):
    path = write(tmp_path, "mixed.csv", template_csv(*generated_rows(800)))
    result = assert_same(template_dataset, path)
    assert result["sql_used"]
    staged, errors = len(result["rows"]), result["errors"].count("\n") - 1
    # The generator makes both clean and invalid rows, so the comparison covers both.
    assert staged > 200 and errors > 200


def test_sql_path_converts_in_slices_and_reports_progress(template_dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(fast, "PROGRESS_ROWS", 37)
    path = write(tmp_path, "sliced.csv", template_csv(*generated_rows(400, seed=3)))
    result = assert_same(template_dataset, path)
    assert result["sql_used"]
    # Several slices, each reported, never going backwards.
    assert len(result["progress"]) >= 5
    assert result["progress"] == sorted(result["progress"])


def test_clean_file_is_validated_in_sql_without_python(template_dataset, tmp_path):
    rows = [template_row(f"C{i}", f"2022-03-{i % 28 + 1:02d}") for i in range(300)]
    path = write(tmp_path, "clean.csv", template_csv(*rows))
    by_sql = stage(template_dataset, path, sql=True)
    assert by_sql["sql_used"] and by_sql["python_rows"] == 0
    assert len(by_sql["rows"]) == 300 and by_sql["errors"] == ""


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("crlf.csv", template_csv(template_row("A"), template_row("B")).replace("\n", "\r\n")),
        ("bom.csv", "\ufeff" + template_csv(template_row("A"), template_row("B"))),
        ("blank-lines.csv", template_csv(template_row("A"), "", template_row("B"), "")),
        ("comma-only.csv", template_csv(template_row("A"), "," * 19, template_row("B"))),
        ("short-row.csv", template_csv(template_row("A"), "B,2022-03-14")),
        ("long-row.csv", template_csv(template_row("A"), template_row("B") + ",extra")),
        ("end-marker.csv", template_csv(template_row("A"), "\\.", template_row("B"))),
        ("quoted-header.csv", '"reference",' + template_csv(template_row("A"))[10:]),
        ("no-newline.csv", template_csv(template_row("A"), template_row("B")).rstrip("\n")),
        ("big-cell.csv", template_csv(template_row("A", location_text="w" * 40_000))),
        ("duplicates.csv", template_csv(template_row("A"), template_row("A"), template_row("A"))),
    ],
)
def test_odd_layouts_give_the_same_result(template_dataset, tmp_path, name, content):
    path = write(tmp_path, name, content)
    assert_same(template_dataset, path)


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_other_encodings_are_refused_or_read_as_before(template_dataset, tmp_path, encoding):
    content = template_csv(template_row("A", location_text="Caf\u00e9"))
    path = write(tmp_path, f"{encoding}.csv", content, encoding=encoding)
    assert_same(template_dataset, path)


def test_nul_byte_gives_the_same_refusal(template_dataset, tmp_path):
    content = template_csv(template_row("A"), template_row("B")).encode() + b"C\x00,2022\n"
    path = write(tmp_path, "nul.csv", content)
    result = assert_same(template_dataset, path)
    assert "NUL" in result["refused"]


def test_import_through_sql_path_then_again_is_a_no_op(template_dataset, tmp_path):
    rows = [
        template_row("V1", "14/03/2022", occurred_time="7:05", location_type="Pub"),
        template_row("V2", "2022-03", category="34B", weapon="Knife/Sharp", domestic_abuse="Y"),
        template_row("V3", "2022-3-4", lsoa_code=OUTSIDE, latitude="", longitude=""),
        template_row("V4", occurred_time="", victim_age_band="under 10", victim_sex="f"),
        template_row("V5", location_text='Near "The Swan", Sheep Street', latitude="-0.0"),
    ]
    path = write(tmp_path, "valid.csv", template_csv(*rows))
    first = run(template_dataset, path)
    assert first.status == Upload.Status.IMPORTED, (first.problem, first.first_errors)
    assert first.rows_new == 5
    second = run(template_dataset, write(tmp_path, "valid-again.csv", path.read_bytes()))
    assert (second.rows_new, second.rows_changed, second.rows_unchanged) == (0, 0, 5)
    # The same rows through the Python path are recognised as unchanged too (same hashes).
    with mock.patch.object(fast, "applies", lambda *args: False):
        third = run(template_dataset, write(tmp_path, "valid-python.csv", path.read_bytes()))
    assert (third.rows_new, third.rows_changed, third.rows_unchanged) == (0, 0, 5)


def test_header_only_file_is_refused_the_same(template_dataset, tmp_path):
    path = write(tmp_path, "header.csv", TEMPLATE_HEADER + "\n")
    result = assert_same(template_dataset, path)
    assert "no rows" in result["refused"]


def test_lsoa_codes_of_either_vintage_and_no_area_give_the_same_result(template_dataset, tmp_path):
    """2021 codes placed through the ONS 2011-2021 lookup, empty and Welsh codes: SQL = Python."""
    from incidents.models import LsoaVintageLink

    LsoaVintageLink.objects.bulk_create(
        [
            LsoaVintageLink(lsoa11=IN_AREA, lsoa21="E01035001", change="S"),
            LsoaVintageLink(lsoa11=IN_AREA, lsoa21="E01035002", change="S"),
            LsoaVintageLink(lsoa11=IN_AREA_2, lsoa21="E01035003", change="M"),
            LsoaVintageLink(lsoa11=OUTSIDE, lsoa21="E01035003", change="M"),
        ]
    )
    rows = [
        template_row("Y1", lsoa_code="E01035001"),
        template_row("Y2", lsoa_code="e01035002"),
        template_row("Y3", lsoa_code="E01035003"),
        template_row("Y4", lsoa_code="", latitude="", longitude="", location_text="No Location"),
        template_row("Y5", lsoa_code="W01001234"),
        template_row("Y6", lsoa_code="E01035009"),  # in neither vintage: refused by both
        template_row("Y7", lsoa_code=IN_AREA),
    ]
    result = assert_same(template_dataset, write(tmp_path, "vintage.csv", template_csv(*rows)))
    assert result["sql_used"]
    staged = {row[1]: row for row in result["rows"]}
    lsoa_at = STAGE_COLUMNS.index("lsoa_id")
    assert staged["Y1"][lsoa_at] == staged["Y2"][lsoa_at] == staged["Y7"][lsoa_at]
    assert staged["Y4"][lsoa_at] is None
    assert "E01035009 is not a known LSOA code" in result["errors"]
    assert result["counts"].no_area == 1
