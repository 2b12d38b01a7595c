from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from core.disclosure import SUPPRESSED

register = template.Library()


@register.inclusion_tag("includes/nav_item.html", takes_context=True)
def nav_item(
    context: dict[str, Any], url_name: str, text: str, exact: bool = False
) -> dict[str, Any]:
    """A service-navigation item, marked current when the page is in its section."""
    href = reverse(url_name)
    path = context["request"].path
    current = path == href
    active = current or (not exact and href != "/" and path.startswith(href))
    return {"href": href, "text": text, "current": current, "active": active}


@register.filter
def published(value: Any) -> str:
    """Show a disclosure-controlled count: '*' stays '*', numbers get thousands separators."""
    if value == SUPPRESSED or value is None:
        return SUPPRESSED
    return f"{int(value):,}"


@register.filter(needs_autoescape=True)
def govuk_paragraphs(value: str, autoescape: bool = True) -> str:
    """Plain text with blank-line paragraphs as GOV.UK body paragraphs (escaped)."""
    from django.utils.html import conditional_escape, format_html_join
    from django.utils.safestring import mark_safe

    escape = conditional_escape if autoescape else (lambda text: text)
    paragraphs = [
        p.strip() for p in str(value or "").replace("\r\n", "\n").split("\n\n") if p.strip()
    ]
    html = format_html_join(
        "\n",
        '<p class="govuk-body">{}</p>',
        ((mark_safe(escape(p).replace("\n", "<br>")),) for p in paragraphs),  # noqa: S308
    )
    return mark_safe(html)  # noqa: S308 - every paragraph was escaped above
