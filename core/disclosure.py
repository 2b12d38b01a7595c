"""Disclosure control for every count that leaves record level: the cell key method.

The one policy (DOMAIN.md, "Disclosure control"; issue 10) for any page, export, chart or report
that shows counts to a person without record-level access to the records counted.

API (all other code calls only these; a count always travels with its key sum)
------------------------------------------------------------------------------
A *keyed count* is ``(count, key_sum)``: how many records (or survey responses) fall in a cell and
the plain sum of their ``cell_key`` columns (``Count("pk")`` and ``Sum("cell_key")`` in the same
GROUP BY; the sum need not be reduced, this module takes it modulo 256).

- ``disclose_cell(count, key_sum, rule) -> Cell``: one figure on its own.
- ``disclose_series(pairs, rule) -> list[Cell]`` and ``disclose_total(pairs, rule) -> Cell``: a line
  of figures shown with its total (secondary suppression so the total cannot reveal a hidden one).
- ``disclose_table(rows, rule) -> list[list[Cell]]``: a grid shown with row and column totals.
- ``too_few(count, rule) -> bool``: a filter or cross-tab isolates fewer people or records than the
  threshold; show "too few to show" instead of any figure from it.
- ``rule_for(sensitive) -> Rule``; ``STANDARD`` (threshold 7) and ``SENSITIVE`` (10: sexual
  offences, domestic abuse, surveys marked sensitive).
- ``area_allowed(level, sensitive) -> bool``: no area below ward for sensitive topics.
- ``new_record_key()`` / ``record_key_sql(vendor)``: a new record's fixed random key.

A ``Cell`` is an ``int`` (the published figure) or ``SUPPRESSED`` ("*"). Record-level users see raw
counts and never call this module.

The method (ONS cell key method, as used for Census 2021's flexible tables)
---------------------------------------------------------------------------
1. Every record and survey response gets a random *record key*, 0 to 255, once, when it is created;
   a re-import never changes it.
2. A cell's *cell key* is the sum of its records' keys modulo 256. The same records always give the
   same cell key, whatever table, filter or period the cell is part of.
3. The *perturbation table* (``perturbation``) maps (count, cell key) to a small change added to the
   count: zero on average for every count, at most ±5, 0 for about 45% of cells, ±1 for 38%, ±2 for
   11%, ±3 to ±5 for 6%. So the same cell always shows the same figure (asking again, or
   in another table, gains nothing) and the difference of two overlapping figures is the difference
   of the true counts plus two independent perturbations that nobody can see (subtracting
   overlapping tables gives only an estimate, never the count).
4. Small-cell suppression stays on top: a true count of 1 to the threshold (7; 10 for sensitive
   topics) is shown as "*". A published figure is never at or below the threshold (the
   perturbation of counts just above it never takes them there), so "*" is the only small value
   anyone sees. Zero is shown as 0 (an empty cell has no records, and no key).
5. Where a total is shown, secondary suppression hides one more figure in any line with exactly
   one hidden figure, so the total minus the others always leaves at least two hidden counts.
   Totals are perturbed by their own cell key, like every other figure, so figures do not add up
   exactly to their totals (published tables say so).

Rounding to 5 is gone: it is a deterministic function of the true count, so differences of
overlapping rounded figures can be narrowed (Jan–Mar 25 and Feb–Mar 15 leave January at 6–14,
and "*" then pins it to 6 or 7) and, with more overlapping periods, pinned exactly. The cell
key perturbation has a similar error (standard deviation 1.3 against 1.4 for rounding to 5) and
no such structure. What remains possible, by chance: narrowing a suppressed count at the edge of
its range (1 or the threshold) to two values needs two overlapping figures whose unseen
perturbations are both extreme (about 1 chance in 13,000 per pair of figures); counts in the
middle of the range cannot be narrowed that far by any pair. tests/core/test_disclosure_attack.py
runs the attack.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

SUPPRESSED = "*"
Cell = int | str
KeyedCount = tuple[int, int]  # (count, sum of the records' keys)

# Record keys are 0..KEY_RANGE-1; a cell's key is the sum of its records' keys modulo KEY_RANGE.
KEY_RANGE = 256
# How many of the 256 cell keys give each perturbation, for counts well above the threshold.
# Symmetric, so every count's perturbation is zero on average (variance 1.61).
PERTURBATION_KEYS: dict[int, int] = {
    -5: 1,
    -4: 2,
    -3: 5,
    -2: 14,
    -1: 48,
    0: 116,
    1: 48,
    2: 14,
    3: 5,
    4: 2,
    5: 1,
}
MAX_PERTURBATION = max(PERTURBATION_KEYS)


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


@dataclass(frozen=True)
class Rule:
    """Counts from 1 to ``threshold`` are never shown."""

    threshold: int = 7
    name: str = "standard"


STANDARD = Rule(threshold=7, name="standard")
SENSITIVE = Rule(threshold=10, name="sensitive")


def rule_for(sensitive: bool) -> Rule:
    """The sensitive rule (10) for sexual offences, domestic abuse and sensitive surveys."""
    return SENSITIVE if sensitive else STANDARD


# Areas from the smallest up. Sexual offences and domestic abuse are never shown for an area
# smaller than a ward (DOMAIN.md), whatever the count.
AREA_LEVELS = ("lsoa", "ward", "district", "authority", "partnership")
SMALLEST_SENSITIVE_AREA = "ward"


def area_allowed(level: str, sensitive: bool) -> bool:
    """Whether counts for areas of this level may be shown (sensitive: ward or larger)."""
    if level not in AREA_LEVELS:
        raise ValueError(f"unknown area level {level!r}")
    return not sensitive or AREA_LEVELS.index(level) >= AREA_LEVELS.index(SMALLEST_SENSITIVE_AREA)


def is_small(count: int, rule: Rule = STANDARD) -> bool:
    """True when a count must not be shown (1 to the threshold)."""
    return 0 < count <= rule.threshold


def too_few(count: int, rule: Rule = STANDARD) -> bool:
    """A filter or cross-tab that isolates 1 to the threshold people or records: show nothing."""
    return is_small(count, rule)


@cache
def _row(count: int, threshold: int) -> tuple[int, ...]:
    """The perturbation for each of the 256 cell keys, for one count (the ptable's row)."""
    # Just above the threshold the perturbation is narrowed symmetrically (mean still zero) so
    # that no published figure falls to the threshold or below.
    limit = min(MAX_PERTURBATION, count - threshold - 1)
    row: list[int] = []
    for change, keys in sorted(PERTURBATION_KEYS.items()):
        row.extend([change if abs(change) <= limit else 0] * keys)
    return tuple(row)


def perturbation(count: int, cell_key: int, rule: Rule = STANDARD) -> int:
    """The ptable: the change added to a count above the threshold, given its cell key."""
    if count <= rule.threshold:
        return 0
    return _row(count, rule.threshold)[cell_key % KEY_RANGE]


def cell_key(key_sum: int) -> int:
    """A cell's key from the sum of its records' keys."""
    return key_sum % KEY_RANGE


def disclose_cell(count: int, key_sum: int, rule: Rule = STANDARD) -> Cell:
    """One figure as it may be shown: 0, '*' for 1 to the threshold, else perturbed."""
    if count < 0:
        raise ValueError("counts cannot be negative")
    if count == 0:
        return 0
    if is_small(count, rule):
        return SUPPRESSED
    return count + perturbation(count, cell_key(key_sum), rule)


def _secondary(counts: Sequence[int], hidden: set[int]) -> set[int]:
    """Indexes to hide so that a line with a shown total never has exactly one hidden figure."""
    if len(hidden) != 1:
        return set()
    candidates = [i for i, v in enumerate(counts) if i not in hidden and v > 0]
    if not candidates:
        return set()
    return {min(candidates, key=lambda i: (counts[i], i))}


def disclose_series(pairs: Sequence[KeyedCount], rule: Rule = STANDARD) -> list[Cell]:
    """A line of figures shown with its total: primary and secondary suppression, perturbation."""
    counts = [count for count, _key in pairs]
    hidden = {i for i, v in enumerate(counts) if is_small(v, rule)}
    hidden |= _secondary(counts, hidden)
    return [
        SUPPRESSED if i in hidden else disclose_cell(count, key, rule)
        for i, (count, key) in enumerate(pairs)
    ]


def disclose_table(rows: Sequence[Sequence[KeyedCount]], rule: Rule = STANDARD) -> list[list[Cell]]:
    """A grid shown with row and column totals: suppression that the totals cannot undo."""
    counts = [[count for count, _key in row] for row in rows]
    hidden = {
        (r, c) for r, row in enumerate(counts) for c, v in enumerate(row) if is_small(v, rule)
    }
    width = max((len(row) for row in counts), default=0)
    changed = True
    while changed:
        changed = False
        for r, row in enumerate(counts):
            in_row = {c for c in range(len(row)) if (r, c) in hidden}
            for c in _secondary(row, in_row):
                hidden.add((r, c))
                changed = True
        for c in range(width):
            column = [row[c] if c < len(row) else 0 for row in counts]
            in_col = {r for r in range(len(counts)) if (r, c) in hidden}
            for r in _secondary(column, in_col):
                hidden.add((r, c))
                changed = True
    return [
        [
            SUPPRESSED if (r, c) in hidden else disclose_cell(count, key, rule)
            for c, (count, key) in enumerate(row)
        ]
        for r, row in enumerate(rows)
    ]


def total(pairs: Sequence[KeyedCount]) -> KeyedCount:
    """The keyed count of the union of disjoint cells."""
    return sum(count for count, _key in pairs), sum(key for _count, key in pairs)


def disclose_total(pairs: Sequence[KeyedCount], rule: Rule = STANDARD) -> Cell:
    """The total of a line of disjoint cells, perturbed by its own cell key."""
    count, key = total(pairs)
    return disclose_cell(count, key, rule)


def shown_int(cell: Cell) -> int | None:
    """The figure as a number, or None when it is suppressed."""
    return None if cell == SUPPRESSED else int(cell)
