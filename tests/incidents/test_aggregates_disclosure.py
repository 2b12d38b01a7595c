"""No small count leaves the aggregates page, whatever period is asked for (issue 10).

Bob's organisation has no agreement to see the police records, so every figure he sees goes
through core.disclosure: the cell key method with suppression on top.
"""

from __future__ import annotations

import datetime as dt
from itertools import combinations_with_replacement

import pytest
from django.urls import reverse

from core.disclosure import SENSITIVE, STANDARD, SUPPRESSED
from incidents.selectors import aggregates_for_dataset
from tests.incidents.factories import (
    AuthorityFactory,
    CategoryFactory,
    DistrictFactory,
    LsoaFactory,
    RecordFactory,
    WardFactory,
)

pytestmark = pytest.mark.django_db

MONTHS = [dt.date(2022, m, 1) for m in (1, 2, 3, 4)]


@pytest.fixture
def spread(police_dataset):
    """Four months of records: small and large cells, two wards, a sensitive category."""
    north = AuthorityFactory(code="E06000001", name="North Testshire")
    district = DistrictFactory(code="E07000001", name="Northtown", authority=north)
    wards = [
        WardFactory(code=f"E0500000{i}", name=name, district=district)
        for i, name in enumerate(("Castle", "Abbey"))
    ]
    lsoas = [
        LsoaFactory(code=f"E0100000{i}", district=district, ward=ward, population_total=1500)
        for i, ward in enumerate(wards)
    ]
    outside = LsoaFactory(code="E01999999", district=None, in_area=False)
    robbery = CategoryFactory(slug="robbery", name="Robbery")
    violence = CategoryFactory(slug="violence", name="Violence")
    rape = CategoryFactory(slug="rape", name="Rape", is_sensitive=True)
    plan = [  # (month, category, area, count)
        (0, violence, lsoas[0], 12),
        (0, robbery, lsoas[1], 1),
        (1, violence, lsoas[0], 3),
        (1, rape, lsoas[1], 2),
        (2, violence, lsoas[1], 20),
        (2, robbery, outside, 2),
        (3, violence, None, 6),
        (3, robbery, lsoas[0], 9),
    ]
    for month, category, lsoa, n in plan:
        RecordFactory.create_batch(
            n,
            dataset=police_dataset,
            category=category,
            lsoa=lsoa,
            occurred_on=MONTHS[month],
            outside_area=lsoa is outside,
        )
    return police_dataset


def figures(result) -> list[tuple[str, object]]:
    """Every figure the aggregates show, labelled by where it appears."""
    out: list[tuple[str, object]] = [("total", result.total), ("outside", result.outside_area)]
    out.append(("no area", result.no_area))
    for name, cells, total in result.category_table:
        out += [(f"category {name}", c) for c in cells] + [(f"category {name} total", total)]
    out += [("month total", c) for c in result.month_totals]
    for table in ("by_priority", "by_district", "by_authority", "all_wards", "by_decile"):
        out += [(f"{table} {row.label}", row.count) for row in getattr(result, table)]
    return out


def test_no_period_shows_a_small_count(bob_client, spread):
    url = reverse("incidents:aggregates", args=[spread.slug])
    for first, last in combinations_with_replacement(range(len(MONTHS)), 2):
        period = {"month_from": f"{MONTHS[first]:%Y-%m}", "month_to": f"{MONTHS[last]:%Y-%m}"}
        result = bob_client.get(url, period).context["result"]
        assert result.suppressed
        counts_rape = first <= 1 <= last  # the only sensitive records are in February
        for where, cell in figures(result):
            if where.startswith("category"):
                sensitive = where.startswith("category Rape")
            else:  # totals and area tables count every record, the sensitive ones included
                sensitive = counts_rape and not where.startswith("by_priority")
            threshold = (SENSITIVE if sensitive else STANDARD).threshold
            assert cell == SUPPRESSED or cell == 0 or int(cell) > threshold, (period, where, cell)


def test_the_same_records_show_the_same_figure_in_every_period(spread):
    """A month's cell is the same records whatever period includes it: the same figure."""
    seen: dict[tuple[str, str], object] = {}
    for first, last in combinations_with_replacement(range(len(MONTHS)), 2):
        result = aggregates_for_dataset(
            dataset=spread, record_level=False, month_from=MONTHS[first], month_to=MONTHS[last]
        )
        for name, cells, _total in result.category_table:
            for month, cell in zip(result.months, cells, strict=True):
                assert seen.setdefault((name, month), cell) == cell


def test_area_tables_use_the_sensitive_threshold_when_they_count_sensitive_records(
    police_dataset,
):
    district = DistrictFactory(code="E07000009", name="Southtown")
    ward = WardFactory(code="E05000009", name="Market", district=district)
    lsoa = LsoaFactory(code="E01000009", district=district, ward=ward, population_total=900)
    violence = CategoryFactory(slug="violence", name="Violence")
    RecordFactory.create_batch(9, dataset=police_dataset, category=violence, lsoa=lsoa)
    plain = aggregates_for_dataset(dataset=police_dataset, record_level=False)
    assert plain.all_wards[0].count != SUPPRESSED  # 9 > 7: shown (perturbed)
    # One of the nine is flagged domestic abuse: the ward now counts a sensitive record.
    record = police_dataset.records.first()
    record.domestic_abuse = True
    record.save()
    sensitive = aggregates_for_dataset(dataset=police_dataset, record_level=False)
    assert sensitive.all_wards[0].count == SUPPRESSED
    assert sensitive.by_district[0].count == SUPPRESSED
    # Record-level readers still see the exact count.
    exact = aggregates_for_dataset(dataset=police_dataset, record_level=True)
    assert exact.all_wards[0].count == 9


def test_counts_outside_the_area_and_without_an_area_are_disclosure_controlled(police_dataset):
    outside = LsoaFactory(code="E01888888", district=None, in_area=False)
    violence = CategoryFactory(slug="violence", name="Violence")
    RecordFactory.create_batch(
        3, dataset=police_dataset, category=violence, lsoa=outside, outside_area=True
    )
    RecordFactory.create_batch(4, dataset=police_dataset, category=violence, lsoa=None)
    result = aggregates_for_dataset(dataset=police_dataset, record_level=False)
    assert (result.outside_area, result.no_area) == (SUPPRESSED, SUPPRESSED)


def test_a_period_with_too_few_records_shows_no_breakdown(bob_client, alice_client, spread):
    url = reverse("incidents:aggregates", args=[spread.slug])
    # April holds 15 records (6 without an area, 9 robberies): enough for a breakdown.
    page = bob_client.get(url, {"month_from": "2022-04", "month_to": "2022-04"})
    assert not page.context["result"].too_few
    RecordFactory.create_batch(
        5,
        dataset=spread,
        category=CategoryFactory(slug="arson", name="Arson"),
        lsoa=None,
        occurred_on=dt.date(2022, 5, 1),
    )
    period = {"month_from": "2022-05", "month_to": "2022-05"}
    page = bob_client.get(url, period)
    assert page.context["result"].too_few and page.context["result"].total == SUPPRESSED
    html = page.content.decode()
    assert "Too few to show" in html and "By category and month" not in html
    # Record-level readers still get the breakdown.
    assert not alice_client.get(url, period).context["result"].too_few
