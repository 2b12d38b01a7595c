"""Reading a partner's file safely, streaming, in constant memory.

Decisions (README, "Uploading partner data"):

- **Encoding.** UTF-8 (with or without a byte-order mark) and UTF-16 with a byte-order mark are
  decoded. Anything else — Latin-1, Windows-1252 — is *refused*, naming UTF-8: a byte such as
  0xE9 means "é" in Latin-1 but other letters in other code pages, and a wrong guess would corrupt
  the location text silently. Excel's "CSV UTF-8 (Comma delimited)" writes what we need.
- **Delimiter.** Commas only; a file that uses semicolons, tabs or pipes is refused saying so.
- **Kind** comes from the content (magic bytes), not the file name: a PDF renamed .csv is refused.
- **XLSX** is opened only after its zip directory passes the size and ratio checks (zip bombs),
  with no external links and no XML DOCTYPE (entity bombs); openpyxl then parses with defusedxml
  in read-only mode. Formulas are read as their text and never evaluated.
- **Cells** longer than ``MAX_CELL_CHARS`` and NUL bytes refuse the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_CELL_CHARS = 32_768
# Zip bomb limits: the whole workbook's uncompressed size, and any member's compression ratio.
MAX_XLSX_UNCOMPRESSED = 1024 * 1024 * 1024
MAX_XLSX_RATIO = 200
MAX_XLSX_MEMBERS = 2000

csv.field_size_limit(MAX_CELL_CHARS)


class FileRefused(Exception):
    """The whole file is refused; the message says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    """A file's headings and an iterator over (row number, cells); row 1 is the headings."""

    headings: list[str]
    rows: Iterator[tuple[int, list[str]]]
    kind: str
    encoding: str
    # Closes the file when the rows are not read to the end (the iterator closes it otherwise).
    close: Callable[[], None] = field(default=lambda: None)


_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel (.xls) or Word file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"{\\rtf", "a Rich Text document"),
)


def sniff_kind(path: Path, filename: str) -> str:
    """'csv' or 'xlsx' from the file's first bytes; refuses other kinds and empty files."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    if not head:
        raise FileRefused("The file is empty.")
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            raise FileRefused(
                f"“{filename}” is {what}, not a CSV or Excel (.xlsx) file. Upload the data as "
                "CSV (UTF-8) or .xlsx."
            )
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PK"):
        raise FileRefused(f"“{filename}” is an unreadable zip file, not a CSV or .xlsx file.")
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise FileRefused(
            f"“{filename}” is named as an Excel file but is not one. Save it again as .xlsx or "
            "as CSV (UTF-8)."
        )
    return "csv"


def open_table(path: Path, filename: str) -> Table:
    """Open the file as a table of text cells, refusing what cannot be read safely."""
    kind = sniff_kind(path, filename)
    if kind == "xlsx":
        return _open_xlsx(path, filename)
    return _open_csv(path)


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------
def _detect_encoding(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        if len(head) > 3 and (head[1:2] == b"\x00" or head[0:1] == b"\x00"):
            raise FileRefused(
                "The file looks like UTF-16 text without a byte-order mark, which cannot be read "
                "reliably. Save it as “CSV UTF-8 (Comma delimited)” and upload it again."
            )
        raise FileRefused(
            "The file contains NUL bytes, so it is not a text CSV file. Save it as “CSV UTF-8 "
            "(Comma delimited)” and upload it again."
        )
    return "utf-8"


def _checked_lines(stream: io.TextIOWrapper, counter: list[int]) -> Iterator[str]:
    """Lines of the text stream; NUL characters and undecodable bytes refuse the file."""
    try:
        for line in stream:
            if "\x00" in line:
                raise FileRefused(
                    f"Row {counter[0] + 1} contains a NUL character (a binary byte), so the file "
                    "is not a clean text CSV. Save it again as “CSV UTF-8 (Comma delimited)”."
                )
            yield line
    except UnicodeDecodeError as error:
        raise FileRefused(
            f"The file is not encoded as UTF-8 (a byte 0x{error.object[error.start]:02X} near "
            f"row {counter[0] + 1} is not valid UTF-8; it looks like Latin-1 or Windows-1252). "
            "Save it as “CSV UTF-8 (Comma delimited)” and upload it again."
        ) from None


def cell_too_long(row_no: int) -> str:
    """Why a CSV with an over-long cell is refused (the SQL path says the same)."""
    return (
        f"Row {row_no} has a cell longer than {MAX_CELL_CHARS:,} characters. "
        "Check for a missing closing quote mark or pasted text, then upload again."
    )


def _open_csv(path: Path) -> Table:
    encoding = _detect_encoding(path)
    handle = open(path, "rb")  # noqa: SIM115 - closed when the row iterator finishes
    stream = io.TextIOWrapper(handle, encoding=encoding, errors="strict", newline="")
    counter = [0]
    reader = csv.reader(_checked_lines(stream, counter), strict=False)

    def read_row() -> list[str] | None:
        try:
            return next(reader)
        except StopIteration:
            return None
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise FileRefused(cell_too_long(counter[0] + 1)) from None
            raise FileRefused(f"Row {counter[0] + 1} cannot be read as CSV: {error}.") from None

    try:
        headings = read_row()
        while headings is not None and not any(cell.strip() for cell in headings):
            counter[0] += 1
            headings = read_row()
    except FileRefused:
        stream.close()
        raise
    if headings is None:
        stream.close()
        raise FileRefused("The file is empty: it has no column headings and no rows.")
    counter[0] = 1
    headings = [h.strip() for h in headings]
    if len(headings) == 1:
        for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if delimiter in headings[0]:
                stream.close()
                raise FileRefused(
                    f"The columns are separated by {name}, but the portal reads comma-separated "
                    "files. Save the file as “CSV UTF-8 (Comma delimited)” and upload it again."
                )

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            while True:
                row = read_row()
                if row is None:
                    return
                counter[0] += 1
                if not row or not any(row):
                    continue  # blank lines carry nothing
                yield counter[0], row
        finally:
            stream.close()

    return Table(headings=headings, rows=rows(), kind="csv", encoding=encoding, close=stream.close)


# ---------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------
def check_xlsx_container(path: Path, filename: str) -> None:
    """Refuse zip bombs, external links, macros and XML DOCTYPEs before openpyxl opens the file."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise FileRefused(f"“{filename}” is not a readable .xlsx workbook.") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_XLSX_MEMBERS:
            raise FileRefused("The workbook has too many parts to be a data extract.")
        total = 0
        for member in members:
            total += member.file_size
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > 10 * 1024 * 1024 and ratio > MAX_XLSX_RATIO:
                raise FileRefused(
                    "The workbook expands to far more data than its size suggests (a “zip "
                    "bomb”), so it was not opened. Export the data again as CSV (UTF-8)."
                )
        if total > MAX_XLSX_UNCOMPRESSED:
            raise FileRefused(
                f"The workbook expands to {total / 1024 / 1024:,.0f} MB, more than the "
                f"{MAX_XLSX_UNCOMPRESSED // 1024 // 1024:,} MB the portal opens. Export the data "
                "as CSV (UTF-8) instead."
            )
        names = {m.filename for m in members}
        if "xl/workbook.xml" not in names:
            raise FileRefused(f"“{filename}” is a zip file but not an Excel .xlsx workbook.")
        if any(name.startswith("xl/externalLinks/") for name in names):
            raise FileRefused(
                "The workbook links to other workbooks (external links). Copy the values into the "
                "sheet (Paste Special → Values), remove the links and upload it again."
            )
        if "xl/vbaProject.bin" in names:
            raise FileRefused("The workbook contains macros. Save it as a plain .xlsx or as CSV.")
        for member in members:
            if member.filename.endswith((".xml", ".rels")):
                with archive.open(member) as part:
                    head = part.read(2048)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise FileRefused(
                        "The workbook contains XML declarations (DOCTYPE/ENTITY) that Excel never "
                        "writes; it was not opened. Export the data again from Excel."
                    )


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _open_xlsx(path: Path, filename: str) -> Table:
    check_xlsx_container(path, filename)
    from openpyxl import load_workbook
    from openpyxl.xml import DEFUSEDXML

    if not DEFUSEDXML:  # pragma: no cover - defusedxml is a pinned dependency
        raise FileRefused("The portal cannot open workbooks safely right now (defusedxml missing).")
    try:
        # read_only streams rows; data_only=False keeps formulas as their text, unevaluated.
        # A file object, not a path: openpyxl would otherwise judge the file by its name.
        handle = open(path, "rb")  # noqa: SIM115 - closed with the workbook
        workbook = load_workbook(handle, read_only=True, data_only=False, keep_links=False)
    except Exception as error:  # openpyxl and defusedxml raise many kinds
        handle.close()
        raise FileRefused(
            f"“{filename}” could not be opened as an Excel workbook ({type(error).__name__}). "
            "Save it again as .xlsx or as CSV (UTF-8)."
        ) from None
    workbook_close = workbook.close

    def close() -> None:
        workbook_close()
        handle.close()

    workbook.close = close  # type: ignore[method-assign]
    sheet = workbook["Data"] if "Data" in workbook.sheetnames else workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)

    def to_cells(values: tuple[object, ...], row_no: int) -> list[str]:
        cells = [_cell_text(v) for v in values]
        for cell in cells:
            if len(cell) > MAX_CELL_CHARS:
                raise FileRefused(
                    f"Row {row_no} has a cell longer than {MAX_CELL_CHARS:,} characters."
                )
            if "\x00" in cell:
                raise FileRefused(f"Row {row_no} contains a NUL character.")
        return cells

    try:
        first = next(iterator, None)
    except Exception as error:
        workbook.close()
        raise FileRefused(
            f"“{filename}” could not be read ({type(error).__name__}); it was not opened."
        ) from None
    if first is None or not any(v not in (None, "") for v in first):
        workbook.close()
        raise FileRefused("The workbook's first sheet is empty: it has no column headings.")
    headings = [h.strip() for h in to_cells(first, 1)]
    while headings and headings[-1] == "":
        headings.pop()

    def rows() -> Iterator[tuple[int, list[str]]]:
        row_no = 1
        try:
            for values in iterator:
                row_no += 1
                if not any(v not in (None, "") for v in values):
                    continue
                yield row_no, to_cells(values, row_no)
        except FileRefused:
            raise
        except Exception as error:
            raise FileRefused(
                f"Row {row_no} of the workbook could not be read ({type(error).__name__})."
            ) from None
        finally:
            workbook.close()

    return Table(headings=headings, rows=rows(), kind="xlsx", encoding="xlsx", close=workbook.close)
