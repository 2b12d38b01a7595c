# ruff: noqa: S608 - SQL is built only from names held in code; values are always parameters.
"""The PostgreSQL path for portal-template CSV files: COPY the raw file, validate in SQL.

The Python normaliser (normalise.py) is the definition of what a row means. This path gets the same
result set-based for the rows it can prove clean, and hands every other row to that normaliser:

1. ``COPY`` the file, untouched, into a temporary table of text columns (one per heading), with a
   row number in file order. If PostgreSQL cannot read it as CSV (wrong encoding, NUL bytes, ragged
   rows, blank lines, …) the savepoint is rolled back and the whole file takes the Python path,
   which refuses it with its own message or reads it.
2. One ``INSERT … SELECT`` converts every row with the same rules as the normaliser (strip, the
   same synonym tables, dates, times in Europe/London, coordinates, lengths, LSOA and category
   lookups) into the staging table, computing the row hash in SQL, and keeps only the rows it can
   prove *clean*. The SQL is deliberately narrower than the normaliser: a value it is not certain
   about (a non-ASCII letter to lower-case, the small hours of a clock-change night, a Welsh
   LSOA, a time on a date before 1997, an unusual number format …) leaves the row out.
3. Every other row is normalised in Python from its raw cells, exactly as on the Python path: it
   is staged, or reported with row, column and reason.

Tests (tests/incidents/test_import_fast_path.py) import the same files through both paths and
compare every staged value, hash and error.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg2
from django.db import DatabaseError, connection, transaction

from incidents.models import Dataset

from . import normalise as n
from . import spec
from .normalise import ErrorLog, Normaliser, RowError, RowInvalid
from .reading import MAX_CELL_CHARS, FileRefused, Table, cell_too_long
from .staging import Stage, is_postgres

RAW = "incidents_import_raw"


@functools.cache
def whitespace() -> str:
    """Every character Python's str.strip() removes: btrim(cell, this) is exactly cell.strip().

    Worked out on first use (scanning every code point takes ~0.25 s), not when a worker starts.
    """
    return "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


# Rows converted per statement: the progress bar moves after each.
PROGRESS_ROWS = 100_000
# Free text is stripped in SQL; every other value must already be stripped to be clean.
STRIPPED_IN_SQL = frozenset({"reference", "location_text", "outcome", "offence_code"})
# Rows with a time are converted in SQL only from this date on: the UK's summer-time rules have
# not changed since, so PostgreSQL's and Python's time-zone databases cannot disagree.
FIRST_TIMED_DATE = dt.date(1997, 1, 1)


def applies(table: Table, dataset: Dataset, path: Path) -> bool:
    """Whether the file can try this path (the SQL may still hand rows or the file back)."""
    if not (
        is_postgres()
        and dataset.format == Dataset.Format.TEMPLATE
        and table.kind == "csv"
        and table.encoding in ("utf-8", "utf-8-sig")
    ):
        return False
    return _ascii_case_is_plain() and _plain_layout(path)


def _plain_layout(path: Path) -> bool:
    """The headings are the first line, unquoted, and no line is COPY's end-of-data marker."""
    with open(path, "rb") as handle:
        first = handle.readline(1024 * 1024)
        if first.startswith(codecs.BOM_UTF8):
            first = first[len(codecs.BOM_UTF8) :]
        if not first.strip() or b'"' in first or not first.endswith(b"\n"):
            return False
        tail = b"\n"
        for chunk in iter(lambda: handle.read(8 * 1024 * 1024), b""):
            window = tail + chunk
            # A line that is exactly \. ends COPY's input early: never let it drop rows.
            if b"\n\\.\n" in window or b"\n\\.\r" in window:
                return False
            tail = window[-4:]
        return not tail.endswith(b"\n\\.")


def _ascii(expr: str) -> str:
    # Every character is one byte: cheaper than a regular expression.
    return f"(octet_length({expr}) = length({expr}))"


def _lower(expr: str) -> str:
    # Only applied to ASCII text, where lower() is the normaliser's str.lower() in every locale
    # but Turkish and Azeri ones (dotless i); ``_ascii_case_is_plain`` checks the database's.
    return f"lower({expr})"


def _ascii_case_is_plain() -> bool:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lower(%s) = %s AND upper(%s) = %s",
            [letters, letters.lower(), letters.lower(), letters],
        )
        return bool(cursor.fetchone()[0])


def _lookup(table: str, expr: str) -> str:
    """The normaliser's ``table.get(value) or table.get(value.lower())``, as SQL."""
    return (
        f"COALESCE({table} ->> {expr},"
        f" CASE WHEN {_ascii(expr)} THEN {table} ->> {_lower(expr)} END)"
    )


class _Sql:
    """Builds the conversion statement for one file's column layout."""

    def __init__(self, normaliser: Normaliser) -> None:
        self.params: dict[str, Any] = {}
        self.used: set[int] = set()
        self.columns = normaliser.columns

    def param(self, name: str, value: Any) -> str:
        self.params[name] = value
        return f"%({name})s"

    def cell(self, field: str) -> str:
        index = self.columns.get(field)
        if index is None:
            return "''"
        self.used.add(index)
        if field in STRIPPED_IN_SQL:
            return f"btrim(c{index}, %(ws)s)"
        # Not stripped: a date, time, code or choice with spaces around it fails its pattern or
        # lookup, so the row goes to the normaliser, which strips it (cheaper than btrim here).
        return f"c{index}"


def _conversion(normaliser: Normaliser, stage: str) -> tuple[str, dict]:
    lookups, width = normaliser.lookups, len(normaliser.headings)
    sql = _Sql(normaliser)
    sql.param("ws", whitespace())
    fields = spec.TEMPLATE_FIELD_NAMES
    stripped = ",\n ".join(f"{sql.cell(f)} AS {f}" for f in fields)
    unused = [i for i in range(width) if i not in sql.used]
    long_unused = " OR ".join(f"length(c{i}) > {MAX_CELL_CHARS}" for i in unused) or "false"
    # A row with a reference is not blank: the full comparison runs only for the few without.
    ref_index = normaliser.columns.get("reference", 0)
    all_blank = " AND ".join(f"c{i} = ''" for i in range(width))
    blank = f"CASE WHEN c{ref_index} <> '' THEN false ELSE {all_blank} END"
    tables = {
        "location_types": normaliser._location_types,
        "weapons": normaliser._weapons,
        "ages": n._AGE_BANDS,
        "sexes": n._SEXES,
        "injuries": n._INJURIES,
        "booleans": n._BOOLEANS,
        "categories": lookups.categories,
        "lsoas": {code: [pk, 0 if in_area else 1] for code, (pk, in_area) in lookups.lsoas.items()},
    }
    json_tables = {name: sql.param(name, json.dumps(t)) + "::jsonb" for name, t in tables.items()}

    def choice(field: str, table: str) -> str:
        return (
            f"CASE WHEN {field} = '' THEN 'unknown' ELSE {_lookup(json_tables[table], field)} END"
        )

    def boolean(field: str) -> str:
        return f"({_lookup(json_tables['booleans'], field)})::boolean"

    def coordinate(field: str, limit: int) -> str:
        # Nested CASEs: PostgreSQL does not promise to evaluate AND's operands in order.
        return (
            f"CASE WHEN {field} ~ '^-?[0-9]{{1,3}}(\\.[0-9]{{1,6}})?$' THEN"
            f" CASE WHEN abs({field}::numeric) <= {limit} THEN {field}::numeric(9,6) END END"
        )

    today = sql.param("today", lookups.today)
    now = sql.param("now", lookups.now_utc.replace(tzinfo=None))
    first_timed = sql.param("first_timed", FIRST_TIMED_DATE)
    d = "occurred_date"
    # Dates: YYYY-MM-DD, DD/MM/YYYY or YYYY-MM, split into numbers only after the pattern matched.
    date_parts = f"""
        CASE WHEN {d} ~ '^[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}$'
               THEN ARRAY[split_part({d}, '-', 1), split_part({d}, '-', 2), split_part({d}, '-', 3)]
             WHEN {d} ~ '^[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}}$'
               THEN ARRAY[split_part({d}, '/', 3), split_part({d}, '/', 2), split_part({d}, '/', 1)]
             WHEN {d} ~ '^[0-9]{{4}}-[0-9]{{1,2}}$'
               THEN ARRAY[split_part({d}, '-', 1), split_part({d}, '-', 2), NULL]
        END::int[] AS ymd"""
    t = "occurred_time"
    time_parts = f"""
        CASE WHEN {t} ~ '^[0-9]{{1,2}}:[0-9]{{2}}(:[0-9]{{2}})?$'
               THEN ARRAY[split_part({t}, ':', 1), split_part({t}, ':', 2),
                          COALESCE(NULLIF(split_part({t}, ':', 3), ''), '0')]
        END::int[] AS hms"""
    # Level 1: stripped cells (computed once per row: OFFSET 0 keeps the planner from inlining).
    level1 = f"""
        SELECT row_no, ({blank}) AS blank, ({long_unused}) AS too_long, {stripped}
        FROM {RAW} WHERE ctid >= %(first_page)s::tid AND ctid < %(end_page)s::tid OFFSET 0"""
    # Level 2: parsed values; NULL where the SQL is not sure (the row then goes to Python).
    level2 = f"""
        SELECT s.*, {date_parts}, {time_parts},
          {coordinate("latitude", 90)} AS lat, {coordinate("longitude", 180)} AS lon,
          CASE WHEN lsoa_code = '' THEN NULL WHEN {_ascii("lsoa_code")}
               THEN ({json_tables["lsoas"]} -> upper(lsoa_code)) END AS lsoa,
          CASE WHEN category = '' THEN NULL WHEN {_ascii("category")}
               THEN ({json_tables["categories"]} ->> {_lower("category")})::bigint END
            AS category_id,
          {choice("location_type", "location_types")} AS location_type_v,
          {choice("weapon", "weapons")} AS weapon_v,
          CASE WHEN domestic_abuse = '' THEN NULL ELSE {boolean("domestic_abuse")} END AS da,
          CASE WHEN alcohol_involved = '' THEN NULL ELSE {boolean("alcohol_involved")} END AS al,
          CASE WHEN exploitation = '' THEN NULL ELSE {boolean("exploitation")} END AS ex,
          {choice("victim_age_band", "ages")} AS victim_age_v,
          {choice("victim_sex", "sexes")} AS victim_sex_v,
          {choice("suspect_age_band", "ages")} AS suspect_age_v,
          {choice("suspect_sex", "sexes")} AS suspect_sex_v,
          {choice("injury_severity", "injuries")} AS injury_v
        FROM ({level1}) s WHERE NOT s.blank OFFSET 0"""
    # Level 3: the date (only when the numbers make a real date) and whether a time applies.
    level3 = f"""
        SELECT p.*,
          CASE WHEN ymd[1] >= 1 AND ymd[2] BETWEEN 1 AND 12 AND COALESCE(ymd[3], 1) >= 1 THEN
            CASE WHEN COALESCE(ymd[3], 1) <= extract(day FROM
                        make_date(ymd[1], ymd[2], 1) + interval '1 month' - interval '1 day')
                 THEN make_date(ymd[1], ymd[2], COALESCE(ymd[3], 1)) END END AS day,
          CASE WHEN ymd[3] IS NULL THEN 'month' ELSE 'day' END AS precision,
          CASE WHEN hms IS NOT NULL THEN hms[1] <= 23 AND hms[2] <= 59 AND hms[3] <= 59
               ELSE false END AS time_ok
        FROM ({level2}) p OFFSET 0"""
    # Level 4: the moment in UTC (Europe/London local time), as the normaliser computes it.
    level4 = f"""
        SELECT q.*,
          CASE WHEN time_ok AND precision = 'day'
               THEN ((day + make_time(hms[1], hms[2], hms[3]))
                     AT TIME ZONE 'Europe/London') AT TIME ZONE 'UTC' END AS moment,
          (time_ok AND precision = 'day' AND (
              day < {first_timed}
              OR (extract(month FROM day) IN (3, 10) AND extract(isodow FROM day) = 7
                  AND extract(day FROM day) >= 25 AND hms[1] <= 2))) AS timed_doubt
        FROM ({level3}) q OFFSET 0"""
    clean = f"""
        NOT too_long
        AND reference <> '' AND length(reference) <= 100
        AND day IS NOT NULL AND day <= {today}
        AND (occurred_time = '' OR time_ok)
        AND NOT COALESCE(timed_doubt, false)
        AND (moment IS NULL OR moment <= {now})
        AND (category = '' OR category_id IS NOT NULL)
        AND (lsoa_code = '' OR lsoa IS NOT NULL)
        AND length(location_text) <= 255
        AND (latitude = '' OR lat IS NOT NULL)
        AND (longitude = '' OR lon IS NOT NULL)
        AND location_type_v IS NOT NULL AND weapon_v IS NOT NULL
        AND (domestic_abuse = '' OR da IS NOT NULL)
        AND (alcohol_involved = '' OR al IS NOT NULL)
        AND (exploitation = '' OR ex IS NOT NULL)
        AND victim_age_v IS NOT NULL AND victim_sex_v IS NOT NULL
        AND suspect_age_v IS NOT NULL AND suspect_sex_v IS NOT NULL AND injury_v IS NOT NULL
        AND length(outcome) <= 200 AND length(offence_code) <= 40"""
    values = [
        "day",
        "moment",
        "CASE WHEN moment IS NOT NULL THEN 'datetime' ELSE precision END",
        "category_id",
        "(lsoa ->> 0)::bigint",
        "COALESCE((lsoa ->> 1) = '1', false)",
        "NULLIF(location_text, '')",
        "lat",
        "lon",
        "location_type_v",
        "weapon_v",
        "da",
        "al",
        "ex",
        "victim_age_v",
        "victim_sex_v",
        "suspect_age_v",
        "suspect_sex_v",
        "injury_v",
        "NULLIF(outcome, '')",
        "NULLIF(offence_code, '')",
    ]
    # The hash text, exactly as normalise.row_hash builds it (dates print as ISO: DateStyle is
    # set for the statement).
    never_null = {"date_precision", "outside_area", "location_type", "weapon", "victim_age_band",
                  "victim_sex", "suspect_age_band", "suspect_sex", "injury_severity"}  # fmt: skip
    parts = []
    for column, value in zip(n.RECORD_COLUMNS, values, strict=False):
        if column in n.HASHED_FREE_TEXT:
            text = f"COALESCE({value}, '')"
            parts.append(f"length({text}) || ':' || {text}")
        elif column == "occurred_on":
            parts.append("day::text")
        elif column == "occurred_at":
            parts.append("COALESCE(moment::text, E'\\x1e')")
        elif column in never_null:
            parts.append(f"({value})::text")
        else:
            parts.append(f"COALESCE(({value})::text, E'\\x1e')")
    hash_text = f"concat_ws(E'\\x1f', {', '.join(parts)})"
    columns = ", ".join(n.STAGE_COLUMNS)
    statement = f"""
        INSERT INTO {stage} ({columns})
        SELECT row_no, reference, {", ".join(f"{v} AS v{i}" for i, v in enumerate(values))},
               md5({hash_text}) AS hash
        FROM ({level4}) r WHERE {clean}"""
    return statement, sql.params


def stage_file(
    *,
    path: Path,
    normaliser: Normaliser,
    stage: Stage,
    log: ErrorLog,
    progress: Callable[[int], None] | None = None,
) -> int | None:
    """Stage the file set-based; the number of data rows, or None to use the Python path."""
    width = len(normaliser.headings)
    names = ", ".join(f"c{i}" for i in range(width))
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {RAW} (row_no bigint GENERATED ALWAYS AS IDENTITY"
                f" (START WITH 2), {', '.join(f'c{i} text' for i in range(width))}) ON COMMIT DROP"
            )
            with open(path, "rb") as handle:
                cursor.copy_expert(
                    f"COPY {RAW} ({names}) FROM STDIN WITH (FORMAT csv, HEADER true,"
                    f" ENCODING 'UTF8', FORCE_NOT_NULL ({names}))",
                    handle,
                )
    except (DatabaseError, psycopg2.Error):
        # PostgreSQL could not read it as CSV: the Python path says why (or reads it).
        return None
    statement, params = _conversion(normaliser, stage.name)
    clean = 0
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL DateStyle = 'ISO, YMD'")
        cursor.execute(
            f"SELECT pg_relation_size('{RAW}') / current_setting('block_size')::int,"
            f" (SELECT count(*) FROM {RAW})"
        )
        pages, rows = cursor.fetchone()
        # In slices of the table's pages (rows are in file order), so the progress bar moves.
        step = max(1, -(-pages * PROGRESS_ROWS // max(rows, 1)))
        for first in range(0, max(pages, 1), step):
            params.update(first_page=f"({first},0)", end_page=f"({first + step},0)")
            cursor.execute(statement, params)
            clean += cursor.rowcount
            if progress is not None:
                progress(clean)
        # Every other non-blank row goes through the normaliser from its raw cells, in order.
        blank = " AND ".join(f"r.c{i} = ''" for i in range(width))
    others = 0
    # A server-side cursor: however many rows need Python, memory stays constant.
    with connection.chunked_cursor() as others_cursor:
        others_cursor.execute(
            f"SELECT r.row_no, {', '.join(f'r.c{i}' for i in range(width))} FROM {RAW} r"
            f" WHERE NOT ({blank})"
            f" AND NOT EXISTS (SELECT 1 FROM {stage.name} s WHERE s.row_no = r.row_no)"
            " ORDER BY r.row_no"
        )
        while batch := others_cursor.fetchmany(2000):
            for row_no, *cells in batch:
                others += 1
                if any(len(cell) > MAX_CELL_CHARS for cell in cells):
                    raise FileRefused(cell_too_long(row_no))
                try:
                    stage.add(normaliser.normalise(row_no, cells))
                except RowInvalid as error:
                    log.add(RowError(row_no, error.column, error.reason, error.value))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {RAW}")
    seen = clean + others
    if progress is not None:
        progress(seen)
    return seen
