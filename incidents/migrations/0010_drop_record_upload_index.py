"""No (upload) index on incident records.

It served the priority flags of an import's records, which are now computed as the records are
written (0008). Only withdrawal still looks records up by upload, within one dataset, and a
dataset's partition is read faster than every import pays to build and keep the index.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0009_partition_records"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="incidentrecord",
            name="incidentrecord_upload",
        ),
    ]
