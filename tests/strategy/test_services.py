"""Strategy services: publishing, measurements, and the pre-loaded Home Office measures."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from core.models import AuditEvent
from strategy import services
from strategy.models import Action, OutcomeMeasure, Strategy
from tests.strategy.factories import (
    ActionFactory,
    LocalDefinitionFactory,
    StrategyFactory,
    ThemeFactory,
)


def _ready_draft(title: str = "Strategy 2026–2028") -> Strategy:
    draft = ThemeFactory(
        strategy__title=title, strategy__period_start=2026, strategy__period_end=2028
    ).strategy
    LocalDefinitionFactory(strategy=draft)
    return draft


@pytest.mark.django_db
def test_publishing_supersedes_the_previous_strategy(staff, strategy):
    draft = _ready_draft()
    services.strategy_publish(strategy=draft, actor=staff)
    strategy.refresh_from_db()
    draft.refresh_from_db()
    assert draft.status == "published" and draft.published_at is not None
    assert strategy.status == "superseded"
    assert set(
        AuditEvent.objects.filter(action__startswith="strategy.").values_list("action", flat=True)
    ) == {
        "strategy.published",
        "strategy.superseded",
    }


@pytest.mark.django_db
def test_a_strategy_without_themes_or_definition_cannot_be_published(staff):
    empty = StrategyFactory()
    with pytest.raises(ValidationError, match="themes"):
        services.strategy_publish(strategy=empty, actor=staff)
    ThemeFactory(strategy=empty)
    with pytest.raises(ValidationError, match="definition"):
        services.strategy_publish(strategy=empty, actor=staff)
    empty.refresh_from_db()
    assert empty.status == "draft"
    assert not AuditEvent.objects.filter(action__startswith="strategy.").exists()


@pytest.mark.django_db
def test_the_database_refuses_two_published_strategies(strategy):
    with pytest.raises(IntegrityError), transaction.atomic():
        StrategyFactory(status=Strategy.Status.PUBLISHED)


@pytest.mark.django_db
def test_withdrawing_returns_the_strategy_to_draft(staff, strategy):
    services.strategy_withdraw(strategy=strategy, actor=staff)
    strategy.refresh_from_db()
    assert strategy.status == "draft"
    with pytest.raises(ValidationError):
        services.strategy_withdraw(strategy=strategy, actor=staff)


@pytest.mark.django_db
def test_service_refuses_an_update_from_someone_who_may_not(viewer, action_a):
    with pytest.raises(PermissionDenied):
        services.progress_update_create(
            action=action_a, actor=viewer, status="complete", narrative="Done."
        )
    action_a.refresh_from_db()
    assert action_a.status == "on_track"


@pytest.mark.django_db
def test_action_due_date_must_not_be_before_its_start(theme, org_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionFactory(
            theme=theme,
            lead_organisation=org_a,
            start_date=datetime.date(2025, 5, 1),
            due_date=datetime.date(2025, 4, 1),
        )
    assert not Action.objects.exists()


@pytest.mark.django_db
def test_home_office_headline_measures_are_preloaded():
    headline = OutcomeMeasure.objects.filter(is_home_office_headline=True)
    assert headline.count() == 3
    assert {m.direction for m in headline} == {"lower"}
    names = " | ".join(m.name for m in headline)
    assert "Hospital admissions for assault with a knife or sharp object" in names
    assert "Knife or sharp-object enabled serious violence" in names
    assert "not domestic" in names


@pytest.mark.django_db
def test_recording_a_measurement_then_correcting_it(staff):
    measure = OutcomeMeasure.objects.filter(is_home_office_headline=True).first()
    start, end = datetime.date(2024, 4, 1), datetime.date(2025, 3, 31)
    services.measurement_record(
        measure=measure, actor=staff, period_start=start, period_end=end, value=Decimal("41")
    )
    services.measurement_record(
        measure=measure, actor=staff, period_start=start, period_end=end, value=Decimal("39")
    )
    (measurement,) = measure.measurements.all()
    assert measurement.value == Decimal("39")
    assert measurement.recorded_by == staff
    assert list(
        AuditEvent.objects.filter(action__startswith="strategy.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "strategy.measurement_recorded",
        "strategy.measurement_corrected",
    ]
    with pytest.raises(ValidationError):
        services.measurement_record(
            measure=measure, actor=staff, period_start=end, period_end=start, value=Decimal("1")
        )
