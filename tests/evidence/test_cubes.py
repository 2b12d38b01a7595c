"""The aggregate tables match direct counts on the records, after imports and withdrawals."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db.models import Sum
from django.utils import timezone

from evidence.cubes import cubes_refresh
from evidence.models import (
    CubeRefresh,
    LocationCube,
    MonthlyCube,
    PlaceCube,
    QualityCube,
    WhenCube,
    WhoCube,
)
from incidents.models import IncidentRecord
from tests.incidents.factories import (
    CategoryFactory,
    DatasetFactory,
    LsoaFactory,
    PriorityFactory,
    RecordFactory,
    flag,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def records():
    dataset = DatasetFactory(slug="police")
    other = DatasetFactory(slug="health")
    violence, robbery = CategoryFactory(slug="violence"), CategoryFactory(slug="robbery")
    north, south = LsoaFactory(code="E01000001"), LsoaFactory(code="E01000002")
    outside = LsoaFactory(code="E01999999", in_area=False)
    knife = PriorityFactory(slug="knife")
    made = []
    tz = timezone.get_current_timezone()
    for i in range(40):
        month = dt.date(2022, 1 + i % 6, 1 + i % 27)
        precision = ["month", "day", "datetime"][i % 3]
        record = RecordFactory(
            dataset=dataset,
            occurred_on=month if precision != "month" else month.replace(day=1),
            date_precision=precision,
            occurred_at=(
                dt.datetime.combine(month, dt.time(hour=(i * 5) % 24), tzinfo=tz)
                if precision == "datetime"
                else None
            ),
            category=[violence, robbery, None][i % 3],
            lsoa=[north, south, outside, None][i % 4],
            victim_age_band=["18-24", "unknown", "65+"][i % 3],
            victim_sex=["female", "male"][i % 2],
            suspect_age_band="10-17" if i % 5 == 0 else "unknown",
            weapon="knife" if i % 4 == 0 else "unknown",
            location_type="licensed_premises" if i % 6 == 0 else "unknown",
            location_text="" if i % 7 == 0 else f"On or near Street {i % 3}",
        )
        if i % 4 == 0:
            flag(record, knife)
        made.append(record)
    RecordFactory(dataset=other, category=violence, lsoa=north)
    return dataset, other, made, knife


def _sum(queryset, **filters) -> int:
    return queryset.filter(**filters).aggregate(n=Sum("records"))["n"] or 0


def test_monthly_cube_matches_direct_counts(records):
    dataset, other, made, knife = records
    assert cubes_refresh(dataset_id=dataset.pk) == 40
    cube = MonthlyCube.objects.filter(dataset=dataset)
    direct = IncidentRecord.objects.filter(dataset=dataset)
    assert _sum(cube) == direct.count() == 40
    for month in range(1, 7):
        first = dt.date(2022, month, 1)
        assert (
            _sum(cube, month=first)
            == direct.filter(occurred_on__year=2022, occurred_on__month=month).count()
        )
    assert (
        _sum(cube, priority_bits__bitany=knife.mask)
        == direct.filter(priority_bits__bitany=knife.mask).count()
    )
    by_lsoa = Counter(r.lsoa_id for r in made)
    for lsoa_id, n in by_lsoa.items():
        assert _sum(cube, lsoa_id=lsoa_id) == n
    # The other dataset is untouched until its own refresh.
    assert not MonthlyCube.objects.filter(dataset=other).exists()
    assert CubeRefresh.objects.get(dataset=dataset).records == 40


def test_small_cubes_match_direct_counts(records):
    dataset, _other, made, _knife = records
    cubes_refresh(dataset_id=dataset.pk)
    when = WhenCube.objects.filter(dataset=dataset)
    assert _sum(when) == 40
    timed = [r for r in made if r.date_precision == "datetime"]
    hours = Counter(timezone.localtime(r.occurred_at).hour for r in timed)
    for hour, n in hours.items():
        assert _sum(when, hour=hour) == n
    weekdays = Counter(r.occurred_on.isoweekday() for r in made if r.date_precision != "month")
    for weekday, n in weekdays.items():
        assert _sum(when, weekday=weekday) == n
    assert _sum(when, weekday__isnull=True) == sum(r.date_precision == "month" for r in made)

    who = WhoCube.objects.filter(dataset=dataset)
    assert _sum(who, role="victim") == _sum(who, role="suspect") == 40
    assert _sum(who, role="victim", age_band="18-24", sex="male") == sum(
        r.victim_age_band == "18-24" and r.victim_sex == "male" for r in made
    )
    assert _sum(who, role="suspect", age_band="10-17") == sum(
        r.suspect_age_band == "10-17" for r in made
    )
    place = PlaceCube.objects.filter(dataset=dataset)
    assert _sum(place, weapon="knife") == sum(r.weapon == "knife" for r in made)
    assert _sum(place, location_type="licensed_premises") == sum(
        r.location_type == "licensed_premises" for r in made
    )
    in_area = sum(r.lsoa is None or r.lsoa.in_area for r in made)
    assert _sum(place, in_area=True) == in_area
    locations = LocationCube.objects.filter(dataset=dataset)
    assert _sum(locations, location_text="On or near Street 1") == sum(
        r.location_text == "On or near Street 1" for r in made
    )
    quality = QualityCube.objects.filter(dataset=dataset).aggregate(
        records=Sum("records"), age=Sum("with_age"), time=Sum("with_time"), area=Sum("with_area")
    )
    assert quality["records"] == 40
    assert quality["age"] == sum(
        r.victim_age_band != "unknown" or r.suspect_age_band != "unknown" for r in made
    )
    assert quality["time"] == len(timed)
    assert quality["area"] == sum(r.lsoa is not None for r in made)


def test_refresh_replaces_what_was_there(records):
    dataset, _other, made, _knife = records
    cubes_refresh(dataset_id=dataset.pk)
    IncidentRecord.objects.filter(pk__in=[r.pk for r in made[:10]]).delete()
    cubes_refresh(dataset_id=dataset.pk)
    assert _sum(MonthlyCube.objects.filter(dataset=dataset)) == 30
    assert _sum(WhoCube.objects.filter(dataset=dataset, role="victim")) == 30


def test_cells_carry_the_sum_of_their_records_cell_keys(records):
    dataset, _other, made, knife = records
    cubes_refresh(dataset_id=dataset.pk)
    direct = IncidentRecord.objects.filter(dataset=dataset)
    assert (
        MonthlyCube.objects.filter(dataset=dataset).aggregate(k=Sum("cell_key_sum"))["k"]
        == direct.aggregate(k=Sum("cell_key"))["k"]
        > 0
    )
    knives = MonthlyCube.objects.filter(dataset=dataset, priority_bits__bitany=knife.mask)
    assert (
        knives.aggregate(k=Sum("cell_key_sum"))["k"]
        == direct.filter(priority_bits__bitany=knife.mask).aggregate(k=Sum("cell_key"))["k"]
    )


def test_a_records_change_queues_the_rebuild_on_commit(records, django_capture_on_commit_callbacks):
    from incidents.models import Upload
    from incidents.signals import records_changed

    dataset, *_ = records
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        records_changed.send(sender=Upload, dataset_ids=[dataset.pk])
    assert not MonthlyCube.objects.exists()  # nothing before the commit
    assert len(callbacks) == 1
    callbacks[0]()  # the commit: the task runs (eagerly in tests)
    assert _sum(MonthlyCube.objects.filter(dataset=dataset)) == 40
