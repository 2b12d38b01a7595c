"""Aggregates: counts in SQL for every signed-in person, suppressed without record-level access."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from core.disclosure import MAX_PERTURBATION, STANDARD, disclose_cell
from core.models import AuditEvent
from incidents.models import IncidentRecord, PriorityCrimeType
from incidents.selectors import aggregates_for_dataset
from tests.incidents.factories import (
    AuthorityFactory,
    CategoryFactory,
    DistrictFactory,
    LsoaFactory,
    RecordFactory,
    WardFactory,
    flag,
)

pytestmark = pytest.mark.django_db

MARCH = dt.date(2022, 3, 1)
APRIL = dt.date(2022, 4, 1)


@pytest.fixture
def area(db):
    north = AuthorityFactory(code="E06000001", name="North Testshire")
    district = DistrictFactory(code="E07000001", name="Northtown", authority=north)
    return {
        "poor": LsoaFactory(
            code="E01000001", district=district, imd_decile=1, population_total=2000
        ),
        "rich": LsoaFactory(
            code="E01000002", district=district, imd_decile=10, population_total=2000
        ),
        "outside": LsoaFactory(code="E01000003", district=None, in_area=False),
    }


@pytest.fixture
def categories(db):
    return {
        "robbery": CategoryFactory(slug="robbery", name="Robbery"),
        "violence": CategoryFactory(slug="violence", name="Violence"),
        "rape": CategoryFactory(slug="rape", name="Rape", is_sensitive=True),
    }


def add(dataset, n: int, *, category, lsoa, month=MARCH) -> list:
    return RecordFactory.create_batch(
        n, dataset=dataset, category=category, lsoa=lsoa, occurred_on=month
    )


def shown(records: list, rule=STANDARD):
    """What core.disclosure shows for these records: their count perturbed by their keys."""
    return disclose_cell(len(records), sum(r.cell_key for r in records), rule)


def test_bob_sees_aggregates_with_small_cells_suppressed(
    bob_client, police_dataset, area, categories
):
    add(police_dataset, 3, category=categories["robbery"], lsoa=area["poor"])
    add(police_dataset, 3, category=categories["robbery"], lsoa=area["poor"], month=APRIL)
    burglary = CategoryFactory(slug="burglary", name="Burglary")
    add(police_dataset, 8, category=burglary, lsoa=area["poor"])
    add(police_dataset, 8, category=burglary, lsoa=area["poor"], month=APRIL)
    march = add(police_dataset, 40, category=categories["violence"], lsoa=area["poor"])
    april = add(police_dataset, 22, category=categories["violence"], lsoa=area["rich"], month=APRIL)
    response = bob_client.get(reverse("incidents:aggregates", args=["police-data"]))
    assert response.status_code == 200
    result = response.context["result"]
    assert result.suppressed
    table = {name: (cells, total) for name, cells, total in result.category_table}
    assert table["Robbery"][0] == ["*", "*"]  # a cell of 3 shows "*"
    # 8 is not small, but hidden so that the month totals cannot reveal the robberies.
    assert table["Burglary"][0] == ["*", "*"]
    # Cell key method (was rounding to 5): each figure perturbed by its records' keys.
    assert table["Violence"][0] == [shown(march), shown(april)]
    assert all(abs(v - n) <= MAX_PERTURBATION for v, n in zip(table["Violence"][0], (40, 22)))
    every = list(IncidentRecord.objects.filter(dataset=police_dataset))
    assert result.total == shown(every)
    assert (
        '<td class="govuk-table__cell govuk-table__cell--numeric">*</td>'
        in response.content.decode()
    )
    page = response.content.decode()
    assert "counts only" in page
    assert not AuditEvent.objects.filter(action__startswith="records.").exists()


def test_alice_sees_exact_counts(alice_client, police_dataset, area, categories):
    add(police_dataset, 3, category=categories["robbery"], lsoa=area["poor"])
    add(police_dataset, 22, category=categories["violence"], lsoa=area["rich"], month=APRIL)
    result = alice_client.get(reverse("incidents:aggregates", args=["police-data"])).context[
        "result"
    ]
    assert not result.suppressed
    table = {name: (cells, total) for name, cells, total in result.category_table}
    assert table["Robbery"] == ([3, 0], 3)
    assert table["Violence"] == ([0, 22], 22)
    assert result.total == 25
    assert result.months == ["Mar 2022", "Apr 2022"]


def test_sensitive_categories_use_the_higher_threshold(police_dataset, area, categories):
    add(police_dataset, 9, category=categories["rape"], lsoa=area["poor"])
    add(police_dataset, 9, category=categories["rape"], lsoa=area["poor"], month=APRIL)
    march = add(police_dataset, 9, category=categories["violence"], lsoa=area["poor"])
    april = add(police_dataset, 9, category=categories["violence"], lsoa=area["poor"], month=APRIL)
    result = aggregates_for_dataset(dataset=police_dataset, record_level=False)
    table = {name: cells for name, cells, _total in result.category_table}
    assert table["Rape"] == ["*", "*"]
    assert table["Violence"] == [shown(march), shown(april)]  # 9 is above the standard 7


def test_priority_counts_use_the_sensitive_rule_for_sensitive_priorities(
    police_dataset, area, categories
):
    records = add(police_dataset, 9, category=categories["violence"], lsoa=area["poor"])
    da = PriorityCrimeType.objects.create(
        slug="domestic-abuse", name="Domestic abuse", is_sensitive=True
    )
    knife = PriorityCrimeType.objects.create(slug="knife-crime", name="Knife crime")
    for record in records:
        flag(record, da, knife)
    suppressed = {
        r.code: r.count
        for r in aggregates_for_dataset(dataset=police_dataset, record_level=False).by_priority
    }
    assert suppressed == {"domestic-abuse": "*", "knife-crime": shown(records)}
    exact = {
        r.code: r.count
        for r in aggregates_for_dataset(dataset=police_dataset, record_level=True).by_priority
    }
    assert exact == {"domestic-abuse": 9, "knife-crime": 9}


def test_rates_per_thousand_by_district_authority_and_decile(police_dataset, area, categories):
    add(police_dataset, 30, category=categories["violence"], lsoa=area["poor"])
    add(police_dataset, 10, category=categories["violence"], lsoa=area["rich"])
    add(police_dataset, 5, category=categories["violence"], lsoa=area["outside"])
    result = aggregates_for_dataset(dataset=police_dataset, record_level=True)
    (district,) = result.by_district
    assert (district.label, district.count, district.rate) == ("Northtown", 40, "10.00")
    (authority,) = result.by_authority
    assert (authority.label, authority.count, authority.rate) == ("North Testshire", 40, "10.00")
    deciles = {row.label: (row.count, row.rate) for row in result.by_decile}
    assert deciles["1 (most deprived)"] == (30, "15.00")
    assert deciles["10 (least deprived)"] == (10, "5.00")
    assert result.outside_area == 5


def test_aggregate_query_count_is_constant_in_data_size(
    bob_client, police_dataset, area, categories, django_assert_max_num_queries
):
    url = reverse("incidents:aggregates", args=["police-data"])
    add(police_dataset, 5, category=categories["violence"], lsoa=area["poor"])
    with django_assert_max_num_queries(25) as small:
        bob_client.get(url)
    for month in (dt.date(2022, m, 1) for m in range(1, 13)):
        for name in ("robbery", "violence", "rape"):
            add(police_dataset, 4, category=categories[name], lsoa=area["rich"], month=month)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = bob_client.get(url)
    assert len(response.context["result"].months) == 12


def test_aggregates_of_an_unknown_dataset_are_not_found(bob_client):
    assert bob_client.get(reverse("incidents:aggregates", args=["nope"])).status_code == 404


def test_period_limits_the_aggregates(alice_client, police_dataset, area, categories):
    add(police_dataset, 3, category=categories["robbery"], lsoa=area["poor"])
    add(police_dataset, 22, category=categories["violence"], lsoa=area["rich"], month=APRIL)
    url = reverse("incidents:aggregates", args=["police-data"])
    result = alice_client.get(url, {"month_from": "2022-04"}).context["result"]
    assert result.months == ["Apr 2022"]
    assert result.total == 22
    result = alice_client.get(url, {"month_to": "2022-03"}).context["result"]
    assert result.total == 3
    response = alice_client.get(url, {"month_from": "2022-04", "month_to": "2022-03"})
    assert "There is a problem" in response.content.decode()
    assert response.context["result"].total == 25


def test_wards_with_the_most_records_are_ranked_with_rates(police_dataset, area, categories):
    district = area["poor"].district
    wards = [WardFactory(code=f"E0500000{i}", name=f"Ward {i}", district=district) for i in (1, 2)]
    lsoas = [
        LsoaFactory(code=f"E0110000{i}", district=district, ward=ward, population_total=1000)
        for i, ward in enumerate(wards)
    ]
    add(police_dataset, 12, category=categories["violence"], lsoa=lsoas[1])
    add(police_dataset, 30, category=categories["violence"], lsoa=lsoas[0])
    add(police_dataset, 4, category=categories["violence"], lsoa=area["outside"])
    result = aggregates_for_dataset(dataset=police_dataset, record_level=True)
    assert len(result.all_wards) == 2
    assert [(w.label, w.count, w.rate) for w in result.by_ward] == [
        ("Ward 1 (Northtown)", 30, "30.00"),
        ("Ward 2 (Northtown)", 12, "12.00"),
    ]


def test_ward_ranking_never_orders_hidden_counts(police_dataset, area, categories):
    district = area["poor"].district
    counts = {"Alpha": 3, "Bravo": 6, "Charlie": 40, "Delta": 1}
    made = {}
    for i, (name, n) in enumerate(counts.items()):
        ward = WardFactory(code=f"E0520000{i}", name=name, district=district)
        lsoa = LsoaFactory(code=f"E0120000{i}", district=district, ward=ward, population_total=500)
        made[name] = add(police_dataset, n, category=categories["violence"], lsoa=lsoa)
    result = aggregates_for_dataset(dataset=police_dataset, record_level=False)
    # Published: Charlie perturbed; the small counts hidden and listed by name, not by size.
    assert [(w.label, w.count) for w in result.by_ward] == [
        ("Charlie (Northtown)", shown(made["Charlie"])),
        ("Alpha (Northtown)", "*"),
        ("Bravo (Northtown)", "*"),
        ("Delta (Northtown)", "*"),
    ]
    assert all(w.rate == "" for w in result.by_ward if w.count == "*")


def test_aggregates_page_shows_the_ward_table(bob_client, police_dataset, area, categories):
    ward = WardFactory(code="E05300000", name="Castle", district=area["poor"].district)
    lsoa = LsoaFactory(code="E01300000", district=ward.district, ward=ward, population_total=900)
    add(police_dataset, 20, category=categories["violence"], lsoa=lsoa)
    html = bob_client.get(reverse("incidents:aggregates", args=["police-data"])).content.decode()
    assert "Wards with the most records" in html
    assert "Castle (Northtown)" in html
