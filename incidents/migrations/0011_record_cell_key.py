# ruff: noqa: S608 - SQL built only from the table's own name.
"""A fixed random key on every incident record, for the cell key method (core/disclosure.py).

AddField gives every existing record one and the same value (Django evaluates the callable default
once); the backfill then draws a random key for each record in SQL, in one UPDATE (on PostgreSQL
the partitioned parent routes it to every partition). Self-contained SQL: it must not change when
app code does. Reversing drops the column.
"""

import core.disclosure
from django.db import migrations, models

RECORDS = "incidents_incidentrecord"


def backfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        key = "CAST(floor(random() * 256) AS smallint)"
    else:
        key = "(random() & 255)"
    schema_editor.execute(f"UPDATE {RECORDS} SET cell_key = {key}")


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0010_drop_record_upload_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="incidentrecord",
            name="cell_key",
            field=models.PositiveSmallIntegerField(
                default=core.disclosure.new_record_key, editable=False
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
