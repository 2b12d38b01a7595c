"""Priority rules as data, applied set-based (incidents/priorities.py)."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import (
    CrimeCategory,
    IncidentRecord,
    PriorityCrimeType,
    PriorityRule,
)
from incidents.priorities import priorities_recompute, priority_q
from incidents.services import priority_rules_changed
from tests.incidents.factories import DatasetFactory, RecordFactory, flag, priority_slugs

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
ALL_SLUGS = {
    "personal-robbery",
    "knife-crime",
    "violence-under-25",
    "domestic-abuse",
    "rape-serious-sexual-offences",
    "night-time-economy",
    "county-lines-exploitation",
}


@pytest.fixture
def reference(db):
    call_command("load_crime_categories", verbosity=0)
    call_command("load_priorities", verbosity=0)


@pytest.fixture
def dataset(org_a):
    return DatasetFactory(owner=org_a)


def cat(slug: str) -> CrimeCategory:
    return CrimeCategory.objects.get(slug=slug)


def flags(record: IncidentRecord) -> set[str]:
    return priority_slugs(record)


def make(dataset, category: str = "other-crime", **fields) -> IncidentRecord:
    return RecordFactory(dataset=dataset, category=cat(category), **fields)


def at(year, month, day, hour, minute=0) -> dict:
    moment = dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)
    return {
        "occurred_at": moment,
        "occurred_on": moment.date(),
        "date_precision": IncidentRecord.DatePrecision.DATETIME,
    }


def compute(dataset) -> None:
    priorities_recompute(records=IncidentRecord.objects.filter(dataset=dataset))


def test_the_seven_priorities_are_loaded_with_their_slugs(reference):
    assert set(PriorityCrimeType.objects.values_list("slug", flat=True)) == ALL_SLUGS
    assert PriorityRule.objects.filter(priority__slug="night-time-economy").count() == 2


def test_loading_priorities_twice_changes_nothing(reference):
    rules = list(PriorityRule.objects.values_list("pk", "updated_at"))
    call_command("load_priorities", verbosity=0)
    assert list(PriorityRule.objects.values_list("pk", "updated_at")) == rules
    assert PriorityCrimeType.objects.count() == 7


def test_loading_priorities_updates_rows_created_elsewhere(db):
    call_command("load_crime_categories", verbosity=0)
    PriorityCrimeType.objects.create(slug="knife-crime", name="Knife crime", display_order=99)
    call_command("load_priorities", verbosity=0)
    knife = PriorityCrimeType.objects.get(slug="knife-crime")
    assert knife.name == "Knife crime and possession of a weapon"
    assert knife.rules.count() == 2
    assert PriorityCrimeType.objects.count() == 7


def test_personal_robbery(reference, dataset):
    personal = make(dataset, "personal-robbery")
    police_uk = make(dataset, "robbery")
    business = make(dataset, "business-robbery")
    theft = make(dataset, "theft-from-the-person")
    compute(dataset)
    assert "personal-robbery" in flags(personal)
    assert "personal-robbery" in flags(police_uk)  # documented caveat: police.uk is coarse
    assert "personal-robbery" not in flags(business)
    assert "personal-robbery" not in flags(theft)


def test_knife_crime(reference, dataset):
    knife = make(dataset, "violence-with-injury", weapon="knife")
    possession = make(dataset, "possession-of-weapons")
    firearm = make(dataset, "violence-with-injury", weapon="firearm")
    none = make(dataset, "violence-with-injury", weapon="none")
    compute(dataset)
    assert "knife-crime" in flags(knife)
    assert "knife-crime" in flags(possession)
    assert "knife-crime" not in flags(firearm)
    assert "knife-crime" not in flags(none)


def test_violence_under_25(reference, dataset):
    young_victim = make(dataset, "violence-with-injury", victim_age_band="10-17")
    young_suspect = make(dataset, "violence-without-injury", suspect_age_band="18-24")
    child = make(dataset, "assault-ed", victim_age_band="0-9")
    older = make(dataset, "violence-with-injury", victim_age_band="25-34", suspect_age_band="35-44")
    unknown = make(dataset, "violence-and-sexual-offences")
    young_but_theft = make(dataset, "shoplifting", suspect_age_band="10-17")
    compute(dataset)
    for record in (young_victim, young_suspect, child):
        assert "violence-under-25" in flags(record)
    for record in (older, unknown, young_but_theft):
        assert "violence-under-25" not in flags(record)


def test_domestic_abuse(reference, dataset):
    flagged = make(dataset, "violence-with-injury", domestic_abuse=True)
    not_flagged = make(dataset, "violence-with-injury", domestic_abuse=False)
    unknown = make(dataset, "violence-with-injury", domestic_abuse=None)
    compute(dataset)
    assert "domestic-abuse" in flags(flagged)
    assert "domestic-abuse" not in flags(not_flagged)
    assert "domestic-abuse" not in flags(unknown)


def test_rape_and_serious_sexual_offences(reference, dataset):
    rape = make(dataset, "rape")
    other_sexual = make(dataset, "other-sexual-offences")
    coarse = make(dataset, "violence-and-sexual-offences")
    compute(dataset)
    assert "rape-serious-sexual-offences" in flags(rape)
    assert "rape-serious-sexual-offences" in flags(other_sexual)
    assert "rape-serious-sexual-offences" not in flags(coarse)


def test_night_time_economy_window_and_licensed_premises(reference, dataset):
    friday_late = make(dataset, "violence-with-injury", **at(2022, 3, 4, 22, 30))
    saturday_small_hours = make(dataset, "violence-with-injury", **at(2022, 3, 5, 2, 0))
    sunday_small_hours = make(dataset, "assault-ed", **at(2022, 3, 6, 5, 59))
    pub = make(dataset, "violence-without-injury", location_type="licensed_premises")
    friday_early_evening = make(dataset, "violence-with-injury", **at(2022, 3, 4, 19, 59))
    wednesday_late = make(dataset, "violence-with-injury", **at(2022, 3, 2, 23, 0))
    sunday_late = make(dataset, "violence-with-injury", **at(2022, 3, 6, 22, 0))
    monday_small_hours = make(dataset, "violence-with-injury", **at(2022, 3, 7, 2, 0))
    saturday_six = make(dataset, "violence-with-injury", **at(2022, 3, 5, 6, 0))
    month_only = make(dataset, "violence-with-injury")
    pub_theft = make(dataset, "other-theft", location_type="licensed_premises")
    compute(dataset)
    for record in (friday_late, saturday_small_hours, sunday_small_hours, pub):
        assert "night-time-economy" in flags(record), record.occurred_at
    for record in (
        friday_early_evening,
        wednesday_late,
        sunday_late,
        monday_small_hours,
        saturday_six,
        month_only,
        pub_theft,
    ):
        assert "night-time-economy" not in flags(record), record.occurred_at


def test_county_lines_exploitation(reference, dataset):
    flagged = make(dataset, "drugs", exploitation=True)
    drugs = make(dataset, "drugs", exploitation=None)
    compute(dataset)
    assert "county-lines-exploitation" in flags(flagged)
    assert "county-lines-exploitation" not in flags(drugs)


def test_a_record_counts_towards_several_priorities(reference, dataset):
    record = make(
        dataset,
        "violence-with-injury",
        weapon="knife",
        victim_age_band="18-24",
        domestic_abuse=True,
        **at(2022, 3, 5, 23, 0),
    )
    written = priorities_recompute(records=IncidentRecord.objects.filter(pk=record.pk))
    assert written == 1  # one record's bits changed
    assert flags(record) == {
        "knife-crime",
        "violence-under-25",
        "domestic-abuse",
        "night-time-economy",
    }


def test_recompute_replaces_stale_flags_and_only_touches_given_records(reference, dataset):
    record = make(dataset, "violence-with-injury", weapon="knife")
    other = make(dataset, "violence-with-injury", weapon="knife")
    compute(dataset)
    record.weapon = "none"
    record.save()
    priorities_recompute(records=IncidentRecord.objects.filter(pk=record.pk))
    assert flags(record) == set()
    assert flags(other) == {"knife-crime"}


def test_recompute_of_records_selected_by_their_flags(reference, dataset):
    record = make(dataset, "violence-with-injury", weapon="knife")
    compute(dataset)
    record.victim_age_band = "10-17"
    record.save()
    knife = PriorityCrimeType.objects.get(slug="knife-crime")
    priorities_recompute(records=IncidentRecord.objects.filter(priority_bits__bitany=knife.mask))
    assert flags(record) == {"knife-crime", "violence-under-25"}


def test_inactive_priority_and_rule_count_nothing(reference, dataset):
    record = make(dataset, "drugs", exploitation=True, domestic_abuse=True)
    PriorityCrimeType.objects.filter(slug="county-lines-exploitation").update(is_active=False)
    PriorityRule.objects.filter(priority__slug="domestic-abuse").update(is_active=False)
    compute(dataset)
    assert flags(record) == set()


def test_a_rule_without_criteria_matches_nothing(reference, dataset):
    priority = PriorityCrimeType.objects.create(slug="empty", name="Empty")
    PriorityRule.objects.create(priority=priority, name="No criteria")
    make(dataset, "drugs")
    compute(dataset)
    assert not IncidentRecord.objects.filter(priority_bits__bitany=priority.mask).exists()


def test_changing_a_rule_recomputes_affected_records(
    reference, dataset, staff, django_capture_on_commit_callbacks
):
    record = make(dataset, "drugs", exploitation=True, weapon="firearm")
    compute(dataset)
    assert flags(record) == {"county-lines-exploitation"}
    knife = PriorityCrimeType.objects.get(slug="knife-crime")
    rule = knife.rules.get(name="Knife or sharp instrument used")
    rule.weapons = ["knife", "firearm"]
    rule.save()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        priority_rules_changed(priority=knife, actor=staff)
    # The recompute, queued once; its changed bits then queue the evidence aggregates' rebuild.
    assert len(callbacks) == 2
    assert flags(record) == {"county-lines-exploitation", "knife-crime"}


def test_changing_a_rule_in_the_admin_recomputes(
    reference, dataset, steward_client, django_capture_on_commit_callbacks
):
    record = make(dataset, "violence-with-injury", victim_age_band="25-34")
    compute(dataset)
    assert flags(record) == set()
    rule = PriorityRule.objects.get(priority__slug="violence-under-25")
    data = {
        "priority": rule.priority_id,
        "name": rule.name,
        "notes": rule.notes,
        "is_active": "on",
        "categories": [c.pk for c in rule.categories.all()],
        "weapons": "[]",
        "age_bands": '["0-9", "10-17", "18-24", "25-34"]',
        "age_applies_to": "either",
        "location_types": "[]",
        "window_days": "[]",
        "window_start": "",
        "window_end": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = steward_client.post(
            f"/admin/incidents/priorityrule/{rule.pk}/change/", data, follow=False
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert flags(record) == {"violence-under-25"}


def test_recompute_of_no_records_writes_nothing(reference):
    assert priorities_recompute(records=IncidentRecord.objects.none()) == 0


def test_recompute_is_set_based(reference, dataset, django_assert_max_num_queries):
    for weapon in ("knife", "none", "firearm"):
        RecordFactory.create_batch(20, dataset=dataset, weapon=weapon, category=cat("drugs"))
    # The priorities with their rules, and one UPDATE: not per record.
    with django_assert_max_num_queries(15):
        written = priorities_recompute(records=IncidentRecord.objects.filter(dataset=dataset))
    assert written == 20
    # Nothing changed since: a second recompute writes no record.
    assert priorities_recompute(records=IncidentRecord.objects.filter(dataset=dataset)) == 0


# ---------------------------------------------------------------------------
# One scan for every priority gives the flags the per-priority filters give
# ---------------------------------------------------------------------------
def expected_flags(records, priorities=None) -> set[tuple[int, int]]:
    """The oracle: each active priority's filter applied on its own (the former algorithm)."""
    chosen = priorities if priorities is not None else PriorityCrimeType.objects.all()
    pairs = set()
    for priority in chosen.filter(is_active=True).prefetch_related("rules__categories"):
        q = priority_q(priority)
        if q is not None:
            pairs |= {(pk, priority.pk) for pk in records.filter(q).values_list("pk", flat=True)}
    return pairs


def stored_flags() -> set[tuple[int, int]]:
    priorities = list(PriorityCrimeType.objects.all())
    return {
        (pk, p.pk)
        for pk, bits in IncidentRecord.objects.values_list("pk", "priority_bits")
        for p in priorities
        if bits & p.mask
    }


@pytest.fixture
def extra_priorities(reference):
    """Rule kinds the loaded priorities do not use, an inactive priority and an inactive rule."""
    young = ["10-17", "18-24"]
    victim = PriorityCrimeType.objects.create(slug="young-victims", name="Young victims")
    PriorityRule.objects.create(
        priority=victim, name="Victim", age_bands=young, age_applies_to="victim"
    )
    suspect = PriorityCrimeType.objects.create(slug="young-suspects", name="Young suspects")
    PriorityRule.objects.create(
        priority=suspect, name="Suspect", age_bands=young, age_applies_to="suspect"
    )
    weekend = PriorityCrimeType.objects.create(slug="sunday-nights", name="Sunday nights")
    # Starts on Sunday (7) and runs past midnight into Monday (1): the week wraps.
    PriorityRule.objects.create(
        priority=weekend,
        name="Drink after dark",
        requires_alcohol=True,
        window_days=[7],
        window_start=dt.time(21, 0),
        window_end=dt.time(3, 0),
    )
    rule = PriorityRule.objects.create(
        priority=weekend,
        name="Weekday lunchtime in shops",
        location_types=["retail"],
        window_days=[1, 2, 3, 4, 5],
        window_start=dt.time(12, 0),
        window_end=dt.time(14, 0),
    )
    rule.categories.set([cat("shoplifting"), cat("other-theft")])
    PriorityRule.objects.create(
        priority=weekend, name="Switched off", is_active=False, location_types=["dwelling"]
    )
    retired = PriorityCrimeType.objects.create(slug="retired", name="Retired", is_active=False)
    PriorityRule.objects.create(priority=retired, name="Anything with a weapon", weapons=["knife"])
    return {"young-victims": victim, "sunday-nights": weekend, "retired": retired}


def mixed_records(dataset, count: int = 160) -> list[IncidentRecord]:
    """Records covering every field a rule reads, including times around midnight."""
    rng = random.Random(20_221_105)  # noqa: S311
    categories = list(CrimeCategory.objects.all())
    bands = ["0-9", "10-17", "18-24", "25-34", "unknown"]
    records = []
    for n in range(count):
        timed = n % 4 != 0
        moment = dt.datetime(2022, 3, 1 + rng.randrange(14), tzinfo=LONDON) + dt.timedelta(
            minutes=rng.choice([0, 59, 60 * 2, 60 * 3 - 1, 60 * 3, 60 * 12 + 30, 60 * 21, 60 * 23])
        )
        records.append(
            RecordFactory(
                dataset=dataset,
                category=rng.choice(categories),
                weapon=rng.choice(["knife", "firearm", "none", "unknown"]),
                victim_age_band=rng.choice(bands),
                suspect_age_band=rng.choice(bands),
                domestic_abuse=rng.choice([True, False, None]),
                exploitation=rng.choice([True, False, None]),
                alcohol_involved=rng.choice([True, False, None]),
                location_type=rng.choice(["licensed_premises", "retail", "dwelling", "unknown"]),
                occurred_at=moment if timed else None,
                occurred_on=moment.date(),
                date_precision="datetime" if timed else rng.choice(["month", "day"]),
            )
        )
    return records


def test_one_scan_gives_the_flags_of_each_priority_filter(extra_priorities, dataset, org_a):
    mixed_records(dataset)
    elsewhere = make(DatasetFactory(owner=org_a), "drugs", exploitation=True)
    retired = extra_priorities["retired"]
    flag(elsewhere, retired)  # not a target: kept
    records = IncidentRecord.objects.filter(dataset=dataset)
    wanted = expected_flags(records)
    # Every kind of rule matched something, so the comparison is not between two empty sets.
    assert {p for _r, p in wanted} == set(
        PriorityCrimeType.objects.filter(is_active=True).values_list("pk", flat=True)
    )

    written = priorities_recompute(records=records)

    assert written == len({r for r, _p in wanted})
    assert stored_flags() == wanted | {(elsewhere.pk, retired.pk)}


def test_one_scan_replaces_only_the_chosen_priorities_flags(extra_priorities, dataset):
    mixed_records(dataset, count=80)
    records = IncidentRecord.objects.filter(dataset=dataset)
    compute(dataset)
    before = stored_flags()
    retired, weekend = extra_priorities["retired"], extra_priorities["sunday-nights"]
    knife = PriorityCrimeType.objects.get(slug="knife-crime")
    # Stale flags: a retired priority's, and a wrong one on every record for a chosen priority.
    for record in records:
        flag(record, retired, knife)
    chosen = PriorityCrimeType.objects.filter(pk__in=[retired.pk, weekend.pk, knife.pk])

    written = priorities_recompute(records=records, priorities=chosen)

    untouched = {(r, p) for r, p in before if p not in {retired.pk, weekend.pk, knife.pk}}
    assert written > 0
    assert stored_flags() == untouched | expected_flags(records, chosen)
    assert not IncidentRecord.objects.filter(priority_bits__bitany=retired.mask).exists()


def test_recompute_writes_only_the_records_whose_bits_change(reference, dataset):
    mixed_records(dataset, count=40)
    records = IncidentRecord.objects.filter(dataset=dataset)
    first = priorities_recompute(records=records)
    assert stored_flags() == expected_flags(records)
    assert first == len({r for r, _p in expected_flags(records)}) > 0
    changed = records.filter(priority_bits=0).first()
    changed.weapon = "knife"
    changed.save()
    with CaptureQueriesContext(connection) as queries:
        assert priorities_recompute(records=records) == 1
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert stored_flags() == expected_flags(records)


def recompute_queries(dataset) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        priorities_recompute(records=IncidentRecord.objects.filter(dataset=dataset))
    return [q["sql"] for q in queries.captured_queries]


def test_recompute_queries_do_not_grow_with_records_or_priorities(extra_priorities, dataset):
    mixed_records(dataset, count=5)
    few = recompute_queries(dataset)
    mixed_records(dataset, count=60)
    for n in range(8):
        priority = PriorityCrimeType.objects.create(slug=f"extra-{n}", name=f"Extra {n}")
        PriorityRule.objects.create(priority=priority, name="Knives", weapons=["knife"])
    many = recompute_queries(dataset)
    assert len(many) == len(few)
    updates = [sql for sql in many if sql.startswith("UPDATE")]
    assert len(updates) == 1
    assert stored_flags() == expected_flags(IncidentRecord.objects.filter(dataset=dataset))


def test_a_new_priority_takes_a_free_bit_that_no_record_still_carries(dataset):
    first = PriorityCrimeType.objects.create(slug="first", name="First")
    second = PriorityCrimeType.objects.create(slug="second", name="Second")
    assert {first.bit, second.bit} == {0, 1}
    record = RecordFactory(dataset=dataset)
    flag(record, first, second)
    bit = first.bit
    first.delete()  # its bit stays on the record until the bit is given again
    replacement = PriorityCrimeType.objects.create(slug="third", name="Third")
    assert replacement.bit == bit
    assert flags(record) == {"second"}  # the record does not count towards the newcomer


def test_there_are_at_most_63_priorities(db):
    PriorityCrimeType.objects.bulk_create(
        PriorityCrimeType(slug=f"p{n}", name=f"P{n}", bit=n) for n in range(63)
    )
    with pytest.raises(ValidationError, match="at most 63"):
        PriorityCrimeType(slug="one-more", name="One more").full_clean()  # the admin's form
    with pytest.raises(ValueError, match="at most 63"):
        PriorityCrimeType.objects.create(slug="one-more", name="One more")
