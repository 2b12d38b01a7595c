"""A second partnership built entirely from files the test writes (issue 15, item 5).

Another force, other local authorities (one English, one Welsh), Welsh LSOAs with the Welsh
index: the geography loads from the national file layouts, the force's police.uk file imports
with its unplaced rows, and the aggregates count by the partnership's own authorities.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from incidents.models import Dataset, IncidentRecord, Lsoa, Upload
from incidents.selectors import aggregates_for_dataset
from tests.incidents.factories import AgreementFactory, DatasetFactory
from tests.incidents.test_import_support import run

pytestmark = pytest.mark.django_db

LOOKUP = [
    "FID,LSOA11CD,LSOA11NM,WD19CD,WD19NM,LAD19CD,LAD19NM",
    "1,E01099001,Borderford 001A,E05099001,Castle,E06099001,Borderford",
    "2,E01099002,Borderford 001B,E05099001,Castle,E06099001,Borderford",
    "3,E01099003,Elsewhere 001A,E05099002,Market,E06099002,Elsewhere",
    "4,W01099001,Afonfa 001A,W05099001,Bont,W06099001,Afonfa",
    "5,W01099002,Afonfa 001B,W05099001,Bont,W06099001,Afonfa",
]
WIMD = [
    "lsoa11cd,lsoa11nm,ladcd,ladnm,ladnmw,wimd_2019,FID",
    "W01099001,Afonfa 1,W06099001,Afonfa,Afonfa,1,1",
    "W01099002,Afonfa 2,W06099001,Afonfa,Afonfa,10,2",
    # The rest of this (ten-LSOA) nation, in another authority.
    *(f"W0109910{n},Pellach {n},W06099002,Pellach,Pellach,{n},{n}" for n in range(2, 10)),
]
POLICE = [
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Crime type,Last outcome category,Context",
    "a1,2023-01,Marchland Police,Marchland Police,-3.0,51.6,On or near Bridge St,W01099001,"
    "Afonfa 001A,Robbery,Under investigation,",
    "a2,2023-01,Marchland Police,Marchland Police,-3.0,51.6,On or near Bridge St,W01099002,"
    "Afonfa 001B,Violence and sexual offences,Under investigation,",
    "a3,2023-01,Marchland Police,Marchland Police,-2.9,51.7,On or near Mill Lane,E01099001,"
    "Borderford 001A,Robbery,Under investigation,",
    "a4,2023-01,Marchland Police,Marchland Police,-2.8,51.8,On or near Far Road,E01099003,"
    "Elsewhere 001A,Robbery,Under investigation,",
    ",2023-01,Marchland Police,Marchland Police,,,No Location,,,Anti-social behaviour,,",
]


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    return path


def test_another_force_and_welsh_authorities_from_written_files(tmp_path, org_a):
    call_command(
        "load_geography",
        str(write(tmp_path, "lookup.csv", LOOKUP)),
        str(write(tmp_path, "wimd.csv", WIMD)),
        "--local-authority",
        "Borderford",
        "--local-authority",
        "W06099001",
        stdout=StringIO(),
    )
    call_command("load_crime_categories", stdout=StringIO())
    assert set(Lsoa.objects.filter(in_area=True).values_list("code", flat=True)) == {
        "E01099001",
        "E01099002",
        "W01099001",
        "W01099002",
    }
    dataset = DatasetFactory(
        owner=org_a, slug="marchland", name="Marchland Police", format=Dataset.Format.POLICE_UK
    )
    AgreementFactory(dataset=dataset)

    upload = run(dataset, write(tmp_path, "2023-01-marchland-street.csv", POLICE))

    assert upload.status == Upload.Status.IMPORTED, (upload.problem, upload.first_errors)
    assert (upload.rows_new, upload.rows_outside_area, upload.rows_no_area) == (5, 1, 1)
    assert IncidentRecord.objects.get(source_ref="a4").outside_area
    result = aggregates_for_dataset(dataset=dataset, record_level=True)
    assert (result.total, result.outside_area, result.no_area) == (5, 1, 1)
    assert {row.label: row.count for row in result.by_authority} == {
        "Afonfa": 2,
        "Borderford": 1,
    }
    # Welsh deciles come from the Welsh index, labelled as such; the rest of Wales is outside.
    assert not Lsoa.objects.filter(code__startswith="W010991", in_area=True).exists()
    assert result.decile_index == "wales"
    assert [row.label for row in result.by_decile] == ["1 (most deprived)", "10 (least deprived)"]
