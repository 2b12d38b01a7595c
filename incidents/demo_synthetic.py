"""Synthetic partner extracts for the demo, uploaded through the normal import pipeline.

data.police.uk publishes the month, the LSOA and a broad category only: no time, age, weapon or
flag, so most of the partnership's analysis would have nothing to show. The demo therefore makes
three partner extracts with a fixed random seed and uploads them as the partners' analysts would
(``upload_receive`` → the check task → ``upload_confirm`` → the import task):

- **Police extract** (portal template): one made-up record for each row of the real police.uk
  files, in the same month, LSOA and broad category (refined to the partnership's finer
  categories), so monthly and LSOA totals are the real ones. Dates, times (some known only to the
  day or the month), victim and suspect age band and sex, weapon, domestic-abuse, alcohol and
  exploitation flags, location type (licensed premises on Friday and Saturday nights) and a Home
  Office offence code are drawn at random.
- **ISTV emergency-department extract** (ISB 1594 minimum data set): about 9% of police-recorded
  violence, at two made-up sites, naming (fictional) licensed premises and sometimes LSOAs where
  police recorded no violence that month. The ICB's latest month is deliberately missing: it is a
  month late.
- **Youth offending extract** (portal template): a sample of the police extract's offences whose
  suspect was 10 to 17, as the Youth Offending Service would record them.

Everything is labelled synthetic: the datasets' names, source systems and notes (incidents/demo.py)
and the file names. The same seed and the same police.uk files give byte-identical files, so a
second run finds each file already imported (by its SHA-256) and changes nothing.
"""

from __future__ import annotations

import calendar
import contextlib
import csv
import datetime as dt
import hashlib
import io
import itertools
import logging
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from .importing import spec
from .importing.services import UploadRefused, upload_confirm, upload_receive
from .importing.tasks import upload_check_task, upload_import_task
from .models import Dataset, Upload

SEED = 20220101
UK = ZoneInfo("Europe/London")

POLICE_SLUG = "police-extract"
ISTV_SLUG = "istv-ed"
YOS_SLUG = "yos-extract"
SYNTHETIC_SLUGS = (POLICE_SLUG, ISTV_SLUG, YOS_SLUG)

# Share of police-recorded violence (police.uk "Violence and sexual offences") that the emergency
# departments see as assault attendances: plausible for a county with two type 1 EDs.
ISTV_SHARE_OF_POLICE_VIOLENCE = 0.09
# The ICB's extract for the latest police month has not arrived: a month late.
ISTV_MONTHS_BEHIND = 1
# Share of police-extract offences with a 10-17 suspect that reach the Youth Offending Service.
YOS_SHARE = 0.4
# Days after the month's end each partner uploads (the upload dates are simulated).
UPLOAD_DAY = {POLICE_SLUG: 8, YOS_SLUG: 14, ISTV_SLUG: 21}
UPLOAD_TIME = {POLICE_SLUG: dt.time(9, 30), YOS_SLUG: dt.time(11, 0), ISTV_SLUG: dt.time(14, 15)}
UPLOADER = {
    POLICE_SLUG: "analyst@police.example.org",
    ISTV_SLUG: "analyst@icb.example.org",
    YOS_SLUG: "analyst@yos.example.org",
}

ISTV_HEADINGS = list(spec.ISTV.columns)
TEMPLATE_HEADINGS = list(spec.TEMPLATE_FIELD_NAMES)

# police.uk district names (the start of an LSOA name) served by each made-up ED site.
NORTH_DISTRICTS = frozenset({"Corby", "Kettering", "East Northamptonshire", "Wellingborough"})
# Made-up site codes: a northern and a western emergency department.
ED_SITES = {"north": "SYNED-N", "west": "SYNED-W"}


@dataclass(frozen=True)
class PoliceUkRow:
    """The parts of one data.police.uk row the synthetic extracts follow."""

    month: str
    lsoa_code: str
    lsoa_name: str
    crime_type: str
    location: str
    latitude: str
    longitude: str
    outcome: str


@dataclass(frozen=True)
class SyntheticFile:
    """One monthly file of a synthetic extract, ready to upload."""

    slug: str
    month: str
    filename: str
    content: bytes
    rows: int

    @property
    def uploaded_at(self) -> dt.datetime:
        """When the partner (notionally) uploaded it: a fixed number of days after month end."""
        year, month = (int(part) for part in self.month.split("-"))
        month_end = dt.date(year, month, calendar.monthrange(year, month)[1])
        day = month_end + dt.timedelta(days=UPLOAD_DAY[self.slug])
        return dt.datetime.combine(day, UPLOAD_TIME[self.slug], tzinfo=UK)


# ---------------------------------------------------------------------------
# Reading the real police.uk months
# ---------------------------------------------------------------------------
def police_uk_files(folder: Path | None = None) -> list[Path]:
    """The police.uk monthly files the demo loads (SHARED_DATA_DIR/police_uk/*.csv), in order."""
    folder = Path(settings.SHARED_DATA_DIR) / "police_uk" if folder is None else folder
    return sorted(folder.glob("*.csv")) if folder.is_dir() else []


def police_uk_rows(paths: Sequence[Path]) -> dict[str, list[PoliceUkRow]]:
    """Every row of the files, by month (YYYY-MM), in file order."""
    months: dict[str, list[PoliceUkRow]] = {}
    for path in paths:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                month = row["Month"].strip()
                months.setdefault(month, []).append(
                    PoliceUkRow(
                        month=month,
                        lsoa_code=row["LSOA code"].strip(),
                        lsoa_name=row["LSOA name"].strip(),
                        crime_type=row["Crime type"].strip(),
                        location=row["Location"].strip(),
                        latitude=row["Latitude"].strip(),
                        longitude=row["Longitude"].strip(),
                        outcome=row["Last outcome category"].strip(),
                    )
                )
    return dict(sorted(months.items()))


# ---------------------------------------------------------------------------
# Drawing values
# ---------------------------------------------------------------------------
class Dist:
    """A discrete distribution (value → weight), drawn from with its cumulative weights."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.values = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))

    def draw(self, rng: random.Random) -> str:
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


def _dists(table: dict[str, dict[str, float]]) -> dict[str, Dist]:
    return {key: Dist(weights) for key, weights in table.items()}


def _pick(rng: random.Random, dist: Dist) -> str:
    return dist.draw(rng)


def _yes_no(rng: random.Random, p_yes: float) -> str:
    return "yes" if rng.random() < p_yes else "no"


# police.uk broad category → the partnership's finer categories (slug → weight).
REFINE = _dists(
    {
        "Violence and sexual offences": {
            "violence-with-injury": 0.31,
            "violence-without-injury": 0.38,
            "stalking-and-harassment": 0.23,
            "rape": 0.03,
            "other-sexual-offences": 0.0495,
            "homicide": 0.0005,
        },
        # A few robberies are not split into personal and business in the source system.
        "Robbery": {"personal-robbery": 0.84, "business-robbery": 0.12, "robbery": 0.04},
        "Possession of weapons": {"possession-of-a-knife": 0.55, "possession-of-weapons": 0.45},
    }
)
SLUG_OF_TYPE = {
    "Anti-social behaviour": "anti-social-behaviour",
    "Bicycle theft": "bicycle-theft",
    "Burglary": "burglary",
    "Criminal damage and arson": "criminal-damage-arson",
    "Drugs": "drugs",
    "Other theft": "other-theft",
    "Public order": "public-order",
    "Shoplifting": "shoplifting",
    "Theft from the person": "theft-from-the-person",
    "Vehicle crime": "vehicle-crime",
    "Other crime": "other-crime",
}
# Illustrative Home Office offence codes (the Home Office Counting Rules' classifications).
OFFENCE_CODES = _dists(
    {
        "homicide": {"1": 0.8, "4/1": 0.2},
        "violence-with-injury": {"8N": 0.85, "5D": 0.15},
        "violence-without-injury": {"105A": 0.9, "8F": 0.1},
        "stalking-and-harassment": {"8M": 0.55, "8Q": 0.15, "8R": 0.3},
        "rape": {"19C": 0.7, "19D": 0.15, "19G": 0.15},
        "other-sexual-offences": {"20A": 0.6, "17A": 0.1, "22B": 0.3},
        "personal-robbery": {"34B": 1.0},
        "business-robbery": {"34A": 1.0},
        "robbery": {"34B": 1.0},
        "possession-of-a-knife": {"10D": 1.0},
        "possession-of-weapons": {"10C": 0.85, "10A": 0.15},
        "bicycle-theft": {"44": 1.0},
        "burglary": {"28E": 0.7, "30C": 0.3},
        "criminal-damage-arson": {"58C": 0.6, "58A": 0.3, "56B": 0.1},
        "drugs": {"92D": 0.75, "92A": 0.25},
        "other-theft": {"49": 1.0},
        "public-order": {"9A": 0.8, "8L": 0.2},
        "shoplifting": {"46": 1.0},
        "theft-from-the-person": {"39": 1.0},
        "vehicle-crime": {"45": 0.6, "48": 0.4},
        "other-crime": {"66": 1.0},
    }
)

VIOLENCE = frozenset(
    {"homicide", "violence-with-injury", "violence-without-injury", "stalking-and-harassment"}
)
SEXUAL = frozenset({"rape", "other-sexual-offences"})
ROBBERY = frozenset({"personal-robbery", "business-robbery", "robbery"})
WEAPONS = frozenset({"possession-of-a-knife", "possession-of-weapons"})
PROPERTY = frozenset(
    {"bicycle-theft", "burglary", "criminal-damage-arson", "other-theft", "vehicle-crime"}
)
NO_VICTIM = frozenset({"drugs", "possession-of-a-knife", "possession-of-weapons", "public-order"})

ADULT_AGES = {"18-24": 0.2, "25-34": 0.3, "35-44": 0.22, "45-54": 0.14, "55-64": 0.09, "65+": 0.05}
VICTIM_AGES = Dist({"0-9": 0.03, "10-17": 0.12, **ADULT_AGES, "": 0.02})
VICTIM_AGES_DOMESTIC = Dist({**ADULT_AGES, "10-17": 0.04, "": 0.02})
VICTIM_AGES_SEXUAL = Dist({"0-9": 0.06, "10-17": 0.3, **ADULT_AGES, "": 0.03})
SUSPECT_AGES = Dist(
    {
        "10-17": 0.13,
        "18-24": 0.24,
        "25-34": 0.29,
        "35-44": 0.18,
        "45-54": 0.1,
        "55-64": 0.04,
        "65+": 0.02,
    }
)
YOUNG = {"10-17": 0.35, "18-24": 0.4, "25-34": 0.17, "35-44": 0.08}
YOUNG_AGES = Dist(YOUNG)
VICTIM_AGES_NIGHT_OUT = Dist({**YOUNG, "45-54": 0.05, "": 0.02})
SEX_SUSPECT_NO_VICTIM = Dist({"male": 0.85, "female": 0.15})
SEX_SUSPECT = Dist({"male": 0.82, "female": 0.17, "": 0.01})
SEX_VICTIM = Dist({"male": 0.52, "female": 0.46, "": 0.02})
SEX_VICTIM_DOMESTIC = Dist({"female": 0.74, "male": 0.25, "": 0.01})
SEX_VICTIM_SEXUAL = Dist({"female": 0.88, "male": 0.11, "": 0.01})
SEX_VICTIM_NIGHT_OUT = Dist({"male": 0.72, "female": 0.27, "": 0.01})
SEX_PATIENT = Dist({"male": 0.69, "female": 0.3, "": 0.01})

WEAPON_BY_CATEGORY = _dists(
    {
        "homicide": {"knife": 0.6, "firearm": 0.05, "other": 0.15, "none": 0.2},
        "violence-with-injury": {
            "knife": 0.05,
            "firearm": 0.003,
            "other": 0.12,
            "none": 0.58,
            "": 0.227,
        },
        "violence-without-injury": {"knife": 0.015, "other": 0.05, "none": 0.75, "": 0.185},
        "personal-robbery": {"knife": 0.18, "firearm": 0.01, "other": 0.08, "none": 0.5, "": 0.23},
        "business-robbery": {"knife": 0.3, "firearm": 0.04, "other": 0.16, "none": 0.3, "": 0.2},
        "robbery": {"knife": 0.2, "other": 0.1, "none": 0.4, "": 0.3},
        "possession-of-a-knife": {"knife": 1.0},
        "possession-of-weapons": {"firearm": 0.15, "other": 0.85},
        "stalking-and-harassment": {"none": 0.9, "": 0.1},
        "rape": {"none": 0.85, "": 0.15},
        "other-sexual-offences": {"none": 0.9, "": 0.1},
    }
)
DOMESTIC_SHARE = {
    "homicide": 0.2,
    "violence-with-injury": 0.35,
    "violence-without-injury": 0.38,
    "stalking-and-harassment": 0.45,
    "rape": 0.35,
    "other-sexual-offences": 0.2,
    "criminal-damage-arson": 0.12,
}
LOCATIONS = _dists(
    {
        "violence": {
            "dwelling": 0.38,
            "public_place": 0.3,
            "licensed_premises": 0.06,
            "retail": 0.05,
            "education": 0.04,
            "transport": 0.03,
            "workplace": 0.05,
            "other": 0.04,
            "": 0.05,
        },
        "domestic": {"dwelling": 0.86, "public_place": 0.08, "other": 0.03, "": 0.03},
        "night_out": {"licensed_premises": 0.4, "public_place": 0.5, "transport": 0.05, "": 0.05},
        "robbery": {
            "public_place": 0.7,
            "retail": 0.12,
            "transport": 0.08,
            "dwelling": 0.05,
            "": 0.05,
        },
        "business-robbery": {"retail": 0.8, "licensed_premises": 0.1, "workplace": 0.1},
        "burglary": {"dwelling": 0.75, "retail": 0.1, "workplace": 0.1, "": 0.05},
        "shoplifting": {"retail": 1.0},
        "vehicle-crime": {"public_place": 0.7, "dwelling": 0.25, "": 0.05},
        "anti-social-behaviour": {"public_place": 0.6, "dwelling": 0.25, "retail": 0.05, "": 0.1},
        "other": {
            "public_place": 0.5,
            "dwelling": 0.2,
            "retail": 0.08,
            "transport": 0.05,
            "education": 0.03,
            "licensed_premises": 0.03,
            "": 0.11,
        },
    }
)
INJURIES = _dists(
    {
        "homicide": {"fatal": 1.0},
        "violence-with-injury": {"minor": 0.6, "moderate": 0.3, "serious": 0.1},
        "violence-without-injury": {"none": 1.0},
        "personal-robbery": {"none": 0.7, "minor": 0.25, "moderate": 0.05},
    }
)
# Hour of the day (local time) by kind of offence; weights need not sum to 1.
HOURS_VIOLENCE = [3, 2, 2, 1, 1, 1, 2, 3, 4, 4, 5, 5, 6, 6, 7, 8, 8, 8, 8, 8, 8, 7, 6, 4]
HOURS_DAYTIME = [1, 1, 1, 1, 1, 1, 2, 4, 6, 7, 8, 8, 8, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1]
HOURS_EVENING = [4, 3, 3, 2, 1, 1, 1, 2, 3, 3, 3, 4, 4, 4, 5, 6, 7, 7, 7, 7, 7, 6, 6, 5]
# The night-time economy: 20:00 to 05:59, busiest around midnight.
HOURS_NIGHT_OUT = {20: 2, 21: 4, 22: 6, 23: 8, 0: 9, 1: 9, 2: 7, 3: 4, 4: 2, 5: 1}
NIGHT_OUT_HOURS = Dist({str(h): w for h, w in HOURS_NIGHT_OUT.items()})
# (exact date and time, date only, month only) shares: burglaries and thefts are often found
# later (the day is known, the hour is not); sexual offences and stalking are often reported
# later and known only to the month.
PRECISION = {
    "sexual": (0.55, 0.3, 0.15),
    "stalking-and-harassment": (0.5, 0.35, 0.15),
    "property": (0.45, 0.55, 0.0),
    "violence": (0.85, 0.13, 0.02),
    "other": (0.8, 0.2, 0.0),
}


class _Month:
    """The days of one month, by ISO weekday, for drawing dates."""

    def __init__(self, month: str) -> None:
        year, number = (int(part) for part in month.split("-"))
        days = calendar.monthrange(year, number)[1]
        self.month = month
        self.days = [dt.date(year, number, d) for d in range(1, days + 1)]
        self.by_weekday: dict[int, list[dt.date]] = {}
        for day in self.days:
            self.by_weekday.setdefault(day.isoweekday(), []).append(day)

    def any_day(self, rng: random.Random) -> dt.date:
        return rng.choice(self.days)

    def night_out(self, rng: random.Random) -> tuple[dt.date, int]:
        """A Friday or Saturday night: the evening on Fri/Sat, the small hours on Sat/Sun."""
        hour = int(_pick(rng, NIGHT_OUT_HOURS))
        days = (5, 6) if hour >= 20 else (6, 7)
        return rng.choice(self.by_weekday[days[0]] + self.by_weekday[days[1]]), hour


def _when(
    rng: random.Random, month: _Month, kind: str, hours: list[int], night_out: bool
) -> tuple[str, str]:
    """(occurred_date, occurred_time) cells: some exact, some to the day, some to the month."""
    if night_out:
        day, hour = month.night_out(rng)
        return day.isoformat(), f"{hour:02d}:{rng.randrange(60):02d}"
    exact, day_only, _month_only = PRECISION[kind]
    draw = rng.random()
    if draw >= exact + day_only:
        return month.month, ""
    day = month.any_day(rng)
    if draw >= exact:
        return day.isoformat(), ""
    hour = rng.choices(range(24), weights=hours)[0]
    return day.isoformat(), f"{hour:02d}:{rng.randrange(60):02d}"


def _police_record(rng: random.Random, source: PoliceUkRow, month: _Month, ref: str) -> list[str]:
    """One synthetic police-extract row (portal template order) for one police.uk row."""
    if source.crime_type in REFINE:
        category = _pick(rng, REFINE[source.crime_type])
    else:  # police.uk has 14 types; one it adds later still gets its record
        category = SLUG_OF_TYPE.get(source.crime_type, "other-crime")
    violent = category in VIOLENCE or category in SEXUAL
    domestic = ""
    if category in DOMESTIC_SHARE:
        domestic = _yes_no(rng, DOMESTIC_SHARE[category])
    elif category in ROBBERY or category in WEAPONS or category in PROPERTY:
        domestic = "no"
    # Non-domestic violence and robbery on a Friday or Saturday night out.
    night_out = (
        domestic != "yes"
        and category in {"violence-with-injury", "violence-without-injury", "personal-robbery"}
        and rng.random() < 0.2
    )

    if category in SEXUAL:
        kind, hours = "sexual", HOURS_EVENING
    elif category == "stalking-and-harassment":
        kind, hours = "stalking-and-harassment", HOURS_DAYTIME
    elif category in PROPERTY:
        kind, hours = "property", HOURS_EVENING
    elif violent or category in ROBBERY:
        kind, hours = "violence", HOURS_VIOLENCE
    else:
        kind, hours = "other", HOURS_DAYTIME
    occurred_date, occurred_time = _when(rng, month, kind, hours, night_out)

    if night_out:
        location_type = _pick(rng, LOCATIONS["night_out"])
    elif domestic == "yes":
        location_type = _pick(rng, LOCATIONS["domestic"])
    elif violent:
        location_type = _pick(rng, LOCATIONS["violence"])
    elif category in ("personal-robbery", "robbery"):
        location_type = _pick(rng, LOCATIONS["robbery"])
    elif category in LOCATIONS:
        location_type = _pick(rng, LOCATIONS[category])
    else:
        location_type = _pick(rng, LOCATIONS["other"])

    weapon = _pick(rng, WEAPON_BY_CATEGORY[category]) if category in WEAPON_BY_CATEGORY else ""

    victim_age = victim_sex = suspect_age = suspect_sex = ""
    if category == "anti-social-behaviour":
        pass
    elif category in NO_VICTIM or category in ("shoplifting", "business-robbery"):
        suspect_known = 0.9 if category in NO_VICTIM else 0.4
        if rng.random() < suspect_known:
            ages = YOUNG_AGES if category in WEAPONS else SUSPECT_AGES
            suspect_age = _pick(rng, ages)
            suspect_sex = _pick(rng, SEX_SUSPECT_NO_VICTIM)
    else:
        if domestic == "yes":
            victim_age = _pick(rng, VICTIM_AGES_DOMESTIC)
            victim_sex = _pick(rng, SEX_VICTIM_DOMESTIC)
        elif category in SEXUAL:
            victim_age = _pick(rng, VICTIM_AGES_SEXUAL)
            victim_sex = _pick(rng, SEX_VICTIM_SEXUAL)
        elif category in ROBBERY or night_out:
            victim_age = _pick(rng, VICTIM_AGES_NIGHT_OUT)
            victim_sex = _pick(rng, SEX_VICTIM_NIGHT_OUT)
        else:
            victim_age = _pick(rng, VICTIM_AGES)
            victim_sex = _pick(rng, SEX_VICTIM)
        suspect_known = 0.75 if violent or domestic == "yes" else 0.2
        if rng.random() < suspect_known:
            ages = YOUNG_AGES if category in ROBBERY or night_out else SUSPECT_AGES
            suspect_age = _pick(rng, ages)
            suspect_sex = _pick(rng, SEX_SUSPECT)

    young = "10-17" in (victim_age, suspect_age) or "0-9" in (victim_age, suspect_age)
    alcohol = ""
    if violent or category in ROBBERY or category == "public-order":
        alcohol = _yes_no(rng, 0.7 if night_out else 0.15)
    exploitation = ""
    if category == "drugs":
        exploitation = _yes_no(rng, 0.12)
    elif category in WEAPONS or category in ROBBERY:
        exploitation = _yes_no(rng, 0.12 if young else 0.03)
    elif violent:
        exploitation = _yes_no(rng, 0.06 if young else 0.005)

    injury = _pick(rng, INJURIES[category]) if category in INJURIES else ""
    code = _pick(rng, OFFENCE_CODES[category]) if category in OFFENCE_CODES else ""
    outcome = source.outcome if category != "anti-social-behaviour" else ""
    row = {
        "reference": ref,
        "occurred_date": occurred_date,
        "occurred_time": occurred_time,
        "category": category,
        "lsoa_code": source.lsoa_code,
        "location_text": source.location,
        "latitude": source.latitude,
        "longitude": source.longitude,
        "location_type": location_type,
        "weapon": weapon,
        "domestic_abuse": domestic,
        "alcohol_involved": alcohol,
        "exploitation": exploitation,
        "victim_age_band": victim_age,
        "victim_sex": victim_sex,
        "suspect_age_band": suspect_age,
        "suspect_sex": suspect_sex,
        "injury_severity": injury,
        "outcome": outcome,
        "offence_code": code,
    }
    return [row[name] for name in TEMPLATE_HEADINGS]


def _rng(kind: str, month: str) -> random.Random:
    # A string seed is hashed with SHA-512: the same draws on every machine and Python 3 release.
    return random.Random(f"nsvpp-synthetic-demo:{SEED}:{kind}:{month}")


def police_extract_rows(month: str, sources: Sequence[PoliceUkRow]) -> list[list[str]]:
    """The month's synthetic police-extract rows: one per police.uk row, same LSOA and type."""
    rng = _rng("police", month)
    days = _Month(month)
    return [
        _police_record(rng, source, days, f"SYN-POL-{month}-{n:05d}")
        for n, source in enumerate(sources, start=1)
    ]


YOS_OUTCOMES = Dist(
    {
        "Community resolution": 0.25,
        "Youth caution": 0.2,
        "Youth conditional caution": 0.15,
        "Referral order": 0.25,
        "Youth rehabilitation order": 0.12,
        "Detention and training order": 0.03,
    }
)
YOS_CATEGORIES = VIOLENCE | SEXUAL | ROBBERY | WEAPONS | {"drugs", "criminal-damage-arson"}


def yos_extract_rows(month: str, police_rows: Sequence[list[str]]) -> list[list[str]]:
    """Offences by 10-17-year-olds the Youth Offending Service supervises (a sample of police's)."""
    rng = _rng("yos", month)
    index = {name: i for i, name in enumerate(TEMPLATE_HEADINGS)}
    rows: list[list[str]] = []
    for police in police_rows:
        if police[index["suspect_age_band"]] != "10-17":
            continue
        if police[index["category"]] not in YOS_CATEGORIES or rng.random() >= YOS_SHARE:
            continue
        row = list(police)
        row[index["reference"]] = f"SYN-YOS-{month}-{len(rows) + 1:04d}"
        # The service records the offence date, not the time, and no location beyond the LSOA.
        row[index["occurred_date"]] = police[index["occurred_date"]]
        row[index["occurred_time"]] = ""
        row[index["location_text"]] = ""
        row[index["latitude"]] = ""
        row[index["longitude"]] = ""
        if not row[index["exploitation"]] or row[index["exploitation"]] == "no":
            # Case workers learn of exploitation the police record did not show.
            row[index["exploitation"]] = _yes_no(rng, 0.15)
        row[index["outcome"]] = _pick(rng, YOS_OUTCOMES)
        rows.append(row)
    return rows


# ISTV values follow the minimum data set's wording (reference_data value mappings).
ISTV_LOCATIONS = Dist(
    {
        "Street": 0.33,
        "Pub/bar/club": 0.2,
        "Nightclub": 0.06,
        "Home": 0.2,
        "Park or open space": 0.04,
        "Public transport": 0.03,
        "Shop": 0.03,
        "School/college": 0.03,
        "Workplace": 0.03,
        "Other": 0.02,
        "Not known": 0.03,
    }
)
ISTV_METHODS = Dist(
    {
        "Body part (e.g. fist, foot)": 0.55,
        "Glass/bottle": 0.09,
        "Blunt object": 0.07,
        "Knife/sharp object": 0.08,
        "Firearm": 0.004,
        "Other": 0.05,
        "Not known": 0.156,
    }
)
ISTV_OTHER_METHODS = ("Bitten", "Pushed to the ground", "Thrown object", "Strangulation")
ISTV_AGES = Dist(
    {
        "10-17": 0.1,
        "18-24": 0.3,
        "25-34": 0.27,
        "35-44": 0.15,
        "45-54": 0.1,
        "55-64": 0.04,
        "65+": 0.02,
        "": 0.02,
    }
)
# Fictional venues: ED data names the premises, police data says "on or near" a street.
PREMISES = (
    "The Copper Lantern",
    "Velvet Owl Bar",
    "The Quiet Heron",
    "Neon Orchard nightclub",
    "The Brass Kettle",
    "Club Meridian",
    "The Wandering Fox",
    "Ember Lounge",
)


def _district(lsoa_name: str) -> str:
    return lsoa_name.rsplit(" ", 1)[0] if " " in lsoa_name else ""


def istv_rows(month: str, sources: Sequence[PoliceUkRow]) -> list[list[str]]:
    """The month's synthetic ED assault attendances, a fraction of police-recorded violence."""
    rng = _rng("istv", month)
    days = _Month(month)
    violence = [s for s in sources if s.crime_type == "Violence and sexual offences"]
    by_lsoa = Counter(s.lsoa_code for s in violence if s.lsoa_code.startswith("E01"))
    names = {s.lsoa_code: s.lsoa_name for s in sources}
    # LSOAs where police recorded no violence this month (ED data names places police do not).
    quiet = sorted(code for code in names if code.startswith("E01") and code not in by_lsoa)
    lsoas, weights = zip(*sorted(by_lsoa.items()), strict=True) if by_lsoa else ((), ())
    period_start, period_end = days.days[0], days.days[-1]
    rows: list[list[str]] = []
    for n in range(1, round(len(violence) * ISTV_SHARE_OF_POLICE_VIOLENCE) + 1):
        location = _pick(rng, ISTV_LOCATIONS)
        night = location in ("Pub/bar/club", "Nightclub") or rng.random() < 0.2
        if night:
            assault_day, hour = days.night_out(rng)
        else:
            assault_day = days.any_day(rng)
            hour = rng.choices(range(24), weights=HOURS_VIOLENCE)[0]
        assault = dt.datetime.combine(assault_day, dt.time(hour, rng.randrange(60)))
        arrival = assault + dt.timedelta(minutes=rng.randrange(20, 240))
        if arrival.date() > period_end:  # arrivals after the period fall in the next extract
            arrival = dt.datetime.combine(period_end, dt.time(23, 59))
        lsoa = ""
        if lsoas and rng.random() < 0.75:
            lsoa = rng.choices(lsoas, weights=weights)[0]
            if quiet and rng.random() < 0.12:
                lsoa = rng.choice(quiet)
        district = _district(names.get(lsoa, "")) or rng.choice(("Northampton", "Kettering"))
        site = ED_SITES["north" if district in NORTH_DISTRICTS else "west"]
        if location in ("Pub/bar/club", "Nightclub"):
            description = f"{rng.choice(PREMISES)}, {district} (fictional name)"
        elif location == "Street":
            description = f"Street in {district}"
        elif location == "Home":
            description = "Private dwelling"
        else:
            description = ""
        method = _pick(rng, ISTV_METHODS)
        draw = rng.random()
        assault_date = "" if draw < 0.08 else assault.date().isoformat()
        assault_time = "" if draw < 0.25 else assault.strftime("%H:%M")
        row = {
            "Site code": site,
            "Attendance reference": f"SYN-{month}-{n:04d}",
            "Reporting period start": period_start.isoformat(),
            "Reporting period end": period_end.isoformat(),
            "Arrival date": arrival.date().isoformat(),
            "Arrival time": arrival.strftime("%H:%M"),
            "Assault date": assault_date,
            "Assault time": assault_time if assault_date else "",
            "Assault location type": location,
            "Assault location description": description,
            "Assault method": method,
            "Assault method other description": (
                rng.choice(ISTV_OTHER_METHODS) if method == "Other" else ""
            ),
            "Patient age band": _pick(rng, ISTV_AGES),
            "Patient sex": _pick(rng, SEX_PATIENT),
            "LSOA code": lsoa,
        }
        rows.append([row[heading] for heading in ISTV_HEADINGS])
    return rows


def _csv(headings: list[str], rows: Sequence[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headings)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def synthetic_files(paths: Sequence[Path]) -> list[SyntheticFile]:
    """Every synthetic monthly file, police first, each month in order (deterministic)."""
    months = police_uk_rows(paths)
    police: list[SyntheticFile] = []
    youth: list[SyntheticFile] = []
    health: list[SyntheticFile] = []
    late = set(list(months)[len(months) - ISTV_MONTHS_BEHIND :]) if ISTV_MONTHS_BEHIND else set()
    for month, sources in months.items():
        rows = police_extract_rows(month, sources)
        police.append(_file(POLICE_SLUG, month, TEMPLATE_HEADINGS, rows))
        youth.append(_file(YOS_SLUG, month, TEMPLATE_HEADINGS, yos_extract_rows(month, rows)))
        if month not in late:
            health.append(_file(ISTV_SLUG, month, ISTV_HEADINGS, istv_rows(month, sources)))
    return [*police, *health, *youth]


def _file(slug: str, month: str, headings: list[str], rows: list[list[str]]) -> SyntheticFile:
    return SyntheticFile(
        slug=slug,
        month=month,
        filename=f"{slug}-synthetic-{month}.csv",
        content=_csv(headings, rows),
        rows=len(rows),
    )


# ---------------------------------------------------------------------------
# Uploading through the pipeline
# ---------------------------------------------------------------------------
def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@contextlib.contextmanager
def _quiet_task_log() -> Iterator[None]:
    """Keep Celery's line per task run out of the demo's printed summary (errors still show)."""
    trace = logging.getLogger("celery.app.trace")
    level = trace.level
    trace.setLevel(logging.WARNING)
    try:
        yield
    finally:
        trace.setLevel(level)


def synthetic_upload(*, dataset: Dataset, file: SyntheticFile, user: Any) -> Upload:
    """Upload one file as the partner's analyst would: receive, check task, confirm, import task.

    The tasks run in this process (``apply``) instead of the worker, so the demo is ready when
    the command ends; they are the same tasks and services an upload from the web page uses.
    """
    upload = upload_receive(
        dataset=dataset,
        user=user,
        file=ContentFile(file.content, name=file.filename),
        filename=file.filename,
        queue_check=False,
    )
    with _quiet_task_log():
        upload_check_task.apply(args=(upload.pk,), throw=True)
    upload.refresh_from_db()
    if upload.status != Upload.Status.VALIDATED:
        return upload
    upload = upload_confirm(upload=upload, user=user, queue_import=False)
    with _quiet_task_log():
        upload_import_task.apply(args=(upload.pk,), throw=True)
    upload.refresh_from_db()
    if upload.status == Upload.Status.IMPORTED:
        # The partner uploaded it some days after the month ended: the history and the
        # "who's late" view show that, not the moment the demo ran.
        moment = file.uploaded_at
        Upload.objects.filter(pk=upload.pk).update(
            uploaded_at=moment,
            started_at=moment + dt.timedelta(seconds=20),
            finished_at=moment + dt.timedelta(seconds=45),
        )
        upload.refresh_from_db()
    return upload


def _ensure_labels(datasets: dict[str, Dataset]) -> None:
    """Datasets created before the synthetic extracts existed get their synthetic labels."""
    from .demo import DATASETS

    for entry in DATASETS:
        dataset = datasets.get(entry["slug"])
        if dataset is None or entry["slug"] not in SYNTHETIC_SLUGS:
            continue
        wanted = {
            "name": entry["name"],
            "source_system": entry["source_system"],
            "extraction_notes": entry["extraction_notes"],
            "cadence": entry["cadence"],
        }
        if any(getattr(dataset, key) != value for key, value in wanted.items()):
            Dataset.objects.filter(pk=dataset.pk).update(**wanted)


def seed_synthetic(*, stdout: Any, paths: Sequence[Path] | None = None) -> list[Upload]:
    """Upload the synthetic police, ISTV and youth offending extracts (idempotent)."""
    paths = police_uk_files() if paths is None else paths
    if not paths:
        stdout.write(
            "Skipped synthetic partner extracts: they follow the police.uk files, and there are "
            "none (set SHARED_DATA_DIR)."
        )
        return []
    datasets = {d.slug: d for d in Dataset.objects.filter(slug__in=SYNTHETIC_SLUGS)}
    _ensure_labels(datasets)
    users = {u.email: u for u in get_user_model().objects.filter(email__in=UPLOADER.values())}
    uploads: list[Upload] = []
    made: Counter[str] = Counter()
    records: Counter[str] = Counter()
    for file in synthetic_files(paths):
        dataset = datasets.get(file.slug)
        if dataset is None:
            if made[file.slug] == 0:
                stdout.write(f"Skipped synthetic {file.slug}: no dataset {file.slug}.")
            made[file.slug] -= 1
            continue
        done = dataset.uploads.filter(
            sha256=_sha256(file.content), status=Upload.Status.IMPORTED
        ).first()
        if done is not None:
            uploads.append(done)
            continue
        try:
            upload = synthetic_upload(
                dataset=dataset, file=file, user=users.get(UPLOADER[file.slug])
            )
        except UploadRefused as refusal:
            stdout.write(f"Skipped {file.filename}: {refusal.message}")
            continue
        if upload.status != Upload.Status.IMPORTED:
            stdout.write(f"{file.filename} was refused: {upload.problem} {upload.first_errors[:3]}")
            continue
        uploads.append(upload)
        made[file.slug] += 1
        records[file.slug] += upload.rows_new
    for slug in SYNTHETIC_SLUGS:
        if made[slug] > 0:
            stdout.write(
                f"Synthetic {slug}: {made[slug]} monthly files imported, "
                f"{records[slug]:,} new records."
            )
    return uploads
