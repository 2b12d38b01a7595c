"""Who among the convenor's staff runs SNA editions: the "Partnership administrators" group.

Least privilege (issue 10): ``is_staff`` only opens the admin. Creating, generating and
publishing editions needs ``assessments.change_edition``; opening any edition's files as staff
needs ``assessments.view_edition``. Both are given to the Partnership administrators group
(created by partners 0003); the evidence pages' local-definition scope goes to the same group.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Partnership administrators"
ALL = ("view", "add", "change", "delete")
SPEC = {
    "assessments": {"edition": ALL, "recommendation": ALL},
    "evidence": {"definitionscope": ALL, "alertbreach": ("view",)},
}


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    for app_label, models in SPEC.items():
        for model, actions in models.items():
            content_type = ContentType.objects.get(app_label=app_label, model=model)
            for action in actions:
                yield Permission.objects.get(content_type=content_type, codename=f"{action}_{model}")


def grant(apps, schema_editor):
    # Permissions exist only after post_migrate on a fresh database: create them now.
    for app_label in SPEC:
        config = apps.get_app_config(app_label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)
    group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    group = apps.get_model("auth", "Group").objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0001_editions"),
        ("evidence", "0001_aggregate_cubes_and_alerts"),
        ("partners", "0003_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
