"""Say, on each Home Office headline measure, which data can feed it and what is missing."""

from django.db import migrations

NOTES = {
    "hospital-admissions-sharp-object-under-25": (
        "Needs Hospital Episode Statistics for admissions, through the Integrated Care Board, "
        "which the partnership does not receive yet. The ISTV emergency-department extract "
        "counts attendances after an assault, not admissions, so it cannot feed this measure. "
        "Staff enter the figures by hand until the data is shared."
    ),
    "knife-enabled-serious-violence-under-25": (
        "Can be computed from a police extract that records the weapon and the victim's age. "
        "The published data.police.uk files carry neither, so they cannot feed this measure: "
        "periods are only computed for months in which the chosen datasets hold records with a "
        "known weapon and a known victim age."
    ),
    "non-domestic-knife-homicides-under-25": (
        "Needs the Home Office Homicide Index, or a police extract with the homicide category, "
        "weapon, victim age and a domestic-abuse flag, which the partnership does not receive "
        "yet. Staff enter the figures by hand until then."
    ),
}


def add_notes(apps, schema_editor):
    OutcomeMeasure = apps.get_model("strategy", "OutcomeMeasure")
    for slug, notes in NOTES.items():
        OutcomeMeasure.objects.filter(slug=slug, data_notes="").update(data_notes=notes)


def remove_notes(apps, schema_editor):
    OutcomeMeasure = apps.get_model("strategy", "OutcomeMeasure")
    for slug, notes in NOTES.items():
        OutcomeMeasure.objects.filter(slug=slug, data_notes=notes).update(data_notes="")


class Migration(migrations.Migration):
    dependencies = [("strategy", "0003_measure_queries")]

    operations = [migrations.RunPython(add_notes, remove_notes)]
