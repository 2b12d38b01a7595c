"""LSOA shapes for the evidence maps, projected like incidents.maps' ward shapes."""

from __future__ import annotations

import time
from typing import Any

from incidents.maps import CACHE_SECONDS, Shapes, project
from incidents.models import Boundary

_CACHE: dict[tuple[Any, ...], tuple[float, Shapes]] = {}


def lsoa_shapes() -> Shapes:
    """The LSOAs' projected shapes, kept per process while the same boundary rows exist."""
    lsoas = Boundary.objects.filter(level=Boundary.Level.LSOA)
    version = tuple(lsoas.order_by("pk").values_list("pk", "code"))
    kept = _CACHE.get(version)
    now = time.monotonic()
    if kept is None or kept[0] < now:
        _CACHE.clear()
        kept = _CACHE[version] = (
            now + CACHE_SECONDS,
            project(dict(lsoas.values_list("code", "geometry"))),
        )
    return kept[1]
