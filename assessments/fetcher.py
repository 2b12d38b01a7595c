"""WeasyPrint's URL fetcher, locked down to the project's static files and ``data:`` URIs.

Nothing else is ever read: no network (http, https, ftp), no ``file://`` outside the static
folder (symlinks and ``..`` are resolved before the check), and no redirects (nothing is fetched
that could redirect). Refused URLs are kept on the fetcher so tests and logs can show them.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from django.conf import settings
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_PREFIX = "nsvpp-static:"


def static_roots() -> list[Path]:
    """The folders the report may read: the project's static sources (and collected files)."""
    roots = [Path(p).resolve() for p in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


def static_url(relative: str) -> str:
    """A file:// URL for a file under the static folder (what report templates link to)."""
    for root in static_roots():
        candidate = (root / relative).resolve()
        if candidate.is_file() and candidate.is_relative_to(root):
            return candidate.as_uri()
    raise FileNotFoundError(relative)


class LockedURLFetcher(URLFetcher):
    """Serve static files and data: URIs; refuse everything else (recorded in ``refused``)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False, timeout=1)
        self.refused: list[str] = []
        self.served: list[str] = []
        self._roots = static_roots()

    def _refuse(self, url: str, reason: str) -> None:
        self.refused.append(url)
        raise ValueError(f"Refused by the report's URL policy ({reason}): {url[:200]}")

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return self._data(url)
        if scheme == "file":
            return self._file(url)
        self._refuse(url, "only static files and data: URIs")
        raise AssertionError("unreachable")  # pragma: no cover

    def _data(self, url: str) -> URLFetcherResponse:
        header, _, payload = url[5:].partition(",")
        parts = header.split(";")
        mime = parts[0] or "text/plain"
        try:
            body = (
                base64.b64decode(unquote(payload), validate=False)
                if "base64" in parts[1:]
                else unquote_to_bytes(payload)
            )
        except (binascii.Error, ValueError):
            self._refuse(url, "malformed data: URI")
        self.served.append(url[:60])
        return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})

    def _file(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            self._refuse(url, "file:// on another host")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self._roots) or not path.is_file():
            self._refuse(url, "outside the static folder")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.served.append(str(path))
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})
