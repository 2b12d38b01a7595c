# ruff: noqa: S608 - SQL is built only from the records table's own names (read from the
# catalog or derived from an integer dataset id); values are passed as parameters.
"""The incident records table's partitions, one per dataset (PostgreSQL only).

On PostgreSQL ``incidents_incidentrecord`` is partitioned ``BY LIST (dataset_id)`` (migration
0009): each dataset that has been bulk-imported has its own partition, and every other record sits
in the default partition. Inserting a million rows into a table with its four indexes costs about
half again as much as loading a plain table and building the indexes afterwards, so a big import
rebuilds its dataset's partition as a new plain table (the rows it holds + the new ones), builds
the indexes once, and swaps it in, all in the import's transaction. Small imports insert into the
parent table as before; PostgreSQL routes the rows to the partition.

Django does not know about the partitions: the model, its indexes and its constraints are those
of the parent. On SQLite the table is a plain table and these helpers are no-ops.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, connections
from django.db.backends.utils import truncate_name
from django.db.models.signals import post_delete
from django.dispatch import receiver

from incidents.models import Dataset, IncidentRecord

RECORDS = IncidentRecord._meta.db_table
DEFAULT_PARTITION = f"{RECORDS}_default"
# Below this many new rows an incremental INSERT is cheap enough whatever the partition holds.
REBUILD_MIN_ROWS = 10_000
# Sorting a million index entries in memory rather than in temporary files.
INDEX_BUILD_MEMORY = "256MB"
_MAX_NAME = 63  # PostgreSQL's identifier length
# How long the swap waits for queries already reading the records (PostgreSQL interval).
SWAP_LOCK_TIMEOUT = "30s"
# The advisory lock key of partition rebuilds (7301 is the per-dataset import lock's).
REBUILD_LOCK = 7_302


def partition_name(dataset_id: int) -> str:
    """The name of the dataset's own partition, e.g. ``incidents_incidentrecord_d12``."""
    return f"{RECORDS}_d{int(dataset_id)}"


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def has_partition(dataset_id: int) -> bool:
    """Whether the dataset has a partition of its own (always False on SQLite)."""
    if not _is_postgres():
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_inherits"
            " WHERE inhparent = %s::regclass AND inhrelid = to_regclass(%s))",
            [RECORDS, partition_name(dataset_id)],
        )
        return bool(cursor.fetchone()[0])


def should_rebuild(dataset_id: int, new_rows: int) -> bool:
    """Whether an import of ``new_rows`` records should rebuild the dataset's partition.

    Yes for a dataset's first import (it has no partition yet), and for a bulk load of at least
    ``REBUILD_MIN_ROWS`` rows that is at least twice what the partition holds (measured: a load
    the size of the partition breaks even, and a rebuild holds heavier locks at its swap);
    otherwise the rows are inserted incrementally. Always False on SQLite.
    """
    if not _is_postgres():
        return False
    if not has_partition(dataset_id):
        return True
    if new_rows < REBUILD_MIN_ROWS:
        return False
    limit = new_rows // 2
    with connection.cursor() as cursor:
        # Counting stops one row past the limit: a big partition is not counted to the end.
        cursor.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {partition_name(dataset_id)} LIMIT %s) held",
            [limit + 1],
        )
        return int(cursor.fetchone()[0]) <= limit


def analyze(dataset_id: int) -> None:
    """Give the partition that holds the dataset's records planner statistics if it has none.

    A partition built by ``rebuild_with`` has its row count from building its indexes, and
    autovacuum keeps statistics fresh afterwards; an ANALYZE here would re-read a sample of a
    large partition on every import (half a second for a million records). Never the parent
    table: ANALYZE of a partitioned table reads and locks every partition.
    """
    if not _is_postgres():
        return
    table = partition_name(dataset_id) if has_partition(dataset_id) else DEFAULT_PARTITION
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        if float(cursor.fetchone()[0]) < 0:  # never analysed, vacuumed or indexed
            cursor.execute(f"ANALYZE {table}")


def lock_for_rebuild(dataset_id: int, rows: int) -> None:
    """Serialise the imports that may rebuild a partition, for the rest of the transaction.

    Taken before an import first reads the records table, when its ``rows`` could make
    ``should_rebuild`` true. Two rebuilds at once could deadlock: each would hold the share locks
    its reads took while waiting for the exclusive lock its swap needs (DROP of the old partition
    locks the parent; ATTACH locks the default partition). Small imports into datasets that have
    their partition never take it, so they run side by side.
    """
    if not _is_postgres():
        return
    if has_partition(dataset_id) and rows < REBUILD_MIN_ROWS:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [REBUILD_LOCK, 0])


def _columns(cursor: Any) -> list[str]:
    """The records table's columns, in table order."""
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
        " AND NOT attisdropped ORDER BY attnum",
        [RECORDS],
    )
    return [row[0] for row in cursor.fetchall()]


def _index_statements(cursor: Any, table: str) -> list[tuple[str, str]]:
    """(suffix, SQL) building on ``table`` each index the parent's partitioned indexes expect.

    Read from the catalog, so they stay identical to the parent's (whatever later migrations make
    of them) and ATTACH PARTITION adopts them instead of building its own. An index backing a
    primary key or unique constraint is made as that constraint, as ATTACH requires.
    """
    cursor.execute(
        "SELECT c.relname, i.indisunique, pg_get_indexdef(i.indexrelid),"
        " pg_get_constraintdef(con.oid)"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid"
        " AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u')"
        " WHERE i.indrelid = %s::regclass ORDER BY c.relname",
        [RECORDS],
    )
    statements = []
    for parent_index, unique, index_def, constraint_def in cursor.fetchall():
        suffix = parent_index.removeprefix(f"{RECORDS}_").removeprefix("incidentrecord_")
        name = truncate_name(f"{table}_{suffix}", _MAX_NAME)
        if constraint_def:
            sql = f"ALTER TABLE {table} ADD CONSTRAINT {name} {constraint_def}"
        else:
            method = index_def.split(" USING ", 1)[1]
            kind = "UNIQUE INDEX" if unique else "INDEX"
            sql = f"CREATE {kind} {name} ON {table} USING {method}"
        statements.append((suffix, sql))
    return statements


def rebuild_with(*, dataset_id: int, columns: list[str], select_sql: str, params: list[Any]) -> int:
    """Rebuild the dataset's partition with its records plus the rows ``select_sql`` yields.

    ``select_sql`` yields exactly ``columns`` (which include ``dataset_id``), in order; each new
    row gets the next id of the records' identity. The records the dataset has keep their ids.
    The new partition is loaded without indexes, indexed and only then swapped in, so
    the locks that block readers of the records table (taken by DROP of the old partition, or on
    the default partition by ATTACH) are held from the swap until the caller's commit only.
    Returns the number of rows inserted from ``select_sql``. Must run inside the import's
    transaction, with the dataset locked. PostgreSQL only.
    """
    if not _is_postgres():
        raise RuntimeError("Only PostgreSQL partitions the incident records.")
    dataset_id = int(dataset_id)
    final = partition_name(dataset_id)
    new = f"{final}_new"
    existing = has_partition(dataset_id)
    with connection.cursor() as cursor:
        table_columns = _columns(cursor)
        unknown = [c for c in columns if c not in table_columns or c == "id"]
        if unknown or "dataset_id" not in columns:
            raise ValueError(f"Columns must be record columns with dataset_id, not id: {unknown}")
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [RECORDS])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [INDEX_BUILD_MEMORY])
        # No identity (ids come from the parent's) and no indexes yet. The CHECK makes every row
        # prove it belongs here as it is written, and lets ATTACH skip its validating scan.
        cursor.execute(
            f"CREATE TABLE {new} (LIKE {RECORDS} INCLUDING DEFAULTS INCLUDING CONSTRAINTS"
            f" INCLUDING STORAGE, CONSTRAINT {truncate_name(f'{final}_dataset', _MAX_NAME)}"
            f" CHECK (dataset_id = {dataset_id}))"
        )
        every = ", ".join(table_columns)
        if existing:
            # Writers that do not take the dataset's lock must not change rows being copied
            # (their change would be dropped with the old partition); readers carry on.
            cursor.execute(f"LOCK TABLE {final} IN SHARE MODE")
            cursor.execute(f"INSERT INTO {new} ({every}) SELECT {every} FROM {final}")
        else:
            # Moved, not copied: DELETE … RETURNING locks each row as it takes it.
            cursor.execute(
                f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE dataset_id = %s"
                f" RETURNING {every}) INSERT INTO {new} ({every}) SELECT {every} FROM moved",
                [dataset_id],
            )
        cursor.execute(
            f"INSERT INTO {new} (id, {', '.join(columns)})"
            f" SELECT nextval(%s::regclass), q.* FROM ({select_sql}) q",
            [sequence, *params],
        )
        inserted = cursor.rowcount
        indexes = _index_statements(cursor, new)
        for _suffix, sql in indexes:
            cursor.execute(sql)
        # No ANALYZE here: building the indexes has set the row count the planner needs first,
        # autovacuum analyses the new partition soon after the commit, and the next import
        # analyses it before it compares rows (``analyze``).
        # The swap: from here to the caller's commit, other sessions wait on the records table
        # (its partition being dropped) or on the default partition (scanned by ATTACH). Its
        # locks must first wait for queries already reading those tables, and every new reader
        # queues behind them: a long report would stall the records table for everyone. So the
        # wait is bounded; past it the import fails as a transient error and the worker retries.
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [SWAP_LOCK_TIMEOUT])
        if existing:
            cursor.execute(f"DROP TABLE {final}")
        cursor.execute(f"ALTER TABLE {RECORDS} ATTACH PARTITION {new} FOR VALUES IN ({dataset_id})")
        cursor.execute(f"ALTER TABLE {new} RENAME TO {final}")
        for suffix, _sql in indexes:
            cursor.execute(
                f"ALTER INDEX {truncate_name(f'{new}_{suffix}', _MAX_NAME)}"
                f" RENAME TO {truncate_name(f'{final}_{suffix}', _MAX_NAME)}"
            )
    return inserted


@receiver(post_delete, sender=Dataset, dispatch_uid="incidents.partitions.drop_partition")
def drop_partition(sender: type[Dataset], instance: Dataset, using: str, **kwargs: Any) -> None:
    """A deleted dataset's partition goes with it (it is empty: records protect their dataset)."""
    if connections[using].vendor != "postgresql":
        return
    with connections[using].cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {partition_name(instance.pk)}")
