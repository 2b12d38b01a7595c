from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from evidence.alerts import breaches_refresh
from evidence.cubes import cubes_refresh, cubes_refresh_all


class Command(BaseCommand):
    help = "Rebuild the evidence pages' aggregate tables from the incident records."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dataset", type=int, action="append", help="Only this dataset id.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dataset"]:
            for dataset_id in options["dataset"]:
                total = cubes_refresh(dataset_id=dataset_id)
                self.stdout.write(f"Dataset {dataset_id}: {total:,} records aggregated.")
        else:
            count = cubes_refresh_all()
            self.stdout.write(f"{count} datasets aggregated.")
        found = breaches_refresh(dataset_ids=options["dataset"] or None)
        self.stdout.write(f"{found} new rule breaches.")
