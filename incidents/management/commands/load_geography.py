"""Load geography, deprivation, population and boundaries from ONS / MHCLG files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.geography import (
    GeographyFileError,
    classify,
    files_in,
    geography_load,
    plan_from_files,
)


class Command(BaseCommand):
    help = (
        "Create or update authorities, districts, wards and LSOAs with IMD 2019 deprivation, "
        "population denominators and GeoJSON boundaries. Files are recognised by their columns: "
        "the IoD2019 LSOA table, Files 1, 2 and 6, the England-wide LSOA list (loaded as outside "
        "the area), the national ONS LSOA-ward-local authority lookup, the Welsh Index of Multiple "
        "Deprivation, the ONS LSOA 2011-2021 lookup and LSOA/MSOA/ward/district GeoJSON. "
        "Idempotent; a wrong file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            help="A folder: every .csv and .geojson in it (and its subfolders) is read. "
            "Files that are not geography (e.g. police.uk crime files) are skipped.",
        )
        parser.add_argument(
            "--local-authority",
            action="append",
            dest="area",
            metavar="CODE_OR_NAME",
            help="A local authority the partnership covers (repeat for each), by its ONS code "
            "(e.g. E06000001) or its name as the lookup spells it. With the national ONS "
            "lookup, every other LSOA is loaded as outside the area.",
        )
        parser.add_argument(
            "files",
            nargs="*",
            type=Path,
            help="Explicit files; each must be a recognised geography file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        paths: list[Path] = list(options["files"])
        try:
            for path in paths:
                if not path.is_file():
                    raise GeographyFileError(f"{path}: no such file.")
            if options["data_dir"]:
                paths += self._recognised(files_in(options["data_dir"]))
            if not paths:
                raise GeographyFileError("Give --data-dir or one or more files.")
            plan = plan_from_files(paths, area=options["area"])
            counts = geography_load(plan=plan)
        except GeographyFileError as exc:
            raise CommandError(f"Nothing was changed. {exc}") from exc
        if options["verbosity"]:
            for name, kind in plan.files:
                self.stdout.write(f"read {name}: {kind}")
            for key, n in sorted(counts.items()):
                self.stdout.write(f"{key}: {n}")
            self.stdout.write(
                "Authority boundaries are not loaded (none in the files): maps dissolve districts."
            )

    def _recognised(self, paths: list[Path]) -> list[Path]:
        kept = []
        for path in paths:
            try:
                classify(path)
            except GeographyFileError:
                if self.verbosity > 1:
                    self.stdout.write(f"skipped {path.name}: not a geography file")
                continue
            kept.append(path)
        return kept
