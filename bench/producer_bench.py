"""The producer API on a large table: batch inserts, list pages, search and stats.

    .venv/bin/python -m bench.producer_bench [--jobs 1000000] [--keep]

One command, bounded in time, loopback only:

1. creates a fresh database `jobdeck_bench_<random>` on DATABASE_URL's server (else the local
   PostgreSQL at 127.0.0.1:5432) and migrates it with Alembic;
2. loads N jobs with a realistic mix of types, statuses, priorities, payloads and ages straight
   in SQL (generate_series), with their `created`/`completed` events, then VACUUM ANALYZE;
3. starts the producer API with uvicorn on a free port against that database, and makes a
   producer token there for itself;
4. measures it over HTTP: POST /jobs/batch throughput, GET /jobs in the shapes the dashboard
   uses, GET /stats and GET /analytics, and prints p50/p95 beside the targets; the figures
   also go to bench/results/producer-<timestamp>.json;
5. the cleanup phase (bench/cleanup_phase.py): `jobdeck cleanup` deleting about half of the
   table while lists are served and runner loops claim and complete jobs, against a window
   without it (skipped with --cleanup-pending 0);
6. stops the API and drops the database (kept with --keep, to EXPLAIN by hand).
"""

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from alembic import command
from bench.cleanup_phase import measure_cleanup, print_cleanup
from jobdeck_access.roles import Role
from jobdeck_access.store import TokenStore
from jobdeck_db import urls
from jobdeck_db.migrations import alembic_config
from producer_api.analytics_compactor import histogram_grains

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "bench" / "results"
DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

# Targets (README "Targets"): batch throughput, and p95 latency per kind of read.
BATCH_TARGET_JOBS_PER_S = 50_000
LIST_TARGET_MS = 50
SEARCH_TARGET_MS = 250
STATS_TARGET_MS = 100
ANALYTICS_TARGET_MS = 150

LOAD_CHUNKS = 10
WARMUP_REQUESTS = 10
# Every HTTP scenario stops after this long even if it has not sent all its requests, so a
# pathological query cannot make the run unbounded.
SCENARIO_TIME_CAP_S = 45.0

# --- the data ----------------------------------------------------------------------------
# One vocabulary for both the SQL loader and the batches sent over HTTP, so search sees the
# same words in old and new rows. `{user}` and `{n}` are filled in per job.

COMMON_WORD = "invoice"  # in one subject template in twelve: ~4% of all jobs
RARE_WORD = "chargeback"  # in 0.2% of e-mail bodies: ~0.1% of all jobs

SUBJECTS = [
    "Welcome to Jobdeck, {user}",
    "Your invoice #{n} is ready",
    "Password reset requested",
    "Order {n} has shipped",
    "Action required: confirm your e-mail address",
    "Your subscription renews soon",
    "New sign-in to your account",
    "Weekly digest: what happened on your projects",
    "Reminder: your trial ends in 3 days",
    "Receipt for payment {n}",
    "Your export #{n} is ready to download",
    "We have updated our terms of service",
]
SENTENCES = [
    "Thanks for signing up, we are glad to have you on board.",
    "Your order was packed this morning and is on its way.",
    "Click the link below to choose a new password; it expires in one hour.",
    "Here is a summary of the activity on your projects this week.",
    "Your payment went through and a receipt is attached.",
    "If this was not you, please secure your account right away.",
    "The files you asked for are attached to this message.",
    "Your plan renews automatically at the end of the month.",
    "Three tasks assigned to you are due tomorrow.",
    "A teammate mentioned you in a comment on the release checklist.",
    "We could not reach your webhook endpoint during the last delivery.",
    "Reply to this message if you have any questions.",
]
RARE_SENTENCE = f"We noticed a {RARE_WORD} on your last payment and paused the account."
MESSAGES = [
    "Your export is ready",
    "Build #{n} finished successfully",
    "Build #{n} failed on main",
    "{user} commented on your task",
    "Payment of {n} cents received",
    "Your password was changed",
    "Disk usage is above 90% on volume {n}",
    "New follower: {user}",
    "Your weekly report is ready",
    "Scheduled maintenance tonight at 02:00 UTC",
]
ERRORS = [
    "SMTP 550: mailbox unavailable",
    "SMTP 421: service not available, closing transmission channel",
    "webhook answered 503 Service Unavailable",
    "timed out after 30 s",
    "canceling statement due to statement timeout",
    "recipient address rejected: user unknown",
]
REPORT_TYPES = ["jobs_summary", "failures", "throughput"]
USERS = 50_000  # distinct recipients, so addresses repeat as they would

# One statement per chunk: draw the random numbers once per job (a MATERIALIZED CTE, so each
# column is one draw however often it is used), shape a consistent job from them, insert it,
# and insert its events from RETURNING. $1..$2 is the chunk's range, $3..$7 the vocabulary.
LOAD_CHUNK = """
WITH draws AS MATERIALIZED (
    SELECT n, random() AS r_type, random() AS r_status, random() AS r_age, random() AS r_dur,
           random() AS r_user, random() AS r_num, random() AS r_pick, random() AS r_pick2,
           random() AS r_pick3, random() AS r_prio, random() AS r_att, random() AS r_misc
    FROM generate_series($1::bigint, $2::bigint) AS n
), kinds AS (
    SELECT *,
        CASE WHEN r_type < 0.5 THEN 'email' WHEN r_type < 0.7 THEN 'report'
             ELSE 'notification' END AS type,
        CASE WHEN r_status < 0.85 THEN 'completed' WHEN r_status < 0.90 THEN 'failed'
             WHEN r_status < 0.93 THEN 'cancelled' WHEN r_status < 0.98 THEN 'pending'
             ELSE 'processing' END AS status,
        'user' || (1 + floor(r_user * $8::int))::int AS username,
        (10000 + floor(r_num * 90000))::int AS num,
        CASE WHEN r_misc < 0.8 THEN 3 WHEN r_misc < 0.95 THEN 5 ELSE 1 END AS max_attempts
    FROM draws
), timed AS (
    SELECT *,
        -- Jobs still waiting or running are recent; finished ones spread over 30 days.
        now() - CASE WHEN status IN ('pending', 'processing') THEN r_age * interval '6 hours'
                     ELSE r_age * interval '30 days' END AS created_at
    FROM kinds
), shaped AS (
    SELECT *,
        -- Most jobs take well under a second, a few take minutes.
        least(now(), created_at + make_interval(secs => 0.05 + r_dur ^ 3 * 900)) AS finished_at,
        CASE type
            WHEN 'email' THEN jsonb_build_object(
                'to', username || '@example.com',
                'subject', replace(replace(
                    ($3::text[])[1 + floor(r_pick * cardinality($3::text[]))::int],
                    '{user}', username), '{n}', num::text),
                'body', 'Hi ' || username || E',\n\n'
                    || ($4::text[])[1 + floor(r_pick2 * cardinality($4::text[]))::int] || ' '
                    || CASE WHEN r_pick3 < 0.002 THEN $5
                            ELSE ($4::text[])[1 + floor(r_pick3 * cardinality($4::text[]))::int]
                       END
                    || E'\n\nThanks,\nThe Jobdeck team')
            WHEN 'report' THEN jsonb_build_object(
                'report_type', ($7::text[])[1 + floor(r_pick * 3)::int],
                'format', CASE WHEN r_pick2 < 0.7 THEN 'csv' ELSE 'pdf' END,
                'date_range', jsonb_build_object(
                    'start', (created_at::date - (1 + floor(r_pick3 * 30))::int)::text,
                    'end', (created_at::date - 1)::text))
            ELSE jsonb_build_object(
                'user_id', replace(username, 'user', 'user-'),
                'channel', CASE WHEN r_pick2 < 0.5 THEN 'push' WHEN r_pick2 < 0.7 THEN 'sms'
                                ELSE 'email' END,
                'message', replace(replace(
                    ($6::text[])[1 + floor(r_pick * cardinality($6::text[]))::int],
                    '{user}', username), '{n}', num::text))
        END AS payload
    FROM timed
), inserted AS (
    INSERT INTO jobs (type, status, priority, payload, result, error, attempts, max_attempts,
                      scheduled_for, created_at, updated_at, completed_at, claimed_at,
                      locked_by, locked_until)
    SELECT type, status,
        CASE WHEN r_prio < 0.1 THEN 1 WHEN r_prio < 0.3 THEN 2 WHEN r_prio < 0.75 THEN 3
             WHEN r_prio < 0.9 THEN 4 ELSE 5 END,
        payload,
        CASE WHEN status <> 'completed' THEN NULL
             WHEN type = 'email' THEN jsonb_build_object(
                 'message_id', '<' || n || '.' || num || '@jobdeck.local>')
             WHEN type = 'report' THEN jsonb_build_object(
                 'artifact', 'report-' || n || '.' || (payload ->> 'format'),
                 'rows', (r_num * 5000)::int)
             ELSE jsonb_build_object('delivered', true, 'channel', payload ->> 'channel') END,
        CASE WHEN status = 'failed'
             THEN ($9::text[])[1 + floor(r_pick3 * cardinality($9::text[]))::int] END,
        -- Claiming increments attempts: finished jobs took 1..max, waiting ones none yet.
        CASE status
            WHEN 'completed' THEN least(max_attempts, 1 + floor(r_att ^ 6 * max_attempts)::int)
            WHEN 'failed' THEN CASE WHEN r_att < 0.8 THEN max_attempts ELSE 1 END
            WHEN 'processing' THEN least(max_attempts, 1 + floor(r_att ^ 3 * max_attempts)::int)
            ELSE 0 END,
        max_attempts,
        CASE WHEN status = 'pending' AND r_misc < 0.1
             THEN now() + r_dur * interval '2 hours' END,
        created_at,
        CASE status
            WHEN 'pending' THEN created_at
            WHEN 'cancelled' THEN least(now(), created_at + r_dur * interval '1 hour')
            WHEN 'processing' THEN least(now(), created_at + r_dur * interval '10 seconds')
            ELSE finished_at END,
        CASE WHEN status = 'completed' THEN finished_at END,
        -- Claimed after a wait, so /analytics has run and wait times to read.
        CASE WHEN status = 'processing'
             THEN least(now(), created_at + r_dur * interval '10 seconds')
             WHEN status IN ('completed', 'failed')
             THEN created_at + (finished_at - created_at) * r_pick2 * 0.5 END,
        CASE WHEN status = 'processing' THEN 'runner-' || (1 + n % 8) END,
        CASE WHEN status = 'processing' THEN now() + interval '60 seconds' END
    FROM shaped
    RETURNING id, status, attempts, created_at, completed_at
)
INSERT INTO job_events (job_id, kind, at, attempt, worker_id)
SELECT inserted.id, event.kind, event.at, event.attempt, event.worker_id
FROM inserted
CROSS JOIN LATERAL (VALUES
    ('created', inserted.created_at, 0, NULL),
    ('completed', inserted.completed_at, inserted.attempts,
     'runner-' || (1 + abs(hashtext(inserted.id::text)) % 8))
) AS event (kind, at, attempt, worker_id)
WHERE event.kind = 'created' OR inserted.status = 'completed'
"""


def fill(template: str, rng: random.Random, user: str) -> str:
    return template.replace("{user}", user).replace("{n}", str(rng.randint(10_000, 99_999)))


def email_payload(rng: random.Random) -> dict[str, Any]:
    user = f"user{rng.randint(1, USERS)}"
    second = RARE_SENTENCE if rng.random() < 0.002 else rng.choice(SENTENCES)
    return {
        "to": f"{user}@example.com",
        "subject": fill(rng.choice(SUBJECTS), rng, user),
        "body": f"Hi {user},\n\n{rng.choice(SENTENCES)} {second}\n\nThanks,\nThe Jobdeck team",
    }


def report_payload(rng: random.Random) -> dict[str, Any]:
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=rng.randint(0, 29))
    return {
        "report_type": rng.choice(REPORT_TYPES),
        "format": "csv" if rng.random() < 0.7 else "pdf",
        "date_range": {"start": start.isoformat(), "end": end.isoformat()},
    }


def notification_payload(rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    return {
        "user_id": f"user-{rng.randint(1, USERS)}",
        "channel": "push" if roll < 0.5 else "sms" if roll < 0.7 else "email",
        "message": fill(rng.choice(MESSAGES), rng, f"user{rng.randint(1, USERS)}"),
    }


def job_request(rng: random.Random) -> dict[str, Any]:
    """One valid POST /jobs body, drawn from the same mix as the loaded rows."""
    job_type = rng.choices(["email", "report", "notification"], weights=[50, 20, 30])[0]
    payload = {"email": email_payload, "report": report_payload}.get(
        job_type, notification_payload
    )(rng)
    return {
        "type": job_type,
        "priority": rng.choices([1, 2, 3, 4, 5], weights=[10, 20, 45, 15, 10])[0],
        "max_attempts": rng.choices([3, 5, 1], weights=[80, 15, 5])[0],
        "payload": payload,
    }


# --- the database ------------------------------------------------------------------------


async def admin(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def bench_database(server_url: str, keep: bool) -> Iterator[str]:
    """A new migrated database on the server; dropped afterwards unless kept."""
    name = f"jobdeck_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(admin(server_url, f'CREATE DATABASE "{name}"'))
    url = urls.with_database(server_url, name)
    print(f"database {name} created")
    try:
        # Sync call on purpose: alembic's env.py runs its own asyncio.run.
        command.upgrade(alembic_config(url), "head")
        yield url
    finally:
        if keep:
            print(f"kept database: {url}")
        else:
            asyncio.run(admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            print(f"database {name} dropped")


# Secondary indexes of the loaded tables (not those behind a constraint: the primary keys, the
# idempotency key). Maintaining them row by row, the trigram index above all, makes loading
# 1M jobs two to three times slower than building them once afterwards. job_search is among
# the loaded tables: its trigger on jobs stays on, so every loaded job gets its search row
# exactly as the API's inserts do, and only its trigram index waits for the end of the load.
SECONDARY_INDEXES = """
    SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS definition
    FROM pg_index
    WHERE indrelid IN ('jobs'::regclass, 'job_events'::regclass, 'job_search'::regclass)
      AND indexrelid NOT IN (SELECT conindid FROM pg_constraint)
"""


async def load_jobs(url: str, total: int) -> dict[str, Any]:
    """Insert `total` jobs and their events in a few chunks, then index, compact, analyze."""
    connection = await asyncpg.connect(url)
    started = time.perf_counter()
    try:
        await connection.execute("SELECT setseed(0.42)")  # the same mix every run
        indexes = await connection.fetch(SECONDARY_INDEXES)
        for index in indexes:
            await connection.execute(f"DROP INDEX {index['name']}")
        chunk = max(1, -(-total // LOAD_CHUNKS))
        for low in range(1, total + 1, chunk):
            high = min(total, low + chunk - 1)
            await connection.execute(
                LOAD_CHUNK,
                low,
                high,
                SUBJECTS,
                SENTENCES,
                RARE_SENTENCE,
                MESSAGES,
                REPORT_TYPES,
                USERS,
                ERRORS,
            )
            elapsed = time.perf_counter() - started
            print(f"  loaded {high:>9,} jobs  {elapsed:6.1f} s  ({high / elapsed:,.0f} jobs/s)")
        inserted_s = time.perf_counter() - started
        await connection.execute("SET maintenance_work_mem = '256MB'")
        for index in indexes:
            await connection.execute(index["definition"])
        indexed_s = time.perf_counter() - started
        print(f"  rebuilt {len(indexes)} indexes  {indexed_s:6.1f} s")
        # The triggers wrote one delta row per chunk and minute; fold them like the API does.
        await connection.execute("SELECT job_stats_compact()")
        grains = histogram_grains()
        await connection.execute(
            "SELECT job_analytics_compact($1, $2)", grains["grains"], grains["spans"]
        )
        await connection.execute("VACUUM ANALYZE")
        return {
            "jobs": total,
            "events": await connection.fetchval("SELECT count(*) FROM job_events"),
            "insert_seconds": round(inserted_s, 1),
            "index_seconds": round(indexed_s - inserted_s, 1),
            "total_seconds": round(time.perf_counter() - started, 1),
            "jobs_size": await connection.fetchval(
                "SELECT pg_size_pretty(pg_total_relation_size('jobs'))"
            ),
            "job_events_size": await connection.fetchval(
                "SELECT pg_size_pretty(pg_total_relation_size('job_events'))"
            ),
            "server_version": await connection.fetchval("SHOW server_version"),
            "shared_buffers": await connection.fetchval("SHOW shared_buffers"),
        }
    finally:
        await connection.close()


async def id_prefixes(url: str, count: int) -> list[str]:
    """Six-hex-digit prefixes of real ids, for the id search."""
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT left(id::text, 6) AS prefix FROM jobs TABLESAMPLE SYSTEM (1)"
            " ORDER BY random() LIMIT $1",
            count,
        )
        return [row["prefix"] for row in rows]
    finally:
        await connection.close()


# --- the API under test ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def producer_api(database_url: str, log_path: Path) -> Iterator[tuple[str, int]]:
    """uvicorn producer_api.main:app on a free loopback port; stopped by its PID on exit."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        command_line = [sys.executable, "-m", "uvicorn", "producer_api.main:app"]
        process = subprocess.Popen(
            [*command_line, "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env={**os.environ, "DATABASE_URL": database_url},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(base_url, process, log_path)
            print(f"producer API pid {process.pid} at {base_url}")
            yield base_url, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the producer API exited at startup:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the producer API was not healthy within 60 s:\n{log.read_text()}")


def background_cpu_busy(seconds: float = 3.0) -> float | None:
    """Share of all CPUs busy over a few seconds while this bench is idle (Linux only).

    The figures assume the machine is otherwise quiet; other work on it (a test run, another
    database) slows every request, so the report says how busy it was before measuring.
    """

    def sample() -> tuple[int, int]:
        fields = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields)

    try:
        busy_before, total_before = sample()
        time.sleep(seconds)
        busy_after, total_after = sample()
    except (OSError, ValueError):
        return None
    return round((busy_after - busy_before) / max(1, total_after - total_before), 2)


def process_cpu_seconds(pid: int, command_name: str | None = None) -> float | None:
    """User + system CPU a local process has used (Linux /proc); None when unknown."""
    try:
        proc = Path(f"/proc/{pid}")
        if command_name and proc.joinpath("comm").read_text().strip() != command_name:
            return None  # not ours to count (the database server may be on another host)
        fields = proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU spent by this client, the API process and the bench database's backends.

    Wall-clock latency on a small shared machine mixes all three; their CPU time per request
    says which one to make cheaper.
    """

    def __init__(self, connection: asyncpg.Connection, api_pid: int) -> None:
        self._connection = connection
        self._api_pid = api_pid

    async def sample(self) -> dict[str, Any]:
        rows = await self._connection.fetch(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        backends = {row["pid"]: process_cpu_seconds(row["pid"], "postgres") for row in rows}
        return {
            "client": time.process_time(),
            "api": process_cpu_seconds(self._api_pid),
            "db": {pid: cpu for pid, cpu in backends.items() if cpu is not None},
        }

    @staticmethod
    def per_request(
        before: dict[str, Any], after: dict[str, Any], requests: int
    ) -> dict[str, float | None]:
        """Milliseconds per request; a backend that appeared in between counts from zero."""
        db = sum(cpu - before["db"].get(pid, 0.0) for pid, cpu in after["db"].items())
        api = None if after["api"] is None else after["api"] - before["api"]
        spent = {
            "client": after["client"] - before["client"],
            "api": api,
            "db": db if after["db"] else None,
        }
        return {
            name: None if value is None else round(value * 1000 / max(1, requests), 2)
            for name, value in spent.items()
        }


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    request: str
    concurrency: int
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    target: str
    met: bool
    jobs_per_s: float | None = None
    total_is_estimate: list[bool] = field(default_factory=list)
    total: int | None = None
    cpu_ms_per_request: dict[str, float | None] = field(default_factory=dict)


def percentile(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


async def hammer(
    count: int, concurrency: int, send: Callable[[int], Awaitable[httpx.Response]]
) -> tuple[list[float], float, list[httpx.Response]]:
    """Send `count` requests from `concurrency` tasks; latencies in ms, wall time, responses."""
    indexes = iter(range(count))
    latencies: list[float] = []
    responses: list[httpx.Response] = []
    deadline = time.monotonic() + SCENARIO_TIME_CAP_S

    async def worker() -> None:
        for index in indexes:  # one shared iterator: each index is taken once
            if time.monotonic() > deadline:
                return
            started = time.perf_counter()
            response = await send(index)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code not in (200, 201):
                raise RuntimeError(f"{response.request.url} answered {response.status_code}")
            responses.append(response)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, responses


async def measure_batches(
    client: httpx.AsyncClient, meter: CpuMeter, batches: int, concurrency: int
) -> Outcome:
    """POST /jobs/batch with 1,000 valid jobs each; bodies are encoded before the clock."""
    rng = random.Random(42)
    bodies = [
        json.dumps({"jobs": [job_request(rng) for _ in range(1000)]}).encode()
        for _ in range(batches + 2)
    ]
    headers = {"content-type": "application/json"}

    def send(index: int) -> Awaitable[httpx.Response]:
        return client.post("/jobs/batch", content=bodies[index], headers=headers)

    await hammer(2, 1, send)  # warm-up: the first batch pays for imports and plan caching
    before = await meter.sample()
    latencies, seconds, _ = await hammer(batches, concurrency, lambda i: send(i + 2))
    cpu = CpuMeter.per_request(before, await meter.sample(), len(latencies))
    rate = len(latencies) * 1000 / seconds
    return Outcome(
        name="POST /jobs/batch (1,000 jobs)",
        request="/jobs/batch",
        concurrency=concurrency,
        requests=len(latencies),
        seconds=round(seconds, 2),
        p50_ms=round(percentile(latencies, 50), 1),
        p95_ms=round(percentile(latencies, 95), 1),
        max_ms=round(max(latencies), 1),
        target=f">= {BATCH_TARGET_JOBS_PER_S:,} jobs/s",
        met=rate >= BATCH_TARGET_JOBS_PER_S,
        jobs_per_s=round(rate),
        cpu_ms_per_request=cpu,
    )


@dataclass(frozen=True)
class ReadScenario:
    name: str
    path: str
    # Query parameters for request i (so a scenario can rotate through several values).
    params: Callable[[int], dict[str, str]]
    target_ms: float


def read_scenarios(prefixes: list[str]) -> list[ReadScenario]:
    def fixed(**params: str) -> Callable[[int], dict[str, str]]:
        return lambda _: params

    return [
        ReadScenario("list: first page", "/jobs", fixed(), LIST_TARGET_MS),
        ReadScenario(
            "list: failed e-mails", "/jobs", fixed(status="failed", type="email"), LIST_TARGET_MS
        ),
        ReadScenario(
            "list: by priority desc",
            "/jobs",
            fixed(sort="priority", order="desc"),
            LIST_TARGET_MS,
        ),
        ReadScenario("list: offset 10,000", "/jobs", fixed(offset="10000"), LIST_TARGET_MS),
        ReadScenario(
            f"search: common word ({COMMON_WORD})", "/jobs", fixed(q=COMMON_WORD), SEARCH_TARGET_MS
        ),
        ReadScenario(
            f"search: rare word ({RARE_WORD})", "/jobs", fixed(q=RARE_WORD), SEARCH_TARGET_MS
        ),
        ReadScenario(
            "search: id prefix (6 hex)",
            "/jobs",
            lambda i: {"q": prefixes[i % len(prefixes)]},
            SEARCH_TARGET_MS,
        ),
        ReadScenario("stats: window 1h", "/stats", fixed(window="1h"), STATS_TARGET_MS),
        ReadScenario("stats: window 24h", "/stats", fixed(window="24h"), STATS_TARGET_MS),
        ReadScenario("stats: window 7d", "/stats", fixed(window="7d"), STATS_TARGET_MS),
        ReadScenario(
            "analytics: window 24h", "/analytics", fixed(window="24h"), ANALYTICS_TARGET_MS
        ),
        ReadScenario("analytics: window 7d", "/analytics", fixed(window="7d"), ANALYTICS_TARGET_MS),
    ]


async def measure_read(
    client: httpx.AsyncClient,
    meter: CpuMeter,
    scenario: ReadScenario,
    count: int,
    concurrency: int,
) -> Outcome:
    def send(index: int) -> Awaitable[httpx.Response]:
        return client.get(scenario.path, params=scenario.params(index))

    await hammer(WARMUP_REQUESTS, concurrency, send)
    before = await meter.sample()
    latencies, seconds, responses = await hammer(count, concurrency, send)
    cpu = CpuMeter.per_request(before, await meter.sample(), len(latencies))
    bodies = [response.json() for response in responses]
    estimates = sorted({body["total_is_estimate"] for body in bodies if "items" in body})
    p95 = percentile(latencies, 95)
    query = str(httpx.QueryParams(scenario.params(0)))
    return Outcome(
        name=scenario.name,
        request=scenario.path + (f"?{query}" if query else ""),
        concurrency=concurrency,
        requests=len(latencies),
        seconds=round(seconds, 2),
        p50_ms=round(percentile(latencies, 50), 1),
        p95_ms=round(p95, 1),
        max_ms=round(max(latencies), 1),
        target=f"p95 <= {scenario.target_ms:g} ms",
        met=p95 <= scenario.target_ms,
        total_is_estimate=estimates,
        total=bodies[-1].get("total"),
        cpu_ms_per_request=cpu,
    )


async def measure_api(
    base_url: str, api_pid: int, database_url: str, prefixes: list[str], args: argparse.Namespace
) -> list[Outcome]:
    limits = httpx.Limits(max_connections=max(args.batch_concurrency, args.read_concurrency))
    monitor = await asyncpg.connect(database_url)
    meter = CpuMeter(monitor, api_pid)
    # Creating jobs and reading them is a producer's work; the API checks the token as it
    # would for any client (a lookup every TOKEN_CACHE_SECONDS, not one per request).
    _info, token = await TokenStore(monitor).create(
        f"bench-producer-{uuid.uuid4().hex[:8]}", Role.PRODUCER, None
    )
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with httpx.AsyncClient(
            base_url=base_url, timeout=120, limits=limits, headers=headers
        ) as client:
            outcomes: list[Outcome] = []
            if args.only is None:
                batches = await measure_batches(client, meter, args.batches, args.batch_concurrency)
                outcomes.append(batches)
                print_outcome(batches)
            for scenario in read_scenarios(prefixes):
                if args.only is not None and not scenario.name.startswith(f"{args.only}:"):
                    continue
                outcomes.append(
                    await measure_read(
                        client, meter, scenario, args.requests, args.read_concurrency
                    )
                )
                print_outcome(outcomes[-1])
    finally:
        await monitor.close()
    return outcomes


# --- reporting ---------------------------------------------------------------------------

COLUMNS = "{:<34} {:>4} {:>5} {:>9} {:>9} {:>9}  {:<22} {:<4} {}"


def print_outcome(outcome: Outcome) -> None:
    print(f"  measured {outcome.name}: p95 {outcome.p95_ms} ms over {outcome.requests} requests")


def print_table(outcomes: list[Outcome]) -> None:
    header = ("scenario", "conc", "reqs", "p50 ms", "p95 ms", "figure", "target", "met")
    print()
    print(COLUMNS.format(*header, "total_is_estimate"))
    print("-" * 118)
    for outcome in outcomes:
        figure = (
            f"{outcome.jobs_per_s:,}/s" if outcome.jobs_per_s is not None else f"{outcome.p95_ms}"
        )
        estimate = ",".join(str(value).lower() for value in outcome.total_is_estimate) or "-"
        print(
            COLUMNS.format(
                outcome.name,
                outcome.concurrency,
                outcome.requests,
                outcome.p50_ms,
                outcome.p95_ms,
                figure,
                outcome.target,
                "yes" if outcome.met else "NO",
                estimate,
            )
        )
    print()
    print("CPU per request, ms (client = this process, api = uvicorn, db = its backends):")
    for outcome in outcomes:
        cpu = outcome.cpu_ms_per_request
        print(f"  {outcome.name:<34} " + "  ".join(f"{k} {v}" for k, v in cpu.items()))
    print()


def write_results(report: dict[str, Any], name: str) -> Path:
    """bench/results/NAME.json (git-ignored); both benchmarks write their reports here."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return path


# --- the run -----------------------------------------------------------------------------


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=positive, default=1_000_000, help="jobs to load (1M)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--batches", type=positive, default=50, help="POST /jobs/batch calls (50)")
    parser.add_argument("--batch-concurrency", type=positive, default=3, help="batch senders (3)")
    parser.add_argument("--requests", type=positive, default=150, help="requests per read (150)")
    parser.add_argument("--read-concurrency", type=positive, default=2, help="read clients (2)")
    parser.add_argument(
        "--cleanup-pending",
        type=int,
        default=None,
        help="pending jobs added before the cleanup phase (a quarter of --jobs); 0 skips it",
    )
    parser.add_argument(
        "--only",
        choices=sorted({scenario.name.split(":")[0] for scenario in read_scenarios([""])}),
        default=None,
        help="measure only these reads (no batches, no cleanup phase), e.g. analytics",
    )
    return parser.parse_args(argv)


def stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so the API is stopped and the database dropped."""

    def _exit(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    stop_on_sigterm()
    server_url = urls.validate(os.environ.get("DATABASE_URL") or DEFAULT_SERVER_URL)
    started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"producer bench: {args.jobs:,} jobs on {urls.with_database(server_url, '…')}")
    with bench_database(server_url, args.keep) as url:
        load = asyncio.run(load_jobs(url, args.jobs))
        print(f"loaded in {load['total_seconds']} s (incl. VACUUM ANALYZE): {load}")
        prefixes = asyncio.run(id_prefixes(url, 20))
        busy = background_cpu_busy()
        print(f"CPU busy before measuring (other processes): {busy}")
        if busy is not None and busy > 0.15:
            print("  warning: the machine is not idle; the figures below will be pessimistic")
        log_path = RESULTS_DIR / f"producer-api-{started_at.replace(':', '')}.log"
        pending = args.jobs // 4 if args.cleanup_pending is None else args.cleanup_pending
        if args.only is not None:
            pending = 0
        cleanup: dict[str, Any] | None = None
        with producer_api(url, log_path) as (base_url, api_pid):
            outcomes = asyncio.run(measure_api(base_url, api_pid, url, prefixes, args))
            if pending > 0:
                cleanup = asyncio.run(measure_cleanup(base_url, url, RESULTS_DIR, pending))
    print_table(outcomes)
    if cleanup is not None:
        print_cleanup(cleanup)
    report = {
        "started_at": started_at,
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpus": os.cpu_count(),
        "cpu_busy_before_measuring": busy,
        "load_average_at_end": os.getloadavg(),
        "arguments": vars(args),
        "load": load,
        "id_prefixes": prefixes,
        "results": [asdict(outcome) for outcome in outcomes],
        "cleanup": cleanup,
    }
    name = f"producer-{report['started_at'].replace(':', '')}"
    print(f"results written to {write_results(report, name).relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
