"""A record's priorities become bits of one column instead of rows of a (record, priority) table.

Each priority gets a ``bit`` (0, 1, 2 … in id order); each record's ``priority_bits`` is filled from
its ``RecordPriority`` rows before that table is dropped, so no flag is lost. The covering
dashboard index includes the new column so counts by priority are read from the index.
Reversing recreates the table from the bits.
"""

from django.db import migrations, models

import incidents.models

# Self-contained SQL: it must not change when app code does. CAST to a 64-bit integer before the
# shift (PostgreSQL would otherwise shift a 32-bit 1).
BITS_FROM_FLAGS = """
UPDATE incidents_incidentrecord SET priority_bits = (
    SELECT COALESCE(SUM(CAST(1 AS BIGINT) << p.bit), 0)
    FROM incidents_recordpriority rp
    JOIN incidents_prioritycrimetype p ON p.id = rp.priority_id
    WHERE rp.record_id = incidents_incidentrecord.id
)
WHERE id IN (SELECT record_id FROM incidents_recordpriority)
"""

FLAGS_FROM_BITS = """
INSERT INTO incidents_recordpriority (record_id, priority_id)
SELECT r.id, p.id
FROM incidents_incidentrecord r
JOIN incidents_prioritycrimetype p ON (r.priority_bits & (CAST(1 AS BIGINT) << p.bit)) <> 0
"""


def assign_bits(apps, schema_editor):
    priority = apps.get_model("incidents", "PriorityCrimeType")
    for n, pk in enumerate(priority.objects.order_by("pk").values_list("pk", flat=True)):
        priority.objects.filter(pk=pk).update(bit=n)


def bits_from_flags(apps, schema_editor):
    schema_editor.execute(BITS_FROM_FLAGS)


def flags_from_bits(apps, schema_editor):
    schema_editor.execute(FLAGS_FROM_BITS)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0007_row_hash_md5"),
    ]

    operations = [
        migrations.AddField(
            model_name="prioritycrimetype",
            name="bit",
            field=models.PositiveSmallIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(assign_bits, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="prioritycrimetype",
            name="bit",
            field=models.PositiveSmallIntegerField(
                editable=False,
                help_text="Which bit of a record's priority_bits stands for this priority (set on save).",
                unique=True,
            ),
        ),
        migrations.AddField(
            model_name="incidentrecord",
            name="priority_bits",
            field=incidents.models.PriorityBits(default=0, editable=False),
        ),
        migrations.RunPython(bits_from_flags, flags_from_bits),
        migrations.RemoveIndex(
            model_name="incidentrecord",
            name="incidentrecord_dataset_month",
        ),
        migrations.AddIndex(
            model_name="incidentrecord",
            index=models.Index(
                fields=["dataset", "occurred_on"],
                include=("id", "category", "lsoa", "outside_area", "priority_bits"),
                name="incidentrecord_dataset_month",
            ),
        ),
        migrations.RemoveField(
            model_name="incidentrecord",
            name="priorities",
        ),
        migrations.DeleteModel(
            name="RecordPriority",
        ),
    ]
