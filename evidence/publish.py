"""The evidence pages' one way into core.disclosure.

Every aggregate cell reaches a reader through ``publish_cells``: exact for an audience that may
see the records of every dataset behind it, otherwise through disclosure control. Each cell
carries its count and the sum of its records' cell keys, so the ONS cell key method (perturbing
the same cell the same way every time) can replace rounding here, in this one function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.disclosure import SENSITIVE, STANDARD, SUPPRESSED, Cell, suppress_series


@dataclass(frozen=True)
class CubeCell:
    records: int
    cell_key_sum: int = 0


def publish_cells(cells: Sequence[CubeCell], *, exact: bool, sensitive: bool) -> list[Cell]:
    """A line of counts as the reader may see it (exact, or suppressed and rounded)."""
    if exact:
        return [cell.records for cell in cells]
    rule = SENSITIVE if sensitive else STANDARD
    return suppress_series([cell.records for cell in cells], rule)


def publish_one(cell: CubeCell, *, exact: bool, sensitive: bool) -> Cell:
    return publish_cells([cell], exact=exact, sensitive=sensitive)[0]


def is_shown(value: Cell) -> bool:
    """A published value that may be ranked, shaded, charted or differenced."""
    return value != SUPPRESSED


__all__ = ["SUPPRESSED", "CubeCell", "is_shown", "publish_cells", "publish_one"]
