"""python manage.py import_incidents --dataset SLUG FILE… — the browser's pipeline, in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.importing.services import UploadRefused, upload_run_now
from incidents.importing.summary import upload_summary_lines
from incidents.models import Dataset, Upload


class Command(BaseCommand):
    help = (
        "Check and import partner files into a dataset, all or nothing per file, exactly as the "
        "browser upload does. Exits non-zero when any file is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", required=True, help="The dataset's slug.")
        parser.add_argument("files", nargs="+", type=Path, help="CSV or XLSX files, in order.")

    def handle(self, *args: Any, **options: Any) -> None:
        dataset = Dataset.objects.filter(slug=options["dataset"]).first()
        if dataset is None:
            raise CommandError(f"No dataset with the slug “{options['dataset']}”.")
        refused = 0
        for path in options["files"]:
            if not path.is_file():
                raise CommandError(f"{path} is not a file.")
            try:
                upload = upload_run_now(dataset=dataset, path=path)
            except UploadRefused as refusal:
                self.stderr.write(f"{path.name}: refused. {refusal.message}")
                refused += 1
                continue
            if upload.status == Upload.Status.IMPORTED:
                self.stdout.write(f"{path.name}: imported.")
                for line in upload_summary_lines(upload):
                    self.stdout.write(f"  {line}")
            else:
                refused += 1
                self.stderr.write(f"{path.name}: refused. {upload.problem}")
                for error in upload.first_errors:
                    self.stderr.write(f"  row {error['row']}, {error['column']}: {error['reason']}")
        if refused:
            raise CommandError(f"{refused} of {len(options['files'])} file(s) refused.")
