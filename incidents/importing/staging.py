# ruff: noqa: S608 - SQL is built only from model table/column names held in code; values are
# always passed as parameters.
"""The staging table and the set-based SQL that validates and writes from it.

PostgreSQL: normalised rows are COPYed (psycopg2 ``copy_expert``) into a temporary table; duplicates
are found with GROUP BY, changes by comparing ``row_hash``, and records are written with
INSERT … SELECT, UPDATE … FROM and INSERT … SELECT for their versions — no per-row round trips.
SQLite: the same statements, with the staging table filled by ``executemany`` in chunks.
"""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass
from typing import Any

from django.db import connection

from core.disclosure import record_key_sql
from incidents import partitions
from incidents.models import (
    CrimeCategory,
    IncidentRecord,
    Lsoa,
    RecordVersion,
    Upload,
)

from .normalise import RECORD_COLUMNS, STAGE_COLUMNS

STAGE = "incidents_import_stage"
CHECKED_PREFIX = "incidents_checked_"
CHUNK_ROWS = 20_000

_PG_TYPES = {
    "row_no": "integer",
    "source_ref": "varchar(100)",
    "occurred_on": "date",
    "occurred_at": "timestamp",
    "date_precision": "varchar(10)",
    "category_id": "integer",
    "lsoa_id": "integer",
    "outside_area": "boolean",
    "location_text": "varchar(255)",
    "latitude": "numeric(9,6)",
    "longitude": "numeric(9,6)",
    "location_type": "varchar(20)",
    "weapon": "varchar(10)",
    "domestic_abuse": "boolean",
    "alcohol_involved": "boolean",
    "exploitation": "boolean",
    "victim_age_band": "varchar(10)",
    "victim_sex": "varchar(10)",
    "suspect_age_band": "varchar(10)",
    "suspect_sex": "varchar(10)",
    "injury_severity": "varchar(10)",
    "outcome": "varchar(200)",
    "offence_code": "varchar(40)",
    "row_hash": "varchar(40)",
}
# Columns that are NOT NULL text in the record table (COPY reads an empty field as NULL).
_TEXT_NOT_NULL = {"location_text", "outcome", "offence_code"}

RECORDS = IncidentRecord._meta.db_table
VERSIONS = RecordVersion._meta.db_table


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@dataclass
class Counts:
    total: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    outside_area: int = 0
    no_area: int = 0


# Rows without a known area: no LSOA, and not known to be outside (e.g. police.uk "No Location").
def _no_area_sum(alias: str = "") -> str:
    return f"SUM(CASE WHEN {alias}lsoa_id IS NULL AND NOT {alias}outside_area THEN 1 ELSE 0 END)"


def checked_table(upload_id: int) -> str:
    """The name of the table that keeps an upload's checked rows until it is imported."""
    return f"{CHECKED_PREFIX}{int(upload_id)}"


class Stage:
    """A table of one file's normalised rows, on the default connection.

    By default a temporary table that disappears with the transaction. ``keep=True`` (PostgreSQL
    only) makes it an UNLOGGED table named after the upload that outlives the check, so the
    import can write from it instead of reading and converting the file again (see
    ``reuse_checked``); it is dropped by the import, by a refusal, or by the daily clean-up.
    """

    def __init__(self, *, name: str = STAGE, keep: bool = False) -> None:
        self.name = name
        self.keep = keep and is_postgres()
        self.pending: list[tuple[Any, ...]] = []
        self.rows = 0
        # existing_id / existing_hash filled in this transaction (see ``counts(mark=True)``).
        self.marked = False

    def __enter__(self) -> Stage:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.name}")
            if is_postgres():
                columns = ", ".join(f"{c} {_PG_TYPES[c]}" for c in STAGE_COLUMNS)
                columns += ", existing_id bigint, existing_hash varchar(40)"
                if self.keep:
                    # Unlogged: no WAL for rows that are only a cache of the file (a crash
                    # empties it, and the import then reads the file again).
                    cursor.execute(f"CREATE UNLOGGED TABLE {self.name} ({columns})")
                else:
                    # ON COMMIT DROP: the table never outlives the transaction that filled it.
                    cursor.execute(f"CREATE TEMPORARY TABLE {self.name} ({columns}) ON COMMIT DROP")
            else:
                columns = ", ".join([*STAGE_COLUMNS, "existing_id", "existing_hash"])
                cursor.execute(f"CREATE TEMP TABLE {self.name} ({columns})")
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        # On an error the transaction's rollback removes the table (DDL is transactional in
        # both databases); a statement now could only fail again.
        if exc_type is None and not self.keep:
            self.drop()

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.name}")

    @classmethod
    def reuse_checked(cls, upload_id: int, rows: int) -> Stage | None:
        """The checked rows of an upload, if the check kept them whole (PostgreSQL)."""
        if not is_postgres():
            return None
        name = checked_table(upload_id)
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [name])
            if cursor.fetchone()[0] is None:
                return None
            # A crash empties an unlogged table (it is otherwise complete: the check filled it
            # in the transaction that created it), so an empty one is not used.
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {name})")
            if not cursor.fetchone()[0] and rows:
                return None
            # SHARE: no other session may change or drop it (the daily clean-up waits), but
            # another connection may read it (ReferenceScan).
            cursor.execute(f"LOCK TABLE {name} IN SHARE MODE")
        stage = cls(name=name, keep=True)
        stage.rows = rows
        return stage

    def add(self, row: tuple[Any, ...]) -> bool:
        """Queue one row; True when a chunk was flushed."""
        self.pending.append(row)
        if len(self.pending) >= CHUNK_ROWS:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        if not self.pending:
            return
        with connection.cursor() as cursor:
            if is_postgres():
                buffer = io.StringIO()
                csv.writer(buffer, lineterminator="\n").writerows(self.pending)
                buffer.seek(0)
                cursor.copy_expert(
                    f"COPY {self.name} ({', '.join(STAGE_COLUMNS)}) FROM STDIN WITH (FORMAT csv)",
                    buffer,
                )
            else:
                marks = ", ".join(["%s"] * len(STAGE_COLUMNS))
                cursor.executemany(
                    f"INSERT INTO {self.name} ({', '.join(STAGE_COLUMNS)}) VALUES ({marks})",
                    self.pending,
                )
        self.rows += len(self.pending)
        self.pending = []

    def finish_loading(self) -> None:
        """Flush, index and (PostgreSQL) analyse the table so the planner joins it well."""
        self.flush()
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE INDEX {self.name}_ref ON {self.name} (source_ref)")
            if is_postgres():
                # Only the join and grouping columns: sampling all of them costs more.
                cursor.execute(f"ANALYZE {self.name} (source_ref, row_no, outside_area)")

    # -- set-based validation ------------------------------------------------
    def duplicates(self, limit: int = 100_000) -> list[tuple[int, str, int]]:
        """(row, reference, first row) for each row repeating a reference used earlier."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.row_no, s.source_ref, f.first_row FROM {self.name} s JOIN ("
                f" SELECT source_ref, MIN(row_no) AS first_row FROM {self.name}"
                "  GROUP BY source_ref HAVING COUNT(*) > 1"
                ") f ON f.source_ref = s.source_ref"
                " WHERE s.row_no <> f.first_row ORDER BY s.row_no LIMIT %s",
                [limit],
            )
            return [(int(r), str(ref), int(first)) for r, ref, first in cursor.fetchall()]

    def counts(
        self,
        dataset_id: int,
        *,
        outside_area: int | None = None,
        no_area: int = 0,
        mark: bool = False,
    ) -> Counts:
        """New, changed, unchanged, outside-area and no-area rows, against the dataset's records.

        ``outside_area`` and ``no_area``: the counts the check made of these very rows (kept
        checked rows), so a dataset's first import need not read them again. ``mark=True`` (the
        import, under the dataset's lock) first notes each staged row's record, which ``write``
        then uses: the records are joined once, not twice.
        """
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {RECORDS} WHERE dataset_id = %s LIMIT 1", [dataset_id])
            if cursor.fetchone() is None:
                # The dataset has no records yet (its first import): every row is new.
                self.marked = mark
                if outside_area is not None:
                    return Counts(
                        total=self.rows, new=self.rows, outside_area=outside_area, no_area=no_area
                    )
                cursor.execute(
                    f"SELECT COUNT(*), SUM(CASE WHEN outside_area THEN 1 ELSE 0 END),"
                    f" {_no_area_sum()} FROM {self.name}"
                )
                total, outside, none = cursor.fetchone()
                return Counts(
                    total=int(total),
                    new=int(total),
                    outside_area=int(outside or 0),
                    no_area=int(none or 0),
                )
        # Statistics where there are none yet: with none, PostgreSQL could join the staged rows
        # to the records with a nested loop over a sequential scan (quadratic).
        partitions.analyze(dataset_id)
        with connection.cursor() as cursor:
            if mark:
                # Each row's record is noted once; the counts then read only the staged rows.
                self._mark_existing(cursor, dataset_id)
                found, found_hash = "s.existing_id", "s.existing_hash"
                source, params = f"{self.name} s", []
            else:
                found, found_hash = "r.id", "r.row_hash"
                source = (
                    f"{self.name} s LEFT JOIN {RECORDS} r"
                    " ON r.dataset_id = %s AND r.source_ref = s.source_ref"
                )
                params = [dataset_id]
            cursor.execute(
                f"SELECT COUNT(*), SUM(CASE WHEN {found} IS NULL THEN 1 ELSE 0 END),"
                f" SUM(CASE WHEN {found} IS NOT NULL AND {found_hash} <> s.row_hash"
                " THEN 1 ELSE 0 END),"
                f" SUM(CASE WHEN {found} IS NOT NULL AND {found_hash} = s.row_hash"
                " THEN 1 ELSE 0 END),"
                f" SUM(CASE WHEN s.outside_area THEN 1 ELSE 0 END),"
                f" {_no_area_sum('s.')}"
                f" FROM {source}",
                params,
            )
            total, new, changed, unchanged, outside, none = cursor.fetchone()
        return Counts(
            total=int(total or 0),
            new=int(new or 0),
            changed=int(changed or 0),
            unchanged=int(unchanged or 0),
            outside_area=int(outside or 0),
            no_area=int(none or 0),
        )

    def _mark_existing(self, cursor: Any, dataset_id: int) -> None:
        """Note on each staged row the id and hash of the record it would update, if any."""
        cursor.execute(
            f"UPDATE {self.name} AS s SET existing_id = r.id, existing_hash = r.row_hash"
            f" FROM {RECORDS} r WHERE r.dataset_id = %s AND r.source_ref = s.source_ref",
            [dataset_id],
        )
        self.marked = True

    # -- set-based writes ----------------------------------------------------
    def write(self, *, dataset_id: int, upload_id: int, counts: Counts | None = None) -> None:
        """Upsert the staged rows into the dataset's records; changed records keep a version.

        The records' priority bits are computed in the statements that write them: the staged rows
        are selected as a subquery named like the records table, so the rules' SQL (written for
        records) reads them directly.
        """
        from incidents.priorities import bits_sql

        pg = is_postgres()
        previous_cols = [c for c in RECORD_COLUMNS] + ["upload_id", "priority_bits"]
        json_fn = "jsonb_build_object" if pg else "json_object"
        previous = f"{json_fn}(" + ", ".join(f"'{c}', r.{c}" for c in previous_cols) + ")"

        def value(column: str) -> str:
            if column == "occurred_at" and pg:
                return "s.occurred_at AT TIME ZONE 'UTC'"
            if column in _TEXT_NOT_NULL:
                return f"COALESCE(s.{column}, '')"
            return f"s.{column}"

        bits, bits_params = bits_sql()
        staged = connection.ops.quote_name(RECORDS)  # the staged rows, named as records
        converted = ", ".join(f"{value(c)} AS {c}" for c in RECORD_COLUMNS)

        # (The caller has just counted the rows with ``counts``, which refreshed the statistics.)
        # The kept checked rows are committed, so a second connection lists the categories and
        # areas they use while this one writes (the two cores work at once); a temporary stage
        # is listed by this connection when the writes are done.
        scan = ReferenceScan(self.name) if self.keep else None
        by_id = f"r.dataset_id = %s AND r.id = {staged}.existing_id"
        with connection.cursor() as cursor:
            # 0. Which staged rows already have a record, read once before anything is written:
            #    no later statement joins the records table to itself while writing it.
            if not self.marked:
                self._mark_existing(cursor, dataset_id)
            # 1. What each changed record looked like before, so the upload can be withdrawn.
            #    (Statements 1 and 2 are skipped when the counts, taken under the dataset's
            #    lock with the marks, say no record changes.)
            changed = counts is None or counts.changed > 0
            if changed:
                cursor.execute(
                    f"INSERT INTO {VERSIONS} (upload_id, record_id, created, previous)"
                    f" SELECT %s, r.id, %s, {previous}"
                    f" FROM {self.name} s JOIN {RECORDS} r"
                    " ON r.dataset_id = %s AND r.id = s.existing_id"
                    " WHERE s.existing_hash <> s.row_hash",
                    [upload_id, False, dataset_id],
                )
                # 2. Changed records, updated in place (before the new ones are added, so a
                #    rebuilt partition copies them as they now are).
                assignments = ", ".join(f"{c} = {staged}.{c}" for c in RECORD_COLUMNS)
                cursor.execute(
                    f"UPDATE {RECORDS} AS r SET {assignments}, upload_id = %s,"
                    f" priority_bits = {bits}"
                    f" FROM (SELECT s.existing_id, {converted} FROM {self.name} s"
                    f"  WHERE s.existing_hash <> s.row_hash) AS {staged}"
                    f" WHERE {by_id}",
                    [upload_id, *bits_params, dataset_id],
                )
            # 3. New records, each with a fixed random key for the cell key method, drawn here
            #    once (statement 2 never touches it: a re-imported record keeps its key).
            columns = [
                "dataset_id",
                "source_ref",
                *RECORD_COLUMNS,
                "upload_id",
                "priority_bits",
                "cell_key",
            ]
            select = (
                f"SELECT %s, {staged}.source_ref, "
                + ", ".join(f"{staged}.{c}" for c in RECORD_COLUMNS)
                + f", %s, {bits}, {record_key_sql(connection.vendor)}"
                f" FROM (SELECT s.source_ref, {converted} FROM {self.name} s"
                f"  WHERE s.existing_id IS NULL) AS {staged}"
            )
            params = [dataset_id, upload_id, *bits_params]
            if counts is not None:
                new_rows = counts.new
            else:
                cursor.execute(f"SELECT COUNT(*) FROM {self.name} WHERE existing_id IS NULL")
                new_rows = int(cursor.fetchone()[0])
            if new_rows and partitions.should_rebuild(dataset_id, new_rows):
                # PostgreSQL, a dataset's first import or a bulk load: its partition is built
                # afresh, indexed once after loading (about half the cost of inserting into it).
                partitions.rebuild_with(
                    dataset_id=dataset_id, columns=columns, select_sql=select, params=params
                )
            elif new_rows:
                cursor.execute(f"INSERT INTO {RECORDS} ({', '.join(columns)}) {select}", params)
            # No version rows for the records this upload created: they are the records still
            # carrying its upload_id once withdrawal has restored the changed ones (withdrawal
            # is refused while a later upload of the dataset is imported).
        # Every category and area the rows use must exist and stay until the commit.
        lock_references(
            dataset_id=dataset_id,
            upload_id=upload_id,
            stage=self.name,
            pairs=scan.result() if scan is not None else None,
        )


class ReferenceGone(Exception):
    """A category or area the staged rows refer to was deleted while the file was importing."""


class ReferenceScan:
    """``SELECT DISTINCT category_id, lsoa_id`` of a committed table, on its own connection.

    Runs in a thread (psycopg2 releases the GIL while it waits for the server) so the server
    scans on one core while the import's connection writes on the other. Any failure here only
    means the import lists them itself.
    """

    def __init__(self, table: str) -> None:
        self._pairs: list[tuple[Any, Any]] | None = None
        self._thread = threading.Thread(target=self._run, args=(table,), daemon=True)
        self._thread.start()

    def _run(self, table: str) -> None:
        try:
            import psycopg2

            conn = psycopg2.connect(**connection.get_connection_params())
            try:
                with conn.cursor() as cursor:
                    cursor.execute(f"SELECT DISTINCT category_id, lsoa_id FROM {table}")
                    self._pairs = cursor.fetchall()
            finally:
                conn.close()
        except Exception:  # the import falls back to its own connection
            self._pairs = None

    def result(self) -> list[tuple[Any, Any]] | None:
        self._thread.join()
        return self._pairs


def lock_references(
    *,
    dataset_id: int,
    upload_id: int,
    stage: str = STAGE,
    pairs: list[tuple[Any, Any]] | None = None,
) -> None:
    """Guarantee, set-based, what the records' foreign-key constraints used to check per row.

    The record and version tables have no database foreign keys (see
    incidents/models.py: a deferred trigger per row and key cost more than the INSERT itself).
    Instead every referenced row is locked FOR KEY SHARE in this transaction, as those triggers
    would have done, so it cannot be deleted until the import commits, and every staged id must
    be found. The dataset is already locked by ``lock_dataset``.
    """
    pg = is_postgres()
    share = " FOR KEY SHARE" if pg else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Upload._meta.db_table} WHERE id = %s{share}",
            [upload_id],
        )
        if cursor.fetchone() is None:
            raise ReferenceGone("upload")
        if pairs is None:
            # One scan of the staged rows for both columns (a few thousand pairs at most).
            cursor.execute(f"SELECT DISTINCT category_id, lsoa_id FROM {stage}")
            pairs = cursor.fetchall()
        for n, (column, model) in enumerate((("category_id", CrimeCategory), ("lsoa_id", Lsoa))):
            wanted = sorted({int(pair[n]) for pair in pairs if pair[n] is not None})
            if not wanted:
                continue
            table = model._meta.db_table
            if pg:
                cursor.execute(
                    f"SELECT COUNT(*) FROM (SELECT t.id FROM {table} t"
                    f" WHERE t.id = ANY(%s){share}) found",
                    [wanted],
                )
            else:
                marks = ", ".join(["%s"] * len(wanted))
                cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE id IN ({marks})", wanted)
            if int(cursor.fetchone()[0]) != len(wanted):
                raise ReferenceGone(column)
        # The priority bits are computed from the rules as they are now: a rule change commits
        # its recompute only after this import (priority_recompute_all locks every dataset).


def lock_dataset(dataset_id: int) -> None:
    """Serialise imports and withdrawals per dataset for the rest of the transaction."""
    from incidents.models import Dataset

    Dataset.objects.select_for_update().filter(pk=dataset_id).values_list("pk").first()
    if is_postgres():
        with connection.cursor() as cursor:
            # Also an advisory lock, so tools outside the ORM can see who is importing.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7_301, dataset_id])


class Progress:
    """Moves Upload.rows_processed while the big transaction runs (PostgreSQL only).

    Uses its own autocommit connection: the import's transaction is invisible to others until it
    commits, so progress written inside it could never be seen. On SQLite a second writer would
    wait for the import's lock, so progress is shown by status (phases) instead.
    """

    def __init__(self, upload_id: int, every: int = CHUNK_ROWS) -> None:
        self.upload_id = upload_id
        self.every = every
        self._conn: Any = None
        if is_postgres():
            try:
                import psycopg2

                params = connection.get_connection_params()
                self._conn = psycopg2.connect(**params)
                self._conn.autocommit = True
                with self._conn.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '2s'")
            except Exception:  # progress is a convenience; the import never depends on it
                self._conn = None

    def report(self, rows: int) -> None:
        if self._conn is None:
            return
        try:
            with self._conn.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {Upload._meta.db_table} SET rows_processed = %s WHERE id = %s",
                    [rows, self.upload_id],
                )
        except Exception:
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
