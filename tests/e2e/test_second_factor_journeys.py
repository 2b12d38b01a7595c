"""The second factor in a browser: enrolment at first sign-in, the code at sign-in, recovery."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator

from tests.conftest import PASSWORD
from tests.e2e.conftest import check_accessibility, sign_in, totp_code


@pytest.fixture
def seeded(partnership, org_a, org_b, opfcc):
    return partnership


@pytest.fixture
def no_js(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def _password(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_staff_enrol_at_first_sign_in_then_sign_in_with_a_code(page, seeded, staff):
    _password(page, staff.email)
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    assert page.get_by_role("heading", name="Set up your second factor").is_visible()
    assert page.get_by_role("img", name=re.compile("QR code")).is_visible()
    check_accessibility(page, "second-factor-enrol")
    # Nothing else opens until they have set it up.
    page.goto("/admin/")
    assert page.url.endswith("/accounts/2fa/totp/activate/")
    secret = page.locator("#totp-secret").inner_text().strip()

    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Turn on second factor").click()
    assert page.get_by_text("There is a problem").is_visible()
    check_accessibility(page, "second-factor-enrol-error")
    secret = page.locator("#totp-secret").inner_text().strip() or secret
    page.get_by_label("Code from your authenticator app").fill(totp_code(staff.email, secret))
    page.get_by_role("button", name="Turn on second factor").click()

    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    assert page.get_by_text("This is the only time you will see these codes").is_visible()
    check_accessibility(page, "second-factor-recovery-codes")
    page.get_by_role("link", name=re.compile("I have saved my codes")).click()
    page.wait_for_url("**/evidence/")  # the signed-in home for partner leads
    assert Authenticator.objects.filter(user=staff, type="totp").exists()

    page.goto("/accounts/2fa/")
    check_accessibility(page, "second-factor-manage")
    page.goto("/accounts/2fa/recovery-codes/")
    assert codes[0] not in page.content(), "recovery codes are shown once"

    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/")

    _password(page, staff.email)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    check_accessibility(page, "second-factor-code")
    page.get_by_label("Security code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_text("The code is not right").first.is_visible()
    check_accessibility(page, "second-factor-code-error")
    # A recovery code instead of the app's code.
    page.get_by_label("Security code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/evidence/")  # the signed-in home for partner leads


def test_reauthentication_page_passes_axe(page, seeded, staff):
    sign_in(page, staff.email, PASSWORD)
    page.goto("/accounts/2fa/recovery-codes/generate/")
    page.wait_for_url(re.compile(r"/accounts/(2fa/)?reauthenticate/"))
    assert page.get_by_role("heading", name="Confirm it is you").is_visible()
    check_accessibility(page, "second-factor-reauthenticate")


def test_sign_in_with_a_code_works_without_javascript(no_js, seeded, staff):
    sign_in(no_js, staff.email, PASSWORD)
    assert no_js.url.endswith("/evidence/")
