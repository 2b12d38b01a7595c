# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""Bad input → a clear error and zero rows written: one test per kind of bad file."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import zipfile

import pytest
from django.utils import timezone

from incidents.importing import services
from incidents.importing.spec import TEMPLATE_FIELD_NAMES
from incidents.models import IncidentRecord, RecordVersion, Upload
from tests.incidents.test_import_support import (  # noqa: F401 - fixtures
    IN_AREA,
    POLICE_HEADER,
    UNKNOWN,
    categories,
    geography,
    istv_dataset,
    police_csv,
    police_dataset,
    police_row,
    run,
    template_csv,
    template_dataset,
    template_row,
    write,
)

pytestmark = pytest.mark.django_db


def refused(upload: Upload) -> Upload:
    assert upload.status == Upload.Status.INVALID
    assert not IncidentRecord.objects.exists()
    assert not RecordVersion.objects.exists()
    return upload


def test_empty_file(police_dataset, tmp_path):
    upload = refused(run(police_dataset, write(tmp_path, "empty.csv", b"")))
    assert upload.problem == "The file is empty."


def test_header_only(police_dataset, tmp_path):
    upload = refused(run(police_dataset, write(tmp_path, "h.csv", POLICE_HEADER + "\n")))
    assert "column headings but no rows of data" in upload.problem


def test_wrong_delimiter(police_dataset, tmp_path):
    content = police_csv(police_row()).replace(",", ";")
    upload = refused(run(police_dataset, write(tmp_path, "semi.csv", content)))
    assert "separated by semicolons" in upload.problem and "Comma delimited" in upload.problem


def test_missing_columns(police_dataset, tmp_path):
    content = "Crime ID,Month,Crime type\nabc,2022-01,Robbery\n"
    upload = refused(run(police_dataset, write(tmp_path, "m.csv", content)))
    assert "required columns are missing: “LSOA code”" in upload.problem


def test_unknown_columns(police_dataset, tmp_path):
    content = police_csv(police_row() + ",extra").replace("Context", "Context,Shoe size")
    upload = refused(run(police_dataset, write(tmp_path, "u.csv", content)))
    assert "not recognised: “Shoe size”" in upload.problem


def test_direct_identifier_columns_are_refused_by_name(template_dataset, tmp_path):
    header = (
        "reference,occurred_date,Surname,Date of birth,NHS Number,Home address,Postcode,Mobile,"
        "Email"
    )
    content = f"{header}\nT1,2022-03-01,Smith,1990-01-01,1234567890,1 High St,NN1 1AA,07700,a@b.c\n"
    upload = refused(run(template_dataset, write(tmp_path, "pii.csv", content)))
    for column in (
        "Surname",
        "Date of birth",
        "NHS Number",
        "Home address",
        "Postcode",
        "Mobile",
        "Email",
    ):
        assert f"“{column}”" in upload.problem
    assert "direct identifiers" in upload.problem
    assert "Smith" not in upload.problem


def test_lsoa_name_and_partial_postcodes_are_not_identifiers(template_dataset, tmp_path):
    from incidents.importing.spec import direct_identifier_columns

    assert (
        direct_identifier_columns(["LSOA name", "Postcode district", "Location"], {"LSOA name"})
        == []
    )


def test_utf16_with_bom_is_decoded(police_dataset, tmp_path):
    content = police_csv(police_row("u16", location="On or near Café Street"))
    path = write(tmp_path, "u16.csv", codecs.BOM_UTF16_LE + content.encode("utf-16-le"))
    upload = run(police_dataset, path)
    assert upload.status == Upload.Status.IMPORTED, upload.problem
    assert IncidentRecord.objects.get().location_text == "On or near Café Street"


def test_utf8_bom_is_decoded(police_dataset, tmp_path):
    path = write(tmp_path, "bom.csv", codecs.BOM_UTF8 + police_csv(police_row("b1")).encode())
    upload = run(police_dataset, path)
    assert upload.status == Upload.Status.IMPORTED, upload.problem
    assert IncidentRecord.objects.get().source_ref == "b1"


def test_latin1_is_refused_naming_utf8(police_dataset, tmp_path):
    content = police_csv(police_row("l1", location="On or near Café Street"))
    upload = refused(run(police_dataset, write(tmp_path, "latin.csv", content, encoding="latin-1")))
    assert "not encoded as UTF-8" in upload.problem and "0xE9" in upload.problem
    assert "CSV UTF-8" in upload.problem


def test_utf16_without_bom_is_refused(police_dataset, tmp_path):
    path = write(tmp_path, "u16.csv", police_csv(police_row()).encode("utf-16-le"))
    upload = refused(run(police_dataset, path))
    assert "UTF-16" in upload.problem


def test_impossible_date(template_dataset, tmp_path):
    path = write(
        tmp_path, "d.csv", template_csv(template_row("T1"), template_row("T2", date="2022-02-31"))
    )
    upload = refused(run(template_dataset, path))
    assert upload.rows_invalid == 1
    assert upload.first_errors == [
        {"row": 3, "column": "occurred_date", "reason": "2022-02-31 is not a real date"}
    ]
    report = upload.error_report.read().decode()
    assert "3,occurred_date,2022-02-31 is not a real date,2022-02-31" in report


def test_future_date(template_dataset, tmp_path):
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    upload = refused(
        run(
            template_dataset,
            write(tmp_path, "f.csv", template_csv(template_row("T1", date=future))),
        )
    )
    assert upload.first_errors[0]["reason"] == f"{future} is in the future"


def test_future_month_in_police_file(police_dataset, tmp_path):
    month = (timezone.localdate() + dt.timedelta(days=40)).strftime("%Y-%m")
    upload = refused(
        run(police_dataset, write(tmp_path, "f.csv", police_csv(police_row(month=month))))
    )
    assert upload.first_errors[0]["column"] == "Month"


def test_unknown_lsoa_code(police_dataset, tmp_path):
    path = write(tmp_path, "l.csv", police_csv(police_row("a"), police_row("b", lsoa=UNKNOWN)))
    upload = refused(run(police_dataset, path))
    [error] = upload.first_errors
    assert (error["row"], error["column"]) == (3, "LSOA code")
    # A real-looking code is never guessed at: the reason says which lookup to load.
    assert error["reason"].startswith(f"{UNKNOWN} is not a known LSOA code (if it is real")
    assert "LSOA 2011 to 2021 lookup" in error["reason"]


def test_duplicate_references_in_one_file(template_dataset, tmp_path):
    path = write(
        tmp_path,
        "dup.csv",
        template_csv(template_row("T1"), template_row("T2"), template_row("T1")),
    )
    upload = refused(run(template_dataset, path))
    assert upload.first_errors == [
        {"row": 4, "column": "reference", "reason": "reference T1 is also used on row 2"}
    ]


def test_nul_bytes(police_dataset, tmp_path):
    content = police_csv(police_row("a"), police_row("b\x00c"))
    upload = refused(run(police_dataset, write(tmp_path, "nul.csv", content)))
    assert "NUL" in upload.problem


def test_one_megabyte_cell(police_dataset, tmp_path):
    content = police_csv(police_row("a", location='"' + "x" * 1_048_576 + '"'))
    upload = refused(run(police_dataset, write(tmp_path, "big.csv", content)))
    assert "cell longer than 32,768 characters" in upload.problem


def test_overlong_field_is_a_row_error(template_dataset, tmp_path):
    path = write(tmp_path, "long.csv", template_csv(template_row("T1", location_text="y" * 300)))
    upload = refused(run(template_dataset, path))
    assert upload.first_errors[0]["reason"] == "is 300 characters long; the most is 255"


def test_file_over_the_size_limit(police_dataset, tmp_path, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    path = write(tmp_path, "huge.csv", police_csv(*[police_row(f"r{i}") for i in range(50)]))
    with pytest.raises(services.UploadRefused, match="the most the portal accepts is"):
        run(police_dataset, path)
    assert not Upload.objects.exists() and not IncidentRecord.objects.exists()


def test_pdf_renamed_csv(police_dataset, tmp_path):
    path = write(tmp_path, "report.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    upload = refused(run(police_dataset, path))
    assert "is a PDF document, not a CSV" in upload.problem


def _xlsx(tmp_path, rows, name="data.xlsx"):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


def _rewrite_zip(path, changes: dict[str, bytes], extra: dict[str, bytes] | None = None):
    source = zipfile.ZipFile(path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, changes.get(item.filename, source.read(item.filename)))
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    source.close()
    path.write_bytes(buffer.getvalue())
    return path


def test_xlsx_formula_is_text_and_never_evaluated(template_dataset, tmp_path):
    row = ["F1", "2022-03-01", "", "Robbery", IN_AREA, "", "=52+0.5", "-0.9"] + [""] * 12
    path = _xlsx(tmp_path, [list(TEMPLATE_FIELD_NAMES), row])
    upload = refused(run(template_dataset, path))
    assert upload.first_errors[0] == {
        "row": 2,
        "column": "latitude",
        "reason": "“=52+0.5” is not a number",
    }


def test_xlsx_external_links(template_dataset, tmp_path):
    path = _xlsx(tmp_path, [list(TEMPLATE_FIELD_NAMES)])
    _rewrite_zip(path, {}, {"xl/externalLinks/externalLink1.xml": b"<externalLink/>"})
    upload = refused(run(template_dataset, path))
    assert "links to other workbooks" in upload.problem


def test_xlsx_zip_bomb_is_refused_before_opening(template_dataset, tmp_path, monkeypatch):
    from incidents.importing import reading

    path = _xlsx(tmp_path, [list(TEMPLATE_FIELD_NAMES)])
    # 30 MB of zeros compresses to ~30 KB: the ratio check refuses it from the directory alone.
    _rewrite_zip(path, {}, {"xl/media/padding.bin": b"\x00" * (30 * 1024 * 1024)})
    opened = []
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: opened.append(1))
    upload = refused(run(template_dataset, path))
    assert "zip bomb" in upload.problem and not opened
    assert reading.MAX_XLSX_RATIO == 200


def test_xlsx_total_uncompressed_size_limit(template_dataset, tmp_path, monkeypatch):
    from incidents.importing import reading

    monkeypatch.setattr(reading, "MAX_XLSX_UNCOMPRESSED", 1000)
    path = _xlsx(tmp_path, [list(TEMPLATE_FIELD_NAMES), ["x"] * 20])
    upload = refused(run(template_dataset, path))
    assert "expands to" in upload.problem


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>"""


def test_xlsx_xml_entity_bomb_is_refused(template_dataset, tmp_path):
    path = _xlsx(tmp_path, [list(TEMPLATE_FIELD_NAMES)])
    _rewrite_zip(path, {"xl/worksheets/sheet1.xml": BOMB})
    upload = refused(run(template_dataset, path))
    assert "DOCTYPE" in upload.problem


def test_openpyxl_parses_with_defusedxml(tmp_path):
    """Even past our own DOCTYPE check, openpyxl's parser refuses entities (defusedxml)."""
    from defusedxml import EntitiesForbidden
    from openpyxl import load_workbook
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML is True
    path = _xlsx(tmp_path, [["a"]])
    _rewrite_zip(path, {"xl/worksheets/sheet1.xml": BOMB})
    with pytest.raises(Exception) as caught:  # noqa: B017 - checked through the cause chain
        workbook = load_workbook(path, read_only=True)
        list(workbook.active.iter_rows(values_only=True))
    chain, error = [], caught.value
    while error is not None:
        chain.append(type(error))
        error = error.__cause__ or error.__context__
    assert EntitiesForbidden in chain


def test_file_for_the_wrong_dataset_format(istv_dataset, tmp_path):
    upload = refused(run(istv_dataset, write(tmp_path, "p.csv", police_csv(police_row()))))
    assert "looks like a data.police.uk street-level CSV file" in upload.problem
    assert "ISTV emergency-department extract" in upload.problem


def test_one_bad_row_among_many_writes_nothing(template_dataset, tmp_path):
    rows = [template_row(f"T{i}") for i in range(200)] + [template_row("bad", weapon="spoon")]
    upload = refused(run(template_dataset, write(tmp_path, "many.csv", template_csv(*rows))))
    assert upload.rows_total == 201 and upload.rows_invalid == 1
    assert upload.first_errors[0]["column"] == "weapon"
    assert "“spoon” is not one of" in upload.first_errors[0]["reason"]


def test_import_failure_rolls_back_everything(template_dataset, tmp_path, monkeypatch, alice):
    """An error after records were written (here when saving the counts) leaves nothing behind."""
    path = write(tmp_path, "ok.csv", template_csv(template_row("T1"), template_row("T2")))
    with open(path, "rb") as handle:
        upload = services.upload_receive(
            dataset=template_dataset, user=alice, file=handle, filename="ok.csv", queue_check=False
        )
    services.upload_check(upload_id=upload.pk)
    services.upload_confirm(upload=upload, user=alice, queue_import=False)

    def explode(*args, **kwargs):
        assert IncidentRecord.objects.count() == 2  # written inside the transaction…
        raise services.FileRefused("the counts could not be saved")

    monkeypatch.setattr(services, "_save_counts", explode)
    upload = services.upload_import(upload_id=upload.pk)
    assert upload.status == Upload.Status.FAILED
    assert not IncidentRecord.objects.exists()  # …and rolled back with it
    assert not RecordVersion.objects.exists()
