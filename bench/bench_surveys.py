"""Load benchmark: 1,000 complete, anonymous survey submissions against gunicorn on loopback.

Run: `.venv/bin/python bench/bench_surveys.py` (or `make bench`). It builds a throw-away SQLite
database under var/bench-surveys/, starts gunicorn in production mode on 127.0.0.1:8020, then:

1. Baseline: a trivial view (/healthz: one `SELECT 1`) hammered by the same client threads.
2. Submissions: many simulated residents (each its own cookie jar and X-Forwarded-For address,
   so the per-address rate limit is exercised for real) each make one complete journey:
   GET the first page, POST three pages of answers, GET "check your answers", POST it.
   Every resident takes at least SURVEY_MIN_COMPLETION_SECONDS (1 s here), as the server demands.

The two phases alternate in four rounds (750 trivial requests, 250 journeys, …) so that a change
in the shared machine's load weighs on both sides of the ratio alike. It prints and checks:
submissions per second (>= 50), the request rate of the submission phase relative to the trivial
view's (>= 0.30), server errors (0) and the number of responses stored (exactly 1,000, read
straight from the database).
"""

from __future__ import annotations

import http.client
import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench-surveys"
DB = WORK / "bench.sqlite3"
HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_SURVEYS_PORT", "8020"))
SUBMISSIONS = int(os.environ.get("BENCH_SURVEYS_SUBMISSIONS", "1000"))
THREADS = int(os.environ.get("BENCH_SURVEYS_THREADS", "96"))
WORKERS = int(os.environ.get("BENCH_SURVEYS_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
BASELINE_REQUESTS = int(os.environ.get("BENCH_SURVEYS_BASELINE", "3000"))
SLUG = "bench-survey"
MIN_SECONDS = 1
ROUNDS = 4

ENV = {
    **os.environ,
    "DJANGO_DEBUG": "false",
    "SECRET_KEY": "bench-only-" + "x" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "DATABASE_URL": f"sqlite:///{DB}",
    "STATIC_ROOT": str(WORK / "static"),
    "SURVEY_RATE_LIMIT": "5",
    "SURVEY_CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
    "SURVEY_MIN_COMPLETION_SECONDS": str(MIN_SECONDS),
    "LOG_LEVEL": "WARNING",
}
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


def manage(*args: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL
    )


def prepare() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    # The database and collected static files are reused between runs (migrate brings the
    # database up to date; the setup script removes the previous run's survey and responses).
    manage("migrate", "--noinput")
    manage("createcachetable")
    if not (WORK / "static" / "staticfiles.json").exists():
        manage("collectstatic", "--noinput")
    subprocess.run([PYTHON, "bench/surveys_setup.py"], cwd=ROOT, env=ENV, check=True)


def start_server() -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            GUNICORN,
            "nsvpp.wsgi",
            "-b",
            f"{HOST}:{PORT}",
            "-w",
            str(WORKERS),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=ENV,
    )
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection(HOST, PORT, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    requests: int = 0
    completed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.requests += 1


class Resident:
    """One simulated resident: their own cookies and their own address."""

    def __init__(self, tally: Tally, address: str) -> None:
        self.tally = tally
        self.cookies: dict[str, str] = {}
        self.address = address

    def request(
        self, method: str, path: str, form: dict[str, object] | None = None
    ) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection(HOST, PORT, timeout=60)
        headers = {"X-Forwarded-For": self.address, "User-Agent": "bench_surveys"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(
                {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}, doseq=True
            )
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _sep, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        connection.close()
        self.tally.add(response.status)
        return response.status, response.headers.get("Location", ""), text

    def journey(self, rng: random.Random) -> bool:
        started = time.monotonic()
        base = f"/surveys/{SLUG}"
        status, _loc, _text = self.request("GET", f"{base}/page/1/")
        if status != 200:
            return False
        answers = [
            {
                "affected": rng.choice(["yes", "no"]),
                "safety": rng.choice(["agree", "disagree", "neither"]),
            },
            {"types": rng.sample(["robbery", "weapon", "da"], 2), "word": "lighting"},
            {"story": "More youth clubs please. " * rng.randint(1, 20), "district": "NN1"},
        ]
        for position, form in enumerate(answers, start=1):
            status, _loc, _text = self.request("POST", f"{base}/page/{position}/", form)
            if status != 302:
                return False
        status, _loc, text = self.request("GET", f"{base}/check-your-answers/")
        match = re.search(r'name="digest" value="([0-9a-f]+)"', text)
        if status != 200 or match is None:
            return False
        # A person takes at least the minimum time; the server refuses anything quicker.
        time.sleep(max(0.0, MIN_SECONDS + 0.05 - (time.monotonic() - started)))
        status, location, _text = self.request(
            "POST", f"{base}/check-your-answers/", {"digest": match.group(1)}
        )
        return status == 302 and location.endswith("/confirmation/")


def run_threads(work: list[int], target) -> float:
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not work:
                    return
                item = work.pop()
            target(item)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def baseline(tally: Tally, count: int) -> float:
    """Seconds to serve `count` requests of the trivial view."""

    def hit(_i: int) -> None:
        connection = http.client.HTTPConnection(HOST, PORT, timeout=60)
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        connection.close()
        tally.add(response.status)

    return run_threads(list(range(count)), hit)


def submissions(tally: Tally, first: int, count: int) -> float:
    """Seconds for `count` residents (numbered from `first`) to complete a journey each."""

    def one(i: int) -> None:
        rng = random.Random(i)
        address = f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
        if Resident(tally, address).journey(rng):
            with tally.lock:
                tally.completed += 1

    return run_threads(list(range(first, first + count)), one)


def stored_responses() -> int:
    with sqlite3.connect(DB) as connection:
        (count,) = connection.execute(
            "SELECT COUNT(*) FROM surveys_response r JOIN surveys_survey s ON s.id = r.survey_id "
            "WHERE s.slug = ?",
            (SLUG,),
        ).fetchone()
    return int(count)


def main() -> int:
    prepare()
    server = start_server()
    trivial, tally = Tally(), Tally()
    trivial_seconds = survey_seconds = 0.0
    try:
        baseline(Tally(), 300)  # warm every worker up
        cpu_before = time.process_time()
        # Alternate the two phases in rounds, so a change in the machine's load during the run
        # (it is shared) weighs on both sides of the ratio alike.
        for chunk in range(ROUNDS):
            trivial_seconds += baseline(trivial, BASELINE_REQUESTS // ROUNDS)
            size = SUBMISSIONS // ROUNDS
            survey_seconds += submissions(tally, chunk * size, size)
        client_cpu = time.process_time() - cpu_before
        stored = stored_responses()
    finally:
        server.terminate()
        server.wait(timeout=30)
    trivial_rate = trivial.requests / trivial_seconds
    per_second = tally.completed / survey_seconds
    request_rate = tally.requests / survey_seconds
    errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    errors += sum(n for status, n in trivial.statuses.items() if status >= 500)
    ratio = request_rate / trivial_rate
    print(f"gunicorn workers: {WORKERS}, client threads: {THREADS}, cores: {os.cpu_count()}")
    print(f"trivial view (/healthz): {trivial_rate:.0f} requests/s")
    print(
        f"submissions: {tally.completed}/{SUBMISSIONS} completed, {per_second:.1f} per second, "
        f"{tally.requests} requests at {request_rate:.0f} requests/s"
    )
    print(f"status codes: {dict(sorted(tally.statuses.items()))}; server errors: {errors}")
    print(f"responses stored in the database: {stored}")
    print(
        f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}; client CPU: {client_cpu:.0f} s"
    )
    print(f"ratio, submission requests/s to trivial requests/s: {ratio:.2f} (needs >= 0.30)")
    failures = []
    if stored != SUBMISSIONS or tally.completed != SUBMISSIONS:
        failures.append(f"lost submissions: stored {stored}, completed {tally.completed}")
    if errors:
        failures.append(f"{errors} server errors")
    if per_second < 50:
        failures.append(f"{per_second:.1f} submissions/s is below 50")
    if ratio < 0.30:
        failures.append(f"ratio {ratio:.2f} is below 0.30")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
