"""Exception alerts: breaches found from the cubes, one digest a day at most, opt-out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from evidence.alerts import alert_digests_send, breaches_refresh
from evidence.cubes import cubes_refresh
from evidence.models import AlertBreach, AlertSubscription
from incidents.models import IncidentRecord
from tests.incidents.factories import DatasetFactory, LsoaFactory, PriorityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def spike(org_a):
    """24 steady months of 20 knife records, then a month of 60 (beyond the c-chart limits)."""
    knife = PriorityFactory(slug="knife", name="Knife crime")
    dataset = DatasetFactory(owner=org_a, slug="police", name="Police extract")
    lsoa = LsoaFactory()
    records = []
    month = dt.date(2022, 1, 1)
    for m in range(25):
        n = 60 if m == 24 else 20
        day = dt.date(month.year + (month.month - 1 + m) // 12, (month.month - 1 + m) % 12 + 1, 1)
        records += [
            IncidentRecord(
                dataset=dataset,
                source_ref=f"{m}-{i}",
                occurred_on=day,
                date_precision="month",
                lsoa=lsoa,
                row_hash="x",
                priority_bits=knife.mask,
            )
            for i in range(n)
        ]
    IncidentRecord.objects.bulk_create(records)
    cubes_refresh(dataset_id=dataset.pk)
    return dataset, knife


def test_a_month_beyond_the_limits_is_recorded_once(spike):
    dataset, knife = spike
    assert breaches_refresh(dataset_ids=[dataset.pk]) >= 1
    breach = AlertBreach.objects.get(rule=AlertBreach.Rule.BEYOND_LIMITS)
    assert (breach.priority, breach.month, breach.direction) == (
        knife,
        dt.date(2024, 1, 1),
        "above",
    )
    assert breaches_refresh(dataset_ids=[dataset.pk]) == 0  # nothing new the second time


def test_each_analyst_gets_one_digest_a_day_at_most(spike, alice, bob, lead):
    breaches_refresh(dataset_ids=[spike[0].pk])
    now = timezone.now()
    assert alert_digests_send(now=now) == 2  # alice and bob are analysts; lead is not
    assert sorted(m.to[0] for m in mail.outbox) == [alice.email, bob.email]
    assert "Knife crime" in mail.outbox[0].body and "Jan 2024" in mail.outbox[0].body
    # Nothing new, and less than a day later: no second e-mail.
    assert alert_digests_send(now=now + dt.timedelta(hours=2)) == 0
    # A new breach the same day waits for the next day.
    AlertBreach.objects.create(
        dataset=spike[0],
        priority=spike[1],
        month=dt.date(2023, 12, 1),
        rule="run",
        direction="above",
    )
    assert alert_digests_send(now=now + dt.timedelta(hours=5)) == 0
    assert alert_digests_send(now=now + dt.timedelta(hours=24)) == 2
    assert len(mail.outbox) == 4


def test_an_analyst_can_switch_the_digest_off(spike, alice, alice_client):
    breaches_refresh(dataset_ids=[spike[0].pk])
    response = alice_client.post(reverse("evidence:alerts"), {"wants_digest": "no"})
    assert response.status_code == 302
    assert AlertSubscription.objects.get(user=alice).wants_digest is False
    alert_digests_send()
    assert alice.email not in [m.to[0] for m in mail.outbox]
    page = alice_client.get(reverse("evidence:alerts")).content.decode()
    assert 'value="no" checked' in page
    assert "Knife crime" in page


def test_switching_alerts_is_refused_to_an_outsider(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(email="out@example.org"))
    assert client.post(reverse("evidence:alerts"), {"wants_digest": "no"}).status_code == 403
    assert not AlertSubscription.objects.exists()
