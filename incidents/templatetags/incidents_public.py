"""Template tags for public pages that show the incidents app's reference data."""

from __future__ import annotations

from django import template

from incidents.models import PriorityCrimeType

register = template.Library()


@register.simple_tag
def active_priorities() -> list[PriorityCrimeType]:
    """The partnership's active priorities, in display order (one query)."""
    return list(
        PriorityCrimeType.objects.filter(is_active=True).only(
            "name", "short_description", "display_order"
        )
    )
