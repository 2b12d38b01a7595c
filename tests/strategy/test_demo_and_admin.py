"""Demo data loads the real strategy text idempotently; staff manage everything in the admin."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from strategy.models import (
    Action,
    AnnualReview,
    Consultation,
    Driver,
    Principle,
    ProgressUpdate,
    Strategy,
    Theme,
)
from tests.strategy.factories import LocalDefinitionFactory, ThemeFactory


@pytest.mark.django_db
def test_seed_demo_loads_the_2023_2025_strategy_once():
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
def test_demo_partner_lead_can_update_their_action_in_the_demo(client):
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
