"""Outcome-measure screens: every signed-in partner reads; only staff refresh; residents see
suppressed values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache
from django.urls import reverse

from core.disclosure import MAX_PERTURBATION
from core.models import AuditEvent
from strategy import tasks
from strategy.models import Measurement, OutcomeMeasure
from strategy.selectors import measure_value_disclosed
from tests.factories import UserFactory
from tests.incidents.factories import CategoryFactory, DatasetFactory, PriorityFactory
from tests.strategy.factories import MeasureQueryFactory, OutcomeMeasureFactory

LIST = reverse("strategy:measures")


def _series(measure, values, *, source=Measurement.Source.MANUAL, start_year=2023):
    for index, value in enumerate(values):
        month = dt.date(start_year + index // 12, index % 12 + 1, 1)
        Measurement.objects.create(
            measure=measure,
            period_start=month,
            period_end=(month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1),
            value=Decimal(value),
            source=source,
        )


@pytest.fixture
def measure(db):
    measure = OutcomeMeasureFactory(
        slug="robbery",
        name="Personal robbery recorded by the police",
        baseline_value=Decimal(50),
        baseline_date=dt.date(2023, 1, 31),
        target_value=Decimal(30),
    )
    _series(measure, [50, 44, 41])
    return measure


@pytest.fixture
def fed_measure(measure, org_a):
    MeasureQueryFactory(measure=measure, datasets=[DatasetFactory(owner=org_a, slug="police")])
    return measure


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(anonymous, measure):
    for url in (LIST, reverse("strategy:measure", args=[measure.slug])):
        response = anonymous.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]
    response = anonymous.post(reverse("strategy:measure_refresh", args=[measure.slug]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


@pytest.mark.django_db
def test_every_partner_reads_the_measures_with_latest_value_and_trend(viewer_client, measure):
    page = viewer_client.get(LIST).content.decode()
    assert "Personal robbery recorded by the police" in page
    # Entered by hand, so disclosure-controlled for everyone: the change is between the
    # figures shown (44 and 41 perturbed), never the exact ones.
    latest, previous = (
        measure_value_disclosed(measure, m)
        for m in measure.measurements.order_by("-period_end")[:2]
    )
    change = latest - previous
    word = "Down" if change < 0 else "Up"
    if change:
        assert f"{word} {abs(change)} from the period before" in page
    else:
        assert "No change from the period before" in page
    assert "Mar 2023" in page  # the latest period
    # The three headline measures from the migration are listed, not yet measured.
    assert page.count("Home Office headline measure") == 3
    assert "Not yet measured" in page


@pytest.mark.django_db
def test_detail_shows_the_values_as_a_table_and_a_chart(viewer_client, measure):
    page = viewer_client.get(reverse("strategy:measure", args=[measure.slug])).content.decode()
    assert "<svg" in page and "<polyline" in page and 'role="img"' in page
    assert "<script" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]
    # A viewer cannot see records: the values are disclosure-controlled (core.disclosure).
    for measurement in Measurement.objects.filter(measure=measure):
        shown = measure_value_disclosed(measure, measurement)
        assert abs(int(shown) - int(measurement.value)) <= MAX_PERTURBATION
        assert f'govuk-table__cell--numeric">{int(shown)}</td>' in page
    assert "Entered by staff" in page
    assert "Refresh from incident data" not in page  # not staff, and no query
    assert "The partnership team enters the values" in page


@pytest.mark.django_db
def test_detail_describes_the_saved_query_and_notes(staff_client, fed_measure):
    fed_measure.data_notes = "Needs the ICB's admissions data."
    fed_measure.save()
    query = fed_measure.incident_query
    query.weapons = ["knife"]
    query.under_25 = "victim"
    query.save()
    page = staff_client.get(reverse("strategy:measure", args=[fed_measure.slug])).content.decode()
    assert "Needs the ICB&#x27;s admissions data." in page
    assert "Knife or sharp instrument" in page
    assert "Victim under 25" in page
    assert "The whole partnership area" in page
    assert "Refresh from incident data" in page


@pytest.mark.django_db
def test_unknown_measure_is_404(viewer_client):
    assert viewer_client.get(reverse("strategy:measure", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_non_staff_cannot_refresh(lead_client, viewer_client, fed_measure):
    url = reverse("strategy:measure_refresh", args=[fed_measure.slug])
    with mock.patch.object(tasks.measure_refresh_task, "delay") as delay:
        assert lead_client.post(url).status_code == 403
        assert viewer_client.post(url).status_code == 403
    delay.assert_not_called()
    assert not AuditEvent.objects.filter(action__startswith="strategy.measure_refresh").exists()


@pytest.mark.django_db
def test_refresh_needs_post(staff_client, fed_measure):
    url = reverse("strategy:measure_refresh", args=[fed_measure.slug])
    assert staff_client.get(url).status_code == 405


@pytest.mark.django_db
def test_staff_refresh_queues_the_task_on_commit(
    staff_client, staff, fed_measure, django_capture_on_commit_callbacks
):
    url = reverse("strategy:measure_refresh", args=[fed_measure.slug])
    with mock.patch.object(tasks.measure_refresh_task, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = staff_client.post(url, follow=True)
        delay.assert_not_called()  # nothing is queued before the commit
        assert len(callbacks) == 1
        callbacks[0]()
    delay.assert_called_once_with(fed_measure.pk, staff.pk)
    assert "is being refreshed from incident data" in response.content.decode()
    assert AuditEvent.objects.filter(action="strategy.measure_refresh_requested").count() == 1


@pytest.mark.django_db
def test_refreshing_a_measure_without_a_query_says_so(staff_client, measure):
    url = reverse("strategy:measure_refresh", args=[measure.slug])
    with mock.patch.object(tasks.measure_refresh_task, "delay") as delay:
        page = staff_client.post(url, follow=True).content.decode()
    delay.assert_not_called()
    assert "has no saved query" in page


@pytest.mark.django_db
def test_task_refreshes_and_is_idempotent(fed_measure, staff):
    assert tasks.measure_refresh_task.run(fed_measure.pk, staff.pk).startswith("0 new")
    assert tasks.measure_refresh_task.run(fed_measure.pk, staff.pk).startswith("0 new")
    assert tasks.measure_refresh_task.run(999999, staff.pk) == "gone"
    fed_measure.incident_query.delete()
    assert "no saved query" in tasks.measure_refresh_task.run(fed_measure.pk, staff.pk)
    # The manual series is untouched.
    assert Measurement.objects.filter(measure=fed_measure, source="manual").count() == 3


@pytest.mark.django_db
def test_periodic_refresh_runs_once_at_a_time(fed_measure):
    fed_measure.incident_query.is_active = True
    fed_measure.incident_query.save()
    cache.add(tasks.REFRESH_ALL_LOCK, "someone-else", timeout=60)
    assert tasks.measures_refresh_all_task.run() == "already running"
    assert not AuditEvent.objects.filter(action="strategy.measure_refreshed").exists()
    cache.delete(tasks.REFRESH_ALL_LOCK)
    assert tasks.measures_refresh_all_task.run() == "refreshed 1"
    assert cache.get(tasks.REFRESH_ALL_LOCK) is None  # released
    event = AuditEvent.objects.get(action="strategy.measure_refreshed")
    assert event.actor is None and event.detail["scheduled"] is True


@pytest.mark.django_db
def test_periodic_refresh_skips_paused_queries(fed_measure):
    fed_measure.incident_query.is_active = False
    fed_measure.incident_query.save()
    assert tasks.measures_refresh_all_task.run() == "refreshed 0"


def test_the_schedule_names_the_periodic_task(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["strategy-measures-refresh"]
    assert entry["task"] == tasks.measures_refresh_all_task.name


@pytest.mark.django_db
def test_admin_action_queues_refreshes(
    staff_client, fed_measure, django_capture_on_commit_callbacks
):
    plain = OutcomeMeasureFactory(name="Manual only")
    with (
        mock.patch.object(tasks.measure_refresh_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        page = staff_client.post(
            reverse("admin:strategy_outcomemeasure_changelist"),
            {
                "action": "refresh_from_incident_data",
                "_selected_action": [fed_measure.pk, plain.pk],
            },
            follow=True,
        ).content.decode()
    delay.assert_called_once()
    assert "Refreshing in the background" in page
    assert "not refreshed: Manual only" in page


@pytest.mark.django_db
def test_admin_saves_a_query_with_weapons_and_audits_it(staff_client, measure, org_a):
    dataset = DatasetFactory(owner=org_a, slug="police")
    category = CategoryFactory(slug="violence-with-injury")
    priority = PriorityFactory(slug="knife-crime")
    url = reverse("admin:strategy_outcomemeasure_change", args=[measure.pk])
    form = {
        "slug": measure.slug,
        "name": measure.name,
        "definition": measure.definition,
        "data_source": measure.data_source,
        "unit": measure.unit,
        "direction": measure.direction,
        "display_order": 0,
        "is_count": "on",
        "incident_query-TOTAL_FORMS": 1,
        "incident_query-INITIAL_FORMS": 0,
        "incident_query-MIN_NUM_FORMS": 0,
        "incident_query-MAX_NUM_FORMS": 1,
        "incident_query-0-datasets": [dataset.pk],
        "incident_query-0-categories": [category.pk],
        "incident_query-0-priority": priority.pk,
        "incident_query-0-weapons": ["knife"],
        "incident_query-0-under_25": "either",
        "incident_query-0-domestic_abuse": "exclude",
        "incident_query-0-granularity": "quarter",
        "incident_query-0-is_active": "on",
        "measurements-TOTAL_FORMS": 0,
        "measurements-INITIAL_FORMS": 0,
        "measurements-MIN_NUM_FORMS": 0,
        "measurements-MAX_NUM_FORMS": 1000,
    }
    response = staff_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    measure.refresh_from_db()
    query = measure.incident_query
    assert query.weapons == ["knife"]
    assert list(query.datasets.all()) == [dataset]
    assert (query.under_25, query.domestic_abuse, query.granularity) == (
        "either",
        "exclude",
        "quarter",
    )
    assert AuditEvent.objects.filter(action="strategy.measure_query_changed").count() == 1


@pytest.mark.django_db
def test_measures_page_query_count_does_not_grow(
    viewer_client, fed_measure, django_assert_max_num_queries
):
    viewer_client.get(LIST)
    with django_assert_max_num_queries(30) as few:
        viewer_client.get(LIST)
    for index in range(15):
        extra = OutcomeMeasureFactory()
        _series(extra, range(index, index + 24))
        MeasureQueryFactory(measure=extra, datasets=[DatasetFactory()])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = viewer_client.get(LIST).content.decode()
    assert "19 measures" in page


@pytest.mark.django_db
def test_measure_page_query_count_does_not_grow(
    viewer_client, fed_measure, django_assert_max_num_queries
):
    url = reverse("strategy:measure", args=[fed_measure.slug])
    viewer_client.get(url)
    with django_assert_max_num_queries(30) as few:
        viewer_client.get(url)
    _series(fed_measure, range(100), start_year=2030)
    fed_measure.incident_query.datasets.add(*[DatasetFactory() for _ in range(5)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        viewer_client.get(url)


# ---------------------------------------------------------------------------
# The public page: suppressed values only
# ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_public_page_suppresses_small_counts_and_rounds_others(anonymous, partnership, strategy):
    small = OutcomeMeasureFactory(name="Small count measure", baseline_value=Decimal(3))
    _series(small, [12, 5])
    rounded = OutcomeMeasureFactory(name="Rounded measure", baseline_value=Decimal(43))
    _series(rounded, [9, 58])
    rate = OutcomeMeasureFactory(
        name="Rate measure", is_count=False, unit="per 1,000", baseline_value=Decimal("2.35")
    )
    _series(rate, ["2.10"])
    page = anonymous.get(reverse("strategy:public")).content.decode()
    small_part = page.split("Small count measure", 1)[1].split("</dl>", 1)[0]
    assert "* offences" in small_part  # baseline 3 and latest 5 are both small
    assert "5 offences" not in small_part and "3 offences" not in small_part
    rounded_part = page.split("Rounded measure", 1)[1].split("</dl>", 1)[0]
    # Cell key method: perturbed by at most 5, the same way on every page (no rounding to 5).
    baseline = measure_value_disclosed(rounded, None, Decimal(43))
    latest = measure_value_disclosed(rounded, rounded.measurements.get(value=58))
    assert abs(baseline - 43) <= MAX_PERTURBATION and abs(latest - 58) <= MAX_PERTURBATION
    assert f"{int(baseline)} offences" in rounded_part
    assert f"{int(latest)} offences" in rounded_part
    rate_part = page.split("Rate measure", 1)[1].split("</dl>", 1)[0]
    assert "2.1 per 1,000" in rate_part and "2.35 per 1,000" in rate_part


@pytest.mark.django_db
def test_public_page_uses_the_sensitive_threshold(anonymous, partnership, strategy):
    sensitive = PriorityFactory(slug="domestic-abuse", name="Domestic abuse", is_sensitive=True)
    measure = OutcomeMeasureFactory(name="Domestic abuse measure")
    measure.priorities.add(sensitive)
    _series(measure, [9])
    page = anonymous.get(reverse("strategy:public")).content.decode()
    part = page.split("Domestic abuse measure", 1)[1].split("</dl>", 1)[0]
    assert "* offences" in part and "10 offences" not in part


@pytest.mark.django_db
def test_people_without_record_access_never_see_small_counts(viewer_client, client, measure):
    Measurement.objects.filter(measure=measure).update(value=Decimal(3))
    client.force_login(UserFactory(email="nobody@example.org"))  # signed in, no membership
    for who in (viewer_client, client):
        for url in (LIST, reverse("strategy:measure", args=[measure.slug])):
            page = who.get(url).content.decode()
            assert 'numeric">3</td>' not in page and ">3<br>" not in page
            assert "too few to show" in page.lower()


@pytest.mark.django_db
def test_record_level_readers_see_exact_computed_values(alice_client, bob_client, fed_measure):
    Measurement.objects.filter(measure=fed_measure).update(value=Decimal(3), key_sum=40)
    url = reverse("strategy:measure", args=[fed_measure.slug])
    # Alice's organisation owns the only dataset the measure counts: exact figures.
    assert 'govuk-table__cell--numeric">3</td>' in alice_client.get(url).content.decode()
    # Bob's organisation has no agreement to see those records: "*" (too few to show).
    page = bob_client.get(url).content.decode()
    assert 'govuk-table__cell--numeric">3</td>' not in page and "too few to show" in page


@pytest.mark.django_db
def test_public_measure_list_is_constant_in_queries(
    anonymous, partnership, strategy, django_assert_max_num_queries
):
    public = reverse("strategy:public")
    anonymous.get(public)
    with django_assert_max_num_queries(40) as few:
        anonymous.get(public)
    for _ in range(10):
        _series(OutcomeMeasureFactory(), range(12))
    with django_assert_max_num_queries(len(few.captured_queries)):
        anonymous.get(public)
    assert OutcomeMeasure.objects.count() == 13
