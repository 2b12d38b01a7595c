"""Geography for any partnership from the national files (issue 15, item 2).

The national ONS LSOA → ward → local authority lookup and the Welsh Index of Multiple
Deprivation (../shared/data/national), recognised by their columns; a partnership names its
local authorities and every other LSOA is loaded as outside the area.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from incidents.geography import classify, wimd_decile
from incidents.models import Authority, District, Lsoa, Ward
from tests.incidents.factories import LsoaFactory

pytestmark = pytest.mark.django_db

LOOKUP = "LSOA11_WD19_LAD19_EW_LU.csv"
WIMD = "WIMD2019_LSOA11_Wales_LU.csv"
LOOKUP_HEADER = "FID,LSOA11CD,LSOA11NM,WD19CD,WD19NM,LAD19CD,LAD19NM"
WIMD_HEADER = "lsoa11cd,lsoa11nm,ladcd,ladnm,ladnmw,wimd_2019,FID"


def load(*paths: Path, area: tuple[str, ...] = ()) -> str:
    out = StringIO()
    args = [str(p) for p in paths]
    for authority in area:
        args += ["--local-authority", authority]
    call_command("load_geography", *args, stdout=out)
    return out.getvalue()


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------
# The real national files
# ---------------------------------------------------------------------------
@pytest.mark.shared_data
def test_national_files_are_recognised_by_their_columns(shared_data):
    assert classify(shared_data / "national" / LOOKUP) == "ward_lookup"
    assert classify(shared_data / "national" / WIMD) == "wimd"


@pytest.mark.shared_data
def test_a_welsh_partnership_loads_from_the_national_files_in_seconds(shared_data):
    lookup, wimd = shared_data / "national" / LOOKUP, shared_data / "national" / WIMD
    with open(lookup, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    newport_and_torfaen = {r["LSOA11CD"] for r in rows if r["LAD19NM"] in ("Newport", "Torfaen")}
    assert len(rows) == 32_844 + 1_909

    started = time.monotonic()
    out = load(lookup, wimd, area=("Newport", "W06000020"))  # Torfaen by its code
    first = time.monotonic() - started
    assert first < 60, f"loading the national lookup took {first:.0f} s"
    assert "ONS LSOA to ward to local authority lookup" in out

    assert Lsoa.objects.count() == len(rows)
    assert set(Lsoa.objects.filter(in_area=True).values_list("code", flat=True)) == (
        newport_and_torfaen
    )
    # Every other LSOA is recognised, as outside the area.
    assert Lsoa.objects.filter(in_area=False).count() == len(rows) - len(newport_and_torfaen)
    assert Ward.objects.count() == len({r["WD19CD"] for r in rows})
    assert District.objects.count() == len({r["LAD19CD"] for r in rows})
    # Each district is placed under an authority (itself, when nothing else is known).
    assert not District.objects.filter(authority__isnull=True).exists()
    newport = Lsoa.objects.select_related("ward", "district").get(
        code=sorted(newport_and_torfaen)[0]
    )
    source = next(r for r in rows if r["LSOA11CD"] == newport.code)
    assert (newport.name, newport.ward.code, newport.district.code) == (
        source["LSOA11NM"],
        source["WD19CD"],
        source["LAD19CD"],
    )

    # The Welsh index: ranks as published, deciles as the Welsh Government groups them.
    with open(wimd, encoding="utf-8-sig", newline="") as handle:
        ranks = {r["lsoa11cd"]: int(r["wimd_2019"]) for r in csv.DictReader(handle)}
    welsh = dict(Lsoa.objects.filter(code__startswith="W").values_list("code", "imd_rank"))
    assert welsh == ranks
    deciles = Counter(
        Lsoa.objects.filter(code__startswith="W").values_list("imd_decile", flat=True)
    )
    # Most deprived 10% = ranks 1-191, 20% = 1-382, 30% = 1-573, 50% = 1-955 (WIMD 2019).
    assert deciles[1] == 191
    assert deciles[1] + deciles[2] == 382
    assert deciles[1] + deciles[2] + deciles[3] == 573
    assert sum(deciles[d] for d in range(1, 6)) == 955
    assert sum(deciles.values()) == 1909
    # English LSOAs have no Welsh rank.
    assert not Lsoa.objects.filter(code__startswith="E", imd_rank__isnull=False).exists()

    # A second load changes nothing.
    started = time.monotonic()
    again = load(lookup, wimd, area=("Newport", "W06000020"))
    assert time.monotonic() - started < 60
    assert "LSOAs of the national files unchanged: 34753" in again
    changes = [
        line
        for line in again.splitlines()
        if any(word in line for word in ("created", "updated", "moved", "removed"))
    ]
    assert changes and all(line.endswith(": 0") for line in changes), changes


@pytest.mark.shared_data
def test_county_files_with_the_national_lookup_keep_the_county_in_the_area(shared_data):
    """No authority named: the county's own files define the area; the rest is outside."""
    load(
        shared_data / "imd2019" / "northamptonshire_imd2019_lsoa.csv",
        shared_data / "national" / LOOKUP,
    )
    assert Lsoa.objects.filter(in_area=True).count() == 422
    assert Lsoa.objects.count() == 32_844 + 1_909
    # The county's LSOAs keep the unitary authorities the county table links their districts to.
    assert set(
        Lsoa.objects.filter(in_area=True).values_list("district__authority__code", flat=True)
    ) == {"E06000061", "E06000062"}
    # Naming the unitary authorities gives the same area.
    load(shared_data / "national" / LOOKUP, area=("E06000061", "E06000062"))
    assert Lsoa.objects.filter(in_area=True).count() == 422


def test_wimd_deciles_match_the_published_rank_groups():
    # WIMD 2019, 1,909 LSOAs: decile 1 = ranks 1-191, 2 up to 382, 3 up to 573, 5 up to 955.
    assert [wimd_decile(r, 1909) for r in (1, 191, 192, 382, 383, 573, 574, 955, 956)] == [
        1, 1, 2, 2, 3, 3, 4, 5, 6,
    ]  # fmt: skip
    assert wimd_decile(1909, 1909) == 10


# ---------------------------------------------------------------------------
# Small written files: choosing the area, bad input
# ---------------------------------------------------------------------------
def small_lookup(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        "lookup.csv",
        [
            LOOKUP_HEADER,
            "1,E01000001,Alpha 001A,E05000001,Alpha Ward,E09000001,Alpha",
            "2,E01000002,Alpha 001B,E05000001,Alpha Ward,E09000001,Alpha",
            "3,E01000003,Beta 001A,E05000002,Beta Ward,E09000002,Beta",
            "4,W01000001,Gamma 001A,W05000001,Gamma Ward,W06000001,Gamma",
        ],
    )


def small_wimd(tmp_path: Path, ranks: tuple[int, int] = (1, 2)) -> Path:
    return write(
        tmp_path,
        "wimd.csv",
        [
            WIMD_HEADER,
            f"W01000001,Gamma 001A,W06000001,Gamma,Gama,{ranks[0]},1",
            f"W01000002,Gamma 001B,W06000001,Gamma,Gama,{ranks[1]},2",
        ],
    )


def test_named_authorities_are_the_area_and_everything_else_is_outside(tmp_path):
    load(small_lookup(tmp_path), small_wimd(tmp_path), area=("alpha", "W06000001"))
    in_area = dict(Lsoa.objects.values_list("code", "in_area"))
    assert in_area == {
        "E01000001": True,
        "E01000002": True,
        "E01000003": False,
        "W01000001": True,
        "W01000002": True,  # in the Welsh index only, placed by its local authority there
    }
    assert Authority.objects.filter(code="E09000001", name="Alpha").exists()
    # A later load naming another authority moves the area.
    load(small_lookup(tmp_path), area=("E09000002",))
    assert set(Lsoa.objects.filter(in_area=True).values_list("code", flat=True)) == {"E01000003"}


def test_lookup_without_a_named_area_never_demotes_the_area_already_loaded(tmp_path):
    LsoaFactory(code="E01000001", in_area=True)
    load(small_lookup(tmp_path))
    assert dict(Lsoa.objects.values_list("code", "in_area")) == {
        "E01000001": True,
        "E01000002": False,
        "E01000003": False,
        "W01000001": False,
    }


@pytest.mark.parametrize(
    ("name", "lines", "expected"),
    [
        (
            "lookup.csv",
            [
                LOOKUP_HEADER,
                "1,E01000001,A,E05000001,W,E09000001,A",
                "2,E0100002,A,E05000001,W,E09000001,A",
            ],
            "lookup.csv row 3, column LSOA11CD: 'E0100002'",
        ),
        (
            "lookup.csv",
            [LOOKUP_HEADER, "1,E01000001,A,,W,E09000001,A"],
            "lookup.csv row 2, column WD19CD: ''",
        ),
        (
            "lookup.csv",
            [LOOKUP_HEADER, "1,E01000001,A,E05000001,W,E05000001,A"],
            "lookup.csv row 2, column LAD19CD: 'E05000001'",
        ),
        (
            "lookup.csv",
            [
                LOOKUP_HEADER,
                "1,E01000001,A,E05000001,W,E09000001,A",
                "2,E01000001,A,E05000002,V,E09000001,A",
            ],
            "lookup.csv row 3, column LSOA11CD: E01000001 appears twice with different wards",
        ),
        (
            "wimd.csv",
            [WIMD_HEADER, "W01000001,A,W06000001,G,G,1,1", "W01000002,B,W06000001,G,G,1,2"],
            "wimd.csv row 3, column wimd_2019: rank 1 is also on row 2",
        ),
        (
            "wimd.csv",
            [WIMD_HEADER, "W01000001,A,W06000001,G,G,1,1", "W01000002,B,W06000001,G,G,7,2"],
            "wimd.csv row 3, column wimd_2019: rank 7 is higher than the 2 LSOAs in the file",
        ),
        (
            "wimd.csv",
            [WIMD_HEADER, "E01000001,A,W06000001,G,G,1,1"],
            "wimd.csv row 2, column lsoa11cd: E01000001 is not a Welsh LSOA",
        ),
        (
            "wimd.csv",
            [WIMD_HEADER, "W01000001,A,W06000001,G,G,first,1"],
            "wimd.csv row 2, column wimd_2019: 'first' is not a whole number",
        ),
        (
            "lookup.csv",
            ["LSOA11CD,LSOA11NM,LAD19CD", "E01000001,A,E09000001"],
            "lookup.csv: not a recognised ONS/MHCLG LSOA file",
        ),
    ],
)
def test_bad_national_file_names_file_row_column_and_changes_nothing(
    tmp_path, name, lines, expected
):
    LsoaFactory(code="E01000009", in_area=True)
    path = write(tmp_path, name, lines)
    with pytest.raises(CommandError) as refused:
        load(path)
    assert "Nothing was changed" in str(refused.value)
    assert expected in str(refused.value)
    assert list(Lsoa.objects.values_list("code", flat=True)) == ["E01000009"]
    assert not Ward.objects.exists()


def test_unknown_local_authority_is_refused_and_changes_nothing(tmp_path):
    with pytest.raises(CommandError, match="Local authority 'Nowhere': no local authority"):
        load(small_lookup(tmp_path), area=("Nowhere",))
    assert not Lsoa.objects.exists()


# ---------------------------------------------------------------------------
# Welsh and English deciles are never mixed
# ---------------------------------------------------------------------------
def test_welsh_and_english_deciles_are_shown_apart_and_flagged(alice_client, police_dataset):
    from django.urls import reverse

    from tests.incidents.factories import CategoryFactory, RecordFactory

    english = LsoaFactory(code="E01000001", imd_decile=1, population_total=1000)
    welsh = LsoaFactory(code="W01000001", imd_decile=1, imd_rank=5, population_total=1000)
    robbery = CategoryFactory(slug="robbery", name="Robbery")
    RecordFactory.create_batch(12, dataset=police_dataset, lsoa=english, category=robbery)
    RecordFactory.create_batch(15, dataset=police_dataset, lsoa=welsh, category=robbery)

    page = alice_client.get(reverse("incidents:aggregates", args=[police_dataset.slug]))
    html = page.content.decode()
    assert "Welsh and English deciles are not comparable" in html
    assert "1 (most deprived) — England, IMD" in html
    assert "1 (most deprived) — Wales, WIMD" in html

    # A partnership wholly in Wales sees the Welsh index named, with no warning.
    english.records.all().delete()
    english.delete()
    html = alice_client.get(
        reverse("incidents:aggregates", args=[police_dataset.slug])
    ).content.decode()
    assert "Welsh Index of Multiple Deprivation 2019 decile" in html
    assert "not comparable" not in html


# ---------------------------------------------------------------------------
# England-wide deprivation files
# ---------------------------------------------------------------------------
FILE1_HEADER = (
    "LSOA code (2011),LSOA name (2011),Local Authority District code (2019),"
    "Local Authority District name (2019),Index of Multiple Deprivation (IMD) Rank,"
    "Index of Multiple Deprivation (IMD) Decile"
)


def england_wide_file1(tmp_path: Path, count: int = 6010) -> Path:
    lines = [FILE1_HEADER]
    for n in range(1, count + 1):
        district = "E09000001" if n <= 10 else "E09000002"
        lines.append(
            f"E01{n:06d},Area {n},{district},D{district[-1]},{n},{(n - 1) * 10 // count + 1}"
        )
    return write(tmp_path, "File_1_IMD2019.csv", lines)


def test_england_wide_file_without_named_authorities_is_refused(tmp_path):
    with pytest.raises(CommandError) as refused:
        load(england_wide_file1(tmp_path))
    message = str(refused.value)
    assert "File_1_IMD2019.csv: these files describe 6,010 LSOAs" in message
    assert "--local-authority" in message and "Nothing was changed" in message
    assert not Lsoa.objects.exists()


def test_england_wide_file_with_named_authorities_loads_in_bulk(tmp_path):
    started = time.monotonic()
    load(england_wide_file1(tmp_path), area=("E09000001",))
    assert time.monotonic() - started < 30
    assert Lsoa.objects.count() == 6010
    assert Lsoa.objects.filter(in_area=True).count() == 10
    assert Lsoa.objects.get(code="E01000001").imd_decile == 1
