"""Each evidence page's number of SQL queries does not grow with the data."""

from __future__ import annotations

import copy as copymodule

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence.cubes import cubes_refresh
from incidents.models import IncidentRecord
from tests.incidents.factories import LsoaFactory

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
QUERY = "?start=2023-01&end=2023-12"


def _count(client, page: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(f"evidence:{page}") + QUERY)
    assert response.status_code == 200
    return len(queries)


def _grow(evidence_data) -> None:
    """Three times the records, in new LSOAs and categories of their own."""
    police = evidence_data["police"]
    extra = [LsoaFactory(code=f"E0190000{i}", population_total=900) for i in range(5)]
    made = []
    for i, record in enumerate(evidence_data["records"] * 2):
        copy = copymodule.copy(record)
        copy.pk = copy.id = None
        copy.source_ref = f"X{i}"
        copy.lsoa = extra[i % 5] if i % 3 == 0 else record.lsoa
        made.append(copy)
    IncidentRecord.objects.bulk_create(made, batch_size=2000)
    cubes_refresh(dataset_id=police.pk)
    cubes_refresh(dataset_id=evidence_data["istv"].pk)


@pytest.mark.parametrize("page", PAGES)
def test_query_count_is_constant_as_data_grows(page, evidence_data, alice_client):
    _count(alice_client, page)  # warm per-process caches (map shapes, URL memo)
    small = _count(alice_client, page)
    _grow(evidence_data)
    assert _count(alice_client, page) == small
    assert small <= 30, f"{page} issues {small} queries"
