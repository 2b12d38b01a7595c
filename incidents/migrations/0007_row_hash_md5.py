# ruff: noqa: S608 - SQL built only from the column names above.
"""Row hashes are now the MD5 of the record's values as text joined by U+001F (empty values are
U+001E; free text is prefixed with its length, so the text is unambiguous).

The import computes the same value in SQL (PostgreSQL, incidents/importing/fast.py) and in Python
(incidents/importing/normalise.py ``row_hash``). Recomputing the stored hashes from the records'
own columns keeps "the same file twice changes nothing" true for data imported before.
"""

import datetime as dt
import hashlib

from django.db import migrations

COLUMNS = (
    "occurred_on", "occurred_at", "date_precision", "category_id", "lsoa_id", "outside_area",
    "location_text", "latitude", "longitude", "location_type", "weapon", "domestic_abuse",
    "alcohol_involved", "exploitation", "victim_age_band", "victim_sex", "suspect_age_band",
    "suspect_sex", "injury_severity", "outcome", "offence_code",
)  # fmt: skip

FREE_TEXT = {"location_text", "outcome", "offence_code"}


def _sql_part(column):
    if column in FREE_TEXT:
        return f"length({column}) || ':' || {column}"
    if column == "occurred_on":
        return "to_char(occurred_on, 'YYYY-MM-DD')"
    if column == "occurred_at":
        return (
            "COALESCE(to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), E'\\x1e')"
        )
    return f"COALESCE({column}::text, E'\\x1e')"


POSTGRES = (
    "UPDATE incidents_incidentrecord SET row_hash = md5(concat_ws(E'\\x1f', "
    + ", ".join(_sql_part(c) for c in COLUMNS)
    + "))"
)


def _text(column, value):
    if column in FREE_TEXT:
        return f"{len(value)}:{value}"
    if value is None:
        return "\x1e"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal coordinates, six places as numeric(9,6) prints
        text = f"{value:.6f}"
        return "0.000000" if text == "-0.000000" else text
    return str(value)


def record_hash(values):
    text = "\x1f".join(_text(c, v) for c, v in zip(COLUMNS, values, strict=True))
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - a fingerprint, not security


def rehash(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES)
        return
    record_model = apps.get_model("incidents", "IncidentRecord")
    batch = []
    for pk, *values in record_model.objects.values_list("pk", *COLUMNS).iterator(2000):
        batch.append(record_model(pk=pk, row_hash=record_hash(values)))
        if len(batch) >= 2000:
            record_model.objects.bulk_update(batch, ["row_hash"])
            batch = []
    record_model.objects.bulk_update(batch, ["row_hash"])


class Migration(migrations.Migration):
    dependencies = [("incidents", "0006_record_indexes_for_bulk_import")]

    operations = [migrations.RunPython(rehash, migrations.RunPython.noop)]
