"""``manage.py restore``: a backup folder into an empty database and media folder, then checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.backup import BackupError, backup_restore, default_target


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into an empty database, then verify it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="The folder `manage.py backup` wrote.")
        parser.add_argument(
            "--database-name",
            help="Restore into this (empty) database on the same server instead of DATABASE_URL's.",
        )
        parser.add_argument(
            "--media-root",
            type=Path,
            help="Restore media into this (empty) folder instead of MEDIA_ROOT.",
        )

    def handle(
        self,
        *args: Any,
        folder: Path,
        database_name: str | None,
        media_root: Path | None,
        **options: Any,
    ) -> None:
        try:
            result = backup_restore(
                target=default_target(database_name),
                media_root=Path(media_root or settings.MEDIA_ROOT),
                folder=Path(folder),
            )
        except (BackupError, FileNotFoundError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored {len(result['tables'])} tables; every count and the incident checksum "
            "match the manifest."
        )
