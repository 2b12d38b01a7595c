"""Load benchmark: 1,000 complete, anonymous survey submissions against gunicorn on loopback.

Run: `.venv/bin/python bench/bench_surveys.py` (or `make bench`). It builds a throw-away database
(SQLite under var/bench-surveys/ with the database cache by default; PostgreSQL and Redis with
BENCH_SURVEYS_DATABASE=postgres), starts gunicorn in production mode on 127.0.0.1:8020, then:

1. Baseline: a trivial view (/healthz: one `SELECT 1`) hammered by the same client.
2. Submissions: many simulated residents (each its own cookie jar and X-Forwarded-For address,
   so the per-address rate limit is exercised for real) each make one complete journey:
   GET the first page, POST three pages of answers, GET "check your answers", POST it, with the
   CSRF token and the honeypot field as a browser sends them. Every resident takes at least
   SURVEY_MIN_COMPLETION_SECONDS (1 s here), as the server demands.

The client is one asyncio process (uvloop when installed) speaking plain HTTP/1.1, a new
connection per request as gunicorn's sync workers close them: it shares the machine's cores
with the server, so it has to be cheap (about 0.2 ms of CPU per request; the thread-per-resident
http.client client it replaced cost several times that).

The two phases alternate in rounds (750 trivial requests, 250 journeys, …) so that a change
in the shared machine's load weighs on both sides of the ratio alike. It prints and checks:
submissions per second (>= 50), the request rate of the submission phase relative to the trivial
view's (>= 0.30), server errors (0) and the number of responses stored (exactly 1,000, read
straight from the database); and, to explain them, the CPU time per request of the server
(gunicorn workers, plus PostgreSQL's backends when used) and of the client.
"""

from __future__ import annotations

import asyncio
import http.client
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench-surveys"
DB = WORK / "bench.sqlite3"
HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_SURVEYS_PORT", "8020"))
SUBMISSIONS = int(os.environ.get("BENCH_SURVEYS_SUBMISSIONS", "1000"))
# Residents in flight at once: each takes at least a second (the minimum completion time), so a
# few hundred are needed to keep the server busy.
CONCURRENCY = int(os.environ.get("BENCH_SURVEYS_CONCURRENCY", "250"))
# 4 x cores + 1 sync workers rather than gunicorn's usual 2 x cores + 1: with SQLite every request
# writes its session under the one database write lock, and a worker that finds the lock taken
# sleeps at least a millisecond (SQLite's busy handler) with its core idle; with five workers
# the survey phase used ~1.3 of the 2 cores, with nine ~1.7.
WORKERS = int(os.environ.get("BENCH_SURVEYS_WORKERS", str(4 * (os.cpu_count() or 1) + 1)))
WORKER_CLASS = os.environ.get("BENCH_SURVEYS_WORKER_CLASS", "sync")
BASELINE_REQUESTS = int(os.environ.get("BENCH_SURVEYS_BASELINE", "3000"))
SLUG = "bench-survey"
HONEYPOT = "website"  # surveys.forms.HONEYPOT: hidden from people, only bots fill it
MIN_SECONDS = 1
ROUNDS = int(os.environ.get("BENCH_SURVEYS_ROUNDS", "4"))

# "sqlite" (default: SQLite in WAL mode and the database cache, no services needed) or
# "postgres" (as production: PostgreSQL and Redis on this machine, a database and a Redis
# database number of the benchmark's own).
DATABASE = os.environ.get("BENCH_SURVEYS_DATABASE", "sqlite")
PG_NAME = "nsvpp_bench_surveys"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
if DATABASE == "postgres":
    DATABASE_URL = f"{PG_SERVER}/{PG_NAME}"
    CACHE_URL = "rediscache://127.0.0.1:6379/9"
elif DATABASE == "sqlite":
    # Persistent connections, as production has (DATABASE_CONN_MAX_AGE, 60 s by default, for
    # PostgreSQL): without them every request opens SQLite afresh and reads its schema, which
    # cost about 2 ms of CPU per request, more than the whole trivial view.
    DATABASE_URL = f"sqlite:///{DB}?conn_max_age=60"
    CACHE_URL = "dbcache://nsvpp_cache"
else:
    raise SystemExit("BENCH_SURVEYS_DATABASE is sqlite or postgres")

ENV = {
    **os.environ,
    "DJANGO_DEBUG": "false",
    "SECRET_KEY": "bench-only-" + "x" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "DATABASE_URL": DATABASE_URL,
    "CACHE_URL": CACHE_URL,
    "STATIC_ROOT": str(WORK / "static"),
    "SURVEY_RATE_LIMIT": "5",
    "TRUSTED_PROXY_COUNT": "1",
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
    """A fresh database (migrations change under a shared checkout), survey and cache."""
    WORK.mkdir(parents=True, exist_ok=True)
    if DATABASE == "postgres":
        import psycopg2

        server = psycopg2.connect(f"{PG_SERVER}/postgres")
        server.autocommit = True
        with server.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE {PG_NAME}")
        server.close()
    else:
        for path in (DB, DB.with_name(DB.name + "-wal"), DB.with_name(DB.name + "-shm")):
            path.unlink(missing_ok=True)
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
            "-k",
            WORKER_CLASS,
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

    def add(self, status: int) -> None:
        self.statuses[status] += 1
        self.requests += 1


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k == name), "")


class _Exchange(asyncio.Protocol):
    """One HTTP/1.1 request and its response on a fresh connection.

    A minimal client on purpose: it runs on the same two cores as the server, so every
    microsecond it spends is taken from gunicorn (http.client in threads cost about as much CPU
    per request as the trivial view itself).
    """

    def __init__(self, request: bytes, done: asyncio.Future[Reply]) -> None:
        self.request = request
        self.done = done
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        reply = _parse(self.buffer)
        if reply is not None and not self.done.done():
            self.done.set_result(reply)
            assert self.transport is not None
            self.transport.close()

    def eof_received(self) -> bool:
        if not self.done.done():
            self.done.set_exception(ConnectionError("connection closed before a full response"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(exc or ConnectionError("connection lost"))


def _parse(buffer: bytearray) -> Reply | None:
    """The response once all of it has arrived (by Content-Length), else None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
    headers = []
    length = 0
    for line in lines[1:]:
        name, _sep, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        headers.append((name, value))
        if name == "content-length":
            length = int(value)
    if len(buffer) < end + 4 + length:
        return None
    return Reply(int(lines[0].split(" ", 2)[1]), headers, bytes(buffer[end + 4 : end + 4 + length]))


async def fetch(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Reply:
    loop = asyncio.get_running_loop()
    head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{PORT}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    if body or method == "POST":
        head.append(f"Content-Length: {len(body)}")
    done: asyncio.Future[Reply] = loop.create_future()
    request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
    transport, _protocol = await loop.create_connection(
        lambda: _Exchange(request, done), HOST, PORT
    )
    timeout = loop.call_later(60, transport.abort)
    try:
        return await done
    finally:
        timeout.cancel()


class Resident:
    """One simulated resident: their own cookies and their own address."""

    def __init__(self, tally: Tally, address: str) -> None:
        self.tally = tally
        self.cookies: dict[str, str] = {}
        self.address = address

    async def request(
        self, method: str, path: str, form: dict[str, object] | None = None
    ) -> tuple[int, str, str]:
        headers = {"X-Forwarded-For": self.address, "User-Agent": "bench_surveys"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = b""
        if form is not None:
            # As a browser sends the form: the CSRF token, and the honeypot field left empty.
            token = self.cookies.get("csrftoken", "")
            fields = {**form, HONEYPOT: "", "csrfmiddlewaretoken": token}
            body = urlencode(fields, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        reply = await fetch(method, path, headers, body)
        for name, value in reply.headers:
            if name == "set-cookie":
                cookie, _sep, _attributes = value.partition(";")
                key, _sep, content = cookie.partition("=")
                self.cookies[key.strip()] = content
        self.tally.add(reply.status)
        return reply.status, reply.header("location"), reply.body.decode("utf-8", "replace")

    async def journey(self, rng: random.Random) -> bool:
        base = f"/surveys/{SLUG}"
        status, _loc, _text = await self.request("GET", f"{base}/page/1/")
        if status != 200:
            return False
        # The server started the clock while serving that page, before this reply arrived.
        started = time.monotonic()
        answers = [
            {
                "affected": rng.choice(["yes", "no"]),
                "safety": rng.choice(["agree", "disagree", "neither"]),
            },
            {"types": rng.sample(["robbery", "weapon", "da"], 2), "word": "lighting"},
            {"story": "More youth clubs please. " * rng.randint(1, 20), "district": "NN1"},
        ]
        for position, form in enumerate(answers, start=1):
            status, _loc, _text = await self.request("POST", f"{base}/page/{position}/", form)
            if status != 302:
                return False
        status, _loc, text = await self.request("GET", f"{base}/check-your-answers/")
        match = re.search(r'name="digest" value="([0-9a-f]+)"', text)
        if status != 200 or match is None:
            return False
        # A person takes at least the minimum time; the server refuses anything quicker.
        await asyncio.sleep(max(0.0, MIN_SECONDS + 0.05 - (time.monotonic() - started)))
        status, location, _text = await self.request(
            "POST", f"{base}/check-your-answers/", {"digest": match.group(1)}
        )
        return status == 302 and location.endswith("/confirmation/")


async def run_concurrently(items: list[int], target: Callable[[int], Awaitable[None]]) -> float:
    """Seconds for CONCURRENCY tasks to work through `items`."""
    pending = iter(items)

    async def worker() -> None:
        for item in pending:
            await target(item)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - began


async def baseline(tally: Tally, count: int) -> float:
    """Seconds to serve `count` requests of the trivial view."""

    async def hit(_i: int) -> None:
        reply = await fetch("GET", "/healthz", {"User-Agent": "bench_surveys"})
        tally.add(reply.status)

    return await run_concurrently(list(range(count)), hit)


async def submissions(tally: Tally, first: int, count: int) -> float:
    """Seconds for `count` residents (numbered from `first`) to complete a journey each."""

    async def one(i: int) -> None:
        rng = random.Random(i)
        address = f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
        if await Resident(tally, address).journey(rng):
            tally.completed += 1

    return await run_concurrently(list(range(first, first + count)), one)


def server_cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """CPU time (user + system) used so far by gunicorn's workers, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    total = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


STORED_SQL = (
    "SELECT COUNT(*) FROM surveys_response r JOIN surveys_survey s ON s.id = r.survey_id "
    "WHERE s.slug = {}"
)


def stored_responses() -> int:
    """Responses in the database, counted with the database's own client."""
    if DATABASE == "postgres":
        import psycopg2

        with psycopg2.connect(DATABASE_URL) as connection, connection.cursor() as cursor:
            cursor.execute(STORED_SQL.format("%s"), [SLUG])
            (count,) = cursor.fetchone()
        return int(count)
    with sqlite3.connect(DB) as connection:
        (count,) = connection.execute(STORED_SQL.format("?"), (SLUG,)).fetchone()
    return int(count)


def database_cpu_seconds() -> float:
    """CPU time used so far by the PostgreSQL backends serving the benchmark database."""
    if DATABASE != "postgres":
        return 0.0  # SQLite runs inside the gunicorn workers, already counted
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if f" {PG_NAME} ".encode() not in (proc / "cmdline").read_bytes().replace(b"\0", b" "):
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class Measured:
    trivial: Tally
    tally: Tally
    trivial_seconds: float = 0.0
    survey_seconds: float = 0.0
    trivial_cpu: float = 0.0
    survey_cpu: float = 0.0
    client_cpu: float = 0.0
    trivial_busy: float = 0.0
    survey_busy: float = 0.0
    event_loop: str = ""


async def measure(server: subprocess.Popen[bytes]) -> Measured:
    result = Measured(trivial=Tally(), tally=Tally())
    result.event_loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
    await baseline(Tally(), 300)  # warm every worker up
    client_before = time.process_time()

    # Alternate the two phases in rounds, so a change in the machine's load during the run
    # (it is shared) weighs on both sides of the ratio alike.
    def cpu() -> float:
        return server_cpu_seconds(server) + database_cpu_seconds()

    trivial_client = survey_client = 0.0
    for chunk in range(ROUNDS):
        before, client_start = cpu(), time.process_time()
        result.trivial_seconds += await baseline(result.trivial, BASELINE_REQUESTS // ROUNDS)
        middle, client_middle = cpu(), time.process_time()
        size = SUBMISSIONS // ROUNDS
        result.survey_seconds += await submissions(result.tally, chunk * size, size)
        result.trivial_cpu += middle - before
        result.survey_cpu += cpu() - middle
        trivial_client += client_middle - client_start
        survey_client += time.process_time() - client_middle
    result.trivial_busy = (result.trivial_cpu + trivial_client) / result.trivial_seconds
    result.survey_busy = (result.survey_cpu + survey_client) / result.survey_seconds
    result.client_cpu = time.process_time() - client_before
    return result


def run(coroutine: Coroutine[Any, Any, Measured]) -> Measured:
    """Run on uvloop (a dev dependency): its event loop costs the client a third of the CPU."""
    try:
        import uvloop
    except ImportError:
        print("uvloop is not installed (pip install -e '.[dev]'): the client costs more CPU")
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def main() -> int:
    prepare()
    load_before = os.getloadavg()[0]
    server = start_server()
    try:
        result = run(measure(server))
        stored = stored_responses()
    finally:
        server.terminate()
        server.wait(timeout=30)
    trivial, tally = result.trivial, result.tally
    trivial_rate = trivial.requests / result.trivial_seconds
    per_second = tally.completed / result.survey_seconds
    request_rate = tally.requests / result.survey_seconds
    errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    errors += sum(n for status, n in trivial.statuses.items() if status >= 500)
    ratio = request_rate / trivial_rate
    all_requests = trivial.requests + tally.requests
    print(
        f"gunicorn: {WORKERS} {WORKER_CLASS} workers; database: {DATABASE}; "
        f"client: one {result.event_loop} process, "
        f"{CONCURRENCY} residents at a time; cores: {os.cpu_count()}"
    )
    print(f"trivial view (/healthz): {trivial_rate:.0f} requests/s")
    print(
        f"submissions: {tally.completed}/{SUBMISSIONS} completed, {per_second:.1f} per second, "
        f"{tally.requests} requests at {request_rate:.0f} requests/s"
    )
    print(f"status codes: {dict(sorted(tally.statuses.items()))}; server errors: {errors}")
    print(f"responses stored in the database: {stored}")
    print(
        "server CPU per request (gunicorn workers"
        f"{' and PostgreSQL backends' if DATABASE == 'postgres' else ''}): "
        f"trivial {1000 * result.trivial_cpu / max(1, trivial.requests):.2f} ms, "
        f"survey {1000 * result.survey_cpu / max(1, tally.requests):.2f} ms; "
        f"client CPU per request: {1000 * result.client_cpu / max(1, all_requests):.2f} ms"
    )
    print(
        "cores busy (server and client, of "
        f"{os.cpu_count()}): trivial phase {result.trivial_busy:.2f}, "
        f"survey phase {result.survey_busy:.2f}"
    )
    print(
        f"load average (1 min): {load_before:.2f} before the server started, "
        f"{os.getloadavg()[0]:.2f} at the end"
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
