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
