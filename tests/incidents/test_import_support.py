"""Shared fixtures and helpers for the import pipeline's tests (imported by the test_import_* and
test_upload_* modules; this module holds no tests of its own)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from incidents.importing.services import upload_run_now
from incidents.models import Dataset, Upload
from tests.incidents.factories import (
    AgreementFactory,
    CategoryFactory,
    CategoryMappingFactory,
    DatasetFactory,
    LsoaFactory,
)

IN_AREA = "E01027117"
IN_AREA_2 = "E01027118"
OUTSIDE = "E01016000"  # a real English LSOA outside the partnership (e.g. Milton Keynes)
UNKNOWN = "E01999999"  # in no Lsoa row at all

POLICE_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context"
)
TEMPLATE_HEADER = (
    "reference,occurred_date,occurred_time,category,lsoa_code,location_text,latitude,longitude,"
    "location_type,weapon,domestic_abuse,alcohol_involved,exploitation,victim_age_band,"
    "victim_sex,suspect_age_band,suspect_sex,injury_severity,outcome,offence_code"
)


def police_row(
    crime_id: str = "abc1",
    month: str = "2022-01",
    lsoa: str = IN_AREA,
    crime_type: str = "Robbery",
    location: str = "On or near High Street",
    outcome: str = "Under investigation",
) -> str:
    return (
        f"{crime_id},{month},Testshire Police,Testshire Police,-0.900000,52.240000,{location},"
        f"{lsoa},Testtown 001A,{crime_type},{outcome},"
    )


def police_csv(*rows: str) -> str:
    return "\n".join([POLICE_HEADER, *rows]) + "\n"


def template_row(ref: str = "T1", date: str = "2022-03-14", **values: str) -> str:
    fields = {
        "reference": ref,
        "occurred_date": date,
        "occurred_time": "22:30",
        "category": "Robbery",
        "lsoa_code": IN_AREA,
        "location_text": "On or near Market Square",
        "latitude": "52.24",
        "longitude": "-0.9",
        "location_type": "public_place",
        "weapon": "knife",
        "domestic_abuse": "no",
        "alcohol_involved": "yes",
        "exploitation": "",
        "victim_age_band": "18-24",
        "victim_sex": "male",
        "suspect_age_band": "",
        "suspect_sex": "",
        "injury_severity": "minor",
        "outcome": "Under investigation",
        "offence_code": "34B",
    }
    fields.update(values)
    out = io.StringIO()
    import csv

    # "\n" as the terminator so that a value with a line break is quoted, then dropped.
    csv.writer(out, lineterminator="\n").writerow(fields.values())
    return out.getvalue()[:-1]


def template_csv(*rows: str) -> str:
    return "\n".join([TEMPLATE_HEADER, *rows]) + "\n"


@pytest.fixture
def geography(db):
    """Two LSOAs in the area, one real LSOA outside it."""
    return {
        "in": LsoaFactory(code=IN_AREA, in_area=True),
        "in2": LsoaFactory(code=IN_AREA_2, in_area=True),
        "out": LsoaFactory(code=OUTSIDE, in_area=False),
    }


@pytest.fixture
def categories(db):
    robbery = CategoryFactory(slug="robbery", name="Robbery")
    asb = CategoryFactory(slug="anti-social-behaviour", name="Anti-social behaviour")
    violence = CategoryFactory(slug="violence", name="Violence and sexual offences")
    CategoryMappingFactory(source_format="portal_template", source_code="34B", category=violence)
    return {"robbery": robbery, "asb": asb, "violence": violence}


@pytest.fixture
def police_dataset(org_a, geography, categories):
    dataset = DatasetFactory(
        owner=org_a,
        slug="police-uk-street",
        name="Police street crime",
        format=Dataset.Format.POLICE_UK,
    )
    AgreementFactory(dataset=dataset)
    return dataset


@pytest.fixture
def template_dataset(org_a, geography, categories):
    dataset = DatasetFactory(
        owner=org_a, slug="police-extract", name="Police extract", format=Dataset.Format.TEMPLATE
    )
    AgreementFactory(dataset=dataset)
    return dataset


@pytest.fixture
def istv_dataset(org_b, geography, categories):
    dataset = DatasetFactory(
        owner=org_b, slug="istv-ed", name="ED assaults", format=Dataset.Format.ISTV
    )
    AgreementFactory(dataset=dataset)
    return dataset


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return path


def run(dataset: Dataset, path: Path, user=None) -> Upload:
    return upload_run_now(dataset=dataset, path=path, user=user)
