# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""Every incident record gets a fixed random key (the cell key method, core/disclosure.py).

The key is drawn once, when the record is created, on every path that creates records: the
import's set-based INSERT (the Python normaliser's rows and, on PostgreSQL, the SQL fast path's
rows, whether the dataset's partition is rebuilt or rows are inserted into it) and the ORM. A
re-import that changes a record's values never changes its key.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from incidents import partitions
from incidents.importing import fast
from incidents.models import IncidentRecord, Upload
from tests.incidents.factories import RecordFactory
from tests.incidents.test_import_support import (  # noqa: F401 - fixtures
    categories,
    geography,
    run,
    template_csv,
    template_dataset,
    template_row,
    write,
)

PATHS = [
    pytest.param(False, id="python-normaliser"),
    pytest.param(
        True,
        id="sql-fast-path",
        marks=pytest.mark.skipif(
            connection.vendor != "postgresql", reason="the SQL path exists only on PostgreSQL"
        ),
    ),
]


def _import(dataset, path, *, sql: bool) -> Upload:
    used: list[bool] = []
    original = fast.stage_file

    def spy(**kwargs):
        staged = original(**kwargs)
        used.append(staged is not None)
        return staged

    applies = fast.applies if sql else (lambda *args: False)
    with mock.patch.object(fast, "applies", applies), mock.patch.object(fast, "stage_file", spy):
        upload = run(dataset, path)
    assert upload.status == Upload.Status.IMPORTED, upload.problem
    assert any(used) is sql  # the path under test really wrote the rows
    return upload


def _keys(dataset) -> dict[str, int]:
    return dict(
        IncidentRecord.objects.filter(dataset=dataset).values_list("source_ref", "cell_key")
    )


def _assert_random(keys: list[int]) -> None:
    assert all(0 <= key <= 255 for key in keys)
    # 400 draws from 256 values: about 202 distinct expected; a constant, a default of 0 or a
    # key drawn once per statement would give 1.
    assert len(set(keys)) > 120
    assert min(keys) < 32 and max(keys) > 223


@pytest.mark.django_db
@pytest.mark.parametrize("sql", PATHS)
def test_import_gives_each_new_record_a_random_key(template_dataset, tmp_path, sql):
    rows = [template_row(f"T{i}") for i in range(400)]
    _import(template_dataset, write(tmp_path, "v1.csv", template_csv(*rows)), sql=sql)
    _assert_random(list(_keys(template_dataset).values()))


@pytest.mark.django_db
@pytest.mark.parametrize("sql", PATHS)
def test_reimport_of_a_changed_row_keeps_its_key(template_dataset, tmp_path, sql):
    rows = [template_row(f"T{i}") for i in range(300)]
    _import(template_dataset, write(tmp_path, "v1.csv", template_csv(*rows)), sql=sql)
    before = _keys(template_dataset)
    if sql:  # the first import built the dataset's partition; the second inserts into it
        assert partitions.has_partition(template_dataset.pk)
    changed = [template_row(f"T{i}", outcome="Charged", weapon="none") for i in range(150)]
    added = [template_row(f"N{i}") for i in range(100)]
    second = _import(
        template_dataset,
        write(tmp_path, "v2.csv", template_csv(*changed, *rows[150:], *added)),
        sql=sql,
    )
    assert (second.rows_new, second.rows_changed, second.rows_unchanged) == (100, 150, 150)
    after = _keys(template_dataset)
    assert IncidentRecord.objects.get(dataset=template_dataset, source_ref="T0").outcome == (
        "Charged"
    )
    assert {ref: after[ref] for ref in before} == before
    assert len({after[f"N{i}"] for i in range(100)}) > 40  # the new ones got keys of their own


@pytest.mark.django_db
def test_records_made_by_the_orm_get_random_keys():
    record = RecordFactory()
    assert 0 <= record.cell_key <= 255
    assert IncidentRecord.objects.get(pk=record.pk).cell_key == record.cell_key
    _assert_random([RecordFactory.build().cell_key for _ in range(400)])


@pytest.mark.django_db
def test_saving_a_record_again_keeps_its_key():
    record = RecordFactory()
    key = record.cell_key
    record.outcome = "Charged"
    record.save()
    assert IncidentRecord.objects.get(pk=record.pk).cell_key == key


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_migration_gives_existing_records_and_responses_random_keys():
    import datetime as dt

    old = migrate(
        [("incidents", "0010_drop_record_upload_index"), ("surveys", "0002_conditions_restrict")]
    )
    organisation = old.get_model("partners", "Organisation").objects.create(
        name="Police", short_name="Police", slug="police-k"
    )
    dataset = old.get_model("incidents", "Dataset").objects.create(
        owner=organisation, name="Extract", slug="extract-k", format="template"
    )
    old.get_model("incidents", "IncidentRecord").objects.bulk_create(
        old.get_model("incidents", "IncidentRecord")(
            dataset=dataset,
            source_ref=f"R{i}",
            occurred_on=dt.date(2023, 1, 1),
            date_precision="month",
            row_hash=f"R{i}",
        )
        for i in range(400)
    )
    survey = old.get_model("surveys", "Survey").objects.create(
        slug="keys",
        title="Keys",
        opens_at=dt.datetime(2023, 1, 1, tzinfo=dt.UTC),
        closes_at=dt.datetime(2023, 2, 1, tzinfo=dt.UTC),
    )
    old.get_model("surveys", "Response").objects.bulk_create(
        old.get_model("surveys", "Response")(
            survey=survey, submitted_at=dt.datetime(2023, 1, 2, tzinfo=dt.UTC)
        )
        for _ in range(400)
    )

    new = migrate([("incidents", "0011_record_cell_key"), ("surveys", "0003_response_cell_key")])
    try:
        _assert_random(
            list(
                new.get_model("incidents", "IncidentRecord").objects.values_list(
                    "cell_key", flat=True
                )
            )
        )
        _assert_random(
            list(new.get_model("surveys", "Response").objects.values_list("cell_key", flat=True))
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
