# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""One definition of a record's row hash: the importer's (Python or SQL) equals the migration's
recomputation from the stored record, so data imported before the change stays "unchanged"."""

from __future__ import annotations

from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from incidents.models import IncidentRecord, Upload
from tests.incidents.test_import_support import (  # noqa: F401 - fixtures
    OUTSIDE,
    categories,
    geography,
    istv_dataset,
    police_csv,
    police_dataset,
    police_row,
    run,
    template_csv,
    template_dataset,
    template_row,
    write,
)

pytestmark = pytest.mark.django_db
migration = import_module("incidents.migrations.0007_row_hash_md5")


def test_stored_hashes_equal_the_migrations_recomputation(
    template_dataset, police_dataset, tmp_path
):
    template = template_csv(
        template_row("A"),
        template_row("B", "14/03/2022", occurred_time="", latitude="-0.0", weapon="Knife/Sharp"),
        template_row("C", "2022-03", lsoa_code=OUTSIDE, location_text='Caf\u00e9 "Swan"'),
        template_row("D", "2022-07-01", occurred_time="13:05", domestic_abuse="Y"),
    )
    police = police_csv(police_row("p1"), police_row("", crime_type="Anti-social behaviour"))
    for dataset, path in (
        (template_dataset, write(tmp_path, "t.csv", template)),
        (police_dataset, write(tmp_path, "p.csv", police)),
    ):
        assert run(dataset, path).status == Upload.Status.IMPORTED
    stored = dict(IncidentRecord.objects.values_list("pk", "row_hash"))
    assert len(stored) == 6
    IncidentRecord.objects.update(row_hash="stale")
    # The migration only needs the editor's connection and execute (SQLite cannot open a real
    # schema editor inside the test's transaction).
    with connection.cursor() as cursor:
        editor = SimpleNamespace(connection=connection, execute=cursor.execute)
        migration.rehash(apps, editor)
    assert dict(IncidentRecord.objects.values_list("pk", "row_hash")) == stored


def test_a_changed_value_changes_the_hash(template_dataset, tmp_path):
    first = run(template_dataset, write(tmp_path, "a.csv", template_csv(template_row("A"))))
    changed = template_csv(template_row("A", outcome="Charged"))
    second = run(template_dataset, write(tmp_path, "b.csv", changed))
    assert (first.rows_new, second.rows_changed) == (1, 1)
