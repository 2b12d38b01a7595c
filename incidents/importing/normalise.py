"""Turning one source row into one normalised record, or into errors with row, column and reason.

One implementation for both databases: the staged rows are already typed and validated, so the
set-based SQL that follows only has to find duplicates and compare hashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from incidents.models import (
    CategoryMapping,
    CrimeCategory,
    Dataset,
    FieldValueMapping,
    IncidentRecord,
    Lsoa,
    LsoaVintageLink,
)

from . import spec
from .reading import FileRefused

UK = ZoneInfo("Europe/London")

# The staged columns, in order. Everything after source_ref is also an IncidentRecord column.
RECORD_COLUMNS: tuple[str, ...] = (
    "occurred_on",
    "occurred_at",
    "date_precision",
    "category_id",
    "lsoa_id",
    "outside_area",
    "location_text",
    "latitude",
    "longitude",
    "location_type",
    "weapon",
    "domestic_abuse",
    "alcohol_involved",
    "exploitation",
    "victim_age_band",
    "victim_sex",
    "suspect_age_band",
    "suspect_sex",
    "injury_severity",
    "outcome",
    "offence_code",
    "row_hash",
)
STAGE_COLUMNS: tuple[str, ...] = ("row_no", "source_ref", *RECORD_COLUMNS)


# Free text is length-prefixed in the row hash (fast.py and migration 0007 follow the same rule).
HASHED_FREE_TEXT = frozenset({"location_text", "outcome", "offence_code"})


def row_hash(values: tuple[Any, ...]) -> str:
    """The fingerprint of a normalised row (every record column but the hash itself).

    The MD5 of the values as text joined by U+001F: empty values are U+001E, and free text is
    prefixed with its length, so the text is unambiguous (no other value can hold either
    character). PostgreSQL builds the same text in SQL (fast.py and migration 0007), so an
    unchanged row is recognised whichever path staged it.
    """
    parts = []
    for column, value in zip(RECORD_COLUMNS, values, strict=False):
        if column in HASHED_FREE_TEXT:
            parts.append(f"{len(value or '')}:{value or ''}")
        elif value is None:
            parts.append("\x1e")
        elif isinstance(value, bool):
            parts.append("true" if value else "false")
        else:
            parts.append(str(value))
    return hashlib.md5("\x1f".join(parts).encode()).hexdigest()  # noqa: S324 - a fingerprint


@dataclass
class RowError:
    row: int
    column: str
    reason: str
    value: str = ""


class RowInvalid(Exception):
    def __init__(self, column: str, reason: str, value: str = "") -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason
        self.value = value


@dataclass
class Lookups:
    """Reference data held in memory for the whole file (bounded by the reference tables)."""

    lsoas: dict[str, tuple[int, bool]]
    categories: dict[str, int]
    today: dt.date
    now_utc: dt.datetime
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    lsoa_prefixes: frozenset[str] = frozenset()

    @classmethod
    def load(cls, dataset_format: str) -> Lookups:
        lsoas = {
            code: (pk, in_area)
            for code, pk, in_area in Lsoa.objects.values_list("code", "pk", "in_area").iterator(
                chunk_size=5000
            )
        }
        lsoas.update(vintage_aliases(lsoas))
        categories: dict[str, int] = {}
        for slug, name, pk in CrimeCategory.objects.values_list("slug", "name", "pk"):
            categories[slug.lower()] = pk
            categories[name.strip().lower()] = pk
        for code, pk in CategoryMapping.objects.filter(source_format=dataset_format).values_list(
            "source_code", "category_id"
        ):
            categories[code.strip().lower()] = pk
        values: dict[str, dict[str, str]] = {}
        for name, source, value in FieldValueMapping.objects.filter(
            source_format=dataset_format
        ).values_list("field", "source_value", "value"):
            values.setdefault(name, {})[source.strip().lower()] = value
        now = timezone.now()
        return cls(
            lsoa_prefixes=frozenset(code[:3] for code in lsoas),
            lsoas=lsoas,
            categories=categories,
            today=timezone.localdate(),
            now_utc=now,
            values=values,
        )


def vintage_aliases(lsoas: dict[str, tuple[int, bool]]) -> dict[str, tuple[int, bool]]:
    """Codes of the other LSOA vintage → the loaded LSOA the ONS best-fit lookup places them on.

    The loaded geography may be of either vintage: a 2021 code is placed on its 2011 LSOA when
    2011 LSOAs are loaded, and a 2011 code on its 2021 LSOA when those are. Where a merge or a
    split leaves several candidates, an LSOA inside the area wins, then the lowest code, so the
    choice never depends on the order of the rows.
    """
    candidates: dict[str, list[tuple[bool, str]]] = {}
    for old, new in LsoaVintageLink.objects.values_list("lsoa11", "lsoa21").iterator(
        chunk_size=5000
    ):
        for source, target in ((new, old), (old, new)):
            if source not in lsoas and target in lsoas:
                candidates.setdefault(source, []).append((not lsoas[target][1], target))
    return {source: lsoas[min(found)[1]] for source, found in candidates.items()}


# ---------------------------------------------------------------------------
# Field parsers (cached: real files repeat the same few hundred dates and codes)
# ---------------------------------------------------------------------------
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DATE_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_LSOA_CODE = re.compile(r"^[EW]01\d{6}$")


def parse_date(value: str, *, allow_month: bool) -> tuple[dt.date, str]:
    """(date, precision) from YYYY-MM-DD, DD/MM/YYYY or (when allowed) YYYY-MM."""
    match = _DATE_ISO.match(value)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _DATE_UK.match(value)
        if match:
            day, month, year = (int(g) for g in match.groups())
        else:
            match = _MONTH.match(value)
            if match and allow_month:
                year, month = int(match.group(1)), int(match.group(2))
                if not 1 <= month <= 12:
                    raise ValueError(f"{value} is not a real month")
                return dt.date(year, month, 1), IncidentRecord.DatePrecision.MONTH
            expected = "YYYY-MM-DD, DD/MM/YYYY or YYYY-MM" if allow_month else "YYYY-MM-DD"
            raise ValueError(f"“{value}” is not a date in the form {expected}")
    try:
        return dt.date(year, month, day), IncidentRecord.DatePrecision.DAY
    except ValueError:
        raise ValueError(f"{value} is not a real date") from None


def parse_time(value: str) -> dt.time:
    match = _TIME.match(value)
    if not match:
        raise ValueError(f"“{value}” is not a time in the form HH:MM")
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{value} is not a real time")
    return dt.time(hour, minute, second)


def _choice_table(choices: list[tuple[str, str]], extra: dict[str, str] | None = None):
    table = {}
    for value, label in choices:
        table[value.lower()] = value
        table[label.lower()] = value
    table.update(extra or {})
    return table


_LOCATION_TYPES = _choice_table(
    IncidentRecord.LocationType.choices,
    {
        "street": "public_place",
        "public": "public_place",
        "park": "public_place",
        "home": "dwelling",
        "house": "dwelling",
        "residence": "dwelling",
        "pub": "licensed_premises",
        "bar": "licensed_premises",
        "club": "licensed_premises",
        "nightclub": "licensed_premises",
        "licensed premises": "licensed_premises",
        "school": "education",
        "college": "education",
        "university": "education",
        "bus": "transport",
        "train": "transport",
        "station": "transport",
        "shop": "retail",
        "work": "workplace",
    },
)
_WEAPONS = _choice_table(
    IncidentRecord.Weapon.choices,
    {
        "knife": "knife",
        "blade": "knife",
        "sharp": "knife",
        "sharp object": "knife",
        "knife/sharp": "knife",
        "bottle": "other",
        "glass": "other",
        "bottle/glass": "other",
        "blunt object": "other",
        "gun": "firearm",
        "body": "none",
        "hit": "none",
        "kick": "none",
        "fist": "none",
        "feet": "none",
        "body (hit, kick)": "none",
    },
)
_AGE_BANDS = _choice_table(
    IncidentRecord.AgeBand.choices, {"under 10": "0-9", "65 and over": "65+"}
)
_SEXES = _choice_table(IncidentRecord.Sex.choices, {"f": "female", "m": "male"})
_INJURIES = _choice_table(IncidentRecord.Injury.choices)
_BOOLEANS = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
}


def _choice(value: str, table: dict[str, str], column: str, default: str = "unknown") -> str:
    if not value:
        return default
    found = table.get(value) or table.get(value.lower())
    if found is None:
        allowed = sorted({v for v in table.values()})
        raise RowInvalid(column, f"“{value}” is not one of: {', '.join(allowed)}", value)
    return found


def _boolean(value: str, column: str) -> bool | None:
    if not value:
        return None
    found = _BOOLEANS.get(value) if value in _BOOLEANS else _BOOLEANS.get(value.lower())
    if found is None:
        raise RowInvalid(column, f"“{value}” is not yes, no or blank", value)
    return found


def _coordinate(value: str, column: str, low: float, high: float) -> str | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise RowInvalid(column, f"“{value[:40]}” is not a number", value) from None
    if not low <= number <= high:  # also false for NaN
        raise RowInvalid(column, f"{value[:40]} is outside {low} to {high}", value)
    text = f"{number:.6f}"
    return "0.000000" if text == "-0.000000" else text  # as PostgreSQL's numeric stores it


def _text(value: str, column: str, max_length: int) -> str:
    if len(value) > max_length:
        raise RowInvalid(column, f"is {len(value):,} characters long; the most is {max_length}")
    return value


class Normaliser:
    """Turns the rows of one file into staged tuples for one dataset."""

    def __init__(self, dataset: Dataset, headings: list[str], lookups: Lookups) -> None:
        self.dataset = dataset
        self.format = spec.format_for(dataset)
        self.lookups = lookups
        self.columns: dict[str, int] = {}
        self.headings = headings
        self._date_cache: dict[str, Any] = {}
        self._time_cache: dict[str, Any] = {}
        self._repeats: Counter[str] = Counter()
        # Staff-edited value mappings (FieldValueMapping) win over the built-in synonyms.
        self._location_types = {**_LOCATION_TYPES, **lookups.values.get("location_type", {})}
        self._weapons = {**_WEAPONS, **lookups.values.get("weapon", {})}
        self._resolve_headings(headings)
        self._indexes = [self.columns.get(name) for name in spec.TEMPLATE_FIELD_NAMES]
        self._row_fn: Callable[[list[str]], tuple[Any, ...]] = {
            Dataset.Format.POLICE_UK: self._police_uk,
            Dataset.Format.ISTV: self._istv,
            Dataset.Format.TEMPLATE: self._template,
        }[self.dataset.format]

    # -- headings ----------------------------------------------------------
    def _resolve_headings(self, headings: list[str]) -> None:
        mapping = spec.mapping_for(self.dataset)
        other_file = spec.other_police_uk_file(headings)
        if other_file is not None:
            what, instead = other_file
            raise FileRefused(f"Row 1 (the column headings): this is {what}. {instead}")
        seen: set[str] = set()
        duplicates = sorted({h for h in headings if h in seen or seen.add(h)})  # type: ignore[func-returns-value]
        if duplicates:
            raise FileRefused(
                "These column headings appear more than once: "
                + ", ".join(f"“{h}”" for h in duplicates)
                + "."
            )
        known = set(mapping) | set(self.format.ignored)
        identifiers = spec.direct_identifier_columns(headings, known)
        if identifiers:
            named = ", ".join(f"“{h}” (looks like {what})" for h, what in identifiers)
            raise FileRefused(
                f"This file has columns that look like direct identifiers: {named}. The portal "
                "never holds names, dates of birth, NHS numbers, addresses, full postcodes, "
                "phone numbers or email addresses. Remove those columns and upload the file again."
            )
        unknown = [h for h in headings if h and h not in known]
        fields_present = {mapping[h]: i for i, h in enumerate(headings) if h in mapping}
        missing = sorted(self.format.required - set(fields_present))
        if missing or unknown:
            other = self._looks_like_other_format(headings)
            if other is not None:
                raise FileRefused(
                    f"This looks like a {other.label} file, but the dataset “{self.dataset.name}” "
                    f"takes {self.format.label} files. Choose the right dataset, or ask the "
                    "partnership team to change this dataset's format."
                )
        if missing:
            reverse = {v: k for k, v in mapping.items()}
            names = ", ".join(f"“{reverse.get(m, m)}”" for m in missing)
            raise FileRefused(
                f"These required columns are missing: {names}. The first row must hold the "
                f"column headings of a {self.format.label} file."
            )
        if unknown:
            raise FileRefused(
                "These columns are not recognised: "
                + ", ".join(f"“{h}”" for h in unknown)
                + f". A {self.format.label} file has the columns "
                + ", ".join(f"“{h}”" for h in self.format.columns)
                + ". Rename or remove the others (or ask for a column mapping)."
            )
        self.columns = fields_present

    def _looks_like_other_format(self, headings: list[str]) -> spec.FileFormat | None:
        present = set(headings)
        for other in spec.FORMATS.values():
            if other.code == self.format.code:
                continue
            needed = {h for h, f in other.columns.items() if f in other.required}
            if needed and needed <= present:
                return other
        return None

    # -- rows --------------------------------------------------------------
    def normalise(self, row_no: int, cells: list[str]) -> tuple[Any, ...]:
        """The staged tuple for the row; raises RowInvalid naming the column and reason."""
        if len(cells) > len(self.headings) and any(c.strip() for c in cells[len(self.headings) :]):
            raise RowInvalid(
                "(whole row)",
                f"has {len(cells)} cells but there are {len(self.headings)} column headings",
            )
        try:
            return (row_no, *self._row_fn(cells))
        except RowInvalid as error:
            error.column = self._heading(error.column)  # errors name the file's own heading
            raise

    def _get(self, cells: list[str], field: str) -> str:
        index = self.columns.get(field)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def _heading(self, field: str) -> str:
        index = self.columns.get(field)
        return self.headings[index] if index is not None else field

    def _date(self, value: str, field: str, *, allow_month: bool) -> tuple[dt.date, str]:
        key = (value, allow_month)
        cached = self._date_cache.get(key)
        if cached is None:
            try:
                cached = parse_date(value, allow_month=allow_month)
            except ValueError as error:
                cached = str(error)
            if len(self._date_cache) < 50_000:
                self._date_cache[key] = cached
        if isinstance(cached, str):
            raise RowInvalid(field, cached, value)
        if cached[0] > self.lookups.today:
            raise RowInvalid(field, f"{value} is in the future", value)
        return cached

    def _time(self, value: str, field: str) -> dt.time | None:
        if not value:
            return None
        cached = self._time_cache.get(value)
        if cached is None:
            try:
                cached = parse_time(value)
            except ValueError as error:
                cached = str(error)
            self._time_cache[value] = cached
        if isinstance(cached, str):
            raise RowInvalid(field, cached, value)
        return cached

    def _moment(self, day: dt.date, precision: str, time: dt.time | None, field: str):
        if time is None or precision != IncidentRecord.DatePrecision.DAY:
            return None, precision
        moment = dt.datetime.combine(day, time, tzinfo=UK).astimezone(dt.UTC)
        if moment > self.lookups.now_utc:
            raise RowInvalid(field, "the date and time are in the future")
        return moment.replace(tzinfo=None).isoformat(" "), IncidentRecord.DatePrecision.DATETIME

    def _lsoa(self, code: str, field: str, required: bool) -> tuple[int | None, bool]:
        if not code:
            if required:
                raise RowInvalid(field, "is empty; an LSOA code is required")
            return None, False
        code = code.upper()
        found = self.lookups.lsoas.get(code)
        if found is None and _LSOA_CODE.match(code) and code[:3] not in self.lookups.lsoa_prefixes:
            # A well-formed LSOA of a nation whose geography is not loaded at all (police.uk
            # files near the border carry Welsh W01 codes): outside the area by definition.
            return None, True
        if found is None:
            # Never guessed: a real code missing here means the geography loaded is incomplete
            # (a 2021 code without the 2011-2021 lookup), and the area's counts would be wrong.
            reason = f"{code[:20]} is not a known LSOA code"
            if _LSOA_CODE.match(code):
                reason += (
                    " (if it is real, the partnership team loads the national ONS LSOA lookup "
                    "and the LSOA 2011 to 2021 lookup with load_geography)"
                )
            raise RowInvalid(field, reason, code)
        return found[0], not found[1]

    def _category(self, value: str, field: str, required: bool) -> int | None:
        if not value:
            if required:
                raise RowInvalid(field, "is empty; a category is required")
            return None
        found = self.lookups.categories.get(value.lower())
        if found is None:
            raise RowInvalid(field, f"“{value[:60]}” is not a known category", value)
        return found

    def _ref(self, value: str, field: str) -> str:
        if not value:
            raise RowInvalid(field, "is empty; every row needs a reference")
        if len(value) > 100:
            raise RowInvalid(field, "is longer than 100 characters")
        return value

    @staticmethod
    def _finish(source_ref: str, values: tuple[Any, ...]) -> tuple[Any, ...]:
        # The hash covers every imported value, so an unchanged row is recognised exactly.
        return (source_ref, *values, row_hash(values))

    def _template(self, cells: list[str]) -> tuple[Any, ...]:
        # The hot path of big imports: one comprehension fetches every cell, then plain calls.
        n, indexes = len(cells), self._indexes
        (
            ref, raw_date, raw_time, category, lsoa_code, location_text, latitude, longitude,
            location_type, weapon, domestic_abuse, alcohol, exploitation, victim_age, victim_sex,
            suspect_age, suspect_sex, injury, outcome, offence_code,
        ) = [cells[i].strip() if i is not None and i < n else "" for i in indexes]  # fmt: skip
        ref = self._ref(ref, "reference")
        if not raw_date:
            raise RowInvalid("occurred_date", "is empty; a date is required")
        day, precision = self._date(raw_date, "occurred_date", allow_month=True)
        occurred_at, precision = self._moment(
            day, precision, self._time(raw_time, "occurred_time"), "occurred_time"
        )
        lsoa_id, outside = self._lsoa(lsoa_code, "lsoa_code", required=False)
        values = (
            day.isoformat(),
            occurred_at,
            precision,
            self._category(category, "category", required=False),
            lsoa_id,
            outside,
            _text(location_text, "location_text", 255),
            _coordinate(latitude, "latitude", -90, 90),
            _coordinate(longitude, "longitude", -180, 180),
            _choice(location_type, self._location_types, "location_type"),
            _choice(weapon, self._weapons, "weapon"),
            _boolean(domestic_abuse, "domestic_abuse"),
            _boolean(alcohol, "alcohol_involved"),
            _boolean(exploitation, "exploitation"),
            _choice(victim_age, _AGE_BANDS, "victim_age_band"),
            _choice(victim_sex, _SEXES, "victim_sex"),
            _choice(suspect_age, _AGE_BANDS, "suspect_age_band"),
            _choice(suspect_sex, _SEXES, "suspect_sex"),
            _choice(injury, _INJURIES, "injury_severity"),
            _text(outcome, "outcome", 200),
            _text(offence_code, "offence_code", 40),
        )
        return self._finish(ref, values)

    def _police_uk(self, cells: list[str]) -> tuple[Any, ...]:
        get = self._get
        raw_month = get(cells, "month")
        if not raw_month:
            raise RowInvalid("month", "is empty; police.uk rows carry a month")
        if not _MONTH.match(raw_month):
            raise RowInvalid("month", f"“{raw_month}” is not a month (YYYY-MM)")
        day, precision = self._date(raw_month, "month", allow_month=True)
        # Rows police.uk could not place ("No Location", empty LSOA code and coordinates) are
        # kept as records without a known area: they count in every total.
        lsoa_id, outside = self._lsoa(get(cells, "lsoa_code"), "lsoa_code", required=False)
        latitude = _coordinate(get(cells, "latitude"), "latitude", -90, 90)
        longitude = _coordinate(get(cells, "longitude"), "longitude", -180, 180)
        if latitude == longitude == "0.000000":
            # Zeroed coordinates: police.uk found no map point within 20 km; not a place.
            latitude = longitude = None
        values = (
            day.isoformat(),
            None,
            precision,
            self._category(get(cells, "category"), "category", required=True),
            lsoa_id,
            outside,
            _text(get(cells, "location_text"), "location_text", 255),
            latitude,
            longitude,
            "unknown",
            "unknown",
            None,
            None,
            None,
            "unknown",
            "unknown",
            "unknown",
            "unknown",
            "unknown",
            _text(get(cells, "outcome"), "outcome", 200),
            "",
        )
        crime_id = get(cells, "crime_id")
        if crime_id:
            base = crime_id
        else:
            # Anti-social behaviour has no Crime ID: a reference made from the row's content.
            content = "\x1f".join(
                (
                    raw_month,
                    get(cells, "longitude"),
                    get(cells, "latitude"),
                    get(cells, "lsoa_code"),
                    get(cells, "location_text"),
                    get(cells, "category"),
                )
            )
            base = "asb-" + hashlib.sha1(content.encode()).hexdigest()[:24]  # noqa: S324
        # police.uk itself repeats a Crime ID, and identical ASB rows, within one month's file:
        # the nth repeat gets a stable suffix so every published row is kept.
        self._repeats[base] += 1
        count = self._repeats[base]
        ref = base if count == 1 else f"{base}#{count}"
        return self._finish(ref, values)

    def _istv(self, cells: list[str]) -> tuple[Any, ...]:
        get = self._get
        site = _text(get(cells, "site_code"), "site_code", 20)
        if not site:
            raise RowInvalid("site_code", "is empty; the site code is required")
        ref = self._ref(get(cells, "attendance_ref"), "attendance_ref")
        start_raw, end_raw = get(cells, "period_start"), get(cells, "period_end")
        for raw, name in ((start_raw, "period_start"), (end_raw, "period_end")):
            if not raw:
                raise RowInvalid(name, "is empty; the reporting period is required")
        start, _ = self._date(start_raw, "period_start", allow_month=False)
        try:
            end, _ = parse_date(end_raw, allow_month=False)  # a period may end after today
        except ValueError as error:
            raise RowInvalid("period_end", str(error), end_raw) from None
        if end < start:
            raise RowInvalid("period_end", "is before the reporting period start")
        arrival_raw = get(cells, "arrival_date")
        if not arrival_raw:
            raise RowInvalid("arrival_date", "is empty; the arrival date is required")
        arrival, _ = self._date(arrival_raw, "arrival_date", allow_month=False)
        arrival_time = self._time(get(cells, "arrival_time"), "arrival_time")
        assault_raw = get(cells, "assault_date")
        if assault_raw:
            day, precision = self._date(assault_raw, "assault_date", allow_month=False)
            if day > arrival:
                raise RowInvalid("assault_date", "is after the arrival date")
            occurred_at, precision = self._moment(
                day,
                precision,
                self._time(get(cells, "assault_time"), "assault_time"),
                "assault_time",
            )
        else:
            day = arrival
            occurred_at, precision = self._moment(
                arrival, IncidentRecord.DatePrecision.DAY, arrival_time, "arrival_time"
            )
        _text(get(cells, "method_other"), "method_other", 255)
        lsoa_id, outside = self._lsoa(get(cells, "lsoa_code"), "lsoa_code", required=False)
        values = (
            day.isoformat(),
            occurred_at,
            precision,
            self.lookups.categories.get("assault"),
            lsoa_id,
            outside,
            _text(get(cells, "location_text"), "location_text", 255),
            None,
            None,
            _choice(get(cells, "location_type"), self._location_types, "location_type"),
            _choice(get(cells, "weapon"), self._weapons, "weapon"),
            None,
            None,
            None,
            _choice(get(cells, "victim_age_band"), _AGE_BANDS, "victim_age_band"),
            _choice(get(cells, "victim_sex"), _SEXES, "victim_sex"),
            "unknown",
            "unknown",
            "unknown",
            "",
            "",
        )
        return self._finish(f"{site}:{ref}"[:100], values)


@dataclass
class ErrorLog:
    """Row errors: all of them to a CSV report, the first few kept for the preview page."""

    writer: Any
    keep: int = 20
    first: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def add(self, error: RowError) -> None:
        self.count += 1
        self.writer.writerow([error.row, error.column, error.reason, error.value[:200]])
        if len(self.first) < self.keep:
            self.first.append({"row": error.row, "column": error.column, "reason": error.reason})
