"""Dates, times and small helpers for survey templates, in GOV.UK style."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import template
from django.utils import timezone

register = template.Library()


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


@register.filter
def govuk_date(value: date | datetime | None) -> str:
    """'Friday 27 October 2023'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value).date()
    return f"{value:%A} {value.day} {value:%B %Y}"


@register.filter
def govuk_short_date(value: date | datetime | None) -> str:
    """'27 Oct' for chart labels."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value).date()
    return f"{value.day} {value:%b}"


@register.filter
def govuk_time(value: datetime | None) -> str:
    """'3pm', '3:30pm', 'midday' or 'midnight'."""
    if value is None:
        return ""
    value = _local(value)
    if value.hour == 0 and value.minute == 0:
        return "midnight"
    if value.hour == 12 and value.minute == 0:
        return "midday"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


@register.filter
def govuk_datetime(value: datetime | None) -> str:
    """'3pm on Friday 27 October 2023'; midnight is the end of the day before."""
    if value is None:
        return ""
    local = _local(value)
    if local.hour == 0 and local.minute == 0:
        return f"midnight at the end of {govuk_date(local - timedelta(minutes=1))}"
    return f"{govuk_time(local)} on {govuk_date(local)}"


@register.filter
def percent(value: float | None) -> str:
    """'42%' (whole numbers; under 1% as '<1%')."""
    if value is None:
        return "*"
    if 0 < value < 1:
        return "<1%"
    return f"{round(value)}%"


@register.filter
def bar_width(value: float | None, largest: float | None = None) -> str:
    """A bar's width as an SVG percentage, scaled to the largest bar in its chart."""
    if not value:
        return "0%"
    scale = largest or 100
    return f"{max(0.5, min(100.0, 100 * value / scale)):.1f}%"


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced ('' removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in ("", None):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(list(params.lists()), doseq=True) if params else "?"


@register.filter(needs_autoescape=True)
def govuk_urlize(value: str, autoescape: bool = True) -> str:
    """Plain text with its e-mail addresses and web links as GOV.UK links (escaped)."""
    from django.utils.html import urlize
    from django.utils.safestring import mark_safe

    html = urlize(str(value or ""), nofollow=True, autoescape=autoescape)
    return mark_safe(html.replace("<a href=", '<a class="govuk-link" href='))  # noqa: S308
