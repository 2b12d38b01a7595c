"""Fixtures of the SNA tests: editions in each state, their files, and partner people."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from assessments.models import Audience, Edition
from assessments.rendering import edition_folder

# The evidence app's own test data (a police and an ISTV dataset over 36 months from January
# 2022, cubes built): the SNA is tested on the figures the evidence functions give for it.
from tests.evidence.conftest import evidence_data, geography, knife  # noqa: F401
from tests.incidents.factories import DatasetFactory

# A one-page PDF is enough for the download views (the pipeline's PDFs are tested elsewhere).
TINY_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfabd40000000049454e44ae426082"
)


@pytest.fixture
def dataset(org_a):
    return DatasetFactory(owner=org_a, slug="police-data", name="Police recorded crime")


def make_edition(*, audience: str, status: str, dataset, shared_with=(), **extra) -> Edition:
    edition = Edition.objects.create(
        title="Testshire Strategic Needs Assessment",
        edition_label="2022 edition",
        period_start=datetime.date(2022, 1, 1),
        period_end=datetime.date(2022, 6, 1),
        audience=audience,
        status=status,
        **extra,
    )
    edition.datasets.set([dataset])
    edition.shared_with.set(shared_with)
    return edition


def write_files(edition: Edition) -> Edition:
    """Files as the worker leaves them, so the download views have something to stream."""
    folder: Path = edition_folder(edition.pk)
    (folder / "pages").mkdir(parents=True, exist_ok=True)
    (folder / "edition.pdf").write_bytes(TINY_PDF)
    (folder / "tables.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    (folder / "edition.html").write_text("<!DOCTYPE html><title>SNA</title><p>Report</p>")
    (folder / "pages" / "page-1.png").write_bytes(TINY_PNG)
    edition.pdf.name = f"assessments/{edition.pk}/edition.pdf"
    edition.tables_zip.name = f"assessments/{edition.pk}/tables.zip"
    edition.web_html.name = f"assessments/{edition.pk}/edition.html"
    edition.thumbnails = ["page-1.png"]
    edition.page_count = 1
    edition.fingerprint = "f" * 64
    edition.fingerprint_inputs = {"uploads": [], "records": 0}
    edition.save()
    return edition


@pytest.fixture
def restricted_ready(dataset, org_a):
    """Ready restricted edition shared with organisation A (Alice's)."""
    return write_files(
        make_edition(
            audience=Audience.RESTRICTED,
            status=Edition.Status.READY,
            dataset=dataset,
            shared_with=[org_a],
        )
    )


@pytest.fixture
def public_ready(dataset):
    return write_files(
        make_edition(audience=Audience.PUBLIC, status=Edition.Status.READY, dataset=dataset)
    )


@pytest.fixture
def draft(dataset):
    return make_edition(audience=Audience.RESTRICTED, status=Edition.Status.DRAFT, dataset=dataset)


HOSTILE_NARRATIVE = (
    '<img src="http://127.0.0.1:{port}/pixel.png"> and <style>@import url(http://127.0.0.1:{port}'
    '/x.css); body {{ background: url(file:///etc/passwd) }}</style> <a href="file:///etc/passwd">'
    "passwd</a>"
)


@pytest.fixture
def http_server():
    """A server on 127.0.0.1 that records every request it gets."""
    import http.server
    import threading

    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            requests.append(self.path)
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sna_edition(evidence_data, staff, org_a):  # noqa: F811 - the imported fixture
    """A restricted edition of 2023 (a year with a year before it) over both datasets."""
    edition = Edition.objects.create(
        title="Testshire Strategic Needs Assessment",
        edition_label="2023 edition",
        period_start=datetime.date(2023, 1, 1),
        period_end=datetime.date(2023, 12, 1),
        audience=Audience.RESTRICTED,
        executive_summary="Violence fell in 2023.\n\nRobbery rose.",
        key_findings="Knife crime is concentrated in two wards.",
        created_by=staff,
    )
    edition.datasets.set([evidence_data["police"], evidence_data["istv"]])
    edition.shared_with.set([org_a])
    return edition
