"""Template filters of the SNA report."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def sna_cell(value: Any) -> str:
    """A table cell as printed: thousands separators, rates to two or one decimal places."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN: no value
            return ""
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:,.2f}"
    return str(value)
