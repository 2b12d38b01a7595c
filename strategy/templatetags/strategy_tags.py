from __future__ import annotations

from typing import Any

from django import template

from strategy.models import ActionStatus, Measurement
from strategy.selectors import MeasureView, period_label, principles_published

register = template.Library()

_TAG_COLOURS: dict[str, str] = {
    ActionStatus.NOT_STARTED: "govuk-tag--grey",
    ActionStatus.ON_TRACK: "govuk-tag--green",
    ActionStatus.AT_RISK: "govuk-tag--yellow",
    ActionStatus.OFF_TRACK: "govuk-tag--red",
    ActionStatus.COMPLETE: "govuk-tag--turquoise",
}


@register.inclusion_tag("strategy/partials/status_tag.html")
def status_tag(status: str) -> dict[str, Any]:
    """A GOV.UK tag for an action status, coloured by how it is going."""
    return {
        "label": ActionStatus(status).label if status in ActionStatus.values else status,
        "colour": _TAG_COLOURS.get(status, "govuk-tag--grey"),
    }


@register.inclusion_tag("strategy/partials/principles.html")
def published_principles() -> dict[str, Any]:
    """The published strategy's principles (the five C's) for the public home page: one query."""
    return {"principles": principles_published()}


_TREND_COLOURS = {"better": "govuk-tag--green", "worse": "govuk-tag--red", "no change": ""}


@register.inclusion_tag("strategy/partials/trend_tag.html")
def trend_tag(view: MeasureView) -> dict[str, Any]:
    """The trend of a measure in words, with a tag saying whether it is going the right way."""
    colour = _TREND_COLOURS.get(view.judgement, "")
    return {
        "text": view.change_text,
        "label": view.judgement.capitalize() if colour else "",
        "colour": colour,
    }


@register.simple_tag(name="period_label")
def period_label_tag(measurement: Measurement) -> str:
    """A measurement's period in short words, e.g. 'Apr–Jun 2024'."""
    return period_label(measurement.period_start, measurement.period_end)
