"""Demo data loads the real strategy text idempotently; staff manage everything in the admin."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from core.models import AuditEvent
from strategy.models import (
    Action,
    AnnualReview,
    Consultation,
    Driver,
    OutcomeMeasure,
    Principle,
    ProgressUpdate,
    Strategy,
    Theme,
)
from tests.strategy.factories import LocalDefinitionFactory, ThemeFactory


@pytest.mark.django_db
def test_seed_demo_loads_the_2023_2025_strategy_once(settings):
    settings.DEBUG = True  # seed_demo runs only in debug mode
    call_command("seed_demo", stdout=io.StringIO())
    counts = {
        model: model.objects.count()
        for model in (Strategy, Theme, Principle, Driver, Action, ProgressUpdate, Consultation)
    }
    call_command("seed_demo", stdout=io.StringIO())
    assert counts == {model: model.objects.count() for model in counts}

    strategy = Strategy.objects.get(status="published")
    assert strategy.period_label == "2023–2025"
    assert [t.name for t in strategy.themes.all()] == [
        "Leadership and cultural change",
        "Data sharing, evidence and evaluation",
        "Tackling vulnerabilities",
        "Place based",
    ]
    assert [p.name for p in strategy.principles.all()] == [
        "Community consensus",
        "Collaboration",
        "Co-production",
        "Cooperation in data",
        "Counter-narrative",
    ]
    assert strategy.drivers.count() == 4
    assert len(strategy.aims_list) == 3
    assert strategy.priorities.count() == 7

    actions = Action.objects.filter(theme__strategy=strategy)
    assert actions.count() >= 10
    assert actions.overdue().exists()
    assert actions.filter(status="at_risk").exists()
    assert actions.values("lead_organisation").distinct().count() >= 6
    assert AnnualReview.objects.filter(strategy=strategy).exists()
    assert Consultation.objects.filter(consultee_kind="prison").exists()


@pytest.mark.django_db
def test_demo_partner_lead_can_update_their_action_in_the_demo(client, settings):
    settings.DEBUG = True  # seed_demo runs only in debug mode
    call_command("seed_demo", stdout=io.StringIO())
    lead = get_user_model().objects.get(email="partner.lead@police.example.org")
    client.force_login(lead)
    police_action = Action.objects.filter(lead_organisation__slug="police").first()
    fire_action = Action.objects.filter(lead_organisation__slug="fire").first()
    assert client.get(reverse("strategy:action_update", args=[police_action.pk])).status_code == 200
    assert client.get(reverse("strategy:action_update", args=[fire_action.pk])).status_code == 403


ADMIN_MODELS = [
    "strategy",
    "theme",
    "principle",
    "driver",
    "protectivefactor",
    "action",
    "progressupdate",
    "outcomemeasure",
    "annualreview",
    "consultation",
]


@pytest.mark.django_db
@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_staff_can_open_every_admin_list(staff_client, action_a, model):
    assert staff_client.get(reverse(f"admin:strategy_{model}_changelist")).status_code == 200


@pytest.mark.django_db
def test_staff_open_the_action_and_strategy_admin_forms(staff_client, action_a, strategy):
    assert (
        staff_client.get(reverse("admin:strategy_action_change", args=[action_a.pk])).status_code
        == 200
    )
    assert staff_client.get(reverse("admin:strategy_action_add")).status_code == 200
    assert (
        staff_client.get(reverse("admin:strategy_strategy_change", args=[strategy.pk])).status_code
        == 200
    )


@pytest.mark.django_db
def test_partners_cannot_use_the_admin(lead_client):
    response = lead_client.get(reverse("admin:strategy_action_changelist"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_progress_updates_cannot_be_edited_or_deleted_in_the_admin(
    staff_client, lead_client, action_a
):
    lead_client.post(
        reverse("strategy:action_update", args=[action_a.pk]),
        {"status": "at_risk", "narrative": "Slipping."},
    )
    update = action_a.updates.get()
    change = staff_client.post(
        reverse("admin:strategy_progressupdate_change", args=[update.pk]),
        {"narrative": "Rewritten history"},
    )
    assert change.status_code == 403
    delete = staff_client.post(
        reverse("admin:strategy_progressupdate_delete", args=[update.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    update.refresh_from_db()
    assert update.narrative == "Slipping."


@pytest.mark.django_db
def test_staff_publish_a_strategy_from_the_admin(staff_client, strategy):
    draft = ThemeFactory(
        strategy__title="Next", strategy__period_start=2026, strategy__period_end=2028
    ).strategy
    LocalDefinitionFactory(strategy=draft)
    response = staff_client.post(
        reverse("admin:strategy_strategy_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    strategy.refresh_from_db()
    assert draft.status == "published"
    assert strategy.status == "superseded"


@pytest.mark.django_db
def test_staff_record_a_measurement_in_the_admin_and_it_is_audited(staff, staff_client):
    measure = OutcomeMeasure.objects.get(slug="knife-enabled-serious-violence-under-25")
    url = reverse("admin:strategy_outcomemeasure_change", args=[measure.pk])
    data = {
        "slug": measure.slug,
        "name": measure.name,
        "definition": measure.definition,
        "data_source": measure.data_source,
        "unit": measure.unit,
        "direction": measure.direction,
        "is_home_office_headline": "on",
        "display_order": "2",
        "is_public": "on",
        "baseline_value": "120",
        "baseline_date": "2023-03-31",
        "target_value": "",
        "target_date": "",
        "target_description": "Fewer each year",
        "is_count": "on",
        "incident_query-TOTAL_FORMS": "0",
        "incident_query-INITIAL_FORMS": "0",
        "incident_query-MIN_NUM_FORMS": "0",
        "incident_query-MAX_NUM_FORMS": "1",
        "measurements-TOTAL_FORMS": "1",
        "measurements-INITIAL_FORMS": "0",
        "measurements-MIN_NUM_FORMS": "0",
        "measurements-MAX_NUM_FORMS": "1000",
        "measurements-0-period_start": "2023-04-01",
        "measurements-0-period_end": "2024-03-31",
        "measurements-0-value": "104",
        "measurements-0-note": "",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    (measurement,) = measure.measurements.all()
    assert str(measurement.value) == "104.00"
    assert measurement.recorded_by == staff
    assert AuditEvent.objects.filter(action="strategy.measurement_recorded").count() == 1
    # Correct the value, then remove the row: each is its own audit event.
    data.update(
        {
            "measurements-INITIAL_FORMS": "1",
            "measurements-0-id": str(measurement.pk),
            "measurements-0-measure": str(measure.pk),
            "measurements-0-value": "99",
        }
    )
    assert staff_client.post(url, data).status_code == 302
    measurement = measure.measurements.get()
    assert str(measurement.value) == "99.00"
    assert AuditEvent.objects.filter(action="strategy.measurement_corrected").count() == 1
    data["measurements-0-DELETE"] = "on"
    assert staff_client.post(url, data).status_code == 302
    assert not measure.measurements.exists()
    assert AuditEvent.objects.filter(action="strategy.measurement_deleted").count() == 1


@pytest.mark.django_db
def test_seed_demo_computes_local_measures_from_the_real_police_months(shared_data, settings):
    from collections import Counter

    from incidents.models import IncidentRecord, PriorityCrimeType
    from strategy.models import Measurement

    settings.DEBUG = True  # seed_demo runs only in debug mode
    call_command("seed_demo", stdout=io.StringIO())
    robbery = OutcomeMeasure.objects.get(slug="personal-robbery-recorded")
    records = IncidentRecord.objects.filter(
        dataset__slug="police-uk-street",
        outside_area=False,
        priority_bits__bitany=PriorityCrimeType.objects.get(slug="personal-robbery").mask,
    )
    by_hand = Counter(day.replace(day=1) for day in records.values_list("occurred_on", flat=True))
    computed = {
        m.period_start: int(m.value)
        for m in robbery.measurements.filter(source=Measurement.Source.COMPUTED)
    }
    assert len(computed) == 6  # January to June 2022
    assert computed == dict(by_hand)
    # data.police.uk has no weapons or ages: the headline measure gets no value, not zeros.
    knife = OutcomeMeasure.objects.get(slug="knife-enabled-serious-violence-under-25")
    assert hasattr(knife, "incident_query")
    assert not knife.measurements.exists()
    assert "police extract" in knife.data_notes
    hospital = OutcomeMeasure.objects.get(slug="hospital-admissions-sharp-object-under-25")
    assert "Integrated Care Board" in hospital.data_notes
