"""Load demo data: each installed app may provide demo.py with seed(*, stdout) -> None.

Apps run in INSTALLED_APPS order (partners first), each idempotent: a second run changes nothing.
Demo accounts have a published password and second-factor secret, so it runs only in debug mode.
"""

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Load the demonstration partnership, people, strategy and surveys (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo refuses to run with DJANGO_DEBUG off: it creates demo accounts whose "
                "password and second-factor secret are published. Use it only for local "
                "development (make run sets DJANGO_DEBUG=true)."
            )
        for config in apps.get_app_configs():
            module_name = f"{config.name}.demo"
            if find_spec(module_name) is None:
                continue
            module = import_module(module_name)
            with transaction.atomic():
                module.seed(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
