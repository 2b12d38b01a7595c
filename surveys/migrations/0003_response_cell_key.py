# ruff: noqa: S608 - SQL built only from the table's own name.
"""A fixed random key on every survey response, for the cell key method (core/disclosure.py).

AddField gives existing responses one and the same value (Django evaluates the callable default
once); the backfill then draws a random key for each in SQL. Reversing drops the column.
"""

import core.disclosure
from django.db import migrations, models

RESPONSES = "surveys_response"


def backfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        key = "CAST(floor(random() * 256) AS smallint)"
    else:
        key = "(random() & 255)"
    schema_editor.execute(f"UPDATE {RESPONSES} SET cell_key = {key}")


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0002_conditions_restrict"),
    ]

    operations = [
        migrations.AddField(
            model_name="response",
            name="cell_key",
            field=models.PositiveSmallIntegerField(
                default=core.disclosure.new_record_key, editable=False
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
