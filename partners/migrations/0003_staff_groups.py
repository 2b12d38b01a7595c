"""The staff groups: what a staff member (``is_staff``) may change in the admin.

``is_staff`` only opens the admin; a staff member without a group sees an empty admin. No group
grants record-level access (that comes from memberships, see ``incidents.access``), and no
group holds any permission on users' groups or permissions: only a superuser grants those
(``partners.admin.UserAdmin``).

Re-running the migration (or reversing and re-applying it) sets each group's permissions to
exactly this list; people's membership of the groups is left alone.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ALL = ("view", "add", "change", "delete")
EDIT = ("view", "add", "change")

GROUPS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    # The convenor's team that runs the partnership: people, the strategy, surveys and events.
    "Partnership administrators": {
        "partners": {
            "user": EDIT,
            "organisation": EDIT,
            "membership": ALL,
            "invitation": ALL,
            "partnership": ("view", "change"),
        },
        "strategy": {
            model: ALL
            for model in (
                "strategy",
                "localdefinition",
                "theme",
                "principle",
                "driver",
                "protectivefactor",
                "action",
                "milestone",
                "progressupdate",
                "outcomemeasure",
                "measurement",
                "measurequery",
                "annualreview",
                "consultation",
            )
        },
        "surveys": {
            **{
                model: ALL
                for model in (
                    "survey",
                    "surveypage",
                    "question",
                    "choice",
                    "theme",
                    "supportcontact",
                    "engagementevent",
                )
            },
            # Reading what residents wrote (free text) to report "what we heard".
            "response": ("view",),
            "answer": ("view",),
            "contactrequest": ("view", "delete"),
        },
        "core": {"auditevent": ("view",)},
    },
    # Reference data, datasets and their data-sharing agreements. Uploads and records are
    # listed in the admin only where the steward's memberships give record-level access.
    "Data stewards": {
        "incidents": {
            **{
                model: ALL
                for model in (
                    "prioritycrimetype",
                    "priorityrule",
                    "authority",
                    "district",
                    "ward",
                    "lsoa",
                    "boundary",
                    "crimecategory",
                    "categorymapping",
                    "fieldvaluemapping",
                    "datasharingagreement",
                )
            },
            "dataset": EDIT,
            "upload": ("view",),
            "incidentrecord": ("view",),
        },
        "partners": {"organisation": ("view",)},
        "core": {"auditevent": ("view",)},
    },
}


def _permissions(apps, spec):
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    wanted = []
    for app_label, models in spec.items():
        for model, actions in models.items():
            content_type = ContentType.objects.get(app_label=app_label, model=model)
            for action in actions:
                wanted.append(
                    Permission.objects.get(
                        content_type=content_type, codename=f"{action}_{model}"
                    )
                )
    return wanted


def groups_create(apps, schema_editor):
    # On a fresh database permissions are created only after every migration has run
    # (post_migrate): create them now for the apps the groups refer to.
    for app_label in ("core", "partners", "incidents", "strategy", "surveys"):
        config = apps.get_app_config(app_label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    for name, spec in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(apps, spec))


def groups_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_partnership_convenor_organisation"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_initial"),
        ("incidents", "0010_drop_record_upload_index"),
        ("strategy", "0004_headline_measure_notes"),
        ("surveys", "0002_conditions_restrict"),
    ]

    operations = [migrations.RunPython(groups_create, groups_delete)]
