"""Demo data for the incidents app: reference data, geography and partner datasets.

Runs after partners/demo.py (organisations exist by slug). Idempotent: a second run changes
nothing. Incident records are not created here: the import pipeline's demo loads the real police.uk
months into police-uk-street, and demo_synthetic.py uploads synthetic partner extracts made from
them into police-extract, istv-ed and yos-extract (the datasets ``seed_demo_datasets`` creates).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from partners.models import Organisation

from .geography import GeographyFileError, classify, files_in, geography_load, plan_from_files
from .models import Dataset, DataSharingAgreement
from .reference import (
    CATEGORIES_FILE,
    PRIORITIES_FILE,
    categories_load,
    priorities_load,
    read_json,
)

LEGAL_BASIS_POLICE = (
    "Police, Crime, Sentencing and Courts Act 2022 s16 (disclosure for the Serious Violence "
    "Duty) and s17 (requests by the local policing body). UK GDPR Article 6(1)(e) public task; "
    "Article 10 with Data Protection Act 2018 Schedule 1 paragraph 6 (statutory purposes)."
)
LEGAL_BASIS_HEALTH = (
    "Anonymised under the ISTV information standard (ISB 1594): no patient information is "
    "disclosed under the PCSC Act 2022. UK GDPR Article 6(1)(e) for any residual personal data; "
    "Article 9(2)(h) and (i) with Data Protection Act 2018 Schedule 1 paragraphs 2 and 3."
)
LEGAL_BASIS_YOUTH = (
    "PCSC Act 2022 s16. UK GDPR Article 6(1)(e); Article 10 with Data Protection Act 2018 "
    "Schedule 1 paragraph 6. Pseudonymised extract: no names or dates of birth."
)
PURPOSE = (
    "To understand serious violence in the partnership area for the Serious Violence Duty: the "
    "strategic needs assessment, the strategy and its yearly review."
)

# "record_level": organisations (besides the owner) named in the agreement.
DATASETS: list[dict[str, Any]] = [
    {
        "slug": "police-uk-street",
        "name": "Police recorded crime (data.police.uk)",
        "owner": "police",
        "format": Dataset.Format.POLICE_UK,
        "source_system": "data.police.uk street-level crime",
        "cadence": Dataset.Cadence.MONTHLY,
        "extraction_notes": (
            "Monthly street-level files as published: month only, anonymised snap-point "
            "coordinates, 14 broad categories, no ages or flags."
        ),
        "record_level": ["opfcc"],
        "hide_coordinates": True,
        "basis": LEGAL_BASIS_POLICE,
    },
    {
        "slug": "police-extract",
        "name": "Police recorded crime extract (synthetic demo data)",
        "owner": "police",
        "format": Dataset.Format.TEMPLATE,
        "source_system": "Synthetic: made by the demo from the data.police.uk months, fixed seed",
        "cadence": Dataset.Cadence.MONTHLY,
        "extraction_notes": (
            "SYNTHETIC DEMO DATA, not real police records. One made-up record for each real "
            "data.police.uk row, in the same month, LSOA and broad category, with date, time "
            "(some known only to the day or the month), victim and suspect age band and sex, "
            "weapon, domestic-abuse, alcohol and exploitation flags, location type and offence "
            "code drawn at random with a fixed seed (incidents/demo_synthetic.py). Upload dates "
            "are simulated."
        ),
        "record_level": ["opfcc"],
        "hide_coordinates": True,
        "basis": LEGAL_BASIS_POLICE,
        "agreement_start": dt.date(2021, 4, 1),
    },
    {
        "slug": "istv-ed",
        "name": "Emergency department assaults, ISTV (synthetic demo data)",
        "owner": "icb",
        "format": Dataset.Format.ISTV,
        "source_system": "Synthetic: ISTV minimum data set made by the demo, fixed seed",
        "cadence": Dataset.Cadence.MONTHLY,
        "extraction_notes": (
            "SYNTHETIC DEMO DATA, not real patients. Assault attendances at two made-up "
            "emergency departments, about 9% of police-recorded violence each month, with "
            "arrival and assault date and time, location type, fictional licensed premises and "
            "assault method, drawn at random with a fixed seed. The latest month is deliberately "
            "missing (a month late). Upload dates are simulated."
        ),
        "record_level": ["opfcc"],
        "hide_coordinates": True,
        "basis": LEGAL_BASIS_HEALTH,
        "agreement_start": dt.date(2021, 4, 1),
    },
    {
        "slug": "yos-extract",
        "name": "Youth offending extract (synthetic demo data)",
        "owner": "yos",
        "format": Dataset.Format.TEMPLATE,
        "source_system": "Synthetic: youth offending extract made by the demo, fixed seed",
        "cadence": Dataset.Cadence.MONTHLY,
        "extraction_notes": (
            "SYNTHETIC DEMO DATA, not real children. Offences by 10 to 17-year-olds the service "
            "supervises, in the portal template: a random sample (fixed seed) of the synthetic "
            "police extract's offences with a 10 to 17 suspect, with the offence date, "
            "exploitation flag and outcome. Upload dates are simulated."
        ),
        "record_level": ["opfcc"],
        "hide_coordinates": True,
        "basis": LEGAL_BASIS_YOUTH,
        "agreement_start": dt.date(2021, 4, 1),
    },
]
LAPSED = {
    "slug": "fire-deliberate-fires",
    "name": "Deliberate fires",
    "owner": "fire",
    "format": Dataset.Format.TEMPLATE,
    "source_system": "Incident recording system",
    "cadence": Dataset.Cadence.QUARTERLY,
    "extraction_notes": "Deliberate primary and secondary fires by LSOA.",
    "record_level": [],
    "hide_coordinates": True,
    "basis": LEGAL_BASIS_YOUTH.replace("Pseudonymised extract: no names or dates of birth.", ""),
}


def _dataset(spec: dict[str, Any], owner: Organisation) -> Dataset:
    dataset, _ = Dataset.objects.get_or_create(
        slug=spec["slug"],
        defaults={
            "name": spec["name"],
            "owner": owner,
            "format": spec["format"],
            "source_system": spec["source_system"],
            "cadence": spec["cadence"],
            "extraction_notes": spec["extraction_notes"],
        },
    )
    return dataset


def _agreement(
    dataset: Dataset, spec: dict[str, Any], *, title: str, start: dt.date, end: dt.date
) -> None:
    agreement, created = DataSharingAgreement.objects.get_or_create(
        dataset=dataset,
        title=title,
        defaults={
            "legal_basis": spec["basis"],
            "purpose": PURPOSE,
            "start_date": start,
            "end_date": end,
            "retention_months": 36,
            "hide_coordinates": spec["hide_coordinates"],
        },
    )
    if created and spec["record_level"]:
        agreement.record_level_organisations.set(
            Organisation.objects.filter(slug__in=spec["record_level"])
        )


def seed_demo_datasets(*, stdout: Any | None = None) -> dict[str, Dataset]:
    """The demo partner datasets with current agreements (and one lapsed), by slug."""
    today = timezone.localdate()
    start = dt.date(today.year - 1, 4, 1)
    end = dt.date(today.year + 2, 3, 31)
    organisations = {o.slug: o for o in Organisation.objects.all()}
    found: dict[str, Dataset] = {}
    for spec in [*DATASETS, LAPSED]:
        owner = organisations.get(spec["owner"])
        if owner is None:
            if stdout is not None:
                stdout.write(f"Skipped dataset {spec['slug']}: no organisation {spec['owner']}.")
            continue
        dataset = _dataset(spec, owner)
        found[dataset.slug] = dataset
        if spec is LAPSED:
            _agreement(
                dataset,
                spec,
                title="Deliberate fires sharing agreement 2021 to 2023",
                start=dt.date(today.year - 5, 4, 1),
                end=dt.date(today.year - 2, 3, 31),
            )
        else:
            _agreement(
                dataset,
                spec,
                title=f"{spec['name']}: data-sharing agreement",
                start=spec.get("agreement_start", start),
                end=end,
            )
    return found


def _seed_geography(stdout: Any) -> None:
    folder = Path(settings.SHARED_DATA_DIR)
    if not folder.is_dir():
        stdout.write(f"Skipped geography: no data folder at {folder} (set SHARED_DATA_DIR).")
        return
    paths = []
    for path in files_in(folder):
        try:
            classify(path)
        except GeographyFileError:
            continue
        paths.append(path)
    if not paths:
        stdout.write(f"Skipped geography: no geography files in {folder}.")
        return
    counts = geography_load(plan=plan_from_files(paths))
    created = sum(n for key, n in counts.items() if key.endswith("created"))
    stdout.write(f"Geography from {folder}: {created} rows created.")


def seed(*, stdout: Any) -> None:
    """Load categories, priorities, geography (when the data folder exists) and demo datasets."""
    categories_load(data=read_json(CATEGORIES_FILE, key="categories"))
    priorities_load(data=read_json(PRIORITIES_FILE, key="priorities"))
    _seed_geography(stdout)
    datasets = seed_demo_datasets(stdout=stdout)
    stdout.write(f"Incident datasets ready: {', '.join(sorted(datasets))}.")
    from .demo_synthetic import seed_synthetic  # partner extracts made from those months
    from .importing.demo import seed_police_uk  # real police.uk months, through the pipeline

    seed_police_uk(stdout=stdout)
    seed_synthetic(stdout=stdout)
