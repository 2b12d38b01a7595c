"""Reference data as data: crime categories, priorities and their rules, loaded from JSON files.

The shipped files in ``incidents/reference_data/`` hold national definitions (data.police.uk's
categories, the ISTV minimum data set's values, the first-year priorities in DOMAIN.md); another
partnership can pass its own file. Loading is idempotent: a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

from django.db import models, transaction

from core.services import audit_record

from .models import (
    CategoryMapping,
    CrimeCategory,
    FieldValueMapping,
    IncidentRecord,
    PriorityCrimeType,
    PriorityRule,
)

REFERENCE_DIR = Path(__file__).resolve().parent / "reference_data"
CATEGORIES_FILE = REFERENCE_DIR / "crime_categories.json"
PRIORITIES_FILE = REFERENCE_DIR / "priorities.json"


class ReferenceDataError(ValueError):
    """A reference file that cannot be loaded; the message says why, in plain words."""


def read_json(path: Path, *, key: str) -> dict[str, Any]:
    """Read a reference JSON file that must hold a list under ``key``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReferenceDataError(f"{path}: no such file.") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReferenceDataError(f"{path}: not a UTF-8 JSON file ({exc}).") from exc
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise ReferenceDataError(f'{path}: expected a JSON object with a "{key}" list.')
    return data


def upsert(
    model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]
) -> tuple[models.Model, str]:
    """Create or update one row, saving only when a value differs; returns (row, outcome)."""
    row = model._default_manager.filter(**lookup).first()
    if row is None:
        return model._default_manager.create(**lookup, **values), "created"
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        return row, "unchanged"
    for name in changed:
        setattr(row, name, values[name])
    row.save(update_fields=changed)
    return row, "updated"


def _require(item: dict[str, Any], fields: tuple[str, ...], where: str) -> None:
    missing = [f for f in fields if f not in item or item[f] in (None, "")]
    if missing:
        raise ReferenceDataError(f"{where}: missing {', '.join(missing)}.")


@transaction.atomic
def categories_load(*, data: dict[str, Any]) -> Counter[str]:
    """Create or update crime categories, source mappings and field value mappings."""
    counts: Counter[str] = Counter()
    categories: dict[str, CrimeCategory] = {}
    for i, item in enumerate(data["categories"], start=1):
        _require(item, ("slug", "name"), f"category {i}")
        row, outcome = upsert(
            CrimeCategory,
            {"slug": item["slug"]},
            {
                "name": item["name"],
                "group": item.get("group", ""),
                "is_sensitive": bool(item.get("is_sensitive", False)),
                "display_order": int(item.get("display_order", 0)),
            },
        )
        categories[row.slug] = row
        counts[f"categories {outcome}"] += 1
    known = {c.slug: c for c in CrimeCategory.objects.all()}
    for i, item in enumerate(data.get("mappings", []), start=1):
        _require(item, ("source_format", "source_code", "category"), f"mapping {i}")
        category = known.get(item["category"])
        if category is None:
            raise ReferenceDataError(f"mapping {i}: unknown category {item['category']!r}.")
        _row, outcome = upsert(
            CategoryMapping,
            {"source_format": item["source_format"], "source_code": item["source_code"]},
            {"category": category},
        )
        counts[f"mappings {outcome}"] += 1
    fields = set(FieldValueMapping.Field.values)
    allowed = {
        "weapon": set(IncidentRecord.Weapon.values),
        "location_type": set(IncidentRecord.LocationType.values),
    }
    for i, item in enumerate(data.get("value_mappings", []), start=1):
        _require(item, ("source_format", "field", "source_value", "value"), f"value mapping {i}")
        if item["field"] not in fields or item["value"] not in allowed[item["field"]]:
            raise ReferenceDataError(
                f"value mapping {i}: {item['field']!r} = {item['value']!r} is not a portal value."
            )
        _row, outcome = upsert(
            FieldValueMapping,
            {
                "source_format": item["source_format"],
                "field": item["field"],
                "source_value": item["source_value"],
            },
            {"value": item["value"]},
        )
        counts[f"value mappings {outcome}"] += 1
    if _changed(counts):
        audit_record(
            actor=None,
            action="reference.categories_loaded",
            summary="Crime categories loaded: " + _describe(counts),
            detail=dict(counts),
        )
    return counts


def _time(value: Any, where: str) -> dt.time | None:
    if value in (None, ""):
        return None
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError as exc:
        raise ReferenceDataError(f"{where}: {value!r} is not a time like 20:00.") from exc


def _rule_values(item: dict[str, Any], where: str) -> dict[str, Any]:
    weapons = list(item.get("weapons", []))
    bands = list(item.get("age_bands", []))
    locations = list(item.get("location_types", []))
    days = [int(d) for d in item.get("window_days", [])]
    for label, values, allowed in (
        ("weapon", weapons, IncidentRecord.Weapon.values),
        ("age band", bands, IncidentRecord.AgeBand.values),
        ("location type", locations, IncidentRecord.LocationType.values),
        ("weekday", days, list(range(1, 8))),
    ):
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ReferenceDataError(f"{where}: unknown {label} {unknown}.")
    applies = item.get("age_applies_to", PriorityRule.AgeApplies.VICTIM_OR_SUSPECT)
    if applies not in PriorityRule.AgeApplies.values:
        raise ReferenceDataError(f"{where}: age_applies_to must be one of either/victim/suspect.")
    return {
        "notes": item.get("notes", ""),
        "is_active": bool(item.get("is_active", True)),
        "weapons": weapons,
        "age_bands": bands,
        "age_applies_to": applies,
        "requires_domestic_abuse": bool(item.get("requires_domestic_abuse", False)),
        "requires_exploitation": bool(item.get("requires_exploitation", False)),
        "requires_alcohol": bool(item.get("requires_alcohol", False)),
        "location_types": locations,
        "window_days": days,
        "window_start": _time(item.get("window_start"), where),
        "window_end": _time(item.get("window_end"), where),
    }


@transaction.atomic
def priorities_load(*, data: dict[str, Any]) -> Counter[str]:
    """Create or update the priorities (by slug) and their rules (by name), then recompute flags.

    Rows another app created with the same slug are updated, never duplicated. Rules of a listed
    priority that the file no longer names are removed: the file is the definition.
    """
    from .priorities import priorities_recompute

    counts: Counter[str] = Counter()
    categories = {c.slug: c for c in CrimeCategory.objects.all()}
    touched: list[int] = []
    for i, item in enumerate(data["priorities"], start=1):
        _require(item, ("slug", "name"), f"priority {i}")
        priority, outcome = upsert(
            PriorityCrimeType,
            {"slug": item["slug"]},
            {
                "name": item["name"],
                "short_description": item.get("short_description", ""),
                "display_order": int(item.get("display_order", i)),
                "is_sensitive": bool(item.get("is_sensitive", False)),
                "is_active": bool(item.get("is_active", True)),
            },
        )
        counts[f"priorities {outcome}"] += 1
        names = []
        for j, rule_item in enumerate(item.get("rules", []), start=1):
            where = f"priority {item['slug']} rule {j}"
            _require(rule_item, ("name",), where)
            wanted = []
            for slug in rule_item.get("categories", []):
                if slug not in categories:
                    raise ReferenceDataError(
                        f"{where}: unknown category {slug!r} (load the crime categories first)."
                    )
                wanted.append(categories[slug])
            rule, rule_outcome = upsert(
                PriorityRule,
                {"priority": priority, "name": rule_item["name"]},
                _rule_values(rule_item, where),
            )
            if {c.pk for c in rule.categories.all()} != {c.pk for c in wanted}:
                rule.categories.set(wanted)
                rule_outcome = "updated" if rule_outcome == "unchanged" else rule_outcome
            names.append(rule.name)
            counts[f"rules {rule_outcome}"] += 1
            if rule_outcome != "unchanged":
                touched.append(priority.pk)
        removed, _ = priority.rules.exclude(name__in=names).delete()
        if removed:
            counts["rules removed"] += removed
            touched.append(priority.pk)
        if outcome != "unchanged":
            touched.append(priority.pk)
    if touched:
        counts["records recomputed"] = priorities_recompute(
            records=IncidentRecord.objects.all(),
            priorities=PriorityCrimeType.objects.filter(pk__in=set(touched)),
        )
    if _changed(counts):
        audit_record(
            actor=None,
            action="reference.priorities_loaded",
            summary="Priorities loaded: " + _describe(counts),
            detail=dict(counts),
        )
    return counts


def _changed(counts: Counter[str]) -> bool:
    return any(
        n
        for key, n in counts.items()
        if not key.endswith("unchanged") and key != "records recomputed"
    )


def _describe(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {key}" for key, n in sorted(counts.items()) if n) or "nothing"
