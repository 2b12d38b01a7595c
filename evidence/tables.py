"""A figure as a table: every number on a page or in the SNA is one, and each downloads as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from core.exports import escape_formula


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[object]]
    source: str
    period: str
    denominator: str | None = None
    notes: list[str] = field(default_factory=list)
    slug: str = ""  # names the table in its page's CSV download link

    def to_csv(self) -> str:
        """The table as CSV with its source, period and denominator; formula-escaped."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([escape_formula(self.title)])
        writer.writerow([escape_formula(c) for c in self.columns])
        for row in self.rows:
            writer.writerow([escape_formula("" if v is None else v) for v in row])
        writer.writerow([])
        writer.writerow(["Source", escape_formula(self.source)])
        writer.writerow(["Period", escape_formula(self.period)])
        if self.denominator:
            writer.writerow(["Denominator", escape_formula(self.denominator)])
        for note in self.notes:
            writer.writerow(["Note", escape_formula(note)])
        return out.getvalue()
