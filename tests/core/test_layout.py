"""The page layout: kept header and footer fragments, and the service navigation."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_partnership_change_shows_on_the_next_page(anonymous, partnership):
    assert f"{partnership.short_name} Portal" in anonymous.get(reverse("core:home")).text
    partnership.short_name = "Renamed"
    partnership.contact_email = "feedback@renamed.example.org"
    partnership.save()
    page = anonymous.get(reverse("core:home")).text
    assert "<title>" in page and "– Renamed Portal</title>" in page
    assert 'href="mailto:feedback@renamed.example.org">feedback</a>' in page


def test_phase_banner_follows_the_setting(anonymous, partnership, settings):
    assert ">Beta</strong>" in anonymous.get(reverse("core:home")).text
    settings.PHASE_BANNER = "Alpha"
    assert ">Alpha</strong>" in anonymous.get(reverse("core:home")).text


def test_one_visitors_navigation_never_reaches_another(alice_client, anonymous, partnership):
    signed_in = alice_client.get(reverse("core:dashboard")).text
    assert "Sign out" in signed_in
    public = anonymous.get(reverse("core:home")).text
    assert "Sign out" not in public
    assert "Sign in" in public


def test_navigation_marks_the_current_page_and_section(anonymous, partnership):
    index = anonymous.get(reverse("surveys:index")).text
    assert (
        '<li class="govuk-service-navigation__item govuk-service-navigation__item--active">\n'
        f'  <a class="govuk-service-navigation__link" href="{reverse("surveys:index")}"'
        ' aria-current="page"><strong class="govuk-service-navigation__active-fallback">'
        "Have your say</strong></a>\n</li>"
    ) in index
    assert (
        '<li class="govuk-service-navigation__item">\n'
        f'  <a class="govuk-service-navigation__link" href="{reverse("core:home")}">Home</a>\n</li>'
    ) in index
    events = anonymous.get(reverse("surveys:events")).text
    assert f'href="{reverse("surveys:index")}" aria-current="true">' in events
