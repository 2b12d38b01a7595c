"""Evidence test data: a small area and two datasets over three years (tests and e2e)."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from evidence.cubes import cubes_refresh
from evidence.query import month_add
from incidents.models import Dataset, IncidentRecord
from tests.incidents.factories import (
    AgreementFactory,
    CategoryFactory,
    DatasetFactory,
    DistrictFactory,
    LsoaFactory,
    WardFactory,
)

START = dt.date(2022, 1, 1)
MONTHS = 36


def seed_geography():
    district_a = DistrictFactory(code="E07000001", name="Northtown")
    district_b = DistrictFactory(code="E07000002", name="Southtown")
    wards = [
        WardFactory(code=f"E0500000{i}", name=f"Ward {i}", district=d)
        for i, d in enumerate([district_a, district_a, district_b, district_b], start=1)
    ]
    lsoas = [
        LsoaFactory(
            code=f"E0100000{i}",
            district=wards[i % 4].district,
            ward=wards[i % 4],
            population_total=1200 + 100 * i,
            imd_decile=1 + i % 10,
        )
        for i in range(10)
    ]
    return {"districts": [district_a, district_b], "wards": wards, "lsoas": lsoas}


def seed_evidence(*, geography, police_owner, health_owner, knife):
    """A police dataset (org A) and an ISTV dataset (org B); records spread over 36 months."""
    police = DatasetFactory(owner=police_owner, slug="police-extract", name="Police extract")
    istv = DatasetFactory(
        owner=health_owner, slug="ed-assaults", name="ED assaults", format=Dataset.Format.ISTV
    )
    AgreementFactory(dataset=police)
    AgreementFactory(dataset=istv)
    violence = CategoryFactory(slug="violence", name="Violence and sexual offences")
    rng = random.Random(7)
    tz = timezone.get_current_timezone()
    records = []
    n = 0
    for dataset, per_month in ((police, 30), (istv, 12)):
        for m in range(MONTHS):
            month = month_add(START, m)
            for _ in range(per_month + rng.randint(-5, 5)):
                n += 1
                day = month.replace(day=rng.randint(1, 28))
                precision = rng.choice(["datetime", "day", "month"])
                records.append(
                    IncidentRecord(
                        dataset=dataset,
                        source_ref=f"R{n}",
                        occurred_on=day if precision != "month" else month,
                        occurred_at=dt.datetime.combine(day, dt.time(rng.randint(0, 23)), tz)
                        if precision == "datetime"
                        else None,
                        date_precision=precision,
                        category=violence,
                        lsoa=rng.choice(geography["lsoas"] + [None]),
                        location_text=rng.choice(["On or near High Street", "The Crown pub", ""]),
                        location_type=rng.choice(["licensed_premises", "public_place", "unknown"]),
                        weapon=rng.choice(["knife", "none", "unknown"]),
                        victim_age_band=rng.choice(["10-17", "18-24", "25-34", "unknown"]),
                        victim_sex=rng.choice(["female", "male", "unknown"]),
                        suspect_age_band=rng.choice(["18-24", "35-44", "unknown"]),
                        suspect_sex=rng.choice(["male", "unknown"]),
                        row_hash=f"h{n}",
                        priority_bits=knife.mask if rng.random() < 0.3 else 0,
                    )
                )
    IncidentRecord.objects.bulk_create(records, batch_size=2000)
    cubes_refresh(dataset_id=police.pk)
    cubes_refresh(dataset_id=istv.pk)
    return {"police": police, "istv": istv, "violence": violence, "records": records}
