"""Plain-English summaries of an upload, shared by the pages and the command line."""

from __future__ import annotations

from incidents.models import Upload


def upload_summary_lines(upload: Upload) -> list[str]:
    """The counts of an upload as short sentences."""
    lines = [
        f"{upload.rows_total:,} rows read",
        f"{upload.rows_new:,} new records",
        f"{upload.rows_changed:,} changed records (updated in place)",
        f"{upload.rows_unchanged:,} unchanged",
        f"{upload.rows_outside_area:,} outside the partnership area (kept, marked outside)",
        f"{upload.rows_no_area:,} without a known area (kept, counted in every total)",
    ]
    if upload.rows_invalid:
        lines.append(f"{upload.rows_invalid:,} rows with errors")
    return lines
