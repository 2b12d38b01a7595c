"""Charts: one Vega-Lite spec per chart, rendered to SVG on the server (altair + vl_convert).

The same spec serves the web page (SVG inlined, so the Content Security Policy needs no script
or external image) and the PDF report. Every chart carries a one-sentence summary (its
accessible name) and the table it draws.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import vl_convert

from .tables import Table

FONT = "Arial, Helvetica, sans-serif"
# GOV.UK colours: blue, then a contrasting orange and dark grey; limits in red, centre in black.
COLOURS = ["#1d70b8", "#d4351c", "#505a5f", "#00703c", "#912b88", "#f47738"]
CONFIG: dict[str, Any] = {
    "font": FONT,
    "axis": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 12, "titleFontSize": 12},
    "legend": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 12, "orient": "bottom"},
    "title": {"font": FONT},
    "view": {"stroke": None},
    "range": {"category": COLOURS},
    "background": "white",
}
_CACHE: OrderedDict[str, str] = OrderedDict()
_CACHE_SIZE = 256


@dataclass
class Chart:
    spec: dict[str, Any]
    summary: str
    table: Table

    @property
    def svg(self) -> str:
        return chart_svg(self.spec, summary=self.summary)


def with_config(spec: dict[str, Any]) -> dict[str, Any]:
    spec = dict(spec)
    spec.setdefault("$schema", "https://vega.github.io/schema/vega-lite/v5.json")
    spec["config"] = {**CONFIG, **spec.get("config", {})}
    return spec


def chart_svg(spec: dict[str, Any], *, summary: str = "") -> str:
    """The chart as an SVG element to inline (kept per process by the spec's hash)."""
    full = with_config(spec)
    key = hashlib.sha256(json.dumps(full, sort_keys=True, default=str).encode()).hexdigest()
    svg = _CACHE.get(key)
    if svg is None:
        svg = vl_convert.vegalite_to_svg(full)
        _CACHE[key] = svg
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    # An image with a name: the summary; the table beside it carries the figures.
    label = summary.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return re.sub(
        r"^<svg ",
        f'<svg role="img" aria-label="{label}" focusable="false" class="nsvpp-chart" ',
        svg,
        count=1,
    )
