"""Incident records partitioned by dataset (incidents/partitions.py, migration 0009).

PostgreSQL only, except the first test: SQLite keeps one plain table and the helpers do nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from incidents import partitions
from incidents.models import IncidentRecord
from tests.incidents.factories import DatasetFactory, RecordFactory

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="only PostgreSQL partitions the records table (CI runs this module there too)",
)

RECORDS = IncidentRecord._meta.db_table
# What an import's select yields: every NOT NULL column without a default, and the dataset.
COLUMNS = [
    "dataset_id", "source_ref", "occurred_on", "date_precision", "outside_area", "location_text",
    "location_type", "weapon", "victim_age_band", "victim_sex", "suspect_age_band", "suspect_sex",
    "injury_severity", "outcome", "offence_code", "row_hash", "priority_bits", "cell_key",
]  # fmt: skip
# The parent's index names (Django's) and the names the partitions' indexes get.
DJANGO_INDEXES = {f"{RECORDS}_pkey", "one_record_per_source_ref", "incidentrecord_dataset_month"}
# Before migration 0010 dropped it, records also had an (upload) index.
INDEXES_AT_0008 = DJANGO_INDEXES | {"incidentrecord_upload"}
PARTITION_INDEX_SUFFIXES = ("pkey", "one_record_per_source_ref", "dataset_month")
SELECT = (
    "SELECT %s::bigint, %s || g, date '2022-03-01', 'month', false, '', 'unknown', 'unknown',"
    " 'unknown', 'unknown', 'unknown', 'unknown', 'unknown', '', '', md5(g::text), 0::bigint,"
    " (g %% 256)::smallint"
    " FROM generate_series(1, %s) g"
)


def rebuild(dataset_id: int, rows: int, prefix: str = "NEW-") -> int:
    return partitions.rebuild_with(
        dataset_id=dataset_id, columns=COLUMNS, select_sql=SELECT, params=[dataset_id, prefix, rows]
    )


def fetch(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def records() -> dict[int, tuple[int, str]]:
    """id → (dataset, source_ref) of every record."""
    return {
        pk: (ds, ref) for pk, ds, ref in fetch(f"SELECT id, dataset_id, source_ref FROM {RECORDS}")
    }


def home(dataset_id: int) -> set[str]:
    """The tables holding the dataset's records."""
    sql = f"SELECT DISTINCT tableoid::regclass::text FROM {RECORDS} WHERE dataset_id = %s"
    return {row[0] for row in fetch(sql, [dataset_id])}


def sequence_position() -> tuple[int, bool]:
    sequence = fetch("SELECT pg_get_serial_sequence(%s, 'id')", [RECORDS])[0][0]
    return fetch(f"SELECT last_value, is_called FROM {sequence}")[0]


def indexes_of(table: str) -> set[str]:
    return {
        row[0] for row in fetch("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
    }


def attached_indexes(table: str) -> int:
    """How many of the table's indexes are partitions of the records table's indexes."""
    return fetch(
        "SELECT count(*) FROM pg_index x JOIN pg_inherits i ON i.inhrelid = x.indexrelid"
        " JOIN pg_index parent ON parent.indexrelid = i.inhparent"
        " WHERE x.indrelid = %s::regclass AND parent.indrelid = %s::regclass",
        [table, RECORDS],
    )[0][0]


def exists(table: str) -> bool:
    return fetch("SELECT to_regclass(%s) IS NOT NULL", [table])[0][0]


@pytest.fixture
def dataset():
    return DatasetFactory()


@pytest.fixture
def other_dataset():
    return DatasetFactory()


@pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="checks that SQLite keeps one plain table; the other tests here cover PostgreSQL",
)
def test_sqlite_has_one_plain_table_and_the_helpers_do_nothing(dataset):
    RecordFactory(dataset=dataset)
    assert not partitions.has_partition(dataset.pk)
    assert not partitions.should_rebuild(dataset.pk, 1_000_000)
    partitions.analyze(dataset.pk)
    with pytest.raises(RuntimeError):
        rebuild(dataset.pk, 3)
    dataset.records.all().delete()
    dataset.delete()


@postgres_only
def test_first_rebuild_moves_the_datasets_rows_out_of_the_default_partition(dataset, other_dataset):
    kept = [RecordFactory(dataset=dataset).pk for _ in range(2)]
    elsewhere = RecordFactory(dataset=other_dataset).pk
    assert home(dataset.pk) == {partitions.DEFAULT_PARTITION}
    assert not partitions.has_partition(dataset.pk)

    assert rebuild(dataset.pk, 3) == 3

    name = partitions.partition_name(dataset.pk)
    assert partitions.has_partition(dataset.pk)
    assert home(dataset.pk) == {name}
    assert home(other_dataset.pk) == {partitions.DEFAULT_PARTITION}
    mine = {pk: ref for pk, (ds, ref) in records().items() if ds == dataset.pk}
    assert len(mine) == 5 and set(kept) < set(mine)
    assert min(pk for pk in mine if pk not in kept) > max(kept + [elsewhere])
    assert sorted(ref for ref in mine.values() if ref.startswith("NEW-")) == [
        "NEW-1",
        "NEW-2",
        "NEW-3",
    ]
    # The three indexes were built on the new table and adopted by the parent's (no duplicates).
    parent_indexes = len(indexes_of(RECORDS))
    assert indexes_of(name) == {f"{name}_{suffix}" for suffix in PARTITION_INDEX_SUFFIXES}
    assert attached_indexes(name) == parent_indexes == len(DJANGO_INDEXES)


@postgres_only
def test_the_unique_source_ref_still_holds_after_a_rebuild(dataset):
    rebuild(dataset.pk, 3)
    with pytest.raises(IntegrityError, match="one_record_per_source_ref"), transaction.atomic():
        RecordFactory(dataset=dataset, source_ref="NEW-2")


@postgres_only
def test_records_written_later_go_to_the_partition_and_ids_carry_on(dataset):
    rebuild(dataset.pk, 3)
    highest = max(records())
    later = RecordFactory(dataset=dataset)
    assert later.pk == highest + 1
    assert home(dataset.pk) == {partitions.partition_name(dataset.pk)}
    assert IncidentRecord.objects.get(pk=later.pk).source_ref == later.source_ref


@postgres_only
def test_a_second_bulk_load_keeps_the_records_already_there(dataset):
    rebuild(dataset.pk, 3)
    before = records()
    assert rebuild(dataset.pk, 4, prefix="MORE-") == 4
    after = records()
    assert {pk: v for pk, v in after.items() if pk in before} == before
    assert len(after) == 7
    name = partitions.partition_name(dataset.pk)
    assert home(dataset.pk) == {name}
    assert attached_indexes(name) == len(DJANGO_INDEXES)
    assert not exists(f"{name}_new")


@postgres_only
def test_a_failed_first_rebuild_leaves_the_records_as_they_were(dataset):
    RecordFactory(dataset=dataset, source_ref="NEW-1")
    before, position = records(), sequence_position()
    with pytest.raises(IntegrityError), transaction.atomic():
        rebuild(dataset.pk, 3)  # NEW-1 twice
    assert records() == before
    assert home(dataset.pk) == {partitions.DEFAULT_PARTITION}
    assert not partitions.has_partition(dataset.pk)
    assert not exists(f"{partitions.partition_name(dataset.pk)}_new")
    assert sequence_position()[0] >= position[0]  # sequences never go back; ids stay unique


@postgres_only
def test_a_failed_second_rebuild_leaves_the_partition_as_it_was(dataset):
    rebuild(dataset.pk, 3)
    name = partitions.partition_name(dataset.pk)
    before, indexes = records(), indexes_of(name)
    with pytest.raises(IntegrityError), transaction.atomic():
        rebuild(dataset.pk, 5)  # NEW-1 … NEW-3 are there already
    assert records() == before
    assert home(dataset.pk) == {name}
    assert indexes_of(name) == indexes
    assert attached_indexes(name) == len(DJANGO_INDEXES)


@postgres_only
def test_rows_of_another_dataset_are_refused(dataset, other_dataset):
    with pytest.raises(IntegrityError), transaction.atomic():
        partitions.rebuild_with(
            dataset_id=dataset.pk,
            columns=COLUMNS,
            select_sql=SELECT,
            params=[other_dataset.pk, "X-", 2],
        )
    assert not partitions.has_partition(dataset.pk)


@postgres_only
def test_columns_must_be_the_records_own(dataset):
    with pytest.raises(ValueError):
        partitions.rebuild_with(
            dataset_id=dataset.pk, columns=["id", *COLUMNS], select_sql=SELECT, params=[]
        )


@postgres_only
def test_should_rebuild_on_a_first_import_or_a_load_twice_the_partition(dataset):
    RecordFactory(dataset=dataset)
    assert partitions.should_rebuild(dataset.pk, 1)  # no partition of its own yet
    rebuild(dataset.pk, 12_000)  # holds 12,001 rows
    assert not partitions.should_rebuild(dataset.pk, 9_999)
    assert not partitions.should_rebuild(dataset.pk, 12_001)
    assert not partitions.should_rebuild(dataset.pk, 24_001)
    assert partitions.should_rebuild(dataset.pk, 24_002)
    IncidentRecord.objects.filter(dataset=dataset, source_ref__startswith="NEW-1").delete()
    held = IncidentRecord.objects.filter(dataset=dataset).count()
    assert 5_000 < held < 10_000
    assert not partitions.should_rebuild(dataset.pk, 9_999)  # small loads always add rows
    assert not partitions.should_rebuild(dataset.pk, 2 * held - 1)
    assert partitions.should_rebuild(dataset.pk, 2 * held)


@postgres_only
def test_queries_by_dataset_read_its_partition_only_and_ids_use_an_index(dataset, other_dataset):
    rebuild(dataset.pk, 3)
    rebuild(other_dataset.pk, 3)
    by_dataset = IncidentRecord.objects.filter(dataset=dataset, occurred_on__year=2022)
    plan = by_dataset.explain()
    assert partitions.partition_name(dataset.pk) in plan
    assert partitions.partition_name(other_dataset.pk) not in plan
    assert partitions.DEFAULT_PARTITION not in plan
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables: ask whether it can
        plan = IncidentRecord.objects.filter(pk=1).explain()
    assert f"{partitions.partition_name(dataset.pk)}_pkey" in plan


@postgres_only
def test_analyze_gives_statistics_only_to_a_partition_without_them(dataset):
    rebuild(dataset.pk, 3)
    for _ in range(4):
        RecordFactory(dataset=dataset)
    name = partitions.partition_name(dataset.pk)

    def row_estimate() -> float:
        return fetch("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [name])[0][0]

    partitions.analyze(dataset.pk)
    assert row_estimate() == 3  # from building its indexes: not read again
    # As if the partition had never been analysed (the tests run as a superuser).
    fetch("UPDATE pg_class SET reltuples = -1 WHERE oid = %s::regclass RETURNING 1", [name])
    partitions.analyze(dataset.pk)
    assert row_estimate() == 7


@postgres_only
def test_deleting_a_dataset_drops_its_partition(dataset):
    rebuild(dataset.pk, 2)
    name = partitions.partition_name(dataset.pk)
    dataset.records.all().delete()
    dataset.delete()
    assert not exists(name)


@postgres_only
def test_the_migration_keeps_every_record_id_and_the_sequence_both_ways(dataset, other_dataset):
    RecordFactory(dataset=dataset)
    rebuild(dataset.pk, 3)
    RecordFactory(dataset=other_dataset)  # in the default partition
    empty = DatasetFactory()
    before, position = records(), sequence_position()

    executor = MigrationExecutor(connection)
    executor.migrate([("incidents", "0008_priority_bits")])
    assert fetch("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [RECORDS]) == [("r",)]
    assert fetch(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
        [f"{RECORDS}_pkey"],
    ) == [("PRIMARY KEY (id)",)]
    assert indexes_of(RECORDS) == INDEXES_AT_0008
    assert not exists(partitions.DEFAULT_PARTITION)
    assert records() == before
    assert sequence_position() == position

    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert fetch("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [RECORDS]) == [("p",)]
    assert fetch(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
        [f"{RECORDS}_pkey"],
    ) == [("PRIMARY KEY (id, dataset_id)",)]
    assert indexes_of(RECORDS) == DJANGO_INDEXES
    assert records() == before
    assert sequence_position() == position
    # Every dataset with records has its own partition; the default one is empty.
    assert home(dataset.pk) == {partitions.partition_name(dataset.pk)}
    assert home(other_dataset.pk) == {partitions.partition_name(other_dataset.pk)}
    assert not partitions.has_partition(empty.pk)
    assert fetch(f"SELECT count(*) FROM {partitions.DEFAULT_PARTITION}") == [(0,)]
    assert RecordFactory(dataset=empty).pk == max(before) + 1
    with pytest.raises(IntegrityError), transaction.atomic():
        RecordFactory(dataset=dataset, source_ref="NEW-1")
    # The partitions the migration made are rebuilt like any other.
    assert rebuild(other_dataset.pk, 2) == 2
    assert attached_indexes(partitions.partition_name(other_dataset.pk)) == len(DJANGO_INDEXES)


def _rebuild_lock_held() -> bool:
    return bool(
        fetch(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
            " AND pid = pg_backend_pid() AND classid = %s AND objid = 0)",
            [partitions.REBUILD_LOCK],
        )[0][0]
    )


@postgres_only
@pytest.mark.django_db(transaction=True)  # advisory locks end with the transaction, not a savepoint
def test_imports_that_may_rebuild_take_the_rebuild_lock_and_small_ones_do_not(dataset):
    with transaction.atomic():
        partitions.lock_for_rebuild(dataset.pk, 5)  # no partition yet: its first import rebuilds
        assert _rebuild_lock_held()
    rebuild(dataset.pk, 3)
    with transaction.atomic():
        partitions.lock_for_rebuild(dataset.pk, partitions.REBUILD_MIN_ROWS - 1)
        assert not _rebuild_lock_held()
        partitions.lock_for_rebuild(dataset.pk, partitions.REBUILD_MIN_ROWS)
        assert _rebuild_lock_held()
    assert not _rebuild_lock_held()  # released with the transaction


@postgres_only
@pytest.mark.django_db(transaction=True)  # a second connection must see the partition
def test_a_swap_that_waits_too_long_for_readers_fails_and_changes_nothing(dataset, monkeypatch):
    import psycopg2
    from django.db import OperationalError

    rebuild(dataset.pk, 3)
    reader = psycopg2.connect(**connection.get_connection_params())
    try:
        with reader.cursor() as cursor:  # a long report, still reading the records
            cursor.execute(f"SELECT count(*) FROM {RECORDS} WHERE dataset_id = %s", [dataset.pk])
        monkeypatch.setattr(partitions, "SWAP_LOCK_TIMEOUT", "200ms")
        with pytest.raises(OperationalError) as refused, transaction.atomic():
            # A guard so that, were the swap's wait unbounded, the test fails instead of hanging.
            fetch("SELECT set_config('statement_timeout', '10s', true)")
            rebuild(dataset.pk, 5, prefix="MORE-")
        assert refused.value.__cause__.pgcode == "55P03"  # lock_not_available, not the guard
    finally:
        reader.rollback()
        reader.close()
    assert IncidentRecord.objects.filter(dataset=dataset).count() == 3
    assert not exists(f"{partitions.partition_name(dataset.pk)}_new")
    with transaction.atomic():  # once the report is done
        assert rebuild(dataset.pk, 5, prefix="MORE-") == 5
