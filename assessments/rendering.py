"""Turning a built report into files: the PDF (WeasyPrint, PDF/UA-1), page thumbnails
(pdftoppm), tables.zip and the web pages. Every file is written atomically: to a temporary name
in the same folder, flushed to disk, then renamed, so a worker killed mid-write leaves the
previous file (or none), never a partial one.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import subprocess
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.templatetags.static import static

from .fetcher import LockedURLFetcher, static_roots
from .report import Report, table_filename

# WeasyPrint logs every page of every step at INFO; the worker's log needs only its warnings.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

PART_SUFFIX = ".part"
PDFTOPPM = shutil.which("pdftoppm") or "/usr/bin/pdftoppm"
# A fixed date for every zip entry: the same tables give the same bytes.
ZIP_DATE = (2000, 1, 1, 0, 0, 0)


@dataclass
class RenderTimings:
    """Seconds spent in each step (printed by the benchmark)."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def step(self, name: str):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to path through a temporary file and a rename (never a partial file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}{PART_SUFFIX}")
    try:
        with open(temporary, "wb") as handle:
            for start in range(0, len(data), 1 << 20):
                handle.write(data[start : start + (1 << 20)])
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_partial_files(folder: Path) -> list[str]:
    """Delete temporary files a killed run left behind (the redelivered task calls this)."""
    removed: list[str] = []
    if not folder.is_dir():
        return removed
    for item in folder.iterdir():
        if item.name.endswith(PART_SUFFIX) or item.name.startswith(".pages-"):
            if item.is_dir():
                shutil.rmtree(item, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    item.unlink()
            removed.append(item.name)
    return removed


# --- HTML ---------------------------------------------------------------------------------------


def html_render(*, report: Report, screen: bool) -> str:
    """The report as one HTML document: print (file URLs for WeasyPrint) or screen (/static/)."""
    # Print: relative to the static base URL WeasyPrint is given; screen: the site's /static/.
    stylesheets = [static("reports/screen.css")] if screen else ["reports/print.css"]
    return render_to_string(
        "assessments/report/document.html",
        {"report": report, "edition": report.edition, "screen": screen, "stylesheets": stylesheets},
    )


def static_base_url() -> str:
    return static_roots()[0].as_uri() + "/"


# --- PDF ----------------------------------------------------------------------------------------


def pdf_render(
    *, html: str, timings: RenderTimings | None = None
) -> tuple[bytes, int, LockedURLFetcher]:
    """The tagged PDF/UA-1 document, its page count and the fetcher (what it served/refused)."""
    from weasyprint import HTML

    timings = timings or RenderTimings()
    fetcher = LockedURLFetcher()
    with timings.step("layout"):
        document = HTML(string=html, base_url=static_base_url(), url_fetcher=fetcher).render(
            pdf_variant="pdf/ua-1"
        )
    with timings.step("writing"):
        pdf = document.write_pdf(
            pdf_variant="pdf/ua-1", pdf_identifier=b"nsvpp-sna", finisher=_header_scopes
        )
    return pdf, len(document.pages), fetcher


def _header_scopes(document: object, pdf: object) -> None:
    """Give every /TH a /Scope: Column in the table head, Row in the body.

    WeasyPrint links data cells to headers with /Headers, but a table split across pages loses
    some of those links; an explicit /Scope on each header keeps the association (PDF/UA 7.5).
    """
    import pydyf

    objects = pdf.objects  # type: ignore[attr-defined]

    def parent_of(element: pydyf.Dictionary) -> pydyf.Dictionary | None:
        reference = element.get("P")
        if not reference:
            return None
        number = int(bytes(reference).split()[0]) if not isinstance(reference, int) else reference
        found = objects[number] if 0 < number < len(objects) else None
        return found if isinstance(found, pydyf.Dictionary) else None

    for element in objects:
        if not isinstance(element, pydyf.Dictionary) or element.get("S") != "/TH":
            continue
        row = parent_of(element)
        group = parent_of(row) if row is not None else None
        scope = "/Column" if group is not None and group.get("S") == "/THead" else "/Row"
        attributes = element.get("A")
        if not isinstance(attributes, pydyf.Dictionary):
            attributes = pydyf.Dictionary({"O": "/Table"})
            element["A"] = attributes
        attributes["Scope"] = scope


def thumbnails_render(*, pdf_path: Path, folder: Path, resolution: int = 40) -> list[str]:
    """PNG of every page (pdftoppm) swapped into ``folder`` in one rename; names in page order."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".pages-", dir=folder.parent))
    try:
        subprocess.run(  # noqa: S603 - fixed program, our own file paths
            [PDFTOPPM, "-png", "-r", str(resolution), str(pdf_path), str(building / "page")],
            check=True,
            capture_output=True,
            timeout=600,
        )
        names = sorted(p.name for p in building.glob("page-*.png"))
        # pdftoppm pads page numbers to the page count's width: sorting by name is page order.
        old = None
        if folder.exists():
            old = folder.with_name(f".pages-old-{uuid.uuid4().hex}")
            os.replace(folder, old)
        os.replace(building, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return names
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise


# --- tables.zip ----------------------------------------------------------------------------------


def tables_zip_bytes(*, report: Report) -> bytes:
    """Every table in the report as CSV, plus an index; byte-identical for the same tables."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        index = ["number,file,title,chapter,source,period"]
        for block in report.tables:
            name = table_filename(block)
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, block.table.to_csv().encode("utf-8"))
            index.append(
                ",".join(
                    _csv_cell(v)
                    for v in (
                        block.number,
                        name,
                        block.table.title,
                        block.chapter,
                        block.table.source,
                        block.table.period,
                    )
                )
            )
        about = [
            f"{report.edition.title} – {report.edition.edition_label}",
            f"Area: {report.area_label}",
            f"Period: {report.period_label}",
            f"Audience: {report.edition.get_audience_display()}",
            f"Fingerprint: {report.fingerprint}",
            "Counts follow the same disclosure rules as the edition's PDF.",
        ]
        for name, text in (
            ("index.csv", "\r\n".join(index) + "\r\n"),
            ("README.txt", "\r\n".join(about) + "\r\n"),
        ):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()


def _csv_cell(value: object) -> str:
    from core.exports import escape_formula

    text = str(escape_formula(value))
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text


def edition_folder(edition_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "assessments" / str(edition_id)


def storage_name(edition_id: int, filename: str) -> str:
    return f"assessments/{edition_id}/{filename}"
