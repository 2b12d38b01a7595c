"""Pre-load the Home Office headline success measures for the Serious Violence Duty."""

from django.db import migrations

HEADLINE_MEASURES = [
    {
        "slug": "hospital-admissions-sharp-object-under-25",
        "name": "Hospital admissions for assault with a knife or sharp object, under 25",
        "definition": (
            "Hospital admissions of people aged under 25 for assault by a sharp object "
            "(ICD-10 X99), by the area where the patient lives."
        ),
        "data_source": "NHS Hospital Episode Statistics (via the Integrated Care Board)",
        "unit": "admissions",
        "display_order": 1,
    },
    {
        "slug": "knife-enabled-serious-violence-under-25",
        "name": "Knife or sharp-object enabled serious violence recorded by the police, under 25",
        "definition": (
            "Police-recorded offences of homicide, attempted murder, assault with injury or intent "
            "to cause serious harm, threats to kill, robbery, rape and sexual assault where a knife "
            "or sharp instrument was involved and the victim was aged under 25."
        ),
        "data_source": "Police recorded crime (partner extract)",
        "unit": "offences",
        "display_order": 2,
    },
    {
        "slug": "non-domestic-knife-homicides-under-25",
        "name": "Homicides involving a knife or sharp object, not domestic, under 25",
        "definition": (
            "Homicides of people aged under 25 where the method was a knife or sharp instrument "
            "and the relationship between victim and suspect was not domestic."
        ),
        "data_source": "Home Office Homicide Index (police)",
        "unit": "homicides",
        "display_order": 3,
    },
]


def load(apps, schema_editor):
    OutcomeMeasure = apps.get_model("strategy", "OutcomeMeasure")
    for measure in HEADLINE_MEASURES:
        OutcomeMeasure.objects.get_or_create(
            slug=measure["slug"],
            defaults={
                **{k: v for k, v in measure.items() if k != "slug"},
                "direction": "lower",
                "is_home_office_headline": True,
            },
        )


def unload(apps, schema_editor):
    OutcomeMeasure = apps.get_model("strategy", "OutcomeMeasure")
    OutcomeMeasure.objects.filter(
        slug__in=[m["slug"] for m in HEADLINE_MEASURES], measurements__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("strategy", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
