"""``manage.py generate_sna``: the worker's pipeline in-process, with clear refusals."""

from __future__ import annotations

import re
import zipfile
from io import StringIO

import pikepdf
import pytest
from django.core.management import CommandError, call_command

from assessments.models import Edition

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("generate_sna", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2023-13", "--to", "2023-12"], "--from must be a month as YYYY-MM"),
        (["--from", "2023-01", "--to", "Dec"], "--to must be a month as YYYY-MM"),
        (
            ["--from", "2023-06", "--to", "2023-01"],
            "--to must be the same month as --from or later",
        ),
        (["--area", "E99999999"], "--area must be 'partnership' or a local authority's code"),
        (["--out", "/no/such/folder/report.pdf"], "The folder for /no/such/folder/report.pdf"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(args, message, evidence_data, tmp_path):
    base = {
        "--area": "partnership",
        "--from": "2023-01",
        "--to": "2023-12",
        "--audience": "restricted",
        "--out": str(tmp_path / "report.pdf"),
    }
    for key, value in zip(args[::2], args[1::2], strict=True):
        base[key] = value
    with pytest.raises(CommandError, match=re.escape(message)):
        _run(*[item for pair in base.items() for item in pair])
    assert not (tmp_path / "report.pdf").exists()


def test_an_unknown_audience_is_refused(tmp_path, evidence_data):
    with pytest.raises(CommandError, match="invalid choice: 'everyone'"):
        _run(
            "--area", "partnership", "--from", "2023-01", "--to", "2023-12",
            "--audience", "everyone", "--out", str(tmp_path / "r.pdf"),
        )  # fmt: skip


def test_no_data_for_the_period_is_refused(tmp_path, evidence_data):
    with pytest.raises(CommandError, match="hold no records from January 2030 to March 2030"):
        _run(
            "--area", "partnership", "--from", "2030-01", "--to", "2030-03",
            "--audience", "public", "--out", str(tmp_path / "r.pdf"),
        )  # fmt: skip
    assert not (tmp_path / "r.pdf").exists()
    assert not Edition.objects.exists()


def test_it_writes_the_pdf_and_tables_and_prints_pages_and_fingerprint(
    tmp_path, evidence_data, geography
):
    authority = geography["districts"][0].authority
    out = _run(
        "--area", authority.code, "--from", "2023-01", "--to", "2023-12",
        "--audience", "restricted", "--out", str(tmp_path / "r.pdf"),
        "--tables", str(tmp_path / "t.zip"),
    )  # fmt: skip
    pages = int(re.search(r"Pages: (\d+)", out).group(1))
    fingerprint = re.search(r"Fingerprint: ([0-9a-f]{64})", out).group(1)
    with pikepdf.open(tmp_path / "r.pdf") as pdf:
        assert len(pdf.pages) == pages
    with zipfile.ZipFile(tmp_path / "t.zip") as archive:
        assert fingerprint in archive.read("README.txt").decode()
        assert authority.name in archive.read("README.txt").decode()
    assert not Edition.objects.exists(), "the command keeps nothing in the database"
    assert not list(tmp_path.glob(".*part"))
