"""load_geography: ONS/MHCLG files → authorities, districts, wards, LSOAs and boundaries."""

from __future__ import annotations

import csv
import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F, Sum

from core.models import AuditEvent
from incidents.geography import centroid, point_in_geometry
from incidents.models import Authority, Boundary, District, Lsoa, Ward

pytestmark = pytest.mark.django_db

NORTH = {"E07000150", "E07000152", "E07000153", "E07000156"}
WEST = {"E07000151", "E07000154", "E07000155"}


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_geography", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    return {
        "lsoa": list(Lsoa.objects.order_by("code").values()),
        "ward": list(Ward.objects.order_by("code").values()),
        "district": list(District.objects.order_by("code").values()),
        "authority": list(Authority.objects.order_by("code").values()),
        "boundary": list(Boundary.objects.order_by("level", "code").values_list("pk", "code")),
    }


def test_real_files_load_the_partnership_area(shared_data):
    load("--data-dir", str(shared_data))

    in_area = Lsoa.objects.filter(in_area=True)
    assert in_area.count() == 422
    # The folder also holds the national ONS lookup (every district of England and Wales, as
    # its own authority): the county's districts keep the unitary authorities of its table.
    area_districts = District.objects.filter(lsoas__in_area=True).distinct()
    assert area_districts.count() == 7
    assert set(area_districts.values_list("authority__code", flat=True)) == {
        "E06000061",
        "E06000062",
    }
    north = Authority.objects.get(code="E06000061")
    west = Authority.objects.get(code="E06000062")
    assert north.name == "North Northamptonshire"
    assert set(north.districts.values_list("code", flat=True)) == NORTH
    assert set(west.districts.values_list("code", flat=True)) == WEST
    assert in_area.aggregate(total=Sum("population_total"))["total"] == 720_913
    assert not in_area.filter(district__isnull=True).exists()

    # The England-wide list and the national lookup: every other LSOA of England and Wales,
    # recognised but outside the area.
    assert Lsoa.objects.count() == 32_844 + 1_909
    milton_keynes = Lsoa.objects.get(code="E01016483")
    assert milton_keynes.in_area is False
    assert milton_keynes.imd_decile is not None

    # IMD deciles and ranks match File 1 for a sample of LSOAs.
    file1 = (
        shared_data
        / "imd2019"
        / "northamptonshire_File_1_IMD2019_Index_of_Multiple_Deprivation.csv"
    )
    with file1.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows[::37]:
        lsoa = Lsoa.objects.get(code=row["LSOA code (2011)"])
        assert lsoa.imd_decile == int(row["Index of Multiple Deprivation (IMD) Decile"])
        assert lsoa.imd_rank == int(row["Index of Multiple Deprivation (IMD) Rank"])
        assert lsoa.district.code == row["Local Authority District code (2019)"]

    corby = Lsoa.objects.get(code="E01026949")
    assert corby.name == "Corby 005A"
    assert str(corby.imd_score) == "33.736"
    assert corby.population_year == 2015
    assert corby.population_bands["0-15"] == 196
    assert corby.domain_deciles["crime"] == 2

    # Wards: the 146 drawn (each in a district) place the county's LSOAs by their centroids,
    # so the ward maps match; the national lookup places every other LSOA in its 2019 ward.
    drawn = Boundary.objects.filter(level="ward").values_list("code", flat=True)
    assert not Ward.objects.filter(district__isnull=True).exists()
    placed = in_area.filter(ward__isnull=False)
    assert placed.count() == 422
    assert placed.filter(ward__code__in=list(drawn)).count() == 422
    assert not Lsoa.objects.filter(ward__isnull=True).exists()
    same_district = placed.filter(ward__district=F("district")).count()
    assert same_district >= 0.95 * 422

    assert Boundary.objects.filter(level="lsoa").count() == 422
    assert Boundary.objects.filter(level="ward").count() == 146
    assert Boundary.objects.filter(level="district").count() == 7
    assert not Boundary.objects.filter(level="authority").exists()
    assert AuditEvent.objects.filter(action="reference.geography_loaded").count() == 1


def test_second_run_changes_nothing(shared_data):
    load("--data-dir", str(shared_data))
    before = snapshot()
    output = load("--data-dir", str(shared_data))
    assert snapshot() == before
    assert not re.search(r"(created|updated): [1-9]", output), output
    assert AuditEvent.objects.filter(action="reference.geography_loaded").count() == 1


def test_files_can_be_given_one_by_one(shared_data):
    load(
        str(
            shared_data
            / "imd2019"
            / "northamptonshire_File_1_IMD2019_Index_of_Multiple_Deprivation.csv"
        )
    )
    assert Lsoa.objects.count() == 422
    assert District.objects.count() == 7
    assert Authority.objects.count() == 0  # File 1 says nothing about the 2021 authorities
    load(
        str(
            shared_data
            / "population"
            / "northamptonshire_File_6_IoD2019_Population_Denominators_mid2015.csv"
        )
    )
    assert Lsoa.objects.aggregate(total=Sum("population_total"))["total"] == 720_913


def test_a_wrong_file_is_refused_and_nothing_changes(shared_data, tmp_path):
    police = sorted((shared_data / "police_uk").glob("*.csv"))[0]
    with pytest.raises(CommandError, match="not a recognised ONS/MHCLG LSOA file"):
        load(str(shared_data / "imd2019" / "northamptonshire_imd2019_lsoa.csv"), str(police))
    assert not Lsoa.objects.exists()


def test_bad_values_are_refused_with_the_line(tmp_path):
    path = tmp_path / "file1.csv"
    path.write_text(
        "LSOA code (2011),LSOA name (2011),Local Authority District code (2019),"
        "Local Authority District name (2019),Index of Multiple Deprivation (IMD) Rank,"
        "Index of Multiple Deprivation (IMD) Decile\n"
        "E01000001,Town 001A,E07000001,Town,100,1\n"
        "E01000002,Town 001B,E07000001,Town,200,11\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="line 3: IMD decile 11 is not between 1 and 10"):
        load(str(path))
    assert not Lsoa.objects.exists()
    path.write_text(path.read_text().replace("E01000002", "NOT-A-CODE").replace(",11", ",2"))
    with pytest.raises(CommandError, match="'NOT-A-CODE' is not an ONS area code"):
        load(str(path))


def test_non_utf8_and_unknown_geojson_are_refused(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("LSOA11CD,Café\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        load(str(latin))
    geo = tmp_path / "shapes.geojson"
    geo.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {"id": 1}, "geometry": None}],
            }
        )
    )
    with pytest.raises(CommandError, match="no LSOA, MSOA, ward or district code property"):
        load(str(geo))
    with pytest.raises(CommandError, match="no such file"):
        load(str(tmp_path / "missing.csv"))


def test_in_area_lsoa_is_never_demoted_by_the_england_list(tmp_path):
    england = tmp_path / "england.csv"
    england.write_text(
        '"LSOA11CD","IMD_2019_decile","IMD_2019_score"\n"E01000001",3,30.5\n"E01000009",9,5.1\n'
    )
    Lsoa.objects.create(code="E01000001", name="Town 001A", in_area=True)
    load(str(england))
    assert Lsoa.objects.get(code="E01000001").in_area is True
    assert Lsoa.objects.get(code="E01000009").in_area is False
    assert Lsoa.objects.get(code="E01000009").imd_decile == 9


def test_point_in_polygon_with_a_hole():
    square = {
        "type": "Polygon",
        "coordinates": [
            [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
            [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
        ],
    }
    assert point_in_geometry((1, 1), square)
    assert not point_in_geometry((5, 5), square)
    assert not point_in_geometry((11, 5), square)
    multi = {
        "type": "MultiPolygon",
        "coordinates": [square["coordinates"], [[[20, 20], [30, 20], [30, 30], [20, 20]]]],
    }
    assert point_in_geometry((28, 22), multi)
    assert centroid(
        {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]}
    ) == (1.0, 1.0)
