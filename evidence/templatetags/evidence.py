"""Template helpers of the evidence pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def cell(value: Any) -> str:
    """A table cell: numbers with thousands separators, '*' and text as they are."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else ("Yes" if value else "No")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


@register.filter
def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) or value == "*"


@register.filter
def svg(chart: Any) -> SafeString:
    """A chart's SVG, rendered on the server by vl_convert from our own spec (no user markup)."""
    return mark_safe(chart.svg)  # noqa: S308 - our renderer's output; labels are escaped in the spec
