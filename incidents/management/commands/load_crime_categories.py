"""Load crime categories, source code mappings and field value mappings from a JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.reference import CATEGORIES_FILE, ReferenceDataError, categories_load, read_json


class Command(BaseCommand):
    help = (
        "Create or update crime categories (data.police.uk's 14 and the partnership's own), how "
        "each source's codes map to them, and ISTV weapon/location values. Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file",
            type=Path,
            default=CATEGORIES_FILE,
            help="JSON file (default: the national definitions shipped with the portal).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = categories_load(data=read_json(options["file"], key="categories"))
        except ReferenceDataError as exc:
            raise CommandError(f"Nothing was changed. {exc}") from exc
        if options["verbosity"]:
            for key, n in sorted(counts.items()):
                self.stdout.write(f"{key}: {n}")
