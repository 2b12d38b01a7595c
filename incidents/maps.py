"""A ward map drawn on the server as SVG: no script, no map tiles, nothing fetched elsewhere.

Ward boundaries (``Boundary`` rows, WGS84 GeoJSON) are projected once per process (equirectangular
scaled by the cosine of the area's middle latitude: at county scale the distortion is negligible)
and thinned to whole pixels. Each ward is shaded by its published rate per 1,000 residents in five
classes; wards whose count is hidden by suppression are drawn as "not shown", never shaded. The
figures behind the map are also given as a table on the same page (the map is a picture of them).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.disclosure import SUPPRESSED, Cell

from .models import Boundary

WIDTH = 640
# ColorBrewer "Purples" (5 classes): ordered light to dark, distinguishable in greyscale.
SHADES = ("#efedf5", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
HIDDEN = "#b1b4b6"
NONE = "#ffffff"


@dataclass(frozen=True)
class Shapes:
    width: int
    height: int
    paths: dict[str, str]  # SVG path data by area code


@dataclass(frozen=True)
class MapArea:
    path: str
    fill: str
    title: str


@dataclass(frozen=True)
class LegendItem:
    fill: str
    label: str


@dataclass(frozen=True)
class AreaMap:
    width: int
    height: int
    areas: list[MapArea]
    legend: list[LegendItem]


_CACHE: dict[tuple[Any, ...], tuple[float, Shapes]] = {}
CACHE_SECONDS = 600.0


def _rings(geometry: dict[str, Any]) -> Iterable[Sequence[Sequence[float]]]:
    if geometry.get("type") == "Polygon":
        yield from geometry.get("coordinates", [])
    elif geometry.get("type") == "MultiPolygon":
        for polygon in geometry.get("coordinates", []):
            yield from polygon


def project(geometries: dict[str, dict[str, Any]], width: int = WIDTH) -> Shapes:
    """SVG paths for each code's geometry, fitted to ``width`` pixels."""
    points = [p for g in geometries.values() for ring in _rings(g) for p in ring]
    if not points:
        return Shapes(width=width, height=0, paths={})
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    scale_x = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = (max(lons) - min(lons)) * scale_x or 1.0
    span_y = (max(lats) - min(lats)) or 1.0
    k = width / span_x
    height = math.ceil(span_y * k)
    west, north = min(lons), max(lats)
    paths: dict[str, str] = {}
    for code, geometry in geometries.items():
        parts = []
        for ring in _rings(geometry):
            previous: tuple[int, int] | None = None
            coords = []
            for lon, lat, *_rest in ring:
                point = (round((lon - west) * scale_x * k), round((north - lat) * k))
                if point != previous:  # thinned to whole pixels
                    coords.append(f"{point[0]} {point[1]}")
                    previous = point
            if len(coords) >= 3:
                parts.append("M" + "L".join(coords) + "Z")
        if parts:
            paths[code] = "".join(parts)
    return Shapes(width=width, height=height, paths=paths)


def ward_shapes() -> Shapes:
    """The wards' projected shapes, kept per process while the same boundary rows exist.

    Reloading the geography replaces or adds rows (new ids or codes: drawn again at once); a
    geometry edited in place is picked up within ``CACHE_SECONDS``.
    """
    wards = Boundary.objects.filter(level=Boundary.Level.WARD)
    version = tuple(wards.order_by("pk").values_list("pk", "code"))
    kept = _CACHE.get(version)
    now = time.monotonic()
    if kept is None or kept[0] < now:
        _CACHE.clear()
        kept = _CACHE[version] = (
            now + CACHE_SECONDS,
            project(dict(wards.values_list("code", "geometry"))),
        )
    return kept[1]


def _classes(rates: list[Decimal]) -> list[Decimal]:
    """Upper bounds of five classes of equal size (quintiles) of the published rates."""
    ordered = sorted(rates)
    last = len(ordered) - 1
    return [ordered[min(last, math.ceil(len(ordered) * i / 5) - 1)] for i in (1, 2, 3, 4, 5)]


def area_map(shapes: Shapes, rows: Iterable[Any]) -> AreaMap | None:
    """Shade each shape by its row's published rate (rows: code, label, count, rate)."""
    rows = [r for r in rows if r.code in shapes.paths]
    if not rows:
        return None
    rates = [Decimal(r.rate) for r in rows if r.rate and r.count != SUPPRESSED and int(r.count) > 0]
    bounds = _classes(rates) if rates else []
    areas = []
    for row in rows:
        count: Cell = row.count
        if count == SUPPRESSED:
            fill, what = HIDDEN, "fewer than a publishable number of records (not shown)"
        elif int(count) == 0 or not row.rate:
            fill, what = NONE, f"{int(count):,} records"
        else:
            rate = Decimal(row.rate)
            shade = next(i for i, bound in enumerate(bounds) if rate <= bound)
            fill, what = SHADES[shade], f"{int(count):,} records, {row.rate} per 1,000 residents"
        areas.append(MapArea(path=shapes.paths[row.code], fill=fill, title=f"{row.label}: {what}"))
    legend = []
    previous: Decimal | None = None
    for shade, bound in zip(SHADES, bounds, strict=False):
        if previous is not None and bound == previous:
            continue  # an empty class (tied quintiles): no ward has this shade
        label = (
            f"Up to {bound:.2f} per 1,000 residents"
            if previous is None
            else f"{previous + Decimal('0.01'):.2f} to {bound:.2f} per 1,000 residents"
        )
        legend.append(LegendItem(fill=shade, label=label))
        previous = bound
    legend.append(LegendItem(fill=NONE, label="No records, or no population figure"))
    if any(a.fill == HIDDEN for a in areas):
        legend.append(LegendItem(fill=HIDDEN, label="Not shown: too few to publish"))
    return AreaMap(width=shapes.width, height=shapes.height, areas=areas, legend=legend)
