"""Load the partnership's priority crime types and their rules from a JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.reference import PRIORITIES_FILE, ReferenceDataError, priorities_load, read_json


class Command(BaseCommand):
    help = (
        "Create or update priority crime types (matched by slug) and the rules that decide which "
        "records count towards them, then recompute the flags of changed priorities. Idempotent. "
        "Run load_crime_categories first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file",
            type=Path,
            default=PRIORITIES_FILE,
            help="JSON file (default: the first-year priorities shipped with the portal).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = priorities_load(data=read_json(options["file"], key="priorities"))
        except ReferenceDataError as exc:
            raise CommandError(f"Nothing was changed. {exc}") from exc
        if options["verbosity"]:
            for key, n in sorted(counts.items()):
                self.stdout.write(f"{key}: {n}")
