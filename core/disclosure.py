"""Small-number suppression for anything that leaves the portal.

Rules (DOMAIN.md, "Disclosure control"): counts of 1 to the threshold are shown as "*", with
secondary suppression so that a published total cannot reveal them; other counts are rounded to
the nearest 5. Sensitive topics (sexual offences, domestic abuse) use a threshold of 10.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

SUPPRESSED = "*"
# Record keys are 0..KEY_RANGE-1; a cell's key is the sum of its records' keys modulo KEY_RANGE.
KEY_RANGE = 256


def new_record_key() -> int:
    """A fixed random key for a new record or response (cell key method), 0 to 255."""
    return secrets.randbelow(KEY_RANGE)


def record_key_sql(vendor: str) -> str:
    """SQL giving a new random record key per row, for set-based INSERTs (PostgreSQL, SQLite)."""
    if vendor == "postgresql":
        # random() is in [0, 1), seeded per session from a strong source (PostgreSQL 15+).
        return f"CAST(floor(random() * {KEY_RANGE}) AS smallint)"
    # SQLite's random() is a signed 64-bit integer; the low 8 bits are uniform, and a bitwise AND
    # (unlike abs()) cannot overflow on the most negative value.
    return f"(random() & {KEY_RANGE - 1})"


Cell = int | str


@dataclass(frozen=True)
class DisclosureRule:
    threshold: int = 7
    rounding: int = 5


STANDARD = DisclosureRule(threshold=7, rounding=5)
SENSITIVE = DisclosureRule(threshold=10, rounding=5)


def _round(value: int, rule: DisclosureRule) -> int:
    # Round half up, so 2.5 fives never becomes 10 one day and 0 the next.
    return int((value + rule.rounding / 2) // rule.rounding) * rule.rounding


def is_small(value: int, rule: DisclosureRule = STANDARD) -> bool:
    """True when a count must not be published (1 to the threshold)."""
    return 0 < value <= rule.threshold


def publish_count(value: int, rule: DisclosureRule = STANDARD) -> Cell:
    """One count as it may be published: '*' when small, otherwise rounded."""
    if value < 0:
        raise ValueError("counts cannot be negative")
    if is_small(value, rule):
        return SUPPRESSED
    return _round(value, rule)


def _secondary(values: Sequence[int], hidden: set[int]) -> set[int]:
    """Indexes to hide so that a line with a published total never has exactly one hidden cell."""
    if len(hidden) != 1:
        return set()
    candidates = [i for i, v in enumerate(values) if i not in hidden and v > 0]
    if not candidates:
        return set()
    return {min(candidates, key=lambda i: (values[i], i))}


def suppress_series(values: Sequence[int], rule: DisclosureRule = STANDARD) -> list[Cell]:
    """A list of counts published with a total: primary and secondary suppression, then rounding."""
    hidden = {i for i, v in enumerate(values) if is_small(v, rule)}
    hidden |= _secondary(values, hidden)
    return [SUPPRESSED if i in hidden else _round(v, rule) for i, v in enumerate(values)]


def suppress_table(
    rows: Sequence[Sequence[int]], rule: DisclosureRule = STANDARD
) -> list[list[Cell]]:
    """A table published with row and column totals: suppression that totals cannot undo."""
    hidden = {(r, c) for r, row in enumerate(rows) for c, v in enumerate(row) if is_small(v, rule)}
    width = max((len(row) for row in rows), default=0)
    changed = True
    while changed:
        changed = False
        for r, row in enumerate(rows):
            in_row = {c for c in range(len(row)) if (r, c) in hidden}
            for c in _secondary(row, in_row):
                hidden.add((r, c))
                changed = True
        for c in range(width):
            column = [row[c] if c < len(row) else 0 for row in rows]
            in_col = {r for r in range(len(rows)) if (r, c) in hidden}
            for r in _secondary(column, in_col):
                hidden.add((r, c))
                changed = True
    return [
        [SUPPRESSED if (r, c) in hidden else _round(v, rule) for c, v in enumerate(row)]
        for r, row in enumerate(rows)
    ]


def publish_total(values: Sequence[int], rule: DisclosureRule = STANDARD) -> Cell:
    """The total of a line of counts, itself subject to the same rule."""
    return publish_count(sum(values), rule)
