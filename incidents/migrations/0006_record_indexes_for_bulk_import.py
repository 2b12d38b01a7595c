"""Fewer indexes on incident records: every one is paid for on each row an import writes.

Eight indexes became four (primary key, unique (dataset, source_ref), a covering
(dataset, occurred_on) index and (upload)); see IncidentRecord.Meta for what each one serves.
The covering index is created before the indexes it replaces are dropped.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0005_import_fk_indexes_constraints"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="incidentrecord",
            index=models.Index(
                fields=["dataset", "occurred_on"],
                include=["id", "category", "lsoa", "outside_area"],
                name="incidentrecord_dataset_month",
            ),
        ),
        migrations.RemoveIndex(model_name="incidentrecord", name="incidents_i_dataset_4c9cbe_idx"),
        migrations.RemoveIndex(model_name="incidentrecord", name="incidents_i_categor_c1f298_idx"),
        migrations.RemoveIndex(model_name="incidentrecord", name="incidents_i_lsoa_id_4f92e5_idx"),
        migrations.RemoveIndex(model_name="incidentrecord", name="incidents_i_dataset_33ee29_idx"),
        migrations.RemoveIndex(model_name="incidentrecord", name="incidents_i_dataset_c59eca_idx"),
        migrations.RenameIndex(
            model_name="incidentrecord",
            new_name="incidentrecord_upload",
            old_name="incidents_i_upload__b622ab_idx",
        ),
    ]
