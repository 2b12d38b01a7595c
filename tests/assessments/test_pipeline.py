"""The worker's pipeline end to end on the evidence app's figures: a tagged PDF/UA-1 document
(checked with pikepdf and the pdfua checker), thumbnails, tables.zip, the fingerprint, and
nothing fetched for hostile narrative."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pikepdf
import pytest

from assessments import services
from assessments.models import Chapter, Edition, Recommendation
from assessments.rendering import edition_folder
from core.models import AuditEvent

from .conftest import HOSTILE_NARRATIVE

pytestmark = pytest.mark.django_db


def _generate(edition: Edition, actor, capture) -> Edition:
    with capture(execute=True):
        services.edition_generate(actor=actor, edition=edition)
    edition.refresh_from_db()
    return edition


def _struct_elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every structure element in document (reading) order."""
    found: list[pikepdf.Dictionary] = []

    def walk(node: object) -> None:
        if isinstance(node, pikepdf.Array):
            for item in node:
                walk(item)
        elif isinstance(node, pikepdf.Dictionary) and node.get("/Type") == "/StructElem":
            found.append(node)
            if "/K" in node:
                walk(node.K)

    walk(pdf.Root.StructTreeRoot.K)
    return found


def _text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_generate_builds_an_accessible_tagged_pdf_and_its_companions(
    sna_edition, staff, django_capture_on_commit_callbacks, http_server
):
    port, requests = http_server
    sna_edition.data_gaps = HOSTILE_NARRATIVE.format(port=port)
    sna_edition.save()
    Recommendation.objects.create(
        edition=sna_edition, chapter=Chapter.DATA, text="Share ISTV data monthly."
    )
    edition = _generate(sna_edition, staff, django_capture_on_commit_callbacks)

    assert edition.status == Edition.Status.READY, edition.problem
    assert edition.progress == 100
    folder = edition_folder(edition.pk)
    assert sorted(p.name for p in folder.iterdir()) == [
        "edition.html",
        "edition.pdf",
        "pages",
        "tables.zip",
    ]
    pdf_path = folder / "edition.pdf"
    with pikepdf.open(pdf_path) as pdf:
        assert len(pdf.pages) == edition.page_count >= 20
        # Tagged PDF/UA-1: structure tree, marked content, language, title shown as the title.
        assert "/StructTreeRoot" in pdf.Root
        assert bool(pdf.Root.MarkInfo.Marked) is True
        assert str(pdf.Root.Lang) == "en-GB"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True
        assert str(pdf.docinfo.Title) == "Testshire Strategic Needs Assessment – 2023 edition"
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfuaid:part") == "1"
        elements = _struct_elements(pdf)
        kinds = [str(e.S) for e in elements]
        figures = [e for e in elements if e.S == "/Figure"]
        assert len(figures) >= 5, "charts and maps are tagged as figures"
        assert all(str(f.get("/Alt", "")).strip() for f in figures), "a figure without /Alt"
        headers = [e for e in elements if e.S == "/TH"]
        assert headers and all(e.A.Scope in ("/Column", "/Row") for e in headers)
        assert kinds.count("/Table") >= 10
        # Headings in order: one H1 (the title), then no level skipped on the way down.
        levels = [int(k[2]) for k in kinds if re.fullmatch(r"/H[1-6]", k)]
        assert levels[0] == 1 and levels.count(1) == 1
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))
        # A bookmark for every chapter.
        with pdf.open_outline() as outline:
            bookmarks = [item.title for item in outline.root]
        for chapter in (
            "Executive summary",
            "Definition and scope",
            "Method and data sources",
            "Context",
            "Knife crime",
            "Police and health data",
            "Drivers, risk and protective factors",
            "Community voice",
            "Delivery plan and outcomes",
            "Data gaps",
            "Recommendations",
            "Appendix A: data tables",
            "Appendix B: glossary",
            "Appendix C: methodology",
        ):
            assert chapter in bookmarks

    text = _text(pdf_path)
    pages = text.split("\f")[: edition.page_count]
    assert all("OFFICIAL-SENSITIVE" in page for page in pages), "a page without its marking"
    assert f"Page 2 of {edition.page_count}" in pages[1]
    assert f"Page {edition.page_count} of {edition.page_count}" in pages[-1]
    assert "Testshire Strategic Needs Assessment · 2023 edition" in pages[2]
    # Contents with page numbers (target-counter): the summary starts on a numbered page.
    summary_page = next(i for i, p in enumerate(pages, start=1) if "Violence fell in 2023." in p)
    assert re.search(rf"Executive summary[ .]+{summary_page}\b", text)
    # The fingerprint is printed in the method chapter.
    assert edition.fingerprint in text.replace("\n", "")
    assert "Share ISTV data monthly." in text
    # Hostile narrative is text: shown, never fetched, never embedded.
    assert '<img src="http://127.0.0.1:' in text
    assert requests == []
    with pikepdf.open(pdf_path) as pdf:
        assert not any(
            isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image" for o in pdf.objects
        )

    # Thumbnails: one PNG per page, in order.
    assert len(edition.thumbnails) == edition.page_count
    assert all(
        (folder / "pages" / name).read_bytes()[:4] == b"\x89PNG" for name in edition.thumbnails
    )

    # tables.zip: every table as CSV, with an index.
    with zipfile.ZipFile(folder / "tables.zip") as archive:
        names = archive.namelist()
        index = archive.read("index.csv").decode()
    tables = [n for n in names if n.startswith("table-")]
    assert len(tables) == len(index.strip().splitlines()) - 1 >= 20
    assert "README.txt" in names

    # The web pages: the same report with screen CSS, no print-only margin boxes.
    web = (folder / "edition.html").read_text()
    assert "/static/reports/screen.css" in web and "Knife crime" in web
    assert "&lt;img src=" in web and '<img src="http://127.0.0.1' not in web

    assert AuditEvent.objects.filter(action="sna.edition_generated", object_id=str(edition.pk))


def test_pdfua_checker_finds_nothing(sna_edition, staff, django_capture_on_commit_callbacks):
    edition = _generate(sna_edition, staff, django_capture_on_commit_callbacks)
    pdf_path = edition_folder(edition.pk) / "edition.pdf"
    checker = Path(sys.executable).with_name("pdfua")
    result = subprocess.run(
        [str(checker), "check", str(pdf_path)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "errors=0 warnings=0" in result.stdout


def test_same_data_gives_the_same_fingerprint_and_identical_tables(
    sna_edition, staff, django_capture_on_commit_callbacks, evidence_data
):
    edition = _generate(sna_edition, staff, django_capture_on_commit_callbacks)
    folder = edition_folder(edition.pk)
    first = (edition.fingerprint, edition.fingerprint_inputs["records_hash"])
    zip_first = (folder / "tables.zip").read_bytes()
    pdf_inode = (folder / "edition.pdf").stat().st_ino

    edition = _generate(edition, staff, django_capture_on_commit_callbacks)
    assert edition.attempt == 2 and edition.status == Edition.Status.READY
    assert edition.fingerprint == first[0]
    assert (folder / "tables.zip").read_bytes() == zip_first
    assert (folder / "edition.pdf").stat().st_ino != pdf_inode, (
        "the PDF was replaced by a rename, not rewritten in place"
    )

    # A changed record changes the fingerprint (and the hash of the records it names).
    from evidence.cubes import cubes_refresh
    from incidents.models import IncidentRecord

    record = IncidentRecord.objects.filter(
        dataset=evidence_data["police"], occurred_on__year=2023
    ).first()
    IncidentRecord.objects.filter(pk=record.pk).update(row_hash="changed")
    cubes_refresh(dataset_id=evidence_data["police"].pk)
    edition = _generate(edition, staff, django_capture_on_commit_callbacks)
    assert edition.attempt == 3 and edition.status == Edition.Status.READY
    assert edition.fingerprint != first[0]
    assert edition.fingerprint_inputs["records_hash"] != first[1]


def test_public_summary_publishes_no_small_numbers(
    sna_edition, staff, django_capture_on_commit_callbacks
):
    sna_edition.audience = "public"
    sna_edition.save()
    edition = _generate(sna_edition, staff, django_capture_on_commit_callbacks)
    assert edition.status == Edition.Status.READY, edition.problem
    counted = 0
    with zipfile.ZipFile(edition_folder(edition.pk) / "tables.zip") as archive:
        for name in archive.namelist():
            if not name.startswith("table-") or "delivery" in name or "measure" in name:
                continue
            lines = archive.read(name).decode().splitlines()
            header = next(csv_rows(lines[1:2]))
            for column, heading in enumerate(header):
                if heading.strip().lower() not in {"records", "count", "attendances"}:
                    continue
                for row in csv_rows(lines[2:]):
                    if not row or row[0] in ("Source", "Period", "Denominator", "Note"):
                        break
                    if column >= len(row) or row[column] in ("", "*"):
                        continue
                    value = int(row[column].replace(",", ""))
                    counted += 1
                    assert value == 0 or value > 7, ("a small number is published", name, row)
    assert counted > 20
    text = _text(edition_folder(edition.pk) / "edition.pdf")
    assert "OFFICIAL-SENSITIVE" not in text


def csv_rows(lines: list[str]):
    import csv

    return csv.reader(io.StringIO("\n".join(lines)))


def test_edition_without_records_in_its_period_fails_with_a_reason(
    sna_edition, staff, django_capture_on_commit_callbacks
):
    sna_edition.period_start = sna_edition.period_start.replace(year=2030)
    sna_edition.period_end = sna_edition.period_end.replace(year=2030)
    sna_edition.save()
    edition = _generate(sna_edition, staff, django_capture_on_commit_callbacks)
    assert edition.status == Edition.Status.FAILED
    assert "hold no records from January 2030 to December 2030" in edition.problem
    assert not (edition_folder(edition.pk) / "edition.pdf").exists()
