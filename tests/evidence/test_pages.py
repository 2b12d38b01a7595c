"""The evidence pages: who may open them, what they show, and queries constant in data size."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import AuditEvent

pytestmark = pytest.mark.django_db

PAGES = [
    "overview",
    "trend",
    "where",
    "when",
    "who",
    "deprivation",
    "police_health",
    "data_quality",
    "alerts",
    "methodology",
]
QUERY = "?start=2024-01&end=2024-12"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_for_an_analyst(page, evidence_data, alice_client):
    response = alice_client.get(reverse(f"evidence:{page}") + QUERY)
    assert response.status_code == 200
    assert b"Evidence" in response.content


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitor_is_sent_to_sign_in(page, anonymous):
    response = anonymous.get(reverse(f"evidence:{page}"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.parametrize("page", PAGES)
def test_person_outside_every_partner_is_refused(page, outsider, client):
    client.force_login(outsider)
    assert client.get(reverse(f"evidence:{page}")).status_code == 403


def test_csv_download_of_a_table_is_refused_to_an_outsider(evidence_data, outsider, client):
    client.force_login(outsider)
    url = reverse("evidence:table_csv", args=["overview", "priorities"])
    assert client.get(url).status_code == 403


def test_csv_download_is_audited(evidence_data, alice_client):
    url = reverse("evidence:table_csv", args=["where", "district"]) + QUERY
    response = alice_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    assert "Rates by district" in body and "Source" in body
    event = AuditEvent.objects.get(action="evidence.exported")
    assert event.detail["table"] == "district"
