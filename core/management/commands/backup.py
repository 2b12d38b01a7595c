"""``manage.py backup``: dump, media archive and manifest in a new folder (core/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from core.backup import BackupError, backup_create, default_target


class Command(BaseCommand):
    help = "Back up the PostgreSQL database and MEDIA_ROOT, with a manifest of row counts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="Folder to create (default: var/backups/<UTC timestamp>).",
        )

    def handle(self, *args: Any, output: Path | None, **options: Any) -> None:
        folder = (
            Path(output)
            if output
            else Path(settings.VAR_DIR) / "backups" / timezone.now().strftime("%Y%m%dT%H%M%SZ")
        )
        try:
            manifest = backup_create(
                target=default_target(), media_root=Path(settings.MEDIA_ROOT), folder=folder
            )
        except (BackupError, FileExistsError) as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest["tables"].values())
        self.stdout.write(f"Backed up {len(manifest['tables'])} tables ({rows:,} rows) to {folder}")
