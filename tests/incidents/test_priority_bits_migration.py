"""Migration 0008: the (record, priority) flag rows become bits on the record, and back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("incidents", "0007_row_hash_md5")]
AFTER = [("incidents", "0008_priority_bits")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_flags_become_bits_and_come_back():
    old = migrate(BEFORE)
    organisation = old.get_model("partners", "Organisation").objects.create(
        name="Police", short_name="Police", slug="police-m"
    )
    dataset = old.get_model("incidents", "Dataset").objects.create(
        owner=organisation, name="Extract", slug="extract-m", format="template"
    )
    priority_model = old.get_model("incidents", "PriorityCrimeType")
    # Ids out of step with the bits they will get, and more than 31 of them: the shift is 64-bit.
    priorities = [
        priority_model.objects.create(slug=f"p{n}", name=f"P{n}", display_order=40 - n)
        for n in range(40)
    ]
    record_model = old.get_model("incidents", "IncidentRecord")

    def record(ref: str):
        return record_model.objects.create(
            dataset=dataset,
            source_ref=ref,
            occurred_on=dt.date(2023, 1, 1),
            date_precision="month",
            row_hash=ref,
        )

    several, last = record("A"), record("C")
    record("B")  # no flags: bits 0, and no flag rows on the way back
    flags = old.get_model("incidents", "RecordPriority").objects
    flags.create(record=several, priority=priorities[0])
    flags.create(record=several, priority=priorities[3])
    flags.create(record=last, priority=priorities[39])

    new = migrate(AFTER)
    bits = {p.pk: p.bit for p in new.get_model("incidents", "PriorityCrimeType").objects.all()}
    assert sorted(bits.values()) == list(range(40))
    assert bits[priorities[0].pk] == 0 and bits[priorities[39].pk] == 39  # in id order
    stored = dict(
        new.get_model("incidents", "IncidentRecord").objects.values_list(
            "source_ref", "priority_bits"
        )
    )
    assert stored == {"A": 1 | 1 << 3, "B": 0, "C": 1 << 39}

    back = migrate(BEFORE)
    pairs = set(
        back.get_model("incidents", "RecordPriority").objects.values_list(
            "record__source_ref", "priority_id"
        )
    )
    assert pairs == {("A", priorities[0].pk), ("A", priorities[3].pk), ("C", priorities[39].pk)}
    assert (several.pk, last.pk) == tuple(  # ids kept both ways
        back.get_model("incidents", "IncidentRecord")
        .objects.filter(source_ref__in=["A", "C"])
        .order_by("source_ref")
        .values_list("pk", flat=True)
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
