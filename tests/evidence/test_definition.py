"""The local definition of serious violence as a subject: its scope decides what is counted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q

from evidence import selectors
from evidence.models import DefinitionScope
from evidence.query import Audience, EvidenceQuery, Subject
from incidents.models import CrimeCategory, IncidentRecord
from tests.strategy.factories import LocalDefinitionFactory, StrategyFactory

pytestmark = pytest.mark.django_db


def _total(audience, dataset_ids) -> int:
    trend = selectors.evidence_trend(
        query=EvidenceQuery(
            subject=Subject(kind="definition"),
            start=dt.date(2022, 1, 1),
            end=dt.date(2024, 12, 1),
            dataset_ids=dataset_ids,
        ),
        audience=audience,
    )
    return sum(row[1] for row in trend.table.rows)


def test_definition_scope_counts_its_priorities_and_categories(evidence_data, knife):
    police = evidence_data["police"]
    other = CrimeCategory.objects.create(slug="robbery", name="Robbery")
    IncidentRecord.objects.filter(dataset=police, source_ref__endswith="7").update(category=other)
    from evidence.cubes import cubes_refresh

    cubes_refresh(dataset_id=police.pk)
    strategy = StrategyFactory(status="published")
    definition = LocalDefinitionFactory(strategy=strategy, version=2)
    audience = Audience.restricted([police.pk])
    in_area = Q(lsoa__isnull=True) | Q(lsoa__in_area=True)
    records = IncidentRecord.objects.filter(in_area, dataset=police)

    # Without a scope, the published strategy's priorities stand for the definition.
    strategy.priorities.set([knife])
    assert (
        _total(audience, (police.pk,)) == records.filter(priority_bits__bitany=knife.mask).count()
    )

    # With a scope: its priorities or its categories.
    scope = DefinitionScope.objects.create(definition=definition)
    scope.priorities.set([knife])
    scope.categories.set([other])
    expected = records.filter(Q(priority_bits__bitany=knife.mask) | Q(category=other)).count()
    assert _total(audience, (police.pk,)) == expected
    assert expected > records.filter(priority_bits__bitany=knife.mask).count()
