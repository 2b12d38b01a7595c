"""Generate an SNA edition in-process (automation and tests): the worker's pipeline, no worker."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from assessments import rendering, services
from assessments.forms import parse_month
from assessments.models import AreaLevel, Audience, Edition
from assessments.report import NoData
from incidents.models import Authority, Dataset
from partners.selectors import partnership_current
from strategy.models import LocalDefinition


class Command(BaseCommand):
    help = (
        "Build an SNA edition as a tagged PDF (and optionally tables.zip) with the worker's "
        "pipeline, in this process. Prints the page count and the fingerprint. Nothing is kept "
        "in the database."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--area", required=True, help="'partnership' or a local authority's ONS code"
        )
        parser.add_argument("--from", dest="start", required=True, help="First month, YYYY-MM")
        parser.add_argument("--to", dest="end", required=True, help="Last month, YYYY-MM")
        parser.add_argument("--audience", required=True, choices=[a.value for a in Audience])
        parser.add_argument("--out", required=True, help="Where to write the PDF")
        parser.add_argument("--tables", help="Where to write tables.zip (optional)")
        parser.add_argument("--title", help="Title (default: the partnership's area SNA)")

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = parse_month(options["start"]), parse_month(options["end"])
        if start is None:
            raise CommandError(f"--from must be a month as YYYY-MM, not {options['start']!r}.")
        if end is None:
            raise CommandError(f"--to must be a month as YYYY-MM, not {options['end']!r}.")
        if end < start:
            raise CommandError("--to must be the same month as --from or later.")
        authority = None
        if options["area"] != "partnership":
            authority = Authority.objects.filter(code=options["area"]).first()
            if authority is None:
                known = ", ".join(Authority.objects.order_by("code").values_list("code", flat=True))
                raise CommandError(
                    "--area must be 'partnership' or a local authority's code "
                    f"({known or 'none loaded'}), not {options['area']!r}."
                )
        out = Path(options["out"])
        tables = Path(options["tables"]) if options.get("tables") else None
        for path in filter(None, (out, tables)):
            if not path.parent.is_dir():
                raise CommandError(f"The folder for {path} does not exist.")
        datasets = list(Dataset.objects.filter(is_active=True).order_by("pk"))
        if not datasets:
            raise CommandError("There are no datasets: nothing to assess.")
        partnership = partnership_current()
        title = options.get("title") or (
            f"{partnership.area_name} Serious Violence Strategic Needs Assessment"
            if partnership
            else "Serious Violence Strategic Needs Assessment"
        )
        definition = LocalDefinition.objects.order_by("-agreed_on", "-version").first()
        with tempfile.TemporaryDirectory(prefix="nsvpp-sna-") as folder, transaction.atomic():
            # The edition exists only for this run: rolled back once the files are out.
            edition = Edition.objects.create(
                title=title,
                edition_label=f"{start:%b %Y} to {end:%b %Y}",
                period_start=start,
                period_end=end,
                area_level=AreaLevel.AUTHORITY if authority else AreaLevel.PARTNERSHIP,
                authority=authority,
                audience=options["audience"],
                definition=definition,
            )
            edition.datasets.set(datasets)
            try:
                files = services.edition_files_write(
                    edition=edition,
                    folder=Path(folder),
                    progress=lambda percent, step: None,
                    thumbnails=False,
                )
            except NoData as problem:
                raise CommandError(str(problem)) from problem
            finally:
                transaction.set_rollback(True)
            rendering.write_atomic(out, files.pdf_bytes)
            if tables is not None:
                rendering.write_atomic(tables, files.tables_bytes)
        shutil.rmtree(folder, ignore_errors=True)
        self.stdout.write(f"Pages: {files.page_count}")
        self.stdout.write(f"Fingerprint: {files.report.fingerprint}")
        self.stdout.write(
            self.style.SUCCESS(f"Written {out}" + (f" and {tables}" if tables else ""))
        )
