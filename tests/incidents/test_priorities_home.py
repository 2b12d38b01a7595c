"""The public home page lists the active priorities held as data."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from incidents.models import PriorityCrimeType

pytestmark = pytest.mark.django_db


def test_home_page_lists_active_priorities(anonymous, partnership):
    PriorityCrimeType.objects.create(
        slug="knife-crime",
        name="Knife crime",
        short_description="Crimes with a knife.",
        display_order=2,
    )
    PriorityCrimeType.objects.create(
        slug="personal-robbery", name="Personal robbery", display_order=1
    )
    PriorityCrimeType.objects.create(slug="old", name="Retired priority", is_active=False)
    page = anonymous.get("/").content.decode()
    assert "What we focus on" in page
    assert "Knife crime</strong>: crimes with a knife." in page
    assert page.index("Personal robbery") < page.index("Knife crime")
    assert "Retired priority" not in page


def test_priorities_partial_costs_one_query(django_assert_num_queries):
    PriorityCrimeType.objects.create(slug="a", name="A")
    PriorityCrimeType.objects.create(slug="b", name="B")
    with django_assert_num_queries(1):
        html = render_to_string("incidents/partials/home_priorities.html")
    assert "What we focus on" in html


def test_no_heading_without_priorities():
    assert "What we focus on" not in render_to_string("incidents/partials/home_priorities.html")
