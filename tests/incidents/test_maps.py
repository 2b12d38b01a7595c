"""The ward map: projected once, shaded by published rates, hidden counts never shaded."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from core.disclosure import disclose_cell
from incidents.maps import HIDDEN, NONE, SHADES, area_map, project
from incidents.models import Boundary
from incidents.selectors import AggregateRow
from tests.incidents.factories import LsoaFactory, RecordFactory, WardFactory

pytestmark = pytest.mark.django_db


def square(west: float, south: float, size: float = 0.01) -> dict:
    ring = [
        [west, south],
        [west + size, south],
        [west + size, south + size],
        [west, south + size],
        [west, south],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def test_project_fits_the_width_and_keeps_shapes_apart():
    shapes = project({"A": square(-0.9, 52.2), "B": square(-0.89, 52.2)}, width=200)
    assert shapes.width == 200 and 0 < shapes.height < 200
    a, b = shapes.paths["A"], shapes.paths["B"]
    assert a.startswith("M0 ") and a.endswith("Z") and a != b


def test_hidden_counts_are_never_shaded_or_numbered():
    shapes = project({c: square(-0.9 + i / 100, 52.2) for i, c in enumerate("ABCD")})
    rows = [
        AggregateRow(label="Alpha", code="A", count=40, rate="20.00"),
        AggregateRow(label="Bravo", code="B", count="*"),
        AggregateRow(label="Charlie", code="C", count=0, rate="0.00"),
        AggregateRow(label="Delta", code="D", count=80, rate="40.00"),
    ]
    drawn = area_map(shapes, rows)
    fills = {a.title.split(":")[0]: a.fill for a in drawn.areas}
    assert fills["Bravo"] == HIDDEN and fills["Charlie"] == NONE
    assert SHADES.index(fills["Delta"]) > SHADES.index(fills["Alpha"])
    bravo = next(a.title for a in drawn.areas if a.title.startswith("Bravo"))
    assert not any(ch.isdigit() for ch in bravo)
    assert [item.fill for item in drawn.legend][-1] == HIDDEN


def test_no_map_without_boundaries():
    rows = [AggregateRow(label="Alpha", code="A", count=40, rate="20.00")]
    assert area_map(project({}), rows) is None


def test_aggregates_page_draws_the_ward_map(bob_client, police_dataset):
    district = None
    made = []
    for i, n in enumerate((30, 40, 3, 2)):
        ward = WardFactory(code=f"E0540000{i}", name=f"Map ward {i}")
        district = ward.district
        Boundary.objects.create(level="ward", code=ward.code, geometry=square(-0.9 + i / 100, 52.2))
        lsoa = LsoaFactory(code=f"E0140000{i}", district=district, ward=ward, population_total=1000)
        made.append(RecordFactory.create_batch(n, dataset=police_dataset, lsoa=lsoa))
    response = bob_client.get(reverse("incidents:aggregates", args=[police_dataset.slug]))
    html = response.content.decode()
    assert html.count("<path ") == 4
    # The count Bob sees is perturbed by the records' keys (core.disclosure); the rate follows it.
    shown = disclose_cell(30, sum(r.cell_key for r in made[0]))
    assert "Map ward 0" in html and f"{shown} records, {shown}.00 per 1,000 residents" in html
    # Bob has no record-level access: the wards with 3 and 2 records are drawn as not shown.
    assert "Map ward 2 (" in html
    assert not re.search(r"(?<![0-9,])[23] records", html)  # not inside "43 records"
    assert f'fill="{HIDDEN}"' in html
