# ruff: noqa: S310, S603, S607 - a CI script: fixed local URLs and commands from this repository
"""Smoke test of the production topology on this machine, without Docker.

Starts exactly what docker-compose.yml runs (`sh deploy/processes web|worker|beat`: gunicorn with
production settings, a Celery worker and Celery beat) on PostgreSQL and Redis, with a fresh
database; collects static files; then drives a real journey over HTTP as a partner analyst: sign
in with password and authenticator code, upload a police.uk file, confirm it, wait for the worker
to import it, read the aggregates page. Stops everything and drops the database at the end.

Run with the project's virtualenv: `.venv/bin/python .ci/smoke.py` (.ci/run does).
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg2
import pyotp
import redis

ROOT = Path(__file__).resolve().parents[1]
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
REDIS = "redis://127.0.0.1:6379"
# Redis databases of their own, so the smoke run neither sees nor takes anyone else's messages.
BROKER_DB, CACHE_DB = 13, 12
HOST = "portal.example.org"
EMAIL = "smoke.analyst@police.example.org"
DATASET = "police-uk-street"
DATA = Path(os.environ.get("SHARED_DATA_DIR", ROOT.parent / "shared" / "data"))
TIMEOUT = 240


def log(message: str) -> None:
    print(f"[smoke] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """A tiny HTTP client: cookies, CSRF, and the headers the TLS proxy would add."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, fields: dict[str, str] | None = None, file=None
    ) -> tuple[int, dict[str, str], str]:
        headers = {"Host": HOST, "X-Forwarded-Proto": "https"}
        body = None
        if method == "POST":
            headers["Origin"] = f"https://{HOST}"
            headers["Referer"] = f"https://{HOST}{path}"
            fields = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **(fields or {})}
            if file:
                boundary = uuid.uuid4().hex
                parts = [
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
                    f"{v}\r\n".encode()
                    for k, v in fields.items()
                ]
                name, filename, content = file
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                    f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                    + content
                    + b"\r\n"
                )
                body = b"".join(parts) + f"--{boundary}--\r\n".encode()
                headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
            else:
                body = urllib.parse.urlencode(fields).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        request = urllib.request.Request(
            self.base + path, data=body, headers=headers, method=method
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, dict(response.headers), response.read().decode(errors="replace")

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path)

    def post(self, path: str, fields=None, file=None) -> tuple[int, dict[str, str], str]:
        return self.request("POST", path, fields, file)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"[smoke] FAILED: {message}")


def wait_until(predicate, what: str, seconds: float = TIMEOUT) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise SystemExit(f"[smoke] FAILED: timed out waiting for {what}")


SETUP = """
from tests.factories import MembershipFactory, OrganisationFactory, PartnershipFactory, UserFactory
from tests.factories import enrol_totp
from tests.incidents.factories import AgreementFactory, DatasetFactory, DistrictFactory, LsoaFactory
from allauth.mfa.utils import decrypt
from incidents.models import Dataset
police = OrganisationFactory(name="Smokeshire Police", short_name="Police", slug="smoke-police")
PartnershipFactory(convenor_organisation=police)
user = UserFactory(email={email!r}, full_name="Smoke Analyst", password={password!r})
MembershipFactory(user=user, organisation=police, role="analyst")
dataset = DatasetFactory(owner=police, slug={dataset!r}, name="Police street crime",
                         format=Dataset.Format.POLICE_UK)
AgreementFactory(dataset=dataset)
district = DistrictFactory(code="E06000061", name="North Smokeshire")
for code, name in {lsoas!r}:
    LsoaFactory(code=code, name=name, district=district, in_area=True)
print("SECRET=" + decrypt(enrol_totp(user).data["secret"]))
"""


def main() -> None:
    police_file = sorted((DATA / "police_uk").glob("*-street.csv"))[0]
    with police_file.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    lsoas = sorted({(r["LSOA code"], r["LSOA name"]) for r in rows if r["LSOA code"]})
    database = f"nsvpp_smoke_{os.getpid()}"
    work = Path(tempfile.mkdtemp(prefix="nsvpp-smoke-"))
    port = free_port()
    password = secrets.token_urlsafe(18)
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "SITE_URL": f"https://{HOST}",
        "DATABASE_URL": f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{database}",
        "CELERY_BROKER_URL": f"{REDIS}/{BROKER_DB}",
        "CACHE_URL": f"rediscache://127.0.0.1:6379/{CACHE_DB}",
        "MEDIA_ROOT": str(work / "media"),
        "STATIC_ROOT": str(work / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "CELERY_BEAT_SCHEDULE_FILE": str(work / "celerybeat-schedule"),
        "SHARED_DATA_DIR": str(DATA),
    }
    for db in (BROKER_DB, CACHE_DB):
        redis.Redis.from_url(f"{REDIS}/{db}").flushdb()
    admin = psycopg2.connect(dbname="postgres", **PG)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database}"')
    processes: dict[str, subprocess.Popen] = {}
    try:
        log("collectstatic")
        subprocess.run(
            ["sh", "deploy/processes", "collectstatic"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for name in ("web", "worker", "beat"):
            log(f"starting {name}: sh deploy/processes {name}")
            processes[name] = subprocess.Popen(  # noqa: S603
                ["sh", "deploy/processes", name],
                cwd=ROOT,
                env=env,
                start_new_session=True,
                stdout=(work / f"{name}.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        browser = Browser(f"http://127.0.0.1:{port}")

        def healthy() -> bool:
            for name, process in processes.items():
                expect(
                    process.poll() is None,
                    f"{name} exited:\n{(work / f'{name}.log').read_text()[-3000:]}",
                )
            try:
                return browser.get("/healthz")[0] == 200
            except OSError:
                return False

        wait_until(healthy, "the web process (migrations, then gunicorn)")
        # Without the proxy's header the production settings redirect to HTTPS.
        plain = urllib.request.Request(browser.base + "/accounts/login/", headers={"Host": HOST})
        try:
            urllib.request.build_opener(_NoRedirect).open(plain, timeout=10)
            redirected = False
        except urllib.error.HTTPError as error:
            redirected = error.status == 301 and error.headers["Location"].startswith("https://")
        expect(redirected, "plain HTTP is not redirected to HTTPS in production settings")

        log("loading reference data and the analyst")
        subprocess.run(
            ["python", "manage.py", "load_crime_categories"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        setup = SETUP.format(email=EMAIL, password=password, dataset=DATASET, lsoas=lsoas)
        out = subprocess.run(
            ["python", "manage.py", "shell", "-c", setup],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        secret = re.search(r"SECRET=(\S+)", out).group(1)

        log("signing in with password and authenticator code")
        browser.get("/accounts/login/")
        status, headers, _ = browser.post(
            "/accounts/login/", {"login": EMAIL, "password": password}
        )
        expect(
            status == 302 and "/accounts/2fa/authenticate/" in headers["Location"],
            f"sign-in did not ask for the second factor ({status})",
        )
        browser.get("/accounts/2fa/authenticate/")
        status, headers, _ = browser.post(
            "/accounts/2fa/authenticate/", {"code": pyotp.TOTP(secret).now()}
        )
        expect(
            status == 302 and "/accounts/" not in headers["Location"],
            f"the authenticator code was refused ({status})",
        )

        log(f"uploading {police_file.name} ({len(rows):,} rows)")
        browser.get(f"/data/uploads/{DATASET}/new/")
        status, headers, _ = browser.post(
            f"/data/uploads/{DATASET}/new/",
            file=("file", police_file.name, police_file.read_bytes()),
        )
        expect(status == 302, f"the upload was not accepted ({status})")
        upload_url = headers["Location"]
        pk = re.search(r"/uploads/(\d+)/", upload_url).group(1)

        def status_is(*wanted: str) -> bool:
            healthy()
            state = json.loads(browser.get(f"/data/uploads/{pk}/status.json")[2])["status"]
            expect(state not in ("invalid", "failed"), f"the upload was refused: {state}")
            return state in wanted

        wait_until(lambda: status_is("validated"), "the worker to check the file")
        log("checked by the worker; confirming the import")
        browser.get(upload_url)
        status, _, _ = browser.post(f"/data/uploads/{pk}/confirm/")
        expect(status == 302, f"the confirmation was refused ({status})")
        wait_until(lambda: status_is("imported"), "the worker to import the file")

        status, _, page = browser.get(f"/data/{DATASET}/aggregates/")
        expect(status == 200, f"the aggregates page answered {status}")
        total = re.search(r"All records: <strong>([\d,]+)</strong>", page)
        expect(total is not None, "the aggregates page shows no total")
        with psycopg2.connect(dbname=database, **PG) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM incidents_incidentrecord")
            stored = cursor.fetchone()[0]
        shown = int(total.group(1).replace(",", ""))
        expect(
            stored > 0 and shown == stored,
            f"aggregates show {shown} records, the database holds {stored}",
        )
        expect(processes["beat"].poll() is None, "beat is not running")
        log(f"imported {stored:,} records through the worker; aggregates show {shown:,}. OK")
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        if sys.exc_info()[0] is not None:
            for name in processes:
                print(
                    f"----- {name} log (last lines)\n{(work / f'{name}.log').read_text()[-4000:]}"
                )
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()
        for db in (BROKER_DB, CACHE_DB):
            redis.Redis.from_url(f"{REDIS}/{db}").flushdb()


if __name__ == "__main__":
    main()
