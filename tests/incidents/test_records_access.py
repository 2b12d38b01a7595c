"""Record-level pages: only the owner, organisations the agreement names, and staff."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from core.models import AuditEvent
from tests.incidents.factories import CategoryFactory, LsoaFactory, RecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(police_dataset):
    return RecordFactory(
        dataset=police_dataset,
        source_ref="CRIME-0001",
        latitude=Decimal("52.240000"),
        longitude=Decimal("-0.900000"),
        location_text="On or near Market Square",
    )


def record_urls(record) -> list[str]:
    slug = record.dataset.slug
    return [
        reverse("incidents:records", args=[slug]),
        reverse("incidents:record", args=[slug, record.pk]),
        reverse("incidents:records_export", args=[slug]),
    ]


def test_owner_analyst_can_open_every_record_url(alice_client, record):
    for url in record_urls(record):
        assert alice_client.get(url).status_code == 200, url


def test_named_organisation_can_open_every_record_url(carol_client, record):
    for url in record_urls(record):
        assert carol_client.get(url).status_code == 200, url


def test_staff_and_superusers_cannot_open_record_urls(staff_client, superuser_client, record):
    # is_staff and is_superuser open the admin, never a dataset's records (404, like a stranger).
    for client in (staff_client, superuser_client):
        for url in record_urls(record):
            assert client.get(url).status_code == 404, url
    assert not AuditEvent.objects.filter(action__startswith="records.").exists()


def test_convenor_analyst_opens_record_urls_when_the_agreement_names_the_convenor(
    convenor_analyst_client, record, opfcc
):
    for url in record_urls(record):
        assert convenor_analyst_client.get(url).status_code == 404, url
    record.dataset.agreements.get().record_level_organisations.add(opfcc)
    for url in record_urls(record):
        assert convenor_analyst_client.get(url).status_code == 200, url


def test_analyst_cannot_see_other_partners_records(bob_client, record):
    for url in record_urls(record):
        assert bob_client.get(url).status_code == 404, url
    assert not AuditEvent.objects.filter(action__startswith="records.").exists()


def test_anonymous_is_sent_to_sign_in(anonymous, record):
    for url in [*record_urls(record), reverse("incidents:aggregates", args=["police-data"])]:
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert "/accounts/login/" in response["Location"]


def test_record_of_another_dataset_is_not_found_through_this_slug(alice_client, record, org_b):
    from tests.incidents.factories import DatasetFactory

    other = RecordFactory(dataset=DatasetFactory(owner=org_b, slug="icb-data"))
    url = reverse("incidents:record", args=[record.dataset.slug, other.pk])
    assert alice_client.get(url).status_code == 404


def test_agreement_lapsing_removes_named_access(carol_client, record):
    import datetime as dt

    record.dataset.agreements.update(end_date=dt.date(2020, 1, 1), start_date=dt.date(2019, 1, 1))
    assert carol_client.get(reverse("incidents:records", args=["police-data"])).status_code == 404


def test_list_detail_and_export_are_audit_logged(alice_client, alice, record):
    category = record.category
    alice_client.get(reverse("incidents:records", args=["police-data"]), {"category": category.pk})
    event = AuditEvent.objects.get(action="records.viewed")
    assert event.actor == alice
    assert event.object_id == str(record.dataset.pk)
    assert event.detail["count"] == 1
    assert event.detail["filters"] == {"category": str(category.pk)}
    alice_client.get(reverse("incidents:record", args=["police-data", record.pk]))
    assert AuditEvent.objects.filter(action="records.viewed").count() == 2
    response = alice_client.get(reverse("incidents:records_export", args=["police-data"]))
    b"".join(response.streaming_content)
    exported = AuditEvent.objects.get(action="records.exported")
    assert exported.detail["count"] == 1 and exported.actor == alice


def test_coordinates_shown_to_owner_hidden_from_named_organisation(
    alice_client, carol_client, record
):
    detail = reverse("incidents:record", args=["police-data", record.pk])
    assert "52.240000" in alice_client.get(detail).content.decode()
    page = carol_client.get(detail).content.decode()
    assert "52.240000" not in page
    assert "Hidden from your organisation" in page

    export = reverse("incidents:records_export", args=["police-data"])
    owner_rows = _csv(alice_client.get(export))
    named_rows = _csv(carol_client.get(export))
    assert "Latitude" in owner_rows[0]
    assert "Latitude" not in named_rows[0]
    assert "52.240000" not in "".join(",".join(r) for r in named_rows)


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_escapes_formulae(alice_client, police_dataset):
    RecordFactory(
        dataset=police_dataset,
        source_ref='=HYPERLINK("http://evil")',
        location_text="+44 On or near @home",
    )
    rows = _csv(alice_client.get(reverse("incidents:records_export", args=["police-data"])))
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'
    location = rows[0].index("Location")
    assert rows[1][location] == "'+44 On or near @home"


def test_list_filters_by_month_category_district_lsoa_and_priority(alice_client, police_dataset):
    import datetime as dt

    from incidents.models import PriorityCrimeType
    from tests.incidents.factories import flag

    robbery = CategoryFactory(slug="robbery", name="Robbery")
    lsoa = LsoaFactory(code="E01099999", name="Northtown 001A")
    march = RecordFactory(
        dataset=police_dataset, source_ref="MARCH", occurred_on=dt.date(2022, 3, 1)
    )
    RecordFactory(dataset=police_dataset, source_ref="JANUARY", occurred_on=dt.date(2022, 1, 1))
    robbed = RecordFactory(
        dataset=police_dataset,
        source_ref="ROBBED",
        category=robbery,
        lsoa=lsoa,
        occurred_on=dt.date(2022, 2, 1),
    )
    priority = PriorityCrimeType.objects.create(slug="personal-robbery", name="Personal robbery")
    flag(robbed, priority)
    url = reverse("incidents:records", args=["police-data"])

    def refs(**params) -> set[str]:
        response = alice_client.get(url, params)
        assert response.status_code == 200
        return {r.source_ref for r in response.context["page_obj"].object_list}

    assert refs() == {"MARCH", "JANUARY", "ROBBED"}
    assert refs(month_from="2022-02") == {"MARCH", "ROBBED"}
    assert refs(month_from="2022-02", month_to="2022-02") == {"ROBBED"}
    assert refs(category=robbery.pk) == {"ROBBED"}
    assert refs(priority="personal-robbery") == {"ROBBED"}
    assert refs(lsoa="e01099999") == {"ROBBED"}
    assert refs(district=lsoa.district.code) == {"ROBBED"}
    assert refs(district=march.lsoa.district.code) == {"MARCH"}
    first = alice_client.get(url, {"sort": "oldest"}).context["page_obj"].object_list[0]
    assert first.source_ref == "JANUARY"


def test_bad_filters_show_an_error_and_all_records(alice_client, record):
    response = alice_client.get(
        reverse("incidents:records", args=["police-data"]), {"lsoa": "E01000000"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and "There is no LSOA with the code E01000000" in page
    assert "<title>Error: " in page
    response = alice_client.get(
        reverse("incidents:records", args=["police-data"]),
        {"month_from": "2022-03", "month_to": "2022-01"},
    )
    assert "There is a problem" in response.content.decode()


def test_list_paginates_with_govuk_pagination(alice_client, police_dataset):
    RecordFactory.create_batch(55, dataset=police_dataset)
    url = reverse("incidents:records", args=["police-data"])
    page = alice_client.get(url).content.decode()
    assert "govuk-pagination" in page and 'rel="next"' in page
    second = alice_client.get(url, {"page": 2})
    assert len(second.context["page_obj"].object_list) == 5


def test_list_query_count_does_not_grow_with_records(
    alice_client, police_dataset, django_assert_max_num_queries
):
    RecordFactory.create_batch(5, dataset=police_dataset)
    url = reverse("incidents:records", args=["police-data"])
    with django_assert_max_num_queries(20) as small:
        alice_client.get(url)
    RecordFactory.create_batch(45, dataset=police_dataset)
    with django_assert_max_num_queries(len(small.captured_queries)):
        alice_client.get(url)


def test_data_home_shows_access_level_and_agreement(alice_client, bob_client, record):
    page = alice_client.get(reverse("incidents:home")).content.decode()
    assert "Police recorded crime" in page and "Record level" in page and "Current" in page
    assert reverse("incidents:records", args=["police-data"]) in page
    page = bob_client.get(reverse("incidents:home")).content.decode()
    assert "Aggregates only" in page
    assert reverse("incidents:records", args=["police-data"]) not in page
    assert reverse("incidents:aggregates", args=["police-data"]) in page


def test_staff_data_home_shows_aggregates_only(staff_client, record, org_b):
    from tests.incidents.factories import DatasetFactory

    DatasetFactory(owner=org_b, slug="icb-data", name="ICB data")
    response = staff_client.get(reverse("incidents:home"))
    assert response.status_code == 200
    rows = {row.dataset.slug: row for row in response.context["rows"]}
    assert not rows["police-data"].record_level and not rows["icb-data"].record_level
    assert rows["icb-data"].agreement_status == "None"


def test_named_organisation_sees_record_level_on_data_home(carol_client, record):
    rows = carol_client.get(reverse("incidents:home")).context["rows"]
    assert [row.access_label for row in rows] == ["Record level"]


def test_data_home_links_uploads_only_for_those_who_may_upload(
    alice_client, viewer_client, carol_client, record
):
    upload = reverse("incidents:upload_new", args=["police-data"])
    assert upload in alice_client.get(reverse("incidents:home")).content.decode()
    assert upload not in viewer_client.get(reverse("incidents:home")).content.decode()
    assert upload not in carol_client.get(reverse("incidents:home")).content.decode()
