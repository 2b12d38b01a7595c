# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""Hypothesis feeds the CSV and XLSX readers, and the whole upload flow, random and adversarial
files. The only outcomes allowed: rows, or a refusal in plain words (FileRefused / an upload
marked refused or failed). Never a server error, and never a record written from a refused file.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from incidents.importing.reading import FileRefused, open_table
from incidents.models import IncidentRecord, Upload
from tests.incidents.test_import_support import (  # noqa: F401 - fixtures
    IN_AREA,
    OUTSIDE,
    POLICE_HEADER,
    UNKNOWN,
    categories,
    geography,
    police_csv,
    police_dataset,
    police_row,
)

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PIPELINE = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Cells a hostile or broken export might hold: quotes, separators, line breaks, control
# characters, formula prefixes, a BOM mid-file, very long values, surrogate-escaped bytes.
nasty_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            '"',
            '""',
            ",",
            ";",
            "\t",
            "\r",
            "\n",
            "\r\n",
            "\x00",
            "\x1a",
            "\ufeff",
            "=cmd|' /C calc'!A0",
            "+1",
            "-1",
            "@SUM(A1)",
            "NaN",
            "inf",
            "1e309",
            "9" * 400,
            "a" * 5000,
            "\u202e",
            "\udcff",
            "2022-13",
            "0000-00",
            "E01027117 ",
            " robbery",
            "Robbery\x00",
        ]
    ),
)
police_values = st.fixed_dictionaries(
    {
        "crime_id": st.one_of(st.text(max_size=70), st.sampled_from(["", "x" * 300])),
        "month": st.one_of(
            st.sampled_from(["2022-01", "2022-02", "", "2022-1", "22-01"]), nasty_text
        ),
        "lsoa": st.one_of(st.sampled_from([IN_AREA, OUTSIDE, UNKNOWN, ""]), nasty_text),
        "crime_type": st.one_of(
            st.sampled_from(["Robbery", "Anti-social behaviour", ""]), nasty_text
        ),
        "location": nasty_text,
        "outcome": nasty_text,
    }
)


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


def _police_file(rows: list[dict[str, str]], header: str, mangle: int) -> bytes:
    lines = [header]
    for row in rows:
        lines.append(police_row(**{k: _csv_cell(v) for k, v in row.items()}))
    text = "\n".join(lines) + "\n"
    data = text.encode("utf-8", "surrogatepass")
    if mangle and data:  # flip one byte: broken encodings, truncated quotes, stray NULs
        at = mangle % len(data)
        data = data[:at] + bytes([(data[at] + mangle) % 256]) + data[at + 1 :]
    return data


def _read_all(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            table = open_table(path, name)
            try:
                assert all(isinstance(h, str) for h in table.headings)
                for number, cells in table.rows:
                    assert isinstance(number, int)
                    assert all(isinstance(c, str) for c in cells)
            finally:
                table.close()
        except FileRefused as refusal:
            assert refusal.message.strip()


# ---------------------------------------------------------------------------
# The readers alone
# ---------------------------------------------------------------------------
@FUZZ
@given(data=st.binary(max_size=4096), name=st.sampled_from(["a.csv", "a.xlsx", "a.txt", "a"]))
def test_random_bytes_are_read_or_refused(data, name):
    _read_all(data, name)


@FUZZ
@given(
    rows=st.lists(st.lists(nasty_text, max_size=14), max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]),
)
def test_adversarial_csv_text_is_read_or_refused(rows, encoding):
    text = "\n".join(",".join(_csv_cell(cell) for cell in row) for row in rows)
    _read_all(text.encode(encoding, "replace"), "a.csv")


@FUZZ
@given(
    rows=st.lists(
        st.lists(
            st.one_of(
                nasty_text.filter(lambda s: "\udcff" not in s),
                st.integers(min_value=-(2**60), max_value=2**60),
                st.floats(allow_nan=True, allow_infinity=True),
                st.booleans(),
                st.dates(),
                st.datetimes(),
                st.none(),
            ),
            max_size=8,
        ),
        max_size=8,
    )
)
def test_adversarial_xlsx_cells_are_read_or_refused(rows):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        try:
            sheet.append(row)
        except (
            ValueError,
            TypeError,
            IllegalCharacterError,
        ):  # openpyxl itself will not write it: nothing to read
            continue
    out = io.BytesIO()
    workbook.save(out)
    _read_all(out.getvalue(), "a.xlsx")


@FUZZ
@given(
    entries=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "[Content_Types].xml",
                    "xl/workbook.xml",
                    "xl/worksheets/sheet1.xml",
                    "xl/sharedStrings.xml",
                    "_rels/.rels",
                    "../evil.txt",
                    "xl/styles.xml",
                ]
            ),
            st.binary(max_size=300),
        ),
        max_size=6,
        unique_by=lambda entry: entry[0],
    )
)
def test_broken_xlsx_containers_are_refused(entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in entries:
            archive.writestr(name, content)
    _read_all(out.getvalue(), "a.xlsx")


# ---------------------------------------------------------------------------
# The whole flow: upload view → check → confirm → import
# ---------------------------------------------------------------------------
@pytest.mark.django_db
@PIPELINE
@given(
    rows=st.lists(police_values, min_size=0, max_size=6),
    header=st.sampled_from(
        [POLICE_HEADER, POLICE_HEADER.replace("LSOA code", "LSOA"), POLICE_HEADER + ",Extra", ""]
    ),
    mangle=st.integers(min_value=0, max_value=600),
)
# A clean file first, so the import path itself is always among the examples.
@example(
    rows=[
        {
            "crime_id": "ok1",
            "month": "2022-01",
            "lsoa": IN_AREA,
            "crime_type": "Robbery",
            "location": "On or near A Street",
            "outcome": "Under investigation",
        }
    ],
    header=POLICE_HEADER,
    mangle=0,
).via("a valid file imports")
def test_upload_flow_never_errors_and_a_refused_file_writes_nothing(
    alice_client, police_dataset, django_capture_on_commit_callbacks, rows, header, mangle
):
    before = IncidentRecord.objects.count()
    content = _police_file(rows, header, mangle)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("incidents:upload_new", args=[police_dataset.slug]),
            {"file": SimpleUploadedFile("2022-01-street.csv", content, "text/csv")},
        )
    assert response.status_code in (200, 302)
    if response.status_code == 200:  # refused at once (empty file): nothing stored
        assert IncidentRecord.objects.count() == before
        return
    upload = Upload.objects.latest("pk")
    upload.refresh_from_db()
    assert alice_client.get(response["Location"]).status_code == 200
    if upload.status == Upload.Status.VALIDATED:
        with django_capture_on_commit_callbacks(execute=True):
            confirmed = alice_client.post(reverse("incidents:upload_confirm", args=[upload.pk]))
        assert confirmed.status_code == 302
        upload.refresh_from_db()
        assert (
            alice_client.get(reverse("incidents:upload_detail", args=[upload.pk])).status_code
            == 200
        )
    if upload.status == Upload.Status.IMPORTED:
        assert IncidentRecord.objects.count() - before == upload.rows_new
    else:
        assert upload.status in (Upload.Status.INVALID, Upload.Status.FAILED)
        assert upload.problem.strip()
        assert IncidentRecord.objects.count() == before
