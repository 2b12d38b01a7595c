"""Annual reviews and the consultation register: every signed-in partner reads them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from strategy.models import AnnualReview, Consultation

REVIEWS = reverse("strategy:reviews")
CONSULTATIONS = reverse("strategy:consultations")


def _review(strategy, day, findings="Most actions are on track."):
    return AnnualReview.objects.create(
        strategy=strategy,
        review_date=day,
        findings=findings,
        changes_made="Added an action on schools.",
        next_review_due=day + dt.timedelta(days=365),
    )


def _consultation(strategy, who, kind="community", response="Supported the priorities."):
    return Consultation.objects.create(
        strategy=strategy,
        consultee=who,
        consultee_kind=kind,
        consulted_on=dt.date(2023, 10, 2),
        method="Open meeting",
        response=response,
        response_received_on=dt.date(2023, 11, 1),
    )


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(anonymous, strategy):
    review = _review(strategy, dt.date(2024, 12, 12))
    consultation = _consultation(strategy, "Faith groups")
    urls = [
        REVIEWS,
        reverse("strategy:review", args=[review.pk]),
        CONSULTATIONS,
        reverse("strategy:consultation", args=[consultation.pk]),
    ]
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302, url
        assert reverse("account_login") in response["Location"]


@pytest.mark.django_db
def test_partners_read_reviews_newest_first(viewer_client, strategy):
    _review(strategy, dt.date(2023, 12, 1), findings="The first year went slowly.")
    latest = _review(strategy, dt.date(2024, 12, 12), findings="Data sharing has improved.")
    page = viewer_client.get(REVIEWS).content.decode()
    assert page.index("12 December 2024") < page.index("1 December 2023")
    assert "Record a review in the admin" not in page  # staff only
    detail = viewer_client.get(reverse("strategy:review", args=[latest.pk])).content.decode()
    assert "Data sharing has improved." in detail
    assert "Added an action on schools." in detail
    assert "12 December 2025" in detail  # next review due


@pytest.mark.django_db
def test_staff_see_links_to_change_reviews(staff_client, strategy):
    review = _review(strategy, dt.date(2024, 12, 12))
    detail = staff_client.get(reverse("strategy:review", args=[review.pk])).content.decode()
    assert reverse("admin:strategy_annualreview_change", args=[review.pk]) in detail


@pytest.mark.django_db
def test_register_lists_consultations_and_filters_by_kind(viewer_client, strategy):
    _consultation(strategy, "HMP Five Wells", kind="prison", response="Asked about release.")
    _consultation(strategy, "Youth panel", kind="young_people")
    page = viewer_client.get(CONSULTATIONS).content.decode()
    assert "HMP Five Wells" in page and "Youth panel" in page
    filtered = viewer_client.get(CONSULTATIONS, {"kind": "prison"}).content.decode()
    assert "HMP Five Wells" in filtered and "Youth panel" not in filtered


@pytest.mark.django_db
def test_register_reports_a_bad_filter(viewer_client, strategy):
    _consultation(strategy, "Youth panel", kind="young_people")
    response = viewer_client.get(CONSULTATIONS, {"kind": "aliens"})
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Select who was consulted from the list" in page
    assert "<title>Error: " in page
    assert "Youth panel" in page  # an invalid filter shows everyone


@pytest.mark.django_db
def test_consultation_detail_shows_the_response(viewer_client, strategy):
    consultation = _consultation(strategy, "Schools", kind="education", response="Wants more.")
    page = viewer_client.get(
        reverse("strategy:consultation", args=[consultation.pk])
    ).content.decode()
    assert "Wants more." in page
    assert "Educational authority" in page
    assert "1 November 2023" in page


@pytest.mark.django_db
def test_unknown_review_and_consultation_are_404(viewer_client):
    assert viewer_client.get(reverse("strategy:review", args=[999999])).status_code == 404
    assert viewer_client.get(reverse("strategy:consultation", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_reviews_page_query_count_does_not_grow(
    viewer_client, strategy, django_assert_max_num_queries
):
    _review(strategy, dt.date(2024, 1, 1))
    viewer_client.get(REVIEWS)
    with django_assert_max_num_queries(20) as few:
        viewer_client.get(REVIEWS)
    for index in range(20):
        _review(strategy, dt.date(2000 + index, 6, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        viewer_client.get(REVIEWS)


@pytest.mark.django_db
def test_register_query_count_does_not_grow(
    viewer_client, strategy, org_a, django_assert_max_num_queries
):
    _consultation(strategy, "First")
    viewer_client.get(CONSULTATIONS)
    with django_assert_max_num_queries(20) as few:
        viewer_client.get(CONSULTATIONS)
    for index in range(20):
        consultation = _consultation(strategy, f"Group {index}")
        consultation.organisation = org_a
        consultation.save()
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = viewer_client.get(CONSULTATIONS).content.decode()
    assert "21 consultations" in page


@pytest.mark.django_db
def test_plan_and_dashboard_link_to_the_new_pages(viewer_client, strategy):
    for url in (reverse("strategy:plan"), reverse("core:dashboard")):
        page = viewer_client.get(url).content.decode()
        for target in (REVIEWS, CONSULTATIONS, reverse("strategy:measures")):
            assert f'href="{target}"' in page, (url, target)
