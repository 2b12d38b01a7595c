"""The staff audit search (with its CSV export) and each organisation's transparency page."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import AuditEvent
from core.services import audit_record
from incidents.services import records_viewed_log
from tests.factories import MembershipFactory, UserFactory
from tests.incidents.factories import AgreementFactory, DatasetFactory

pytestmark = pytest.mark.django_db
SEARCH = reverse("incidents:audit")
EXPORT = reverse("incidents:audit_export")
TRANSPARENCY = reverse("incidents:transparency")


@pytest.fixture
def police(org_a, org_b):
    dataset = DatasetFactory(owner=org_a, name="Police crime", slug="police-crime")
    AgreementFactory(dataset=dataset, record_level_organisations=[org_b])
    return dataset


def viewed(person, dataset, action="records.viewed"):
    return records_viewed_log(actor=person, dataset=dataset, action=action, filters={}, count=3)


# -- the audit search --------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["alice_client", "lead_client", "nobody_client"])
def test_the_audit_search_is_refused_to_people_without_the_audit_right(persona, request):
    client = request.getfixturevalue(persona)
    assert client.get(SEARCH).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_the_audit_search_needs_sign_in(anonymous):
    assert anonymous.get(SEARCH).status_code == 302


def test_staff_find_who_saw_a_dataset_in_a_period(staff_client, police, alice, bob):
    other = DatasetFactory(owner=police.owner, name="Other data")
    viewed(bob, police)
    viewed(alice, other)
    response = staff_client.get(SEARCH, {"dataset": police.slug, "who": "bob@"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "bob@icb.example.org" in body
    assert "alice@police.example.org" not in body
    assert "Police crime" in body

    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    later = staff_client.get(SEARCH, {"date_from": tomorrow}).content.decode()
    assert "bob@icb.example.org" not in later


def test_a_period_that_ends_before_it_starts_is_an_error(staff_client):
    response = staff_client.get(SEARCH, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "must be the same as or after" in response.content.decode()
    assert "<title>Error:" in response.content.decode()


def test_the_search_page_costs_the_same_queries_however_many_events(staff_client, police, bob):
    viewed(bob, police)
    staff_client.get(SEARCH)
    with CaptureQueriesContext(connection) as few:
        staff_client.get(SEARCH)
    for n in range(60):
        viewed(bob, DatasetFactory(owner=police.owner, name=f"Data {n}"))
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get(SEARCH)
    assert response.status_code == 200
    assert len(many) == len(few)


def test_the_csv_export_escapes_formulae_and_is_itself_audited(staff_client, staff, police):
    audit_record(actor=None, action="test.formula", summary="=HYPERLINK(1)", obj=police)
    response = staff_client.get(EXPORT, {"what": "test.formula"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["at", "who", "action"]
    assert rows[1][2] == "test.formula"
    assert rows[1][5] == "police-crime"
    assert rows[1][6] == "'=HYPERLINK(1)"
    (export,) = AuditEvent.objects.filter(action="audit.exported")
    assert export.actor == staff
    assert export.detail == {"filters": {"what": "test.formula"}}


# -- transparency ------------------------------------------------------------------------------
def test_a_partner_lead_sees_who_from_other_organisations_saw_their_data(
    lead_client, police, alice, bob, org_b
):
    viewed(bob, police)
    viewed(bob, police, action="records.exported")
    viewed(alice, police)  # their own organisation: not listed
    audit_record(actor=bob, action="upload.receive", obj=police)  # not a view
    response = lead_client.get(TRANSPARENCY)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("bob@icb.example.org") == 2
    assert "alice@police.example.org" not in body
    assert "ICB" in body
    assert "2 views and downloads" in body


def test_a_lead_of_another_organisation_does_not_see_them(police, bob, org_b):
    from tests.conftest import _client_for

    other_lead = MembershipFactory(
        user=UserFactory(email="lead@icb.example.org"), organisation=org_b, role="partner_lead"
    ).user
    viewed(bob, police)
    body = _client_for(other_lead).get(TRANSPARENCY).content.decode()
    assert "bob@icb.example.org" not in body


@pytest.mark.parametrize("persona", ["alice_client", "viewer_client", "superuser_client"])
def test_transparency_is_refused_to_people_who_lead_no_organisation(persona, request):
    client = request.getfixturevalue(persona)
    assert client.get(TRANSPARENCY).status_code == 403


def test_transparency_costs_the_same_queries_however_many_views(lead_client, police, bob):
    viewed(bob, police)
    lead_client.get(TRANSPARENCY)
    with CaptureQueriesContext(connection) as few:
        lead_client.get(TRANSPARENCY)
    for n in range(60):
        person = MembershipFactory(
            user=UserFactory(email=f"p{n}@icb.example.org"),
            organisation=bob.memberships.get().organisation,
        ).user
        viewed(person, police)
    with CaptureQueriesContext(connection) as many:
        lead_client.get(TRANSPARENCY)
    assert len(many) == len(few)
