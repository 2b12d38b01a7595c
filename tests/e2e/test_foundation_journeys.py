from __future__ import annotations

import pytest
from django.urls import reverse

from partners.services import invitation_create
from tests.conftest import PASSWORD
from tests.e2e.conftest import check_accessibility, sign_in


@pytest.fixture
def seeded(partnership, org_a, org_b, opfcc):
    return partnership


@pytest.mark.django_db(transaction=True)
def test_public_home_explains_the_duty(page, seeded):
    page.goto("/")
    assert page.title().startswith("Preventing serious violence together")
    assert page.get_by_role("heading", name="The Serious Violence Duty").is_visible()
    check_accessibility(page, "public-home")
    # The skip link is the first thing a keyboard user reaches.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"


@pytest.mark.django_db(transaction=True)
def test_who_we_are_lists_the_five_specified_areas(page, seeded):
    page.goto(reverse("partners:who_we_are"))
    for area in ("Justice", "Health", "Local authorities", "Fire", "Police"):
        assert page.get_by_role("heading", name=area, exact=True).is_visible()
    assert page.get_by_role("listitem").filter(has_text="Testshire Police").first.is_visible()
    check_accessibility(page, "who-we-are")


@pytest.mark.django_db(transaction=True)
def test_sign_in_error_then_success_then_sign_out(page, seeded, alice):
    page.goto("/accounts/login/")
    check_accessibility(page, "sign-in")
    page.get_by_label("E-mail address").fill(alice.email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("There is a problem").is_visible()
    check_accessibility(page, "sign-in-error")
    sign_in(page, alice.email, PASSWORD)
    assert page.get_by_role("heading", name="Share and explore data").is_visible()
    check_accessibility(page, "dashboard-analyst")
    page.get_by_role("link", name="Sign out").click()
    check_accessibility(page, "sign-out")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/")
    page.goto("/dashboard/")
    assert "/accounts/login/" in page.url


@pytest.mark.django_db(transaction=True)
def test_accept_invitation_sets_password_and_signs_in(page, seeded, org_a, staff):
    _invitation, token = invitation_create(
        email="newcomer@police.example.org", organisation=org_a, role="analyst", invited_by=staff
    )
    page.goto(reverse("partners:accept_invitation", args=[token]))
    check_accessibility(page, "accept-invitation")
    page.get_by_label("Your full name").fill("Nia Newcomer")
    page.get_by_label("Create a password").fill("short")
    page.get_by_label("Confirm your password").fill("short")
    page.get_by_role("button", name="Create account").click()
    assert page.get_by_text("There is a problem").is_visible()
    check_accessibility(page, "accept-invitation-error")
    page.get_by_label("Create a password").fill("a-long-unusual-passphrase-42")
    page.get_by_label("Confirm your password").fill("a-long-unusual-passphrase-42")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/dashboard/")
    assert page.get_by_text("analyst for Testshire Police").is_visible()
    # The link is spent.
    page.goto(reverse("partners:accept_invitation", args=[token]))
    assert page.get_by_role("heading", name="This invitation cannot be used").is_visible()
    check_accessibility(page, "invitation-used")


@pytest.mark.django_db(transaction=True)
def test_phone_width_home_has_no_horizontal_scroll(phone, seeded):
    phone.goto("/")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    check_accessibility(phone, "public-home-phone")
