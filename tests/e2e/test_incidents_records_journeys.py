"""Journeys through shared data: an owner's analyst opens records; another partner sees counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.e2e.conftest import check_accessibility, sign_in
from tests.incidents.factories import (
    AgreementFactory,
    AuthorityFactory,
    CategoryFactory,
    DatasetFactory,
    DistrictFactory,
    LsoaFactory,
    RecordFactory,
)


@pytest.fixture
def shared_data_seeded(partnership, org_a, org_b, opfcc):
    north = AuthorityFactory(code="E06000061", name="North Testshire")
    district = DistrictFactory(code="E07000150", name="Northtown", authority=north)
    lsoas = [
        LsoaFactory(code="E01026949", name="Northtown 005A", district=district, imd_decile=2),
        LsoaFactory(code="E01026950", name="Northtown 005B", district=district, imd_decile=7),
    ]
    violence = CategoryFactory(
        slug="violence-and-sexual-offences", name="Violence and sexual offences"
    )
    robbery = CategoryFactory(slug="robbery", name="Robbery")
    dataset = DatasetFactory(
        owner=org_a,
        slug="police-uk-street",
        name="Police recorded crime (data.police.uk)",
        format="police_uk_street",
    )
    AgreementFactory(dataset=dataset, record_level_organisations=[opfcc])
    for month in (1, 2, 3):
        for i in range(12):
            RecordFactory(
                dataset=dataset,
                occurred_on=dt.date(2022, month, 1),
                category=violence,
                lsoa=lsoas[i % 2],
                latitude=Decimal("52.49"),
                longitude=Decimal("-0.70"),
            )
        RecordFactory(
            dataset=dataset,
            source_ref=f"ROB-{month}",
            occurred_on=dt.date(2022, month, 1),
            category=robbery,
            lsoa=lsoas[0],
            location_text="On or near Elizabeth Street",
        )
    return dataset


@pytest.mark.django_db(transaction=True)
def test_owner_analyst_filters_records_and_opens_one(page, shared_data_seeded, alice):
    sign_in(page, alice.email, PASSWORD)
    page.get_by_role("link", name="Data", exact=True).click()
    assert page.get_by_role("heading", name="Shared data").is_visible()
    assert page.get_by_text("Record level").is_visible()
    check_accessibility(page, "incidents-data-home-owner")

    page.get_by_role("link", name="Records of Police recorded crime (data.police.uk)").click()
    assert page.get_by_role("heading", name="39 records").is_visible()
    check_accessibility(page, "incidents-record-list")

    page.get_by_label("Category (optional)").select_option(label="Robbery")
    page.get_by_role("button", name="Apply filters").click()
    assert page.get_by_role("heading", name="3 records match these filters").is_visible()
    check_accessibility(page, "incidents-record-list-filtered")

    page.get_by_role("link", name="ROB-2").click()
    assert page.get_by_role("heading", name="Record ROB-2").is_visible()
    assert page.get_by_text("On or near Elizabeth Street").is_visible()
    check_accessibility(page, "incidents-record-detail")

    page.goto(reverse("incidents:records", args=["police-uk-street"]) + "?lsoa=E01000000")
    assert page.get_by_text("There is a problem").is_visible()
    check_accessibility(page, "incidents-record-list-error")

    page.goto(reverse("incidents:aggregates", args=["police-uk-street"]))
    assert page.get_by_role("heading", name="By category and month").is_visible()
    check_accessibility(page, "incidents-aggregates-owner")


@pytest.mark.django_db(transaction=True)
def test_other_partner_sees_aggregates_only(page, shared_data_seeded, bob):
    sign_in(page, bob.email, PASSWORD)
    page.goto(reverse("incidents:home"))
    assert page.get_by_text("Aggregates only").is_visible()
    assert (
        page.get_by_role("link", name="Records of Police recorded crime (data.police.uk)").count()
        == 0
    )
    check_accessibility(page, "incidents-data-home-other-partner")

    page.get_by_role(
        "link", name="Counts and rates for Police recorded crime (data.police.uk)"
    ).click()
    assert page.get_by_text("Your organisation sees counts only").is_visible()
    robbery_row = page.get_by_role("row").filter(has_text="Robbery").first
    assert "*" in robbery_row.inner_text()
    check_accessibility(page, "incidents-aggregates-other-partner")

    response = page.goto(reverse("incidents:records", args=["police-uk-street"]))
    assert response.status == 404


@pytest.mark.django_db(transaction=True)
def test_ward_map_and_every_ward_table(page, shared_data, partnership, org_a, org_b, bob):
    """Real ward boundaries: the map is drawn, hidden counts are not shaded, axe passes."""
    import json

    from incidents.models import Boundary
    from tests.incidents.factories import WardFactory

    features = json.loads(
        (shared_data / "boundaries" / "northamptonshire_wards2013.geojson").read_text()
    )["features"][:12]
    district = DistrictFactory(code="E07000150", name="Corby")
    dataset = DatasetFactory(owner=org_a, slug="police-uk-street", name="Police recorded crime")
    AgreementFactory(dataset=dataset)
    for i, feature in enumerate(features):
        code, name = feature["properties"]["WD13CD"], feature["properties"]["WD13NM"]
        ward = WardFactory(code=code, name=name, district=district)
        Boundary.objects.create(level="ward", code=code, name=name, geometry=feature["geometry"])
        lsoa = LsoaFactory(
            code=f"E0150{i:04d}", district=district, ward=ward, population_total=1500
        )
        RecordFactory.create_batch(3 if i == 0 else 10 + 5 * i, dataset=dataset, lsoa=lsoa)
    sign_in(page, bob.email, PASSWORD)
    page.goto(reverse("incidents:aggregates", args=["police-uk-street"]))
    ward_map = page.get_by_role("img", name="Map of records per 1,000 residents by ward")
    assert ward_map.is_visible()
    assert ward_map.locator("path").count() == 12
    page.get_by_text("Every ward (12)").click()
    every = page.get_by_role("table", name="Every ward")
    assert (
        every.get_by_role("row")
        .filter(has_text=features[0]["properties"]["WD13NM"])
        .get_by_text("*")
        .is_visible()
    )
    check_accessibility(page, "incidents-aggregates-ward-map")
    ward_map.screenshot(path="var/artefacts/ward-map.png")
