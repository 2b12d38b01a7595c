"""HTTP hygiene: no caching of sensitive pages, security headers, no URL secrets in logs, and
one trusted-proxy rule for every rate limit."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.test import Client, RequestFactory
from django.urls import reverse

from core.client_ip import client_ip
from core.logging import GunicornAccessLogger, redact_secrets
from incidents.models import Upload
from tests.incidents.factories import AgreementFactory, DatasetFactory, RecordFactory
from tests.strategy.factories import ActionFactory, ProgressUpdateFactory
from tests.surveys.factories import full_survey

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "Zx9-SECRET-token_4242"


# -- Cache-Control: no-store ---------------------------------------------------------------


@pytest.fixture
def sensitive(org_a, alice, opfcc):
    dataset = DatasetFactory(owner=org_a, slug="police-data")
    AgreementFactory(dataset=dataset)
    record = RecordFactory(dataset=dataset)
    upload = Upload.objects.create(
        dataset=dataset,
        uploaded_by=alice,
        original_filename="extract.csv",
        file=ContentFile(b"reference\r\n", name="extract.csv"),
        sha256="0" * 64,
        status=Upload.Status.INVALID,
        error_report=ContentFile(b"row,problem\r\n", name="errors.csv"),
    )
    survey = full_survey(slug="safety")
    update = ProgressUpdateFactory(action=ActionFactory(lead_organisation=org_a))
    update.evidence.save("evidence.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return SimpleNamespace(
        dataset=dataset, record=record, upload=upload, survey=survey, update=update
    )


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_record_level_pages_and_exports_are_never_stored(alice_client, sensitive):
    slug = sensitive.dataset.slug
    for url in (
        reverse("incidents:home"),
        reverse("incidents:records", args=[slug]),
        reverse("incidents:record", args=[slug, sensitive.record.pk]),
        reverse("incidents:records_export", args=[slug]),
        reverse("incidents:aggregates", args=[slug]),
    ):
        response = alice_client.get(url)
        assert response.status_code == 200 and _no_store(response), url


def test_upload_pages_are_never_stored(alice_client, sensitive):
    upload, slug = sensitive.upload, sensitive.dataset.slug
    for url in (
        reverse("incidents:upload_start"),
        reverse("incidents:upload_new", args=[slug]),
        reverse("incidents:upload_history", args=[slug]),
        reverse("incidents:upload_detail", args=[upload.pk]),
        reverse("incidents:upload_status", args=[upload.pk]),
        reverse("incidents:upload_error_report", args=[upload.pk]),
        reverse("incidents:upload_withdraw", args=[upload.pk]),
    ):
        response = alice_client.get(url)
        assert response.status_code == 200 and _no_store(response), url


def test_survey_results_and_exports_are_never_stored(alice_client, sensitive):
    slug = sensitive.survey.slug
    for url in (
        reverse("surveys:results_index"),
        reverse("surveys:results", args=[slug]),
        reverse("surveys:crosstab", args=[slug]),
        reverse("surveys:free_text", args=[slug]),
    ):
        response = alice_client.get(url)
        assert response.status_code == 200 and _no_store(response), url
    export = alice_client.post(
        reverse("surveys:export", args=[slug]), {"kind": "responses", "format": "csv"}
    )
    assert export.status_code == 200 and _no_store(export)


def test_evidence_files_are_never_stored(lead_client, sensitive):
    response = lead_client.get(reverse("strategy:update_evidence", args=[sensitive.update.pk]))
    assert response.status_code == 200 and _no_store(response)


# -- Security headers ------------------------------------------------------------------------


@pytest.mark.django_db
def test_security_headers_on_a_sample_of_pages(anonymous, alice_client, staff_client, sensitive):
    pages = [
        (anonymous, reverse("core:home")),
        (anonymous, reverse("surveys:start", args=[sensitive.survey.slug])),
        (anonymous, reverse("account_login")),
        (anonymous, "/no-such-page/"),
        (alice_client, reverse("core:dashboard")),
        (alice_client, reverse("incidents:records", args=[sensitive.dataset.slug])),
        (alice_client, reverse("incidents:records_export", args=[sensitive.dataset.slug])),
        (staff_client, reverse("admin:index")),
    ]
    for client, url in pages:
        response = client.get(url)
        csp = response.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert "script-src 'self'" in csp and "object-src 'none'" in csp, url
        assert response.get("X-Frame-Options") == "DENY", url
        assert response.get("Referrer-Policy") == "same-origin", url
        assert response.get("Cross-Origin-Opener-Policy") == "same-origin", url
        assert response.get("X-Content-Type-Options") == "nosniff", url
        policy = response.get("Permissions-Policy", "")
        assert "camera=()" in policy and "geolocation=()" in policy, url


def test_production_settings_send_hsts_on_https():
    script = (
        "import django; django.setup()\n"
        "from django.http import HttpResponse\n"
        "from django.middleware.security import SecurityMiddleware\n"
        "from django.test import RequestFactory\n"
        "request = RequestFactory().get('/', secure=True, HTTP_HOST='portal.example.org')\n"
        "print(SecurityMiddleware(lambda r: HttpResponse())(request)"
        "['Strict-Transport-Security'])\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SECRET_KEY", "ALLOWED_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="nsvpp.settings",
        DJANGO_DEBUG="false",
        SECRET_KEY="k3y-" + "Zq9x" * 15,
        ALLOWED_HOSTS="portal.example.org",
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "max-age=31536000; includeSubDomains; preload"


# -- No URL secrets in logs ------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        f'GET /invitations/{TOKEN}/ HTTP/1.1" 200',
        f"GET /accounts/password/reset/key/1a-{TOKEN}/ HTTP/1.1",
        f"/accounts/confirm-email/{TOKEN}/",
        f"GET /somewhere/?token={TOKEN}&page=2 HTTP/1.1",
        f"Referer: https://portal.example.org/invitations/{TOKEN}/",
    ],
)
def test_redact_secrets_removes_tokens(line):
    redacted = redact_secrets(line)
    assert TOKEN not in redacted and "[redacted]" in redacted


def test_redact_secrets_keeps_ordinary_paths():
    for line in ("GET /data/police-data/records/?page=2", "/accounts/password/reset/key/done/"):
        assert redact_secrets(line) == line


def _gunicorn_access_line(path: str, query: str = "", referer: str = "-") -> str:
    from gunicorn.config import Config

    conf = runpy.run_path(str(ROOT / "nsvpp" / "gunicorn.conf.py"))
    assert conf["logger_class"] == "core.logging.GunicornAccessLogger"
    cfg = Config()
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", conf["access_log_format"])
    logger = GunicornAccessLogger(cfg)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.access_log.handlers = [handler]
    uri = path + (f"?{query}" if query else "")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": uri,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_REFERER": referer,
        "REMOTE_ADDR": "203.0.113.9",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    request = SimpleNamespace(headers=[("REFERER", referer)])
    logger.access(response, request, environ, dt.timedelta(milliseconds=12))
    return stream.getvalue()


def test_gunicorn_access_log_never_holds_an_invitation_or_reset_token():
    for path, query in (
        (f"/invitations/{TOKEN}/", ""),
        (f"/accounts/password/reset/key/3-{TOKEN}/", ""),
        ("/accounts/login/", f"next=/x/&key={TOKEN}"),
    ):
        line = _gunicorn_access_line(path, query)
        assert line.strip(), "gunicorn wrote no access line"
        assert TOKEN not in line and "[redacted]" in line, line
        assert "203.0.113.9" not in line  # nor the client's address


def test_gunicorn_error_log_is_redacted_too():
    from gunicorn.config import Config

    logger = GunicornAccessLogger(Config())
    stream = io.StringIO()
    logger.error_log.handlers = [logging.StreamHandler(stream)]
    logger.error("Error handling request %s", f"/invitations/{TOKEN}/")
    assert TOKEN not in stream.getvalue() and "[redacted]" in stream.getvalue()


@pytest.mark.django_db
def test_app_logs_never_hold_an_invitation_token(partnership):
    # The "Not Found: /invitations/…" warning Django logs for a bad link goes through the
    # configured console handler; its filters must redact the token.
    handler = logging.getLogger("django.request").handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        Client().get(f"/invitations/{TOKEN}/")
        logging.getLogger("django.request").warning("Not Found: %s", f"/invitations/{TOKEN}/")
        logging.getLogger("django.server").info(
            '"%s" %s %s', f"GET /accounts/password/reset/key/1-{TOKEN}/ HTTP/1.1", 200, 10
        )
    finally:
        handler.setStream(previous)
    output = stream.getvalue()
    assert "Not Found" in output and "[redacted]" in output
    assert TOKEN not in output


# -- One trusted-proxy rule --------------------------------------------------------------------


def _request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_client_ip_ignores_x_forwarded_for_without_a_trusted_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"


def test_client_ip_counts_trusted_proxies_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("10.0.0.1", "203.0.113.9")) == "203.0.113.9"
    # A client cannot choose its address by sending its own header: the proxy appends.
    assert client_ip(_request("10.0.0.1", "1.2.3.4, 203.0.113.9")) == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("10.0.0.2", "1.2.3.4, 203.0.113.9, 10.0.0.1")) == "203.0.113.9"
    assert client_ip(_request("10.0.0.1")) == "10.0.0.1"  # no header: the connection


def test_allauth_uses_the_same_rule(settings, rf):
    from allauth.account.adapter import get_adapter

    settings.TRUSTED_PROXY_COUNT = 1
    request = _request("10.0.0.1", "1.2.3.4, 203.0.113.9")
    assert get_adapter(request).get_client_ip(request) == client_ip(request) == "203.0.113.9"


LOCKED = "Too many failed login attempts"


def _attack_then_sign_in(alice) -> tuple[list[bool], int]:
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    login = reverse("account_login")
    attacker = Client()
    locked = [
        LOCKED
        in attacker.post(
            login,
            {"login": f"guess{n}@police.example.org", "password": "wrong-password-123"},
            HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.9",  # forged left entries change nothing
            **proxy,
        ).content.decode()
        for n in range(12)
    ]
    resident = Client().post(
        login,
        {"login": alice.email, "password": "correct-horse-battery"},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
        **proxy,
    )
    return locked, resident.status_code


@pytest.mark.django_db
def test_behind_a_proxy_one_attacker_cannot_lock_everyone_out_of_sign_in(settings, alice):
    settings.TRUSTED_PROXY_COUNT = 1
    locked, resident = _attack_then_sign_in(alice)
    assert not any(locked[:10]) and all(locked[10:]), locked  # the attacker is limited …
    assert resident == 302  # … and everyone else behind the proxy still signs in


@pytest.mark.django_db
def test_without_the_setting_everyone_behind_the_proxy_shares_one_limit(settings, alice):
    # Why the setting exists: with TRUSTED_PROXY_COUNT=0 behind a proxy, all clients look alike.
    settings.TRUSTED_PROXY_COUNT = 0
    locked, resident = _attack_then_sign_in(alice)
    assert all(locked[10:])
    assert resident == 200  # refused: the attacker locked the proxy's address
