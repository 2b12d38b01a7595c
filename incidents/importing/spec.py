"""What each file format looks like: the one definition of the columns the portal reads.

The portal template (CSV and XLSX), its data dictionary and the header checks are all generated
from the definitions here, so the downloadable template can never drift from the importer.

Every format maps source column headings to *portal fields*. A dataset's ``column_mapping``
(source heading → portal field) is applied on top of its format's defaults, so a partner whose
extract says "Incident ref" instead of "reference" needs a mapping, not a new format.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from incidents.models import Dataset, IncidentRecord


@dataclass(frozen=True)
class PortalField:
    """One column of the portal template and what it means."""

    name: str
    label: str
    description: str
    example: str
    required: bool = False
    max_length: int | None = None
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def allowed(self) -> str:
        if not self.choices:
            return ""
        return "; ".join(value for value, _label in self.choices)


_YES_NO = (("yes", "Yes"), ("no", "No"))

TEMPLATE_FIELDS: tuple[PortalField, ...] = (
    PortalField(
        "reference",
        "Reference",
        "Your system's reference for the incident, unique within this dataset. Use a "
        "pseudonymised or internal reference, never a crime number that identifies a person. "
        "A row with a reference already held updates that record.",
        "INC-2022-000123",
        required=True,
        max_length=100,
    ),
    PortalField(
        "occurred_date",
        "Date it happened",
        "YYYY-MM-DD (or DD/MM/YYYY). When only the month is known, YYYY-MM. Dates in the "
        "future are refused.",
        "2022-03-14",
        required=True,
    ),
    PortalField(
        "occurred_time",
        "Time it happened",
        "24-hour HH:MM, UK local time. Leave blank when not known.",
        "22:30",
    ),
    PortalField(
        "category",
        "Category",
        "A crime category the portal knows (its name or code, e.g. a police.uk category), or a "
        "code your dataset's category mapping translates.",
        "Violence and sexual offences",
    ),
    PortalField(
        "lsoa_code",
        "LSOA code",
        "The Lower-layer Super Output Area code (E01… or W01…), 2011 or 2021 edition: a code of "
        "the other edition is placed on the loaded geography through the ONS 2011–2021 lookup. "
        "Codes outside the partnership area are kept and marked outside the area; codes that do "
        "not exist are refused.",
        "E01000001",
        max_length=9,
    ),
    PortalField(
        "location_text",
        "Location (generalised)",
        "A generalised description such as 'On or near High Street'. Never a house number or a "
        "full address.",
        "On or near High Street",
        max_length=255,
    ),
    PortalField("latitude", "Latitude", "WGS84 decimal degrees (snapped, not exact).", "51.5205"),
    PortalField("longitude", "Longitude", "WGS84 decimal degrees (snapped, not exact).", "-0.0955"),
    PortalField(
        "location_type",
        "Location type",
        "Where it happened. Blank means unknown.",
        "public_place",
        choices=tuple(IncidentRecord.LocationType.choices),
    ),
    PortalField(
        "weapon",
        "Weapon",
        "Weapon involved. Blank means unknown.",
        "knife",
        choices=tuple(IncidentRecord.Weapon.choices),
    ),
    PortalField(
        "domestic_abuse", "Domestic abuse", "yes, no or blank (unknown).", "no", choices=_YES_NO
    ),
    PortalField(
        "alcohol_involved",
        "Alcohol involved",
        "yes, no or blank (unknown).",
        "yes",
        choices=_YES_NO,
    ),
    PortalField(
        "exploitation",
        "Exploitation or drug supply",
        "Exploitation or county-lines drug supply: yes, no or blank (unknown).",
        "no",
        choices=_YES_NO,
    ),
    PortalField(
        "victim_age_band",
        "Victim age band",
        "An age band, never a date of birth. Blank means unknown.",
        "18-24",
        choices=tuple(IncidentRecord.AgeBand.choices),
    ),
    PortalField(
        "victim_sex",
        "Victim sex",
        "Blank means unknown.",
        "male",
        choices=tuple(IncidentRecord.Sex.choices),
    ),
    PortalField(
        "suspect_age_band",
        "Suspect age band",
        "An age band, never a date of birth. Blank means unknown.",
        "18-24",
        choices=tuple(IncidentRecord.AgeBand.choices),
    ),
    PortalField(
        "suspect_sex",
        "Suspect sex",
        "Blank means unknown.",
        "male",
        choices=tuple(IncidentRecord.Sex.choices),
    ),
    PortalField(
        "injury_severity",
        "Injury severity",
        "Blank means unknown.",
        "moderate",
        choices=tuple(IncidentRecord.Injury.choices),
    ),
    PortalField(
        "outcome",
        "Outcome",
        "The latest outcome, in your system's words.",
        "Under investigation",
        max_length=200,
    ),
    PortalField(
        "offence_code", "Offence code", "Your offence or Home Office code.", "8N", max_length=40
    ),
)
TEMPLATE_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in TEMPLATE_FIELDS)
TEMPLATE_FIELD_BY_NAME: dict[str, PortalField] = {f.name: f for f in TEMPLATE_FIELDS}


@dataclass(frozen=True)
class FileFormat:
    """A format's headings: heading → portal field, which are required, which are ignored."""

    code: str
    label: str
    columns: dict[str, str]
    required: frozenset[str]
    ignored: frozenset[str] = field(default_factory=frozenset)


# data.police.uk street-level CSV, exactly as published (SOURCES.md). police.uk publishes the
# month only; its Crime ID is empty for anti-social behaviour (a deterministic reference is made).
POLICE_UK = FileFormat(
    code=Dataset.Format.POLICE_UK,
    label="data.police.uk street-level CSV",
    columns={
        "Crime ID": "crime_id",
        "Month": "month",
        "Longitude": "longitude",
        "Latitude": "latitude",
        "Location": "location_text",
        "LSOA code": "lsoa_code",
        "Crime type": "category",
        "Last outcome category": "outcome",
    },
    required=frozenset({"month", "category", "lsoa_code", "crime_id"}),
    ignored=frozenset({"Reported by", "Falls within", "LSOA name", "Context"}),
)

# The other files data.police.uk publishes beside the street file. They are not crime records
# the portal holds, so an upload of one is refused naming what it is and what to upload instead.
# Each is recognised by headings no street file has (police.uk's own published layouts).
POLICE_UK_STREET_INSTEAD = (
    "Upload the street-level crime file for the same month instead: on data.police.uk it is "
    "the file whose name ends “-street.csv” (tick “Include crime data” when you download)."
)
POLICE_UK_OTHER_FILES: tuple[tuple[frozenset[str], str, str], ...] = (
    (
        frozenset({"Crime ID", "Month", "Outcome type"}),
        "a data.police.uk outcomes file (“-outcomes.csv”: the outcome of each crime, not the "
        "crimes themselves)",
        "The portal takes each crime's latest outcome from the street-level file's “Last "
        "outcome category” column. " + POLICE_UK_STREET_INSTEAD,
    ),
    (
        frozenset({"Type", "Date", "Object of search", "Legislation"}),
        "a data.police.uk stop-and-search file (“-stop-and-search.csv”)",
        "The portal does not import stop and search records. " + POLICE_UK_STREET_INSTEAD,
    ),
)


def other_police_uk_file(headings: list[str]) -> tuple[str, str] | None:
    """(what the file is, what to upload instead) when the headings are another police.uk file."""
    present = set(headings)
    for needed, what, instead in POLICE_UK_OTHER_FILES:
        if needed <= present:
            return what, instead
    return None


# ISTV emergency-department extract (ISB 1594 minimum data set, DOMAIN.md). The exact headings
# are the portal's definition; a site whose extract differs sets the dataset's column mapping.
ISTV = FileFormat(
    code=Dataset.Format.ISTV,
    label="ISTV emergency-department extract",
    columns={
        "Site code": "site_code",
        "Attendance reference": "attendance_ref",
        "Reporting period start": "period_start",
        "Reporting period end": "period_end",
        "Arrival date": "arrival_date",
        "Arrival time": "arrival_time",
        "Assault date": "assault_date",
        "Assault time": "assault_time",
        "Assault location type": "location_type",
        "Assault location description": "location_text",
        "Assault method": "weapon",
        "Assault method other description": "method_other",
        "Patient age band": "victim_age_band",
        "Patient sex": "victim_sex",
        "LSOA code": "lsoa_code",
    },
    required=frozenset(
        {"site_code", "attendance_ref", "period_start", "period_end", "arrival_date"}
    ),
)

TEMPLATE = FileFormat(
    code=Dataset.Format.TEMPLATE,
    label="Portal template",
    columns={name: name for name in TEMPLATE_FIELD_NAMES},
    required=frozenset(f.name for f in TEMPLATE_FIELDS if f.required),
)

FORMATS: dict[str, FileFormat] = {f.code: f for f in (POLICE_UK, ISTV, TEMPLATE)}

ISTV_DICTIONARY: tuple[tuple[str, str, str], ...] = (
    ("Site code", "Required", "ED site code of treatment (ODS code). Joined to the reference."),
    ("Attendance reference", "Required", "Pseudonymised attendance reference, unique per site."),
    ("Reporting period start", "Required", "YYYY-MM-DD (or DD/MM/YYYY)."),
    ("Reporting period end", "Required", "YYYY-MM-DD, on or after the start."),
    ("Arrival date", "Required", "Date of arrival at the ED; used when the assault date is blank."),
    ("Arrival time", "Optional", "HH:MM."),
    ("Assault date", "Optional", "Date of the assault, if the patient said."),
    ("Assault time", "Optional", "HH:MM."),
    ("Assault location type", "Optional", "e.g. street, licensed premises, home, school."),
    ("Assault location description", "Optional", "e.g. a street or licensed premises name."),
    ("Assault method", "Optional", "e.g. knife, bottle/glass, firearm, body (hit, kick)."),
    ("Assault method other description", "Optional", "Checked for length; not stored."),
    ("Patient age band", "Optional", "An age band such as 18-24; never a date of birth."),
    ("Patient sex", "Optional", "female, male, other or unknown."),
    ("LSOA code", "Optional", "2011 LSOA of the assault location, where the site geocodes it."),
)


def format_for(dataset: Dataset) -> FileFormat:
    """The dataset's format."""
    return FORMATS[dataset.format]


def mapping_for(dataset: Dataset) -> dict[str, str]:
    """Source heading → portal field for the dataset: format defaults, then its own mapping."""
    mapping = dict(format_for(dataset).columns)
    for source, target in (dataset.column_mapping or {}).items():
        mapping[str(source).strip()] = str(target).strip()
    return mapping


# ---------------------------------------------------------------------------
# Direct identifiers: a file carrying any of these is refused, naming the columns.
# ---------------------------------------------------------------------------
_IDENTIFIER_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a name", re.compile(r"(^|_)(first|fore|sur|last|middle|given|family|full|maiden)_?names?$")),
    ("a name", re.compile(r"^(patient|victim|suspect|offender|person|client|child)?_?names?$")),
    ("a date of birth", re.compile(r"(^|_)(dob|d_o_b|date_of_birth|birth_?date|born)($|_)")),
    ("an NHS number", re.compile(r"(^|_)(nhs|chi)_?(no|num|number)?($|_)")),
    ("an address", re.compile(r"(^|_)(address|addr|street_address|house_(no|number|name))")),
    ("a postcode", re.compile(r"^(full_)?(post_?code|postal_code|zip_?code)$")),
    ("a phone number", re.compile(r"(^|_)(phone|telephone|tel|mobile|mob)(_?(no|number))?$")),
    ("an email address", re.compile(r"(^|_)e_?mail(_address)?$")),
)


def _norm_heading(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", heading.lower()).strip("_")


def direct_identifier_columns(headings: list[str], known: set[str]) -> list[tuple[str, str]]:
    """(heading, what it looks like) for each heading that looks like a direct identifier."""
    found: list[tuple[str, str]] = []
    for heading in headings:
        if heading in known:
            continue
        norm = _norm_heading(heading)
        for what, pattern in _IDENTIFIER_PATTERNS:
            if pattern.search(norm):
                found.append((heading, what))
                break
    return found


# ---------------------------------------------------------------------------
# The downloadable template and data dictionary
# ---------------------------------------------------------------------------
DICTIONARY_HEADINGS = ["Column", "Required", "What it means", "Allowed values", "Example"]


def dictionary_rows() -> list[list[str]]:
    """The data dictionary of the portal template, one row per column."""
    return [
        [f.name, "Required" if f.required else "Optional", f.description, f.allowed, f.example]
        for f in TEMPLATE_FIELDS
    ]


def template_csv() -> bytes:
    """The portal template as CSV (UTF-8): the headings and one example row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TEMPLATE_FIELD_NAMES)
    writer.writerow([f.example for f in TEMPLATE_FIELDS])
    return buffer.getvalue().encode("utf-8")


def dictionary_csv() -> bytes:
    """The data dictionary as CSV (UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(DICTIONARY_HEADINGS)
    writer.writerows(dictionary_rows())
    return buffer.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    """The portal template as XLSX: a 'Data' sheet and a 'Data dictionary' sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    data = workbook.active
    data.title = "Data"
    data.append(list(TEMPLATE_FIELD_NAMES))
    data.append([f.example for f in TEMPLATE_FIELDS])
    for cell in data[1]:
        cell.font = Font(bold=True)
    for column in data.columns:
        # Text format, so Excel keeps references and dates exactly as typed.
        for cell in column:
            cell.number_format = "@"
    dictionary = workbook.create_sheet("Data dictionary")
    dictionary.append(DICTIONARY_HEADINGS)
    for row in dictionary_rows():
        dictionary.append(row)
    for cell in dictionary[1]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
