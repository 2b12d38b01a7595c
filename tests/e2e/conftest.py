"""Browser journeys: Playwright driving the distribution's Chromium, checked with axe-core.

Chromium comes from the OS package (installed by `make browser`); nothing downloads a browser.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures in the
# same thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTEFACTS = ROOT / "var" / "artefacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run `make browser` (installs the OS package).")
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `npm ci` (or `make browser`).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator:
    # bypass_csp lets the test inject axe-core; the pages still send their real policy.
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser, live_server) -> Iterator:
    """A phone-sized screen (320 CSS pixels wide, the WCAG reflow width)."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 320, "height": 640},
        is_mobile=True,
        has_touch=True,
        bypass_csp=True,
    )
    page = context.new_page()
    yield page
    context.close()


def check_accessibility(page, name: str) -> None:
    """Run axe-core's WCAG 2.2 A/AA rules on the page; save a screenshot; fail on any violation."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^\w.-]+", "-", name)
    page.screenshot(path=str(ARTEFACTS / f"{safe}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in result["violations"]
    ]
    assert not violations, f"axe-core found WCAG violations on {name}:\n" + "\n".join(violations)
    assert result["passes"], "axe-core ran no checks: the page did not load"


# (e-mail, code) pairs already used: allauth accepts each authenticator code only once.
_USED_CODES: set[tuple[str, str]] = set()


def totp_secret(email: str) -> str:
    """The person's authenticator secret; people who need a second factor get one first.

    Journeys test their own pages, so sign_in enrols such a person directly (as seed_demo and
    tests/factories.enrol_totp do); tests/e2e/test_second_factor_journeys.py enrols through the
    pages.
    """
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt
    from django.contrib.auth import get_user_model

    from partners.second_factor import second_factor_required
    from tests.factories import enrol_totp

    user = get_user_model().objects.get(email__iexact=email)
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None and second_factor_required(user):
        authenticator = enrol_totp(user)
    return decrypt(authenticator.data["secret"]) if authenticator else ""


def totp_code(email: str, secret: str) -> str:
    """The current code from the secret (pyotp), waiting for the next one if this was used."""
    import time

    import pyotp

    totp = pyotp.TOTP(secret)
    code = totp.now()
    while (email, code) in _USED_CODES:
        time.sleep(30 - time.time() % 30 + 0.2)
        code = totp.now()
    _USED_CODES.add((email, code))
    return code


def sign_in(page, email: str, password: str) -> None:
    """Sign in with the password and, when the account has one, the authenticator code."""
    secret = totp_secret(email)
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if secret:
        page.wait_for_url("**/accounts/2fa/authenticate/")
        page.get_by_label("Security code").fill(totp_code(email, secret))
        page.get_by_role("button", name="Continue").click()
    # Analysts and partner leads land on the evidence overview, everyone else on the dashboard.
    page.wait_for_url(lambda url: "/accounts/" not in url)
