# ruff: noqa: F811 - pytest fixtures imported from tests/incidents/test_import_support.py
"""Every data.police.uk street file imports as published, whichever force wrote it (issue 15).

Real files (../shared/data/police_uk_other: Gwent, Warwickshire, British Transport Police) carry
rows police.uk could not place ("No Location", no coordinates, no LSOA); small written files cover
a byte-order mark, CRLF, Context text, 2021 LSOA codes, zeroed coordinates, two forces feeding one
partnership, and the other police.uk files (outcomes, stop and search), which are refused.
"""

from __future__ import annotations

import csv
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count

from incidents.geography import geography_load, plan_from_files
from incidents.models import (
    CategoryMapping,
    Dataset,
    IncidentRecord,
    Lsoa,
    LsoaVintageLink,
    Upload,
)
from incidents.selectors import aggregates_for_dataset
from tests.incidents.factories import AgreementFactory, DatasetFactory, LsoaFactory
from tests.incidents.test_import_support import (
    IN_AREA,
    IN_AREA_2,
    OUTSIDE,
    POLICE_HEADER,
    categories,  # noqa: F401 - fixture
    geography,  # noqa: F401 - fixture
    police_csv,
    police_dataset,  # noqa: F401 - fixture
    police_row,
    run,
    template_dataset,  # noqa: F401 - fixture
    write,
)

pytestmark = pytest.mark.django_db

NO_LOCATION = ",2022-01,Testshire Police,Testshire Police,,,No Location,,,Anti-social behaviour,,"


def imported(upload: Upload) -> Upload:
    assert upload.status == Upload.Status.IMPORTED, (upload.problem, upload.first_errors)
    return upload


# ---------------------------------------------------------------------------
# The three real files
# ---------------------------------------------------------------------------
@pytest.fixture
def england_and_categories(shared_data, org_a):
    """The county's IMD File 1 (in the area) and the England-wide list (outside it)."""
    call_command(
        "load_geography",
        str(shared_data / "imd2019" / "imd2019_england_lsoa_score_decile__aow_datarelease.csv"),
        str(
            shared_data
            / "imd2019"
            / "northamptonshire_File_1_IMD2019_Index_of_Multiple_Deprivation.csv"
        ),
        stdout=StringIO(),
    )
    call_command("load_crime_categories", stdout=StringIO())


def _expected(path: Path) -> tuple[Counter[str], int, int]:
    """Rows per crime type, rows without an LSOA, and all rows, counted with the csv module."""
    types: Counter[str] = Counter()
    no_lsoa = rows = 0
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rows += 1
            types[row["Crime type"]] += 1
            no_lsoa += row["LSOA code"] == ""
    return types, no_lsoa, rows


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "rows", "no_location"),
    [
        ("2022-01-gwent-street.csv", 4839, 17),
        ("2022-01-warwickshire-street.csv", 3724, 93),
        ("2022-01-btp-street.csv", 3993, 162),
    ],
)
def test_other_forces_real_files_import_in_full_keeping_unplaced_rows(
    england_and_categories, shared_data, org_a, name, rows, no_location
):
    path = shared_data / "police_uk_other" / name
    expected_types, expected_no_lsoa, expected_rows = _expected(path)
    assert (expected_rows, expected_no_lsoa) == (rows, no_location)
    dataset = DatasetFactory(owner=org_a, slug="force", format=Dataset.Format.POLICE_UK)
    AgreementFactory(dataset=dataset)

    upload = imported(run(dataset, path))

    assert (upload.rows_total, upload.rows_new, upload.rows_invalid) == (rows, rows, 0)
    assert upload.rows_no_area == no_location
    records = IncidentRecord.objects.filter(dataset=dataset)
    assert records.count() == rows
    mapping = dict(
        CategoryMapping.objects.filter(source_format="police_uk_street").values_list(
            "source_code", "category__slug"
        )
    )
    got = dict(records.values_list("category__slug").annotate(n=Count("pk")))
    assert got == dict(Counter({mapping[t]: n for t, n in expected_types.items()}))
    unplaced = records.filter(lsoa__isnull=True, outside_area=False)
    assert unplaced.count() == no_location
    if name != "2022-01-btp-street.csv":  # BTP places its rows at stations, without an LSOA
        assert set(unplaced.values_list("location_text", flat=True)) == {"No Location"}
        assert not unplaced.exclude(latitude=None).exists()

    # The aggregates count them in the total and as "without a known area".
    result = aggregates_for_dataset(dataset=dataset, record_level=True)
    assert result.total == rows
    assert result.no_area == no_location
    # Every row is either in the area, outside it, or without a known area.
    in_area = records.filter(lsoa__in_area=True, outside_area=False).count()
    assert in_area + result.outside_area + result.no_area == rows


@pytest.mark.shared_data
def test_gwent_welsh_codes_are_outside_an_english_partnership(
    england_and_categories, shared_data, org_a
):
    path = shared_data / "police_uk_other" / "2022-01-gwent-street.csv"
    dataset = DatasetFactory(owner=org_a, slug="gwent", format=Dataset.Format.POLICE_UK)
    AgreementFactory(dataset=dataset)
    with open(path, encoding="utf-8", newline="") as handle:
        welsh = sum(row["LSOA code"].startswith("W01") for row in csv.DictReader(handle))
    upload = imported(run(dataset, path))
    # Welsh LSOAs (no Welsh geography loaded) and English ones outside the county: outside.
    assert upload.rows_outside_area == 4839 - 17
    assert IncidentRecord.objects.filter(dataset=dataset, outside_area=True).count() >= welsh


# ---------------------------------------------------------------------------
# Written files: the edge cases
# ---------------------------------------------------------------------------
def test_no_location_rows_are_kept_without_a_known_area(police_dataset, tmp_path):
    zeroed = (
        "z1,2022-01,Testshire Police,Testshire Police,0.000000,0.000000,No Location,,,"
        "Robbery,Under investigation,"
    )
    path = write(
        tmp_path,
        "f.csv",
        police_csv(police_row("a"), NO_LOCATION, zeroed, police_row("b", lsoa=OUTSIDE)),
    )
    upload = imported(run(police_dataset, path))
    assert (upload.rows_new, upload.rows_outside_area, upload.rows_no_area) == (4, 1, 2)
    unplaced = IncidentRecord.objects.filter(lsoa__isnull=True, outside_area=False)
    assert unplaced.count() == 2
    # Zeroed coordinates are no place: not stored as a point in the Gulf of Guinea.
    assert not unplaced.exclude(latitude=None).exclude(longitude=None).exists()
    assert sorted(unplaced.values_list("location_text", flat=True)) == ["No Location"] * 2
    result = aggregates_for_dataset(dataset=police_dataset, record_level=True)
    assert (result.total, result.outside_area, result.no_area) == (4, 1, 2)


def test_byte_order_mark_crlf_and_context_text(police_dataset, tmp_path):
    rows = [
        POLICE_HEADER,
        police_row("a")[:-1] + '"Recorded at, the station (on a platform)"',
        police_row("b") + "Context with words",
        NO_LOCATION,
    ]
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")
    upload = imported(run(police_dataset, path))
    assert (upload.rows_total, upload.rows_new, upload.rows_no_area) == (3, 3, 1)
    assert set(IncidentRecord.objects.values_list("source_ref", flat=True)) >= {"a", "b"}


def test_british_transport_police_rows_across_many_areas(police_dataset, tmp_path):
    btp = [
        police_row("t1", lsoa=IN_AREA).replace("Testshire Police", "British Transport Police"),
        police_row("t2", lsoa=OUTSIDE).replace("Testshire Police", "British Transport Police"),
        police_row("t3", lsoa="W01001234").replace("Testshire Police", "British Transport Police"),
        # A station police.uk put at a point but in no LSOA.
        "t4,2022-01,British Transport Police,British Transport Police,-1.08,53.95,"
        "On or near York (Station),,,Robbery,Under investigation,",
    ]
    upload = imported(run(police_dataset, write(tmp_path, "btp.csv", police_csv(*btp))))
    assert (upload.rows_new, upload.rows_outside_area, upload.rows_no_area) == (4, 2, 1)


def test_partnership_spanning_two_forces_has_two_police_datasets(police_dataset, org_a, tmp_path):
    second = DatasetFactory(
        owner=org_a, slug="second-force", name="Second force", format=Dataset.Format.POLICE_UK
    )
    AgreementFactory(dataset=second)
    # The same Crime ID and an identical ASB row in both forces' files: one record in each.
    first_file = police_csv(police_row("same"), police_row("x1", lsoa=IN_AREA_2), NO_LOCATION)
    second_file = police_csv(
        police_row("same").replace("Testshire", "Otherset"),
        police_row("y1", lsoa=OUTSIDE).replace("Testshire", "Otherset"),
        NO_LOCATION.replace("Testshire", "Otherset"),
    )
    imported(run(police_dataset, write(tmp_path, "a.csv", first_file)))
    imported(run(second, write(tmp_path, "b.csv", second_file)))
    assert IncidentRecord.objects.filter(dataset=police_dataset).count() == 3
    assert IncidentRecord.objects.filter(dataset=second).count() == 3
    first = aggregates_for_dataset(dataset=police_dataset, record_level=True)
    other = aggregates_for_dataset(dataset=second, record_level=True)
    assert (first.total, first.no_area, other.total, other.no_area) == (3, 1, 3, 1)
    assert other.outside_area == 1


# ---------------------------------------------------------------------------
# LSOA codes of either vintage
# ---------------------------------------------------------------------------
VINTAGE_HEADER = "LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,CHGIND,LAD22CD,LAD22NM,LAD22NMW,ObjectId"
SPLIT_2011 = IN_AREA  # split into two 2021 LSOAs
SPLIT_PARTS = ("E01035001", "E01035002")
MERGED_2021 = "E01035003"  # IN_AREA_2 and OUTSIDE merged (as if a boundary moved)
RENAMED_2021 = "E01035004"  # a 2021 code for an LSOA redrawn irregularly from OUTSIDE


def vintage_lookup(tmp_path: Path, *rows: str) -> Path:
    """A small ONS LSOA (2011) to LSOA (2021) best-fit lookup, in the published layout."""
    return write(tmp_path, "LSOA11_LSOA21_LAD22_EW_LU.csv", "\n".join([VINTAGE_HEADER, *rows]))


def vintage_rows() -> list[str]:
    lad = "E06000099,Testshire,"
    return [
        f"{SPLIT_2011},Testtown 001A,{SPLIT_PARTS[0]},Testtown 001E,S,{lad},1",
        f"{SPLIT_2011},Testtown 001A,{SPLIT_PARTS[1]},Testtown 001F,S,{lad},2",
        f"{IN_AREA_2},Testtown 001B,{MERGED_2021},Testtown 001G,M,{lad},3",
        f"{OUTSIDE},Elsewhere 001A,{MERGED_2021},Testtown 001G,M,{lad},4",
        f"{OUTSIDE},Elsewhere 001A,{RENAMED_2021},Elsewhere 001B,X,{lad},5",
    ]


def test_lsoa_2011_to_2021_lookup_loads_through_load_geography(geography, tmp_path):
    path = vintage_lookup(tmp_path, *vintage_rows())
    out = StringIO()
    call_command("load_geography", str(path), stdout=out)
    assert "LSOA (2011) to LSOA (2021)" in out.getvalue()
    assert LsoaVintageLink.objects.count() == 5
    assert set(LsoaVintageLink.objects.filter(lsoa11=SPLIT_2011).values_list("change", flat=True))
    # Loading it again changes nothing; a new edition replaces the links exactly.
    again = geography_load(plan=plan_from_files([path]))
    assert again["LSOA 2011–2021 links unchanged"] == 5
    assert not again["LSOA 2011–2021 links created"]
    shorter = vintage_lookup(tmp_path, *vintage_rows()[:2])
    counts = geography_load(plan=plan_from_files([shorter]))
    assert counts["LSOA 2011–2021 links removed"] == 3
    assert LsoaVintageLink.objects.count() == 2


def test_2021_codes_are_placed_on_the_loaded_2011_geography(police_dataset, tmp_path):
    call_command(
        "load_geography", str(vintage_lookup(tmp_path, *vintage_rows())), stdout=StringIO()
    )
    path = write(
        tmp_path,
        "2023-06-testshire-street.csv",
        police_csv(
            police_row("split-a", lsoa=SPLIT_PARTS[0]),
            police_row("split-b", lsoa=SPLIT_PARTS[1]),
            # A merge of an in-area and an outside LSOA: the in-area one wins.
            police_row("merged", lsoa=MERGED_2021),
            police_row("redrawn", lsoa=RENAMED_2021),
            police_row("old-code", lsoa=IN_AREA),  # a 2011 code still works
        ),
    )
    imported(run(police_dataset, path))
    placed = dict(IncidentRecord.objects.values_list("source_ref", "lsoa__code"))
    assert placed == {
        "split-a": IN_AREA,
        "split-b": IN_AREA,
        "merged": IN_AREA_2,
        "redrawn": OUTSIDE,
        "old-code": IN_AREA,
    }
    outside = dict(IncidentRecord.objects.values_list("source_ref", "outside_area"))
    assert outside == {k: k == "redrawn" for k in placed}


def test_2011_codes_are_placed_on_a_loaded_2021_geography(police_dataset, tmp_path):
    # A partnership that loaded 2021 LSOAs: its in-area LSOAs are the 2021 parts.
    Lsoa.objects.filter(code=SPLIT_2011).update(code="E01035999", in_area=False)
    for code in SPLIT_PARTS:
        LsoaFactory(code=code, in_area=True)
    call_command(
        "load_geography", str(vintage_lookup(tmp_path, *vintage_rows()[:2])), stdout=StringIO()
    )
    path = write(tmp_path, "2021-06.csv", police_csv(police_row("old", lsoa=SPLIT_2011)))
    imported(run(police_dataset, path))
    record = IncidentRecord.objects.get()
    # A split 2011 LSOA lies in both parts; the lowest code is chosen, always the same.
    assert (record.lsoa.code, record.outside_area) == (SPLIT_PARTS[0], False)


def test_2021_code_without_the_lookup_is_refused_saying_which_lookup_to_load(
    police_dataset, tmp_path
):
    path = write(tmp_path, "f.csv", police_csv(police_row("a", lsoa=SPLIT_PARTS[0])))
    upload = run(police_dataset, path)
    assert upload.status == Upload.Status.INVALID
    [error] = upload.first_errors
    assert (error["row"], error["column"]) == (2, "LSOA code")
    assert "LSOA 2011 to 2021 lookup" in error["reason"]
    assert not IncidentRecord.objects.exists()


@pytest.mark.parametrize(
    ("content", "column", "reason"),
    [
        (f"{VINTAGE_HEADER}\n{IN_AREA},A,E0103500,B,S,E06000099,T,,1", "LSOA21CD", "E0103500"),
        (f"{VINTAGE_HEADER}\nE02000001,A,E01035001,B,S,E06000099,T,,1", "LSOA11CD", "E02000001"),
        (f"{VINTAGE_HEADER}\n{IN_AREA},A,E01035001,B,Q,E06000099,T,,1", "CHGIND", "'Q'"),
    ],
)
def test_bad_vintage_lookup_names_file_row_column_and_changes_nothing(
    geography, tmp_path, content, column, reason
):
    path = write(tmp_path, "lookup.csv", content)
    with pytest.raises(Exception) as refused:
        call_command("load_geography", str(path), stdout=StringIO())
    message = str(refused.value)
    assert "Nothing was changed" in message
    assert f"lookup.csv row 2, column {column}" in message and reason in message
    assert not LsoaVintageLink.objects.exists()


# ---------------------------------------------------------------------------
# Other police.uk files are refused, naming what they are
# ---------------------------------------------------------------------------
OUTCOMES = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
    "Outcome type\n"
    "abc,2022-01,Testshire Police,Testshire Police,-0.9,52.2,On or near X,E01027117,T 001A,"
    "Investigation complete; no suspect identified\n"
)
STOP_AND_SEARCH = (
    "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,"
    "Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,"
    "Outcome,Outcome linked to object of search,Removal of more than just outer clothing\n"
    "Person search,2022-01-01T09:58:14+00:00,False,,52.01,-0.22,Male,18-24,,,"
    "Misuse of Drugs Act 1971 (section 23),Controlled drugs,A no further action disposal,,False\n"
)


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        ("2022-01-testshire-outcomes.csv", OUTCOMES, "outcomes file"),
        ("2022-01-testshire-stop-and-search.csv", STOP_AND_SEARCH, "stop-and-search file"),
    ],
)
@pytest.mark.parametrize("dataset_fixture", ["police_dataset", "template_dataset"])
def test_other_police_uk_files_are_refused_naming_what_to_upload(
    request, tmp_path, name, content, what, dataset_fixture
):
    dataset = request.getfixturevalue(dataset_fixture)
    upload = run(dataset, write(tmp_path, name, content))
    assert upload.status == Upload.Status.INVALID
    assert f"this is a data.police.uk {what}" in upload.problem
    assert "Row 1 (the column headings)" in upload.problem
    assert "-street.csv" in upload.problem
    assert not IncidentRecord.objects.exists()


def test_unknown_police_layout_names_the_missing_columns(police_dataset, tmp_path):
    upload = run(police_dataset, write(tmp_path, "odd.csv", "Crime ID,Month,Where\na,2022-01,x\n"))
    assert upload.status == Upload.Status.INVALID
    assert "required columns are missing" in upload.problem
    assert "“Crime type”" in upload.problem and "“LSOA code”" in upload.problem
