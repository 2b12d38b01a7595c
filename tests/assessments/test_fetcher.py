"""WeasyPrint's URL fetcher is locked to the project's static files and data: URIs.

A local HTTP server counts requests: a document that points at it, at file:///etc/passwd and at
files outside the static folder renders with nothing fetched and nothing embedded.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pikepdf
import pytest
from django.conf import settings

from assessments.fetcher import LockedURLFetcher
from assessments.rendering import pdf_render

PNG_1PX = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5E"
    "rkJggg=="
)


def _images(pdf: bytes) -> int:
    """Raster images embedded anywhere in the PDF (an image's alpha mask is part of it)."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        images = [
            obj
            for obj in document.objects
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"
        ]
        masks = {image.SMask.objgen for image in images if "/SMask" in image}
        return sum(1 for image in images if image.objgen not in masks)


def _hostile_html(base: str, outside: Path) -> str:
    return f"""<!DOCTYPE html><html lang="en-GB"><head><title>Test</title>
<style>@import url("{base}/import.css");
body {{ background: url(file:///etc/passwd); }}
h1 {{ background-image: url("{base}/bg.png"); }}
p {{ background-image: url("file://{outside}"); }}</style>
<link rel="stylesheet" href="{base}/linked.css">
<link rel="stylesheet" href="../../../../../../etc/passwd">
</head><body><h1>Title</h1>
<img src="{base}/pixel.png" alt="remote">
<img src="file:///etc/passwd" alt="passwd">
<img src="file://{outside}" alt="outside">
<img src="/etc/hostname" alt="absolute">
<p>Text</p></body></html>"""


def test_nothing_outside_static_is_fetched_or_embedded(http_server, tmp_path):
    port, requests = http_server
    base = f"http://127.0.0.1:{port}"
    outside = tmp_path / "secret.png"
    outside.write_bytes(base64.b64decode(PNG_1PX))
    pdf, pages, fetcher = pdf_render(html=_hostile_html(base, outside))
    assert pages == 1
    assert requests == [], "the renderer contacted the network"
    assert _images(pdf) == 0, "an image from outside the static folder was embedded"
    refused = " ".join(fetcher.refused)
    for needle in (
        "/import.css",
        "/bg.png",
        "/linked.css",
        "/pixel.png",
        "/etc/passwd",
        str(outside),
    ):
        assert needle in refused
    roots = [str(Path(p).resolve()) for p in settings.STATICFILES_DIRS]
    assert all(any(s.startswith(r) for r in roots) for s in fetcher.served)


def test_static_files_and_data_uris_are_served(tmp_path):
    html = f"""<!DOCTYPE html><html lang="en-GB"><head><title>T</title>
<link rel="stylesheet" href="reports/print.css"></head><body>
<img src="data:image/png;base64,{PNG_1PX}" alt="a dot"></body></html>"""
    pdf, _pages, fetcher = pdf_render(html=html)
    assert fetcher.refused == []
    assert any(s.endswith("reports/print.css") for s in fetcher.served)
    assert _images(pdf) == 1


def test_symlink_out_of_static_is_refused(tmp_path, settings):
    static = tmp_path / "static"
    static.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (static / "link.css").symlink_to(secret)
    settings.STATICFILES_DIRS = [static]
    settings.STATIC_ROOT = str(tmp_path / "collected")
    fetcher = LockedURLFetcher()
    with pytest.raises(ValueError, match="outside the static folder"):
        fetcher.fetch((static / "link.css").as_uri())
    with pytest.raises(ValueError, match="outside the static folder"):
        fetcher.fetch((static / ".." / "secret.txt").as_uri())
    for url in ("https://example.org/x.css", "ftp://127.0.0.1/x", "gopher://x", "//host/x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 6
