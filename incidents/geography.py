"""Load geography, deprivation and population from ONS / MHCLG files (areas are data).

Files are recognised by their columns (CSV) or properties (GeoJSON), not their names:

- IoD2019 convenience table: LSOA, district (2019), unitary authority (2021), IMD score, rank,
  decile and population columns → authorities, districts, in-area LSOAs;
- IoD2019 File 1 (IMD rank and decile), File 2 (domain ranks and deciles), File 6 (population
  denominators) → in-area LSOAs and their districts;
- the England-wide LSOA list (``LSOA11CD, IMD_2019_decile, IMD_2019_score``) → every other English
  LSOA, kept with ``in_area=False`` so records there are recognised as outside the area;
- GeoJSON boundaries of LSOAs, MSOAs, wards (with their district) and districts → ``Boundary``
  rows; each LSOA is placed in the ward that contains its centroid (best effort: a ring-casting
  point-in-polygon test, because ward and LSOA boundaries are not nested).

There is no authority polygon in the ONS files we read: a map of authorities dissolves districts.
Everything is parsed before anything is written, and the whole load is one transaction, so a
wrong file changes nothing. A second run with the same files changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction

from core.services import audit_record

from .models import Authority, Boundary, District, Lsoa, LsoaVintageLink, Ward

Point = tuple[float, float]
Ring = list[Point]


class GeographyFileError(ValueError):
    """A file that cannot be loaded; the message names the file and says why."""


# ---------------------------------------------------------------------------
# Recognising files
# ---------------------------------------------------------------------------
LSOA_CODE = ("LSOA code (2011)", "LSOA11CD", "LSOA21CD", "lsoa11cd")
LSOA_NAME = ("LSOA name (2011)", "LSOA11NM", "LSOA21NM")
DISTRICT_CODE = ("Local Authority District code (2019)", "LAD19CD", "LAD11CD")
DISTRICT_NAME = ("Local Authority District name (2019)", "LAD19NM", "LAD11NM")
AUTHORITY_CODE = ("Unitary authority code (2021)", "UTLA21CD", "LAD21CD")
AUTHORITY_NAME = ("Unitary authority name (2021)", "UTLA21NM", "LAD21NM")
IMD_SCORE = ("Index of Multiple Deprivation (IMD) Score", "IMD_2019_score")
IMD_RANK = "Index of Multiple Deprivation (IMD) Rank"
IMD_DECILE = ("Index of Multiple Deprivation (IMD) Decile", "IMD_2019_decile")
POPULATION_TOTAL = "Total population"
POPULATION_BANDS = {
    "Dependent Children aged 0-15": "0-15",
    "Population aged 16-59": "16-59",
    "Older population aged 60 and over": "60+",
    "Working age population 18-59/64": "working age 18-59/64",
}
CODE_PATTERN = re.compile(r"^[EWSN]\d{8}$")
CSV_KINDS = {
    "imd_table": "IoD2019 LSOA table (IMD score, rank, decile, authority, population)",
    "imd_file1": "IoD2019 File 1 (IMD rank and decile)",
    "imd_file2": "IoD2019 File 2 (domains of deprivation)",
    "population": "IoD2019 File 6 (population denominators)",
    "england_imd": "England LSOA list (LSOA11CD, IMD_2019_decile, IMD_2019_score)",
    "lsoa_vintage": "ONS LSOA (2011) to LSOA (2021) best-fit lookup (LSOA11CD, LSOA21CD, CHGIND)",
    "ward_lookup": "ONS LSOA to ward to local authority lookup (LSOAyyCD, WDyyCD, LADyyCD)",
    "wimd": "Welsh Index of Multiple Deprivation ranks per Welsh LSOA (lsoa11cd, wimd_2019)",
}
BOUNDARY_KINDS = {
    "lsoa": "LSOA boundaries",
    "msoa": "MSOA boundaries",
    "ward": "ward boundaries",
    "district": "district boundaries",
}


def _column(header: list[str], names: Iterable[str], *, prefix: bool = False) -> str | None:
    for name in names:
        for column in header:
            if column == name or (prefix and column.startswith(name)):
                return column
    return None


LOOKUP_LSOA = re.compile(r"^LSOA(11|21)CD$")
LOOKUP_LSOA_NAME = re.compile(r"^LSOA(11|21)NM$")
LOOKUP_WARD = re.compile(r"^WD\d\dCD$")
LOOKUP_LAD = re.compile(r"^LAD(\d\d)?CD$")
WIMD_RANK = re.compile(r"^WIMD_?(\d{4})(_RANK)?$")


def _ci_match(upper: dict[str, str], pattern: re.Pattern[str]) -> str | None:
    """The file's own heading whose upper-cased form matches the pattern, if any."""
    return next((column for key, column in upper.items() if pattern.match(key)), None)


def _columns_ci(header: list[str]) -> dict[str, str]:
    """Upper-cased heading → the file's own heading (ONS files vary in case: lsoa11cd)."""
    return {column.upper(): column for column in header}


def _csv_kind(header: list[str]) -> str | None:
    upper = _columns_ci(header)
    if "LSOA11CD" in upper and "LSOA21CD" in upper:
        return "lsoa_vintage"
    if (
        _ci_match(upper, LOOKUP_LSOA)
        and _ci_match(upper, LOOKUP_WARD)
        and _ci_match(upper, LOOKUP_LAD)
    ):
        return "ward_lookup"
    if _ci_match(upper, LOOKUP_LSOA) and _ci_match(upper, WIMD_RANK):
        return "wimd"
    has_lsoa = _column(header, LSOA_CODE) is not None
    if not has_lsoa:
        return None
    rank = _column(header, (IMD_RANK,), prefix=True)
    decile = _column(header, IMD_DECILE, prefix=True)
    score = _column(header, IMD_SCORE, prefix=True)
    population = _column(header, (POPULATION_TOTAL,), prefix=True)
    domains = any(c.startswith("Income Decile") for c in header)
    if domains and rank and decile:
        return "imd_file2"
    if score and rank and decile and _column(header, AUTHORITY_CODE):
        return "imd_table"
    if rank and decile:
        return "imd_file1"
    if population and not decile:
        return "population"
    if set(header) >= {"LSOA11CD", "IMD_2019_decile", "IMD_2019_score"}:
        return "england_imd"
    return None


def _boundary_kind(properties: dict[str, Any]) -> tuple[str, str, str] | None:
    """(level, code property, name property) for a GeoJSON feature's properties."""
    keys = list(properties)
    for level, pattern in (
        ("lsoa", r"^LSOA\d\dCD$"),
        ("msoa", r"^MSOA\d\dCD$"),
        ("ward", r"^WD\d\dCD$"),
        ("district", r"^LAD\d\dCD$"),
    ):
        code = next((k for k in keys if re.match(pattern, k)), None)
        if code:
            name = code[:-2] + "NM"
            return level, code, name if name in properties else ""
    return None


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise GeographyFileError(f"{path.name}: not a text CSV file (it contains NUL bytes).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GeographyFileError(
            f"{path.name}: not UTF-8 text. Save it as CSV UTF-8 and try again."
        ) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    return header, list(reader)


def classify(path: Path) -> str:
    """The kind of a geography file, or a GeographyFileError saying why it is not one."""
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
            properties = data["features"][0]["properties"]
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
            raise GeographyFileError(
                f"{path.name}: not a GeoJSON FeatureCollection with at least one feature."
            ) from exc
        kind = _boundary_kind(properties or {})
        if kind is None:
            raise GeographyFileError(
                f"{path.name}: its features have no LSOA, MSOA, ward or district code property "
                f"(found: {', '.join(sorted(properties or {})) or 'none'})."
            )
        return f"boundary_{kind[0]}"
    if suffix == ".csv":
        header, _rows = _read_csv(path)
        kind = _csv_kind(header)
        if kind is None:
            raise GeographyFileError(
                f"{path.name}: not a recognised ONS/MHCLG LSOA file. Expected one of: "
                + "; ".join(CSV_KINDS.values())
                + f". Its columns are: {', '.join(header[:8]) or 'none'}."
            )
        return kind
    raise GeographyFileError(f"{path.name}: expected a .csv or .geojson file.")


def files_in(directory: Path) -> list[Path]:
    """Geography files in a folder and its subfolders (CSV and GeoJSON), sorted."""
    if not directory.is_dir():
        raise GeographyFileError(f"{directory}: no such folder.")
    return sorted(
        p for p in directory.rglob("*") if p.suffix.lower() in (".csv", ".geojson") and p.is_file()
    )


# ---------------------------------------------------------------------------
# Parsing into one plan
# ---------------------------------------------------------------------------
@dataclass
class GeographyPlan:
    authorities: dict[str, str] = field(default_factory=dict)
    districts: dict[str, dict[str, Any]] = field(default_factory=dict)
    wards: dict[str, dict[str, Any]] = field(default_factory=dict)
    lsoas: dict[str, dict[str, Any]] = field(default_factory=dict)
    england: dict[str, dict[str, Any]] = field(default_factory=dict)
    boundaries: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    files: list[tuple[str, str]] = field(default_factory=list)
    # (2011 code, 2021 code) → change indicator, from the ONS 2011↔2021 lookup; None: not given.
    vintage_links: dict[tuple[str, str], str] | None = None
    # Every LSOA of the national files (ONS ward lookup, WIMD): code → name, ward, district,
    # and for Welsh LSOAs their WIMD rank and decile.
    national: dict[str, dict[str, Any]] = field(default_factory=dict)
    national_wards: dict[str, dict[str, str]] = field(default_factory=dict)
    national_districts: dict[str, str] = field(default_factory=dict)
    # The local authorities the partnership covers (codes or names, as the user gave them);
    # None: not named, so the files other than the national ones describe the area.
    area: list[str] | None = None


def _int(value: str, where: str) -> int | None:
    value = (value or "").replace(",", "").strip()
    if value == "":
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise GeographyFileError(f"{where}: {value!r} is not a whole number.") from exc


def _decimal(value: str, where: str) -> Decimal | None:
    value = (value or "").replace(",", "").strip()
    if value == "":
        return None
    try:
        return Decimal(value).quantize(Decimal("0.001"))
    except InvalidOperation as exc:
        raise GeographyFileError(f"{where}: {value!r} is not a number.") from exc


def _code(value: str, where: str) -> str:
    value = (value or "").strip()
    if not CODE_PATTERN.match(value):
        raise GeographyFileError(f"{where}: {value!r} is not an ONS area code like E01000001.")
    return value


def _domain_key(column: str) -> str:
    label = column.split(" Decile")[0]
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def _parse_area_csv(plan: GeographyPlan, path: Path, kind: str) -> None:
    header, rows = _read_csv(path)
    if not rows:
        raise GeographyFileError(f"{path.name}: has a header but no rows.")
    code_col = _column(header, LSOA_CODE)
    name_col = _column(header, LSOA_NAME)
    district_col = _column(header, DISTRICT_CODE)
    district_name_col = _column(header, DISTRICT_NAME)
    authority_col = _column(header, AUTHORITY_CODE)
    authority_name_col = _column(header, AUTHORITY_NAME)
    score_col = _column(header, IMD_SCORE, prefix=True)
    rank_col = _column(header, (IMD_RANK,), prefix=True)
    decile_col = _column(header, IMD_DECILE, prefix=True)
    total_col = _column(header, (POPULATION_TOTAL,), prefix=True)
    year = re.search(r"mid[- ](\d{4})", total_col or "")
    band_cols = {
        column: label
        for prefix, label in POPULATION_BANDS.items()
        if (column := _column(header, (prefix,), prefix=True))
    }
    domain_cols = (
        {
            c: _domain_key(c)
            for c in header
            if " Decile" in c and not c.startswith("Index of Multiple Deprivation")
        }
        if kind == "imd_file2"
        else {}
    )
    for number, row in enumerate(rows, start=2):
        where = f"{path.name} line {number}"
        code = _code(row.get(code_col, ""), where)
        lsoa = plan.lsoas.setdefault(code, {})
        if name_col and row.get(name_col):
            lsoa["name"] = row[name_col].strip()
        if district_col and row.get(district_col):
            district_code = _code(row[district_col], where)
            lsoa["district"] = district_code
            district = plan.districts.setdefault(district_code, {})
            if district_name_col and row.get(district_name_col):
                district["name"] = row[district_name_col].strip()
            if authority_col and row.get(authority_col):
                authority_code = _code(row[authority_col], where)
                district["authority"] = authority_code
                name = (row.get(authority_name_col or "") or "").strip()
                plan.authorities[authority_code] = name or authority_code
        if score_col:
            lsoa["imd_score"] = _decimal(row.get(score_col, ""), where)
        if rank_col:
            lsoa["imd_rank"] = _int(row.get(rank_col, ""), where)
        if decile_col:
            decile = _int(row.get(decile_col, ""), where)
            if decile is not None and not 1 <= decile <= 10:
                raise GeographyFileError(f"{where}: IMD decile {decile} is not between 1 and 10.")
            lsoa["imd_decile"] = decile
        if total_col:
            lsoa["population_total"] = _int(row.get(total_col, ""), where)
            if year:
                lsoa["population_year"] = int(year.group(1))
            lsoa["population_bands"] = {
                label: _int(row.get(column, ""), where) for column, label in band_cols.items()
            }
        if domain_cols:
            lsoa["domain_deciles"] = {
                key: _int(row.get(column, ""), where) for column, key in domain_cols.items()
            }


def _parse_england(plan: GeographyPlan, path: Path) -> None:
    _header, rows = _read_csv(path)
    if not rows:
        raise GeographyFileError(f"{path.name}: has a header but no rows.")
    for number, row in enumerate(rows, start=2):
        where = f"{path.name} line {number}"
        code = _code(row.get("LSOA11CD", ""), where)
        plan.england[code] = {
            "imd_decile": _int(row.get("IMD_2019_decile", ""), where),
            "imd_score": _decimal(row.get("IMD_2019_score", ""), where),
        }


LSOA_CODE_PATTERN = re.compile(r"^[EW]01\d{6}$")
CHANGE_INDICATORS = {"U", "S", "M", "X", ""}


def _lsoa_cell(row: dict[str, str], column: str, where: str) -> str:
    value = (row.get(column) or "").strip().upper()
    if not LSOA_CODE_PATTERN.match(value):
        raise GeographyFileError(
            f"{where}, column {column}: {value[:20]!r} is not an LSOA code like E01000001 "
            "or W01001234."
        )
    return value


def _parse_vintage(plan: GeographyPlan, path: Path) -> None:
    header, rows = _read_csv(path)
    if not rows:
        raise GeographyFileError(f"{path.name}: has a header but no rows.")
    upper = _columns_ci(header)
    old_col, new_col, change_col = upper["LSOA11CD"], upper["LSOA21CD"], upper.get("CHGIND")
    links = plan.vintage_links if plan.vintage_links is not None else {}
    for number, row in enumerate(rows, start=2):
        where = f"{path.name} row {number}"
        old = _lsoa_cell(row, old_col, where)
        new = _lsoa_cell(row, new_col, where)
        change = (row.get(change_col) or "").strip().upper() if change_col else ""
        if change not in CHANGE_INDICATORS:
            raise GeographyFileError(
                f"{where}, column {change_col}: {change[:10]!r} is not an ONS change indicator "
                "(U unchanged, S split, M merged, X irregular)."
            )
        links[(old, new)] = change
    plan.vintage_links = links


def _required_cell(row: dict[str, str], column: str, where: str, pattern: re.Pattern[str]) -> str:
    value = (row.get(column) or "").strip().upper()
    if not pattern.match(value):
        raise GeographyFileError(
            f"{where}, column {column}: {value[:20]!r} is not an ONS code of the right kind "
            "(an LSOA code like E01000001, a ward code like E05000026, a local authority code "
            "like E06000001)."
        )
    return value


WARD_CODE_PATTERN = re.compile(r"^[EW]05\d{6}$")
LAD_CODE_PATTERN = re.compile(r"^[EW]0[6-9]\d{6}$")


def _parse_ward_lookup(plan: GeographyPlan, path: Path) -> None:
    """The ONS LSOA → ward → local authority lookup: every LSOA of England and Wales."""
    header, rows = _read_csv(path)
    if not rows:
        raise GeographyFileError(f"{path.name}: has a header but no rows.")
    upper = _columns_ci(header)
    lsoa_col = _ci_match(upper, LOOKUP_LSOA)
    lsoa_name_col = _ci_match(upper, LOOKUP_LSOA_NAME)
    ward_col = _ci_match(upper, LOOKUP_WARD)
    lad_col = _ci_match(upper, LOOKUP_LAD)
    assert lsoa_col and ward_col and lad_col  # classify() recognised the file by them
    ward_name_col = upper.get(ward_col.upper()[:-2] + "NM")
    lad_name_col = upper.get(lad_col.upper()[:-2] + "NM")
    for number, row in enumerate(rows, start=2):
        where = f"{path.name} row {number}"
        code = _required_cell(row, lsoa_col, where, LSOA_CODE_PATTERN)
        ward = _required_cell(row, ward_col, where, WARD_CODE_PATTERN)
        lad = _required_cell(row, lad_col, where, LAD_CODE_PATTERN)
        if code in plan.national and plan.national[code].get("ward", ward) != ward:
            raise GeographyFileError(
                f"{where}, column {lsoa_col}: {code} appears twice with different wards; a "
                "best-fit lookup gives each LSOA one ward."
            )
        entry = plan.national.setdefault(code, {})
        entry.update(ward=ward, district=lad)
        if lsoa_name_col and row.get(lsoa_name_col, "").strip():
            entry["name"] = row[lsoa_name_col].strip()
        plan.national_wards[ward] = {
            "name": (row.get(ward_name_col or "") or "").strip() or ward,
            "district": lad,
        }
        plan.national_districts[lad] = (row.get(lad_name_col or "") or "").strip() or lad


def _parse_wimd(plan: GeographyPlan, path: Path) -> None:
    """The Welsh Index of Multiple Deprivation: a rank per Welsh LSOA, 1 = most deprived.

    Deciles are worked out from the ranks as the Welsh Government publishes them (most
    deprived 10% = ranks 1 to 191 of 1,909), so the file must hold every Welsh LSOA once: a
    trimmed file would shift every decile, and is refused.
    """
    header, rows = _read_csv(path)
    if not rows:
        raise GeographyFileError(f"{path.name}: has a header but no rows.")
    upper = _columns_ci(header)
    lsoa_col = _ci_match(upper, LOOKUP_LSOA)
    rank_col = _ci_match(upper, WIMD_RANK)
    assert lsoa_col and rank_col  # classify() recognised the file by them
    name_col = _ci_match(upper, LOOKUP_LSOA_NAME)
    lad_col = _ci_match(upper, LOOKUP_LAD)
    lad_name_col = upper.get(lad_col.upper()[:-2] + "NM") if lad_col else None
    ranks: dict[int, int] = {}
    parsed: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(rows, start=2):
        where = f"{path.name} row {number}"
        code = _required_cell(row, lsoa_col, where, LSOA_CODE_PATTERN)
        if not code.startswith("W"):
            raise GeographyFileError(
                f"{where}, column {lsoa_col}: {code} is not a Welsh LSOA; the Welsh index ranks "
                "Welsh LSOAs only (English LSOAs take the English indices)."
            )
        rank = _int(row.get(rank_col, ""), f"{where}, column {rank_col}")
        if rank is None or rank < 1:
            raise GeographyFileError(f"{where}, column {rank_col}: a rank of 1 or more is needed.")
        if rank in ranks:
            raise GeographyFileError(
                f"{where}, column {rank_col}: rank {rank} is also on row {ranks[rank]}."
            )
        ranks[rank] = number
        entry: dict[str, Any] = {"imd_rank": rank}
        if name_col and row.get(name_col, "").strip():
            entry["name"] = row[name_col].strip()
        if lad_col and row.get(lad_col, "").strip():
            entry["district"] = _required_cell(row, lad_col, where, LAD_CODE_PATTERN)
            name = (row.get(lad_name_col or "") or "").strip()
            plan.national_districts.setdefault(entry["district"], name or entry["district"])
        parsed[code] = entry
    total = len(parsed)
    if max(ranks) != total:
        raise GeographyFileError(
            f"{path.name} row {ranks[max(ranks)]}, column {rank_col}: rank {max(ranks)} is "
            f"higher than the {total:,} LSOAs in the file. Load the whole Welsh index (every "
            "Welsh LSOA), not an extract: deciles are worked out from the ranks of all of them."
        )
    for code, entry in parsed.items():
        entry["imd_decile"] = wimd_decile(entry["imd_rank"], total)
        national = plan.national.setdefault(code, {})
        # The ONS lookup's LSOA name and district win: the index names LSOAs its own way.
        for key, value in entry.items():
            if key in ("imd_rank", "imd_decile") or key not in national:
                national[key] = value


def wimd_decile(rank: int, total: int) -> int:
    """The decile of a rank among ``total`` areas, 1 = most deprived 10%.

    As the Welsh Government and MHCLG group ranks: decile d holds ranks above (d-1)*total/10
    up to d*total/10, so for Wales (1,909 LSOAs) decile 1 is ranks 1 to 191.
    """
    return (rank - 1) * 10 // total + 1


def _parse_boundaries(plan: GeographyPlan, path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    for number, feature in enumerate(data.get("features", []), start=1):
        where = f"{path.name} feature {number}"
        properties = feature.get("properties") or {}
        kind = _boundary_kind(properties)
        geometry = feature.get("geometry")
        if kind is None or not geometry:
            raise GeographyFileError(f"{where}: no area code or no geometry.")
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise GeographyFileError(f"{where}: geometry is {geometry.get('type')}, not a polygon.")
        level, code_key, name_key = kind
        code = _code(str(properties[code_key]), where)
        name = str(properties.get(name_key) or "") if name_key else ""
        plan.boundaries[(level, code)] = {"name": name, "geometry": geometry}
        district_code = next(
            (v for k, v in properties.items() if re.match(r"^LAD\d\dCD$", k)), None
        )
        if level == "ward":
            ward = plan.wards.setdefault(code, {"name": name})
            if district_code:
                ward["district"] = _code(str(district_code), where)
        elif level == "district":
            plan.districts.setdefault(code, {}).setdefault("name", name)
        elif level == "lsoa":
            lsoa = plan.lsoas.setdefault(code, {})
            lsoa.setdefault("name", name)
            if district_code:
                lsoa.setdefault("district", _code(str(district_code), where))


def plan_from_files(paths: Iterable[Path], *, area: list[str] | None = None) -> GeographyPlan:
    """Read every file (refusing unrecognised ones) into one plan, writing nothing.

    ``area``: the local authorities the partnership covers (codes, or names as the files spell
    them); every other LSOA in the national files is then loaded as outside the area.
    """
    plan = GeographyPlan(area=list(area) if area else None)
    classified = [(Path(p), classify(Path(p))) for p in paths]
    if not classified:
        raise GeographyFileError("No geography files were given.")
    # Order matters only for names: boundaries fill gaps the tables leave.
    order = [
        "imd_table",
        "imd_file1",
        "imd_file2",
        "population",
        "england_imd",
        "ward_lookup",
        "wimd",
    ]
    classified.sort(key=lambda pc: order.index(pc[1]) if pc[1] in order else len(order))
    for path, kind in classified:
        if kind == "england_imd":
            _parse_england(plan, path)
        elif kind == "lsoa_vintage":
            _parse_vintage(plan, path)
        elif kind == "ward_lookup":
            _parse_ward_lookup(plan, path)
        elif kind == "wimd":
            _parse_wimd(plan, path)
        elif kind.startswith("boundary_"):
            _parse_boundaries(plan, path)
        else:
            _parse_area_csv(plan, path, kind)
        plan.files.append((path.name, CSV_KINDS.get(kind) or BOUNDARY_KINDS[kind[9:]]))
    for code, district in plan.districts.items():
        district.setdefault("name", code)
    return plan


# ---------------------------------------------------------------------------
# Point in polygon (LSOA centroid → ward)
# ---------------------------------------------------------------------------
def _rings(geometry: dict[str, Any]) -> Iterator[list[Ring]]:
    """Each polygon as [outer ring, hole, …]."""
    if geometry["type"] == "Polygon":
        yield [[(float(x), float(y)) for x, y, *_ in ring] for ring in geometry["coordinates"]]
    else:
        for polygon in geometry["coordinates"]:
            yield [[(float(x), float(y)) for x, y, *_ in ring] for ring in polygon]


def _in_ring(point: Point, ring: Ring) -> bool:
    x, y = point
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def point_in_geometry(point: Point, geometry: dict[str, Any]) -> bool:
    """Whether a point lies inside a GeoJSON Polygon or MultiPolygon (ray casting, holes out)."""
    for polygon in _rings(geometry):
        inside = polygon and _in_ring(point, polygon[0])
        if inside and not any(_in_ring(point, hole) for hole in polygon[1:]):
            return True
    return False


def centroid(geometry: dict[str, Any]) -> Point:
    """The area-weighted centroid of a polygon's outer rings (planar; fine at LSOA scale)."""
    total = cx = cy = 0.0
    for polygon in _rings(geometry):
        ring = polygon[0]
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
            cross = x0 * y1 - x1 * y0
            total += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
    if total == 0:
        first = next(_rings(geometry))[0]
        return (sum(p[0] for p in first) / len(first), sum(p[1] for p in first) / len(first))
    return (cx / (3 * total), cy / (3 * total))


def _bbox(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []
    for polygon in _rings(geometry):
        xs.extend(p[0] for p in polygon[0])
        ys.extend(p[1] for p in polygon[0])
    return min(xs), min(ys), max(xs), max(ys)


def wards_for_lsoas(plan: GeographyPlan) -> dict[str, str]:
    """LSOA code → the ward whose boundary contains the LSOA's centroid (where both are known)."""
    wards = [
        (code, b["geometry"], _bbox(b["geometry"]))
        for (level, code), b in plan.boundaries.items()
        if level == "ward"
    ]
    found: dict[str, str] = {}
    if not wards:
        return found
    for (level, code), boundary in plan.boundaries.items():
        if level != "lsoa":
            continue
        x, y = centroid(boundary["geometry"])
        for ward_code, geometry, (x0, y0, x1, y1) in wards:
            if x0 <= x <= x1 and y0 <= y <= y1 and point_in_geometry((x, y), geometry):
                found[code] = ward_code
                break
    return found


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------
def _apply(row: Any, values: dict[str, Any]) -> list[str]:
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, values[name])
    return changed


def _sync(model: Any, wanted: dict[str, dict[str, Any]], counts: Counter[str], label: str) -> dict:
    """Create or update rows keyed by code; returns code → row."""
    related = [f.name for f in model._meta.fields if f.is_relation]
    existing = {
        row.code: row
        for row in model.objects.select_related(*related).filter(code__in=list(wanted))
    }
    for code, values in wanted.items():
        row = existing.get(code)
        if row is None:
            existing[code] = model.objects.create(code=code, **values)
            counts[f"{label} created"] += 1
        elif changed := _apply(row, values):
            row.save(update_fields=changed)
            counts[f"{label} updated"] += 1
        else:
            counts[f"{label} unchanged"] += 1
    return existing


# More LSOAs than any partnership covers (London's police area has about 4,800): files that
# describe more as "the area" are nation-wide, and the partnership must name its authorities.
MAX_AREA_LSOAS = 6000
_AREA_KINDS = {CSV_KINDS[k] for k in ("imd_table", "imd_file1", "imd_file2", "population")} | {
    BOUNDARY_KINDS["lsoa"]
}

# Rows per bulk UPDATE: Django writes one CASE per field with a branch per row, which the
# database reads row by row, so big batches cost the square of their size.
BATCH = 250

LSOA_FIELDS = (
    "name",
    "imd_score",
    "imd_rank",
    "imd_decile",
    "population_total",
    "population_year",
    "population_bands",
    "domain_deciles",
)


@transaction.atomic
def geography_load(*, plan: GeographyPlan) -> Counter[str]:
    """Write a parsed plan: authorities, districts, wards, LSOAs, boundaries. Idempotent."""
    if plan.area is None and len(plan.lsoas) > MAX_AREA_LSOAS:
        area_files = [name for name, kind in plan.files if kind in _AREA_KINDS]
        raise GeographyFileError(
            f"{', '.join(area_files)}: these files describe {len(plan.lsoas):,} LSOAs as the "
            f"partnership's area, more than any partnership covers ({MAX_AREA_LSOAS:,} at "
            "most). They cover a whole nation: name the partnership's local authorities with "
            "--local-authority, and every other LSOA is loaded as outside the area."
        )
    counts: Counter[str] = Counter()
    authorities = _sync(
        Authority, {c: {"name": n} for c, n in plan.authorities.items()}, counts, "authorities"
    )
    known_authorities = {
        a.code: a
        for a in Authority.objects.filter(
            code__in=[d["authority"] for d in plan.districts.values() if d.get("authority")]
        )
    } | authorities
    district_values: dict[str, dict[str, Any]] = {}
    for code, d in plan.districts.items():
        values: dict[str, Any] = {"name": d["name"]}
        if d.get("authority"):
            values["authority"] = known_authorities[d["authority"]]
        district_values[code] = values
    districts = _sync(District, district_values, counts, "districts")

    ward_districts = {w["district"] for w in plan.wards.values() if w.get("district")}
    districts |= {
        d.code: d for d in District.objects.filter(code__in=ward_districts - set(districts))
    }
    ward_values = {
        code: {"name": w.get("name") or code, "district": districts.get(w.get("district", ""))}
        for code, w in plan.wards.items()
    }
    wards = _sync(Ward, ward_values, counts, "wards")
    lsoa_wards = wards_for_lsoas(plan)
    area_districts = _area_districts(plan)

    def in_area(code: str, district: str | None) -> bool:
        if area_districts is None:
            return True
        return (district or plan.national.get(code, {}).get("district")) in area_districts

    # In-area LSOAs: every file except the England-wide list and the national files describes
    # the partnership's area (unless the partnership named its local authorities).
    existing: dict[str, Lsoa] = {}
    codes = list(plan.lsoas)
    for first in range(0, len(codes), 5000):  # SQLite takes at most ~32,000 parameters
        existing |= {
            row.code: row for row in Lsoa.objects.filter(code__in=codes[first : first + 5000])
        }
    all_districts = {d.code: d for d in District.objects.all()} | districts
    england = plan.england
    new_lsoas: list[Lsoa] = []
    changed_lsoas: list[Lsoa] = []
    touched: set[str] = set()
    for code, values in plan.lsoas.items():
        wanted: dict[str, Any] = {k: values[k] for k in LSOA_FIELDS if k in values}
        wanted["in_area"] = in_area(code, values.get("district"))
        wanted.setdefault("name", code)
        for key in ("imd_score", "imd_decile"):
            if wanted.get(key) is None and england.get(code, {}).get(key) is not None:
                wanted[key] = england[code][key]
        if values.get("district"):
            wanted["district"] = all_districts.get(values["district"])
        if code in lsoa_wards:
            wanted["ward"] = wards[lsoa_wards[code]]
        row = existing.get(code)
        where = "in the area" if wanted["in_area"] else "outside the area"
        if row is None:
            new_lsoas.append(Lsoa(code=code, **wanted))
            counts[f"LSOAs {where} created"] += 1
        elif changed := _apply(row, wanted):
            changed_lsoas.append(row)
            touched.update(changed)
            counts[f"LSOAs {where} updated"] += 1
        else:
            counts[f"LSOAs {where} unchanged"] += 1
    Lsoa.objects.bulk_create(new_lsoas, batch_size=1000)
    if changed_lsoas:
        Lsoa.objects.bulk_update(changed_lsoas, sorted(touched), batch_size=BATCH)

    # Other English LSOAs: recognised, outside the area. Never demote an in-area LSOA.
    if england:
        # LSOAs of the national files take their deprivation with the rest of their row there.
        outside = {
            c: v for c, v in england.items() if c not in plan.lsoas and c not in plan.national
        }
        # All rows read, not filtered by code: an England-wide list has more codes than SQLite
        # takes parameters in one statement.
        rows = {
            row.code: row
            for row in Lsoa.objects.only(
                "pk", "code", "imd_decile", "imd_score", "in_area"
            ).iterator(chunk_size=5000)
            if row.code in outside
        }
        new = [
            Lsoa(code=c, name=c, in_area=False, **v) for c, v in outside.items() if c not in rows
        ]
        Lsoa.objects.bulk_create(new, batch_size=2000)
        counts["LSOAs outside the area created"] += len(new)
        changed_rows = [row for c, row in rows.items() if _apply(row, outside[c])]
        Lsoa.objects.bulk_update(changed_rows, ["imd_decile", "imd_score"], batch_size=BATCH)
        counts["LSOAs outside the area updated"] += len(changed_rows)
        counts["LSOAs outside the area unchanged"] += len(rows) - len(changed_rows)

    existing_boundaries = {
        (b.level, b.code): b
        for b in Boundary.objects.filter(code__in=[c for _l, c in plan.boundaries])
    }
    for key, values in plan.boundaries.items():
        row = existing_boundaries.get(key)
        if row is None:
            Boundary.objects.create(level=key[0], code=key[1], **values)
            counts["boundaries created"] += 1
        elif changed := _apply(row, values):
            row.save(update_fields=changed)
            counts["boundaries updated"] += 1
        else:
            counts["boundaries unchanged"] += 1

    if plan.national:
        _load_national(plan, area_districts, set(lsoa_wards), counts)
    if area_districts is not None:
        # The named authorities are the area, whichever files placed an LSOA before.
        counts["LSOAs moved out of the area"] += (
            Lsoa.objects.filter(in_area=True)
            .exclude(district__code__in=sorted(area_districts))
            .update(in_area=False)
        )
        counts["LSOAs moved into the area"] += Lsoa.objects.filter(
            in_area=False, district__code__in=sorted(area_districts)
        ).update(in_area=True)
    if plan.vintage_links is not None:
        _sync_vintage_links(plan.vintage_links, counts)

    if any(n for k, n in counts.items() if not k.endswith("unchanged")):
        audit_record(
            actor=None,
            action="reference.geography_loaded",
            summary="Geography loaded from " + ", ".join(name for name, _ in plan.files),
            detail={k: n for k, n in counts.items() if n},
        )
    return counts


def _sync_vintage_links(wanted: dict[tuple[str, str], str], counts: Counter[str]) -> None:
    """Make the stored 2011↔2021 links exactly the lookup's, set-based (about 35,000 rows)."""
    existing = {
        (old, new): (pk, change)
        for pk, old, new, change in LsoaVintageLink.objects.values_list(
            "pk", "lsoa11", "lsoa21", "change"
        ).iterator(chunk_size=10_000)
    }
    gone = [pk for key, (pk, _change) in existing.items() if key not in wanted]
    for start in range(0, len(gone), 5000):
        LsoaVintageLink.objects.filter(pk__in=gone[start : start + 5000]).delete()
    new = [
        LsoaVintageLink(lsoa11=old, lsoa21=new, change=change)
        for (old, new), change in wanted.items()
        if (old, new) not in existing
    ]
    LsoaVintageLink.objects.bulk_create(new, batch_size=5000)
    changed = [
        LsoaVintageLink(pk=existing[key][0], lsoa11=key[0], lsoa21=key[1], change=change)
        for key, change in wanted.items()
        if key in existing and existing[key][1] != change
    ]
    LsoaVintageLink.objects.bulk_update(changed, ["change"], batch_size=5000)
    counts["LSOA 2011–2021 links created"] += len(new)
    counts["LSOA 2011–2021 links updated"] += len(changed)
    counts["LSOA 2011–2021 links removed"] += len(gone)
    counts["LSOA 2011–2021 links unchanged"] += len(wanted) - len(new) - len(changed)


def _area_districts(plan: GeographyPlan) -> set[str] | None:
    """The district codes of the local authorities the partnership named (None: not named).

    A name or code may be a district of the files (a 2019 local authority) or an authority
    whose districts the files or the database link to it (a 2021 unitary authority).
    """
    if plan.area is None:
        return None
    known = (
        dict(District.objects.values_list("code", "name"))
        | {code: d.get("name", code) for code, d in plan.districts.items()}
        | plan.national_districts
    )
    children: dict[str, set[str]] = {}
    for code, authority in District.objects.filter(authority__isnull=False).values_list(
        "code", "authority__code"
    ):
        children.setdefault(authority, set()).add(code)
    for code, district in plan.districts.items():
        if district.get("authority"):
            children.setdefault(district["authority"], set()).add(code)
    names = {name.strip().lower(): code for code, name in known.items()}
    names |= {
        name.strip().lower(): code
        for code, name in list(Authority.objects.values_list("code", "name"))
        + list(plan.authorities.items())
    }
    chosen: set[str] = set()
    for given in plan.area:
        code = given.strip().upper()
        if not CODE_PATTERN.match(code):
            code = names.get(given.strip().lower(), "")
        found = ({code} & set(known)) | children.get(code, set())
        if not found:
            raise GeographyFileError(
                f"Local authority {given!r}: no local authority with that code or name is in "
                "the files given or already loaded. Use the codes of the ONS lookup's LAD "
                "column (e.g. E06000001) or the authority's name as the lookup spells it."
            )
        chosen |= found
    return chosen


def _load_national(
    plan: GeographyPlan,
    area_districts: set[str] | None,
    placed_by_boundaries: set[str],
    counts: Counter[str],
) -> None:
    """Every LSOA of the national files, set-based: about 35,000 rows in a few statements."""
    # Districts (a district with no authority above it is its own authority).
    districts = {d.code: d for d in District.objects.all()}
    new = [
        District(code=code, name=name)
        for code, name in plan.national_districts.items()
        if code not in districts
    ]
    District.objects.bulk_create(new, batch_size=2000)
    counts["districts created"] += len(new)
    districts = {d.code: d for d in District.objects.all()}
    lonely = [
        districts[code] for code in plan.national_districts if districts[code].authority_id is None
    ]
    authorities = {a.code: a for a in Authority.objects.all()}
    made = [Authority(code=d.code, name=d.name) for d in lonely if d.code not in authorities]
    Authority.objects.bulk_create(made, batch_size=2000)
    counts["authorities created"] += len(made)
    authorities = {a.code: a for a in Authority.objects.all()}
    for district in lonely:
        district.authority = authorities[district.code]
    District.objects.bulk_update(lonely, ["authority"], batch_size=BATCH)

    # Wards.
    wards = {w.code: w for w in Ward.objects.all()}
    new_wards = []
    changed_wards = []
    for code, values in plan.national_wards.items():
        district = districts[values["district"]]
        ward = wards.get(code)
        if ward is None:
            new_wards.append(Ward(code=code, name=values["name"], district=district))
        elif (ward.name, ward.district_id) != (values["name"], district.pk):
            ward.name, ward.district = values["name"], district
            changed_wards.append(ward)
    Ward.objects.bulk_create(new_wards, batch_size=2000)
    Ward.objects.bulk_update(changed_wards, ["name", "district"], batch_size=BATCH)
    counts["wards created"] += len(new_wards)
    counts["wards updated"] += len(changed_wards)
    ward_ids = dict(Ward.objects.values_list("code", "pk"))
    district_ids = {code: d.pk for code, d in districts.items()}

    # LSOAs: created, or updated only where a value differs.
    fields = ["name", "district_id", "ward_id", "in_area", "imd_rank", "imd_decile", "imd_score"]
    existing = {
        row.code: row for row in Lsoa.objects.only("pk", "code", *fields).iterator(chunk_size=5000)
    }
    new_lsoas: list[Lsoa] = []
    changed: list[Lsoa] = []
    touched: set[str] = set()
    for code, values in plan.national.items():
        row = existing.get(code)
        wanted: dict[str, Any] = {}
        if values.get("name"):
            wanted["name"] = values["name"]
        if values.get("district"):
            wanted["district_id"] = district_ids[values["district"]]
        # Boundaries loaded with this lookup place their LSOAs in the wards drawn on the maps.
        if values.get("ward") and code not in placed_by_boundaries:
            wanted["ward_id"] = ward_ids[values["ward"]]
        if row is None:
            if area_districts is not None:
                wanted["in_area"] = values.get("district") in area_districts
            else:
                wanted["in_area"] = code in plan.lsoas
        # (An existing row's place in the area changes only by naming the authorities: one
        # UPDATE in geography_load, never row by row.)
        if "imd_rank" in values:  # the Welsh index: Welsh LSOAs' own ranks and deciles
            wanted["imd_rank"], wanted["imd_decile"] = values["imd_rank"], values["imd_decile"]
        elif code in plan.england and code not in plan.lsoas:  # the England-wide IMD list
            wanted.update(plan.england[code])
        if row is None:
            wanted.setdefault("name", code)
            new_lsoas.append(Lsoa(code=code, **wanted))
            continue
        differs = [name for name, value in wanted.items() if getattr(row, name) != value]
        if differs:
            for name in differs:
                setattr(row, name, wanted[name])
            changed.append(row)
            touched.update(differs)
    Lsoa.objects.bulk_create(new_lsoas, batch_size=2000)
    if changed:
        Lsoa.objects.bulk_update(changed, sorted(touched), batch_size=BATCH)
    inside = sum(1 for lsoa in new_lsoas if lsoa.in_area)
    counts["LSOAs of the national files created in the area"] += inside
    counts["LSOAs of the national files created outside the area"] += len(new_lsoas) - inside
    counts["LSOAs of the national files updated"] += len(changed)
    counts["LSOAs of the national files unchanged"] += (
        len(plan.national) - len(new_lsoas) - len(changed)
    )
