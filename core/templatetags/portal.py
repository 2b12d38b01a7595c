from __future__ import annotations

import time
from typing import Any

from django import template
from django.apps import apps
from django.core.signals import setting_changed
from django.template.base import NodeList, Parser, Token
from django.template.context import Context
from django.urls import get_script_prefix
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core.disclosure import SUPPRESSED
from core.per_process import reverse_cached, row_version

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_item(context: Context, url_name: str, text: str, exact: bool = False) -> SafeString:
    """A service-navigation item, marked current when the page is in its section."""
    # Reversed once per process: drawn on every page (five reversals and five small templates
    # cost ~0.7 ms).
    href = reverse_cached(url_name)
    path = context["request"].path
    current = path == href
    active = current or (not exact and href != "/" and path.startswith(href))
    label = format_html(
        '<strong class="govuk-service-navigation__active-fallback">{}</strong>', text
    )
    return format_html(
        '<li class="govuk-service-navigation__item{}">\n'
        '  <a class="govuk-service-navigation__link" href="{}"{}>{}</a>\n</li>',
        " govuk-service-navigation__item--active" if active else "",
        href,
        mark_safe(' aria-current="page"' if current else ' aria-current="true"' if active else ""),  # noqa: S308
        label if active else text,
    )


# -- shared fragments ---------------------------------------------------------------------------
# The layout's header, phase banner and footer are the same for every visitor: they depend only on
# the partnership row, settings and static/URL names. Rendering them took about 1.4 ms of every
# page (a query for the partnership, four {% static %} and four {% url %} lookups). Each process
# keeps them, keyed by the partnership's id and updated_at (read with one small query per page),
# so a change by staff shows on the next page; entries also expire after a minute in case the
# row was changed without touching updated_at. Nothing per visitor may go inside (no user, CSRF
# token, messages or request path): those stay outside the {% shared_fragment %} blocks.
_FRAGMENTS: dict[tuple[Any, ...], tuple[float, SafeString]] = {}
_FRAGMENTS_LIMIT = 100
FRAGMENT_SECONDS = 60.0
_VERSION_KEY = "portal.shared_fragment.version"


def _partnership_version() -> tuple[Any, ...] | None:
    # The layout shows the partnership (see partners.context_processors); named, not imported,
    # so core depends on no feature app.
    return row_version(apps.get_model("partners", "Partnership"))


def fragments_forget(**_kwargs: Any) -> None:
    """Drop every kept fragment (settings changed, e.g. in tests)."""
    _FRAGMENTS.clear()


setting_changed.connect(fragments_forget)


class SharedFragmentNode(template.Node):
    def __init__(self, name: str, nodelist: NodeList) -> None:
        self.name = name
        self.nodelist = nodelist

    def render(self, context: Context) -> SafeString:
        state = context.render_context
        if _VERSION_KEY not in state:
            state[_VERSION_KEY] = _partnership_version()
        key = (self.name, get_script_prefix(), state[_VERSION_KEY])
        now = time.monotonic()
        kept = _FRAGMENTS.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]
        html = mark_safe(self.nodelist.render(context))  # noqa: S308 - rendered by the template
        if len(_FRAGMENTS) >= _FRAGMENTS_LIMIT:
            _FRAGMENTS.clear()
        _FRAGMENTS[key] = (now + FRAGMENT_SECONDS, html)
        return html


@register.tag
def shared_fragment(parser: Parser, token: Token) -> SharedFragmentNode:
    """{% shared_fragment "footer" %}…{% endshared_fragment %}: rendered once per process."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "'\"" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("shared_fragment takes one quoted name")
    nodelist = parser.parse(("endshared_fragment",))
    parser.delete_first_token()
    return SharedFragmentNode(bits[1][1:-1], nodelist)


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
