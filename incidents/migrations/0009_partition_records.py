# ruff: noqa: S608 - SQL built only from the table's own names, read from the catalog.
"""Incident records are partitioned by dataset on PostgreSQL (LIST on dataset_id).

A big import rebuilds its dataset's partition as a plain table and builds the indexes once
(incidents/partitions.py) instead of maintaining four indexes row by row. This migration moves
every record into a partition of its dataset (datasets without records use the default partition
until their first import) keeping every id; the identity sequence carries on from where it was.
The primary key becomes (id, dataset_id), as a partitioned table's must include the partition
key; the unique (dataset_id, source_ref) constraint and the two indexes keep their names and
definitions. Django's model state does not change. Other tables refer to records without database
foreign keys (``db_constraint=False``); the migration refuses to run if one appears.

SQLite: nothing to do. Reversing rebuilds a plain table with PRIMARY KEY (id).
Self-contained SQL: it must not change when app code does.
"""

from django.db import migrations

RECORDS = "incidents_incidentrecord"
UNPARTITIONED = "incidents_incidentrecord_unpartitioned"
PARTITIONED = "incidents_incidentrecord_partitioned"
DEFAULT_PARTITION = "incidents_incidentrecord_default"
LIKE = (
    "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING STORAGE"
    " INCLUDING COMMENTS INCLUDING GENERATED INCLUDING STATISTICS"
)


def _fetch(schema_editor, sql, params=()):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _refuse_foreign_keys(schema_editor):
    referencing = _fetch(
        schema_editor,
        "SELECT conname FROM pg_constraint WHERE contype = 'f' AND confrelid = %s::regclass",
        [RECORDS],
    )
    if referencing:
        raise RuntimeError(f"Foreign keys refer to {RECORDS}: {referencing}")


def _indexes(schema_editor, table):
    """(name, constraint definition or None, index definition) of the table's indexes."""
    return _fetch(
        schema_editor,
        "SELECT c.relname, pg_get_constraintdef(con.oid), pg_get_indexdef(i.indexrelid)"
        " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid"
        " AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u')"
        " WHERE i.indrelid = %s::regclass ORDER BY con.contype NULLS LAST, c.relname",
        [table],
    )


def _columns(schema_editor, table):
    rows = _fetch(
        schema_editor,
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
        " AND NOT attisdropped ORDER BY attnum",
        [table],
    )
    return ", ".join(row[0] for row in rows)


def _move_aside(schema_editor, table, aside):
    """Rename the table and its identity sequence, and drop its indexes to free their names.

    Returns the dropped indexes as (name, constraint definition or None, index definition); the
    index definitions name the table as it was.
    """
    indexes = _indexes(schema_editor, table)
    sequence = _fetch(schema_editor, "SELECT pg_get_serial_sequence(%s, 'id')", [table])[0][0]
    for name, constraint, _definition in indexes:
        if constraint:
            schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        else:
            schema_editor.execute(f"DROP INDEX {name}")
    schema_editor.execute(f"ALTER TABLE {table} RENAME TO {aside}")
    schema_editor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {aside}_id_seq")
    return indexes


def _recreate(schema_editor, indexes, *, primary_key):
    for name, constraint, definition in indexes:
        if constraint and constraint.startswith("PRIMARY KEY"):
            schema_editor.execute(f"ALTER TABLE {RECORDS} ADD CONSTRAINT {name} {primary_key}")
        elif constraint:
            schema_editor.execute(f"ALTER TABLE {RECORDS} ADD CONSTRAINT {name} {constraint}")
        else:
            schema_editor.execute(definition.replace(" ON ONLY ", " ON ", 1))


def _carry_on_sequence(schema_editor, old_table):
    schema_editor.execute(
        f"SELECT setval(pg_get_serial_sequence('{RECORDS}', 'id'), last_value, is_called)"
        f" FROM {old_table}_id_seq"
    )


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _refuse_foreign_keys(schema_editor)
    indexes = _move_aside(schema_editor, RECORDS, UNPARTITIONED)
    schema_editor.execute(
        f"CREATE TABLE {RECORDS} (LIKE {UNPARTITIONED} {LIKE}) PARTITION BY LIST (dataset_id)"
    )
    schema_editor.execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {RECORDS} DEFAULT")
    datasets = _fetch(
        schema_editor,
        "SELECT d.id FROM incidents_dataset d WHERE EXISTS"
        f" (SELECT 1 FROM {UNPARTITIONED} r WHERE r.dataset_id = d.id) ORDER BY d.id",
    )
    for (dataset_id,) in datasets:
        schema_editor.execute(
            f"CREATE TABLE {RECORDS}_d{int(dataset_id)} PARTITION OF {RECORDS}"
            f" FOR VALUES IN ({int(dataset_id)})"
        )
    # Loaded before the indexes exist: each partition's indexes are then built in one pass.
    columns = _columns(schema_editor, UNPARTITIONED)
    schema_editor.execute(
        f"INSERT INTO {RECORDS} ({columns}) OVERRIDING SYSTEM VALUE"
        f" SELECT {columns} FROM {UNPARTITIONED}"
    )
    _recreate(schema_editor, indexes, primary_key="PRIMARY KEY (id, dataset_id)")
    _carry_on_sequence(schema_editor, UNPARTITIONED)
    schema_editor.execute(f"DROP TABLE {UNPARTITIONED}")
    schema_editor.execute(f"ANALYZE {RECORDS}")


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _refuse_foreign_keys(schema_editor)
    indexes = _move_aside(schema_editor, RECORDS, PARTITIONED)
    # LIKE a partitioned table makes a plain one (the partitions' own CHECKs are not copied).
    schema_editor.execute(f"CREATE TABLE {RECORDS} (LIKE {PARTITIONED} {LIKE})")
    columns = _columns(schema_editor, PARTITIONED)
    schema_editor.execute(
        f"INSERT INTO {RECORDS} ({columns}) OVERRIDING SYSTEM VALUE"
        f" SELECT {columns} FROM {PARTITIONED}"
    )
    _recreate(schema_editor, indexes, primary_key="PRIMARY KEY (id)")
    _carry_on_sequence(schema_editor, PARTITIONED)
    schema_editor.execute(f"DROP TABLE {PARTITIONED}")  # and its partitions
    schema_editor.execute(f"ANALYZE {RECORDS}")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0008_priority_bits")]

    operations = [migrations.RunPython(partition, unpartition)]
