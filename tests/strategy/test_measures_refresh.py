"""Outcome measures fed by a saved query: counts equal hand counts of factory-made records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEvent
from incidents.models import IncidentRecord
from strategy import services
from strategy.models import Measurement, MeasureQuery
from strategy.selectors import measure_query_counts, period_of
from tests.incidents.factories import (
    AuthorityFactory,
    CategoryFactory,
    DatasetFactory,
    DistrictFactory,
    LsoaFactory,
    PriorityFactory,
    RecordFactory,
    flag,
)
from tests.strategy.factories import MeasureQueryFactory, OutcomeMeasureFactory

TODAY = dt.date(2024, 7, 15)
MONTHS = [dt.date(2024, m, 1) for m in range(1, 7)]  # January to June 2024
KNIFE = IncidentRecord.Weapon.KNIFE


def _record(dataset, month, **kwargs):
    return RecordFactory(dataset=dataset, occurred_on=month.replace(day=10), **kwargs)


def _values(measure, source=None):
    rows = Measurement.objects.filter(measure=measure)
    if source:
        rows = rows.filter(source=source)
    return {(m.period_start, m.period_end): m.value for m in rows}


@pytest.fixture
def area(db):
    """Two authorities; the first has two districts. One LSOA per district."""
    north = AuthorityFactory(name="North Testshire")
    south = AuthorityFactory(name="South Testshire")
    districts = {
        "a": DistrictFactory(name="Aville", authority=north),
        "b": DistrictFactory(name="Bton", authority=north),
        "c": DistrictFactory(name="Cford", authority=south),
    }
    return {key: LsoaFactory(district=district) for key, district in districts.items()}


@pytest.fixture
def violence(db):
    return CategoryFactory(slug="violence-with-injury", name="Violence with injury")


@pytest.fixture
def theft(db):
    return CategoryFactory(slug="other-theft", name="Other theft")


@pytest.fixture
def police(db, org_a):
    return DatasetFactory(owner=org_a, slug="police-extract", name="Police extract")


@pytest.fixture
def records(police, area, violence, theft):
    """Six months of police records with known ages and weapons, and some noise.

    Per month m (1..6): m knife violence records with a victim aged 18-24 in Aville, one knife
    violence record with a victim aged 35-44 in Cford, one theft with no weapon in Bton.
    """
    for month_index, month in enumerate(MONTHS, start=1):
        for _ in range(month_index):
            _record(
                police,
                month,
                lsoa=area["a"],
                category=violence,
                weapon=KNIFE,
                victim_age_band="18-24",
                suspect_age_band="25-34",
            )
        _record(
            police,
            month,
            lsoa=area["c"],
            category=violence,
            weapon=KNIFE,
            victim_age_band="35-44",
            suspect_age_band="10-17",
        )
        _record(
            police,
            month,
            lsoa=area["b"],
            category=theft,
            weapon=IncidentRecord.Weapon.NONE,
            victim_age_band="45-54",
            suspect_age_band="45-54",
        )


def _knife_query(police, violence, **kwargs):
    defaults = {
        "weapons": [KNIFE],
        "under_25": MeasureQuery.Under25.VICTIM,
        "granularity": MeasureQuery.Granularity.MONTH,
    }
    defaults.update(kwargs)
    return MeasureQueryFactory(datasets=[police], categories=[violence], **defaults)


@pytest.mark.django_db
def test_monthly_counts_equal_hand_counts(records, police, violence, staff):
    query = _knife_query(police, violence)
    result = services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    assert result.created == 6
    assert _values(query.measure, Measurement.Source.COMPUTED) == {
        period_of(month, "month"): Decimal(index) for index, month in enumerate(MONTHS, start=1)
    }


@pytest.mark.django_db
def test_victim_or_suspect_under_25_counts_either(records, police, violence, staff):
    query = _knife_query(police, violence, under_25=MeasureQuery.Under25.EITHER)
    services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    # The Cford record has a suspect aged 10-17, so it counts too.
    assert _values(query.measure)[period_of(MONTHS[2], "month")] == Decimal(3 + 1)


@pytest.mark.django_db
def test_quarters_and_financial_years_add_up_their_months(records, police, violence, staff):
    quarterly = _knife_query(police, violence, granularity=MeasureQuery.Granularity.QUARTER)
    services.measure_refresh(measure=quarterly.measure, actor=staff, today=TODAY)
    assert _values(quarterly.measure) == {
        (dt.date(2024, 1, 1), dt.date(2024, 3, 31)): Decimal(1 + 2 + 3),
        (dt.date(2024, 4, 1), dt.date(2024, 6, 30)): Decimal(4 + 5 + 6),
    }
    yearly = _knife_query(police, violence, granularity=MeasureQuery.Granularity.FINANCIAL_YEAR)
    counts = measure_query_counts(query=yearly, today=dt.date(2025, 5, 1))
    # Jan-Mar 2024 is the end of FY 2023/24 whose April-December months have no records.
    assert counts.periods == []
    assert (dt.date(2023, 4, 1), dt.date(2024, 3, 31)) in counts.incomplete


@pytest.mark.django_db
def test_financial_year_counts_when_every_month_is_covered(police, area, violence, staff):
    for month_offset in range(12):
        month = dt.date(2023 + (3 + month_offset) // 12, (3 + month_offset) % 12 + 1, 1)
        _record(police, month, lsoa=area["a"], category=violence, weapon=KNIFE)
    _record(police, dt.date(2023, 3, 1), lsoa=area["a"], category=violence, weapon=KNIFE)
    query = MeasureQueryFactory(
        datasets=[police], weapons=[KNIFE], granularity=MeasureQuery.Granularity.FINANCIAL_YEAR
    )
    services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    assert _values(query.measure) == {(dt.date(2023, 4, 1), dt.date(2024, 3, 31)): Decimal(12)}


@pytest.mark.django_db
def test_area_filters_count_only_records_in_the_area(records, police, violence, area, staff):
    district = area["c"].district
    by_district = _knife_query(police, violence, under_25="", district=district)
    services.measure_refresh(measure=by_district.measure, actor=staff, today=TODAY)
    assert set(_values(by_district.measure).values()) == {Decimal(1)}

    authority = area["a"].district.authority
    by_authority = _knife_query(police, violence, under_25="", authority=authority)
    services.measure_refresh(measure=by_authority.measure, actor=staff, today=TODAY)
    assert _values(by_authority.measure)[period_of(MONTHS[5], "month")] == Decimal(6)


@pytest.mark.django_db
def test_records_outside_the_area_never_count(records, police, violence, staff):
    outside = LsoaFactory(in_area=False)
    _record(police, MONTHS[0], lsoa=outside, outside_area=True, category=violence, weapon=KNIFE)
    _record(police, MONTHS[0], lsoa=outside, outside_area=True, category=violence, weapon=KNIFE)
    query = _knife_query(police, violence, under_25="")
    services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    assert _values(query.measure)[period_of(MONTHS[0], "month")] == Decimal(1 + 1)


@pytest.mark.django_db
def test_priority_counts_records_flagged_for_it(records, police, staff):
    priority = PriorityFactory(slug="knife-crime", name="Knife crime")
    flagged = IncidentRecord.objects.filter(weapon=KNIFE, occurred_on__month=2)[:2]
    for record in flagged:
        flag(record, priority)
    query = MeasureQueryFactory(datasets=[police], priority=priority)
    services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    values = _values(query.measure)
    assert values[period_of(MONTHS[1], "month")] == Decimal(2)
    assert values[period_of(MONTHS[0], "month")] == Decimal(0)  # measured, and none matched


@pytest.mark.django_db
def test_domestic_abuse_can_be_left_out(police, area, violence, staff):
    for domestic in (True, True, False, None):
        _record(police, MONTHS[0], lsoa=area["a"], category=violence, domestic_abuse=domestic)
    excluded = MeasureQueryFactory(datasets=[police], domestic_abuse="exclude")
    only = MeasureQueryFactory(datasets=[police], domestic_abuse="only")
    services.measure_refresh(measure=excluded.measure, actor=staff, today=TODAY)
    services.measure_refresh(measure=only.measure, actor=staff, today=TODAY)
    assert list(_values(excluded.measure).values()) == [Decimal(2)]
    assert list(_values(only.measure).values()) == [Decimal(2)]


@pytest.mark.django_db
def test_data_without_ages_gives_no_values_rather_than_zeros(police, area, violence, staff):
    for month in MONTHS:
        _record(police, month, lsoa=area["a"], category=violence, weapon=KNIFE)  # age unknown
    query = _knife_query(police, violence)
    result = services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    assert Measurement.objects.filter(measure=query.measure).count() == 0
    assert result.incomplete == 6


@pytest.mark.django_db
def test_the_current_month_and_months_a_dataset_lacks_are_left_out(
    records, police, violence, area, org_b, staff
):
    _record(police, dt.date(2024, 7, 1), lsoa=area["a"], category=violence, weapon=KNIFE)
    health = DatasetFactory(owner=org_b, slug="ed-extract")
    for month in MONTHS[:4]:  # January to April only
        _record(
            health, month, lsoa=area["a"], category=violence, weapon=KNIFE, victim_age_band="18-24"
        )
    query = _knife_query(police, violence)
    query.datasets.add(health)
    services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    values = _values(query.measure)
    assert sorted(values) == [period_of(month, "month") for month in MONTHS[:4]]
    assert values[period_of(MONTHS[0], "month")] == Decimal(1 + 1)


@pytest.mark.django_db
def test_manual_values_are_never_overwritten(records, police, violence, staff):
    query = _knife_query(police, violence)
    march = period_of(MONTHS[2], "month")
    services.measurement_record(
        measure=query.measure,
        actor=staff,
        period_start=march[0],
        period_end=march[1],
        value=Decimal("40"),
        note="From the force's published figures",
    )
    result = services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    manual = Measurement.objects.get(measure=query.measure, period_start=march[0])
    assert manual.source == Measurement.Source.MANUAL
    assert manual.value == Decimal("40")
    assert result.kept_manual == ["Mar 2024"]
    event = AuditEvent.objects.filter(action="strategy.measure_refreshed").latest("pk")
    assert event.detail["kept_manual"] == ["Mar 2024"]
    assert "kept their manual value" in event.summary


@pytest.mark.django_db
def test_correcting_a_computed_value_makes_it_manual_and_refresh_keeps_it(
    records, police, violence, staff
):
    query = _knife_query(police, violence)
    services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    computed = Measurement.objects.get(measure=query.measure, period_start=MONTHS[0])
    services.measurement_record(
        measure=query.measure,
        actor=staff,
        period_start=computed.period_start,
        period_end=computed.period_end,
        value=Decimal("9"),
        replacing=computed,
    )
    services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    computed.refresh_from_db()
    assert (computed.source, computed.value) == (Measurement.Source.MANUAL, Decimal("9"))


@pytest.mark.django_db
def test_refresh_is_idempotent_and_follows_changes(records, police, violence, area, staff):
    query = _knife_query(police, violence)
    services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    first = {m.pk: (m.period_start, m.value) for m in Measurement.objects.all()}
    again = services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    assert (again.created, again.updated, again.removed, again.unchanged) == (0, 0, 0, 6)
    assert {m.pk: (m.period_start, m.value) for m in Measurement.objects.all()} == first

    # New records change a value; a narrower query removes computed values it no longer makes.
    _record(
        police, MONTHS[0], lsoa=area["a"], category=violence, weapon=KNIFE, victim_age_band="10-17"
    )
    query.count_from = MONTHS[3]
    query.save()
    changed = services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    assert changed.removed == 3
    assert sorted(_values(query.measure)) == [period_of(m, "month") for m in MONTHS[3:]]


@pytest.mark.django_db
def test_refresh_writes_an_audit_event_and_remembers_the_summary(records, police, violence, staff):
    query = _knife_query(police, violence)
    services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    event = AuditEvent.objects.get(action="strategy.measure_refreshed")
    assert event.actor == staff
    assert event.detail["created"] == 6
    query.refresh_from_db()
    assert query.last_refreshed_at is not None
    assert query.last_refresh_summary.startswith("6 new")


@pytest.mark.django_db
def test_only_staff_or_the_schedule_may_refresh(records, police, violence, lead, viewer):
    query = _knife_query(police, violence)
    for person in (lead, viewer):
        with pytest.raises(PermissionDenied):
            services.measure_refresh(measure=query.measure, actor=person, today=TODAY)
    services.measure_refresh(measure=query.measure, actor=None, today=TODAY)
    assert Measurement.objects.filter(measure=query.measure, recorded_by=None).count() == 6


@pytest.mark.django_db
def test_a_measure_without_a_query_cannot_be_refreshed(staff):
    measure = OutcomeMeasureFactory()
    with pytest.raises(ValidationError):
        services.measure_refresh(measure=measure, actor=staff)


@pytest.mark.django_db
def test_refresh_query_count_does_not_grow_with_records(
    police, area, violence, staff, django_assert_max_num_queries
):
    query = _knife_query(police, violence, under_25="")

    def add(per_month):
        for month in MONTHS:
            for _ in range(per_month):
                _record(police, month, lsoa=area["a"], category=violence, weapon=KNIFE)

    add(1)
    Measurement.objects.all().delete()
    with django_assert_max_num_queries(14) as small:
        services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    add(20)
    Measurement.objects.all().delete()
    with django_assert_max_num_queries(len(small.captured_queries)):
        services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    assert set(_values(query.measure).values()) == {Decimal(21)}


@pytest.mark.django_db
def test_computed_values_keep_the_key_sum_of_the_records_they_count(
    records, police, violence, staff
):
    """The cell key method needs each computed figure's records' keys (core.disclosure)."""
    query = _knife_query(police, violence, under_25=MeasureQuery.Under25.ANY_AGE)
    services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    for measurement in Measurement.objects.filter(measure=query.measure):
        matched = IncidentRecord.objects.filter(
            dataset=police,
            category=violence,
            weapon=KNIFE,
            outside_area=False,
            occurred_on__range=(measurement.period_start, measurement.period_end),
        )
        assert measurement.value == matched.count()
        assert measurement.key_sum == sum(matched.values_list("cell_key", flat=True))
    # A later change to a record's key (never made by the portal) would be picked up too.
    record = IncidentRecord.objects.filter(dataset=police, category=violence, weapon=KNIFE).first()
    IncidentRecord.objects.filter(pk=record.pk).update(cell_key=(record.cell_key + 1) % 256)
    result = services.measure_refresh(measure=query.measure, actor=staff, today=TODAY)
    assert result.updated == 1
