"""The worker service and its runners under load: jobs per second, and how fast a pickup is.

    .venv/bin/python -m bench.worker_bench [--jobs 20000] [--rounds 3] [--big-table 1000000]

One command, bounded in time, loopback only, on a fresh database (on DATABASE_URL's server,
else the local PostgreSQL at 127.0.0.1:5432), side by side:

(a) raw SQL: the worker service's own claim and complete statements (WorkerStore, its two
    asyncpg pools) called from this process: `single` (16 connections, one job per claim,
    then its complete) and `batch` (4 connections, 50 jobs per claim and per complete);
(b) full path: real runners (`python -m worker_service.runner --no-op`, or with `--runner
    node` the TypeScript runner with handlers that do nothing) through a real
    worker service (`uvicorn worker_service.main:app`): `single` (40 slots, one job per
    claim; its round trips, not its CPU, bound a runner with 16) and `batch` as in (a);
(c) pickup latency: one job inserted at a time beside an idle long-polling runner; the
    database's own clock says how long it took from the INSERT to the claim;
(d) (b) again with 1,000,000 completed jobs (and their events) in the table.

With --callbacks, (b) runs twice on one worker service: as usual, then with a callback_url on
every job to a receiver in this process, so the service also delivers each outcome (signed,
from the outbox); the report gives the second as a share of the first, and the delivery lag
(outcome to receiver, p50/p95). (c) and (d) then run with callbacks too.

Each throughput figure is the median of three rounds of 20,000 no-op jobs inserted in SQL
(with an ANALYZE in the same transaction, so plans do not depend on when statistics were last
taken), with the CPU each process spent per job, the plans the claim and complete got, and
how busy the machine was with other work. A round stops claiming after 20 s (its figure is
flagged "capped"), and past the time budget each phase keeps to one round.
Results: a table on stdout and bench/results/worker-<timestamp>.json (logs beside it).
The database is dropped and every process stopped by its PID afterwards, also on error,
Ctrl-C or SIGTERM.
"""

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import uvloop

from bench.callback_receiver import callback_receiver
from bench.producer_bench import (
    SECONDARY_INDEXES,
    background_cpu_busy,
    percentile,
    positive,
    process_cpu_seconds,
    stop_on_sigterm,
    write_results,
)
from devstack.databases import migrated_database
from devstack.processes import deliverer_process, start_runner, stop, uvicorn_server
from jobdeck_access.roles import Role
from jobdeck_access.store import TokenStore
from jobdeck_db import urls
from worker_service.records import Completion
from worker_service.store import QUERIES, WorkerStore, create_pool

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "bench" / "results"
DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

# Targets (bench/README.md, "Worker benchmark"). (a) has none: it is the ceiling (b) is held to.
FULL_SINGLE_TARGET = 3_000  # jobs/s
FULL_BATCH_TARGET = 40_000  # jobs/s
PICKUP_P50_TARGET_MS = 2.0
PICKUP_P95_TARGET_MS = 5.0
BIG_TABLE_TARGET_SHARE = 0.80  # (d) as a share of (b)
CALLBACK_LAG_P95_TARGET_MS = 1_000.0  # --callbacks: outcome to receiver (issue #14)
CALLBACK_SHARE_TARGET = 0.80  # --callbacks: (b) with callbacks as a share of without

# Bounds: a round stops claiming after this long (its figure is then flagged "capped"), and
# once the whole run has used its budget the remaining rounds of each phase are skipped.
ROUND_TIME_CAP_S = 20.0
DRAIN_TIME_CAP_S = 20.0
WARMUP_JOBS = 1_000
POLL_INTERVAL_S = 0.1
# --callbacks signs as a real deployment would (the cost is part of what is measured).
BENCH_WEBHOOK_SECRET = "whsec_" + "QmVuY2htYXJrIHNpZ25pbmcga2V5IG9mIDMyIGJ5dGVz"

# Other work on the machine makes every figure pessimistic: before each phase the bench
# samples it and, above this share of all CPUs, waits a little and samples again.
BUSY_LIMIT = 0.15
BUSY_RETRIES = 3
BUSY_RETRY_WAIT_S = 10.0

# --- the jobs ------------------------------------------------------------------------------

# A job's payload from its number `n` and `type`, valid for job_contract's schemas and shaped
# like real ones (the service decodes and re-encodes every claimed payload).
PAYLOAD_SQL = """
    CASE type
        WHEN 'email' THEN jsonb_build_object(
            'to', 'user' || n % 5000 || '@example.com',
            'subject', 'Your invoice #' || n || ' is ready',
            'body', 'Hi, your payment went through and a receipt is attached.'
                    || ' Reply to this message if you have any questions. The Jobdeck team')
        WHEN 'report' THEN jsonb_build_object(
            'report_type', 'jobs_summary', 'format', 'csv',
            'date_range', jsonb_build_object('start', current_date - 7, 'end', current_date - 1))
        ELSE jsonb_build_object(
            'user_id', 'user-' || n % 5000, 'channel', 'push',
            'message', 'Build #' || n || ' finished successfully')
    END
"""
# Half e-mails, a fifth reports, the rest notifications; priorities 1-5.
NUMBERED_JOBS = """
    SELECT n, 1 + n % 5 AS priority,
           (ARRAY['email', 'email', 'email', 'email', 'email', 'report', 'report',
                  'notification', 'notification', 'notification'])[1 + n % 10] AS type
    FROM generate_series(1, $1::int) AS n
"""
# $1 pending jobs, created (and committed) together: the runners' NOTIFY wakes them at once.
# See insert_round for the ANALYZE that goes with it.
INSERT_PENDING = f"""
WITH inserted AS (
    INSERT INTO jobs (type, priority, payload)
    SELECT type, priority, {PAYLOAD_SQL} FROM ({NUMBERED_JOBS}) AS numbered
    RETURNING 1
)
SELECT count(*) AS jobs, now() AS created_at FROM inserted
"""
# One job whose created_at is the moment its row was made (now() would be the transaction's
# start): claimed_at - created_at is then the pickup latency on the database's own clock.
INSERT_ONE = f"""
INSERT INTO jobs (type, priority, payload, created_at, updated_at)
SELECT type, priority, {PAYLOAD_SQL}, clock_timestamp(), clock_timestamp()
FROM ({NUMBERED_JOBS}) AS numbered
RETURNING id
"""
# $1 jobs completed over the last 30 days (the slice $2..$3 of them), each with the events a
# real run leaves: created, claimed, completed.
INSERT_FINISHED = f"""
WITH inserted AS (
    INSERT INTO jobs (type, status, priority, payload, result, attempts, created_at,
                      updated_at, claimed_at, completed_at)
    SELECT type, 'completed', priority, {PAYLOAD_SQL}, '{{}}'::jsonb, 1, created,
           created + interval '2 seconds', created + interval '1 second',
           created + interval '2 seconds'
    FROM (
        SELECT numbered.*, now() - interval '1 hour' - interval '30 days' * (n / $1::float8)
               AS created
        FROM ({NUMBERED_JOBS.replace("1, $1::int", "$2::int, $3::int")}) AS numbered
    ) AS dated
    RETURNING id, created_at, claimed_at, completed_at
)
INSERT INTO job_events (job_id, kind, at, attempt, worker_id)
SELECT inserted.id, event.kind, event.at, event.attempt, event.worker_id
FROM inserted
CROSS JOIN LATERAL (VALUES
    ('created', inserted.created_at, 0, NULL),
    ('claimed', inserted.claimed_at, 1, 'runner-1'),
    ('completed', inserted.completed_at, 1, 'runner-1')
) AS event (kind, at, attempt, worker_id)
"""
# CASCADE: also every table that hangs off jobs (events, artifacts, the search text).
RESET_TABLES = "TRUNCATE jobs, job_count_deltas, job_throughput_deltas CASCADE"
UNFINISHED = """
SELECT EXISTS (SELECT 1 FROM jobs WHERE status = 'pending')
    OR EXISTS (SELECT 1 FROM jobs WHERE status = 'processing')
"""
ROUND_RESULT = """
SELECT count(*) FILTER (WHERE status = 'completed') AS completed,
       max(completed_at) AS last_completed_at
FROM jobs WHERE created_at = $1
"""


async def insert_round(monitor: asyncpg.Connection, jobs: int) -> asyncpg.Record:
    """Insert a round's jobs and ANALYZE `jobs` in the same transaction (ANALYZE counts the
    transaction's own new rows), so the planner knows they are pending when runners wake up.

    Left to chance, statistics taken while the queue was empty estimate one pending row, and
    the claim then sorts every pending job on each call (see bench/README.md).
    """
    async with monitor.transaction():
        inserted = await monitor.fetchrow(INSERT_PENDING, jobs)
        await monitor.execute("ANALYZE jobs")
    return inserted


async def plan_of(monitor: asyncpg.Connection, statement: str, *args: object) -> str:
    """The scans and sorts of a statement's plan for these arguments, e.g. to see which
    index the claim uses; EXPLAIN without ANALYZE, so nothing is claimed or completed."""
    raw = await monitor.fetchval(f"EXPLAIN (FORMAT JSON) {statement}", *args)
    plan = json.loads(raw) if isinstance(raw, str) else raw  # a json codec may decode it
    steps: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if "Scan" in node["Node Type"] and node.get("Relation Name") == "jobs":
            steps.append(f"{node['Node Type']} {node.get('Index Name', '')}".strip())
        elif node["Node Type"] == "Sort":
            steps.append(f"Sort ({node['Plan Rows']} rows)")
        for child in node.get("Plans", []):
            walk(child)

    # The claim's outermost Sort only orders the rows it returns; what matters is below it.
    root = plan[0]["Plan"]
    for child in root.get("Plans", []) if root["Node Type"] == "Sort" else [root]:
        walk(child)
    return ", ".join(steps)


async def statement_plans(monitor: asyncpg.Connection, batch: int) -> dict[str, str]:
    """How the claim and the complete of a batch would run now (custom plans, as the service
    gets them for its first executions and whenever they are cheaper than a generic one)."""
    ids = [uuid.uuid4() for _ in range(batch)]
    return {
        "claim": await plan_of(monitor, QUERIES["job_claim"], "bench", batch, None, 60.0),
        "claim_limited": await plan_of(
            monitor, QUERIES["job_claim_limited"], "bench", batch, "email", 60.0
        ),
        "complete": await plan_of(
            monitor, QUERIES["job_complete"], ids, [1] * batch, ["{}"] * batch, "bench"
        ),
    }


# --controls: limits set on every type before the first phase (SPEC, Job types). `loose` never
# binds, so it measures what counting and the per-type lock cost; `keys` gives each job one of
# 10,000 concurrency keys (by a column default, so every insert below gets one) with a limit
# of one job per key.
CONTROLS: dict[str, list[str]] = {
    "none": [],
    "loose": [
        "UPDATE job_types SET concurrency = 1000, rate_limit_jobs = 100000, rate_limit_seconds = 1",
        # The ring PATCH /job-types would build: slots 0..n-1, a cursor at 0.
        "INSERT INTO job_type_rate_slots (type, slot) "
        "SELECT name, generate_series(0, 99999) FROM job_types",
        "INSERT INTO job_type_rate_cursors (type) SELECT name FROM job_types",
    ],
    "keys": [
        "CREATE SEQUENCE bench_concurrency_keys",
        "ALTER TABLE jobs ALTER COLUMN concurrency_key "
        "SET DEFAULT 'key-' || nextval('bench_concurrency_keys') % 10000",
        "UPDATE job_types SET key_concurrency = 1",
    ],
}


# --- CPU accounting ------------------------------------------------------------------------


def machine_cpu_seconds() -> tuple[float, float]:
    """CPU-seconds the whole machine has been busy (all CPUs, every process), and how many of
    them the hypervisor gave to someone else (steal), from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
    idle = fields[3] + fields[4]  # idle + iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, fields[7] / tick


@dataclass(frozen=True)
class Snapshot:
    at: float
    bench: float
    roles: dict[str, float]
    db: dict[int, float]
    machine: tuple[float, float]


class CpuMeter:
    """CPU spent per job by this process, the service, the runners and the database.

    On a 2-core machine they all share the cores, so jobs/s alone does not say what to make
    cheaper; CPU per job does. What the machine spent beyond them ("other") says how noisy
    a round was: other people's work, the hypervisor's steal, the kernel's work that no
    process is charged for (loopback networking, disk flushes), PostgreSQL's background
    processes. The bench's own monitoring connection (inserts, polls) counts as "bench".
    """

    def __init__(self, monitor: asyncpg.Connection, roles: dict[str, list[int]]) -> None:
        self._monitor = monitor
        self._roles = roles

    async def sample(self) -> Snapshot:
        rows = await self._monitor.fetch(
            "SELECT pid, pid = pg_backend_pid() AS mine FROM pg_stat_activity"
            " WHERE datname = current_database()"
        )
        backends = {row["pid"]: process_cpu_seconds(row["pid"], "postgres") for row in rows}
        mine = sum(backends[row["pid"]] or 0.0 for row in rows if row["mine"])
        return Snapshot(
            at=time.monotonic(),
            bench=time.process_time() + mine,
            roles={role: _cpu_of(pids) for role, pids in self._roles.items()},
            db={
                row["pid"]: backends[row["pid"]] or 0.0
                for row in rows
                if not row["mine"] and backends[row["pid"]] is not None
            },
            machine=machine_cpu_seconds(),
        )

    @staticmethod
    def per_job(before: Snapshot, after: Snapshot, jobs: int) -> dict[str, float]:
        """Microseconds of CPU per job for each part, and the share of the machine's CPUs used
        by anything else (steal included); a backend that appeared in between counts from 0."""
        spent = {"bench": after.bench - before.bench}
        spent |= {role: after.roles[role] - before.roles[role] for role in after.roles}
        spent["db"] = sum(cpu - before.db.get(pid, 0.0) for pid, cpu in after.db.items())
        ours = sum(spent.values())
        capacity = max(after.at - before.at, 1e-9) * (os.cpu_count() or 1)
        busy = after.machine[0] - before.machine[0]
        steal = after.machine[1] - before.machine[1]
        usage = {name: round(seconds * 1e6 / max(1, jobs), 1) for name, seconds in spent.items()}
        usage["total"] = round(ours * 1e6 / max(1, jobs), 1)
        usage["other_share"] = round(max(busy - ours, 0.0) / capacity, 3)
        usage["steal_share"] = round(steal / capacity, 3)
        return usage


def _cpu_of(pids: list[int]) -> float:
    return sum(process_cpu_seconds(pid) or 0.0 for pid in pids)


def wait_for_quiet() -> list[float | None]:
    """Samples of how busy the machine is with other work, retrying while it is too busy."""
    samples = [background_cpu_busy()]
    for _ in range(BUSY_RETRIES):
        if samples[-1] is None or samples[-1] <= BUSY_LIMIT:
            break
        print(f"  machine {samples[-1]:.0%} busy with other work; waiting {BUSY_RETRY_WAIT_S:g} s")
        time.sleep(BUSY_RETRY_WAIT_S)
        samples.append(background_cpu_busy())
    if samples[-1] is not None and samples[-1] > BUSY_LIMIT:
        print("  warning: still busy; the figures of this phase will be pessimistic")
    return samples


# --- results -------------------------------------------------------------------------------


@dataclass
class Round:
    jobs: int
    seconds: float
    jobs_per_s: float
    capped: bool
    cpu_us_per_job: dict[str, float]


@dataclass
class Throughput:
    key: str  # a_single, b_batch, d_single...
    title: str
    connections: int  # asyncpg connections for (a), runner slots for (b) and (d)
    batch_size: int
    busy_before: list[float | None]
    rounds: list[Round] = field(default_factory=list)
    plans: dict[str, str] = field(default_factory=dict)  # as they stood in the first round

    @property
    def median(self) -> float | None:
        return round(statistics.median(r.jobs_per_s for r in self.rounds)) if self.rounds else None

    def median_cpu(self) -> dict[str, float]:
        names = self.rounds[0].cpu_us_per_job if self.rounds else {}
        return {
            name: round(statistics.median(r.cpu_us_per_job[name] for r in self.rounds), 1)
            for name in names
        }


@dataclass
class Pickup:
    slots: int
    jobs: int
    interval_ms: float
    busy_before: list[float | None]
    # From the row's creation (clock_timestamp in the INSERT, so its commit is included) to
    # the claim statement's start (claimed_at = now()), both on the database's clock.
    insert_to_claim_ms: dict[str, float]
    # Until the runner's completion reached the database: the whole round trip of a job.
    insert_to_complete_ms: dict[str, float]
    unclaimed: int
    cpu_us_per_job: dict[str, float]


def spread(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        "max": round(max(values), 2),
    }


class Budget:
    """The whole run's time: once spent, each phase stops after its first round."""

    def __init__(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds

    def spent(self) -> bool:
        return time.monotonic() > self._deadline


# --- (a) raw SQL -----------------------------------------------------------------------------


async def claim_and_complete(
    store: WorkerStore, worker_id: str, batch: int, until: float, limited: list[str]
) -> int:
    """One connection's loop, as a runner slot would do it without HTTP: claim (as the
    service's ClaimBatcher does when every type is limited: type by type), complete."""
    done = 0
    while time.monotonic() < until:
        claimed = [] if limited else await store.claim(worker_id, batch, None)
        for job_type in limited:
            if len(claimed) < batch:
                claimed += await store.claim_limited(worker_id, batch - len(claimed), job_type)
        if not claimed:
            break
        completed = await store.complete(
            [Completion(claim.job["id"], claim.job["attempts"], "{}") for claim in claimed],
            worker_id,
        )
        done += len(completed)
    return done


async def raw_round(
    monitor: asyncpg.Connection, store: WorkerStore, meter: CpuMeter, jobs: int, phase: Throughput
) -> Round:
    await monitor.execute(RESET_TABLES)
    await insert_round(monitor, jobs)
    phase.plans = phase.plans or await statement_plans(monitor, phase.batch_size)
    limited = [state.name for state in await store.type_controls() if state.limited]
    before = await meter.sample()
    until = time.monotonic() + ROUND_TIME_CAP_S
    loops = [
        claim_and_complete(store, f"bench-raw-{i}", phase.batch_size, until, limited)
        for i in range(phase.connections)
    ]
    done = sum(await asyncio.gather(*loops))
    after = await meter.sample()
    seconds = after.at - before.at
    return Round(
        jobs=done,
        seconds=round(seconds, 3),
        jobs_per_s=round(done / seconds),
        capped=done < jobs,
        cpu_us_per_job=CpuMeter.per_job(before, after, done),
    )


async def measure_raw(
    url: str,
    monitor: asyncpg.Connection,
    phase: Throughput,
    args: argparse.Namespace,
    budget: Budget,
) -> Throughput:
    """(a): WorkerStore over the service's own two pools, sized to the connections."""
    fast = await create_pool(url, phase.connections, durable=False)
    durable = await create_pool(url, phase.connections, durable=True)
    store = WorkerStore(durable, fast, 60, 2, 300)
    try:
        meter = CpuMeter(monitor, {})
        await raw_round(monitor, store, meter, WARMUP_JOBS, phase)  # pools fill, plans cache
        phase.plans = {}
        for _ in range(args.rounds):
            phase.rounds.append(await raw_round(monitor, store, meter, args.jobs, phase))
            print_round(phase)
            if budget.spent():
                break
    finally:
        await asyncio.gather(fast.close(), durable.close())
    return phase


# --- (b) and (d) the full path ---------------------------------------------------------------


# `--runner node`: the TypeScript runner (built by `make install`) with handlers that do nothing,
# as the Python runner's --no-op does nothing.
NODE_RUNNER = [
    str(REPO_ROOT / "clients" / "typescript" / "dist" / "cli.js"),
    "--handlers",
    str(Path(__file__).with_name("noop_handlers.mjs")),
]


def start_bench_runner(
    bench: argparse.Namespace, args: list[str], env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    if bench.runner == "python":
        return start_runner(["--no-op", *args], env, log)
    # --node-cpu-prof: V8's profile of each runner, written when it exits (Chrome DevTools
    # opens the .cpuprofile files), to see where its CPU goes.
    profile = [f"--cpu-prof-dir={log.parent / 'node-profiles'}"] if bench.node_cpu_prof else []
    with log.open("wb") as output:
        return subprocess.Popen(
            ["node", *(["--cpu-prof", *profile] if profile else []), *NODE_RUNNER, *args],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )


@contextlib.asynccontextmanager
async def runners(
    monitor: asyncpg.Connection, base_url: str, slots: int, batch: int, args: argparse.Namespace
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """One no-op runner (`--runner`: Python's or Node's), idle and long-polling when yielded."""
    logs: Path = args.logs
    worker_id = f"bench-{slots}x{batch}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    command_line = ["--concurrency", str(slots), "--batch-size", str(batch)]
    env = {
        "WORKER_SERVICE_URL": base_url,
        "JOBDECK_TOKEN": await runner_token(monitor),
        "SIMULATED_DURATION_MS": "0",
        "SIMULATED_FAILURE_RATE": "0",
    }
    log = logs.with_name(f"{logs.name}-runner-{slots}x{batch}.log")
    process = start_bench_runner(args, [*command_line, "--worker-id", worker_id], env, log)
    try:
        await wait_for_runner(monitor, process, worker_id, log)
        yield process
    finally:
        stop(process)  # SIGTERM by its PID: it drains (nothing in flight) and exits


async def wait_for_runner(
    monitor: asyncpg.Connection, process: subprocess.Popen[bytes], worker_id: str, log: Path
) -> None:
    """Its first heartbeat is sent as its slots start; give their long-polls a moment."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the runner exited at startup:\n{tail(log)}")
        if await monitor.fetchval("SELECT 1 FROM workers WHERE worker_id = $1", worker_id):
            await asyncio.sleep(0.5)
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the runner did not start within 30 s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


async def wait_until_finished(
    monitor: asyncpg.Connection, runner: subprocess.Popen[bytes], until: float
) -> bool:
    """Poll until no job is pending or processing; past `until`, cancel what is still
    pending (its figure is then capped) and wait for the jobs in flight. True if capped."""
    while await monitor.fetchval(UNFINISHED):
        if runner.poll() is not None:
            raise RuntimeError(f"the runner exited with {runner.returncode} during a round")
        if time.monotonic() > until:
            await monitor.execute("UPDATE jobs SET status = 'cancelled' WHERE status = 'pending'")
            await wait_until_finished(monitor, runner, time.monotonic() + DRAIN_TIME_CAP_S)
            return True
        await asyncio.sleep(POLL_INTERVAL_S)
    return False


async def runner_round(
    monitor: asyncpg.Connection,
    runner: subprocess.Popen[bytes],
    meter: CpuMeter,
    jobs: int,
    phase: Throughput,
    fresh: bool,
) -> Round:
    """Insert the round's jobs (the runner wakes on their NOTIFY) and time them out.

    The window runs from the INSERT's commit to the last completion, both read on the
    database's clock, so the poll interval does not blur it.
    """
    if fresh:
        # --callbacks: the deliverer's pass holds its deliveries (and reads jobs) while it
        # sends; TRUNCATE in the middle of one deadlocks with it.
        await outbox_drained(monitor)
        await monitor.execute(RESET_TABLES)
    inserted = await insert_round(monitor, jobs)
    committed_at = await monitor.fetchval("SELECT clock_timestamp()")
    before = await meter.sample()  # the runners only start now: nothing to count before
    if not phase.plans:  # after the clock started: planning takes a few ms
        phase.plans = await statement_plans(monitor, phase.batch_size)
    capped = await wait_until_finished(monitor, runner, time.monotonic() + ROUND_TIME_CAP_S)
    after = await meter.sample()
    result = await monitor.fetchrow(ROUND_RESULT, inserted["created_at"])
    seconds = (result["last_completed_at"] - committed_at).total_seconds()
    return Round(
        jobs=result["completed"],
        seconds=round(seconds, 3),
        jobs_per_s=round(result["completed"] / seconds),
        capped=capped,
        cpu_us_per_job=CpuMeter.per_job(before, after, result["completed"]),
    )


async def measure_full(
    monitor: asyncpg.Connection,
    service: tuple[str, int],
    phase: Throughput,
    args: argparse.Namespace,
    budget: Budget,
    fresh: bool,
) -> Throughput:
    """(b) on an emptied table each round, or (d) on the big table as it stands."""
    base_url, service_pid = service
    async with runners(monitor, base_url, phase.connections, phase.batch_size, args) as run:
        # --callbacks process: the deliverer's process counts as the service's.
        service_pids = [service_pid, *args.deliverer_pids]
        meter = CpuMeter(monitor, {"service": service_pids, "runner": [run.pid]})
        await runner_round(monitor, run, meter, WARMUP_JOBS, phase, fresh)  # connections, plans
        phase.plans = {}
        for _ in range(args.rounds):
            phase.rounds.append(await runner_round(monitor, run, meter, args.jobs, phase, fresh))
            print_round(phase)
            if budget.spent():
                break
    return phase


# --- (c) pickup latency ----------------------------------------------------------------------


async def measure_pickup(
    monitor: asyncpg.Connection, service: tuple[str, int], slots: int, args: argparse.Namespace
) -> Pickup:
    """Insert jobs one at a time, `interval` apart, beside an idle long-polling runner."""
    busy = wait_for_quiet()
    base_url, service_pid = service
    await monitor.execute(RESET_TABLES)
    async with runners(monitor, base_url, slots, 1, args) as run:
        # --callbacks process: the deliverer's process counts as the service's.
        service_pids = [service_pid, *args.deliverer_pids]
        meter = CpuMeter(monitor, {"service": service_pids, "runner": [run.pid]})
        before = await meter.sample()
        inserted = await insert_one_at_a_time(monitor, args.pickup_jobs, args.pickup_interval_ms)
        await wait_until_finished(monitor, run, time.monotonic() + DRAIN_TIME_CAP_S)
        after = await meter.sample()
    rows = await monitor.fetch(
        "SELECT id, created_at, claimed_at, completed_at FROM jobs WHERE id = ANY($1::uuid[])",
        inserted,
    )
    claimed = [row for row in rows if row["claimed_at"] is not None]

    def ms(later: datetime, earlier: datetime) -> float:
        return (later - earlier).total_seconds() * 1000

    return Pickup(
        slots=slots,
        jobs=len(inserted),
        interval_ms=args.pickup_interval_ms,
        busy_before=busy,
        insert_to_claim_ms=spread([ms(r["claimed_at"], r["created_at"]) for r in claimed]),
        insert_to_complete_ms=spread(
            [ms(r["completed_at"], r["created_at"]) for r in claimed if r["completed_at"]]
        ),
        unclaimed=len(inserted) - len(claimed),
        cpu_us_per_job=CpuMeter.per_job(before, after, len(claimed)),
    )


async def insert_one_at_a_time(
    monitor: asyncpg.Connection, count: int, interval_ms: float
) -> list[uuid.UUID]:
    """Each in its own transaction (committed, so NOTIFY is sent), on a fixed schedule."""
    inserted = []
    next_at = time.monotonic()
    for _ in range(count):
        inserted.append(await monitor.fetchval(INSERT_ONE, 1))
        next_at += interval_ms / 1000
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    return inserted


# --- (d) the big table -------------------------------------------------------------------------


async def load_finished_jobs(monitor: asyncpg.Connection, total: int) -> dict[str, Any]:
    """`total` completed jobs with their events, loaded without the secondary indexes and
    indexed afterwards (two to three times faster than row by row), then VACUUM ANALYZE."""
    started = time.perf_counter()
    await monitor.execute(RESET_TABLES)
    indexes = await monitor.fetch(SECONDARY_INDEXES)
    for index in indexes:
        await monitor.execute(f"DROP INDEX {index['name']}")
    chunk = 250_000
    for low in range(1, total + 1, chunk):
        high = min(total, low + chunk - 1)
        await monitor.execute(INSERT_FINISHED, total, low, high)
        print(f"  loaded {high:>9,} finished jobs  {time.perf_counter() - started:6.1f} s")
    await monitor.execute("SET maintenance_work_mem = '256MB'")
    for index in indexes:
        await monitor.execute(index["definition"])
    await monitor.execute("RESET maintenance_work_mem")
    await monitor.execute("SELECT job_stats_compact()")
    await monitor.execute("VACUUM ANALYZE jobs, job_events")
    sizes = await monitor.fetchrow(
        "SELECT pg_size_pretty(pg_total_relation_size('jobs')) AS jobs,"
        " pg_size_pretty(pg_total_relation_size('job_events')) AS job_events"
    )
    load = {"jobs": total, "seconds": round(time.perf_counter() - started, 1), **dict(sizes)}
    print(f"  big table ready: {load}")
    return load


# --- the run ---------------------------------------------------------------------------------


def phase_list(args: argparse.Namespace, key: str) -> Throughput:
    titles = {
        "a": "(a) raw SQL (WorkerStore)",
        "b": "(b) full path (runner + service)",
        "bcb": "(b) with callbacks",
        "d": f"(d) full path, {args.big_table:,} finished",
    }
    prefix, shape = key.split("_")
    if shape == "batch":
        connections = args.batch_concurrency
    else:  # a runner keeps more single claims in flight than a raw loop needs connections
        connections = args.single_concurrency if prefix == "a" else args.single_slots
    return Throughput(
        key=key,
        title=f"{titles[prefix]}, {shape}",
        connections=connections,
        batch_size=1 if shape == "single" else args.batch_size,
        busy_before=[],
    )


async def runner_token(monitor: asyncpg.Connection) -> str:
    """A new runner token in the bench's database, for one runner process."""
    name = f"bench-runner-{uuid.uuid4().hex[:8]}"
    _info, secret = await TokenStore(monitor).create(name, Role.RUNNER, None)
    return secret


async def run_phases(url: str, args: argparse.Namespace, report: dict[str, Any]) -> None:
    """Every phase in order; whatever has been measured is in `report` even if one fails."""
    budget = Budget(args.budget_seconds)
    monitor = await asyncpg.connect(url)
    report["server"] = {
        name: await monitor.fetchval(f"SHOW {name}")
        for name in ("server_version", "shared_buffers", "synchronous_commit", "autovacuum")
    }
    throughput: list[Throughput] = report["phases"]
    for statement in CONTROLS[args.controls]:
        await monitor.execute(statement)
    try:
        for key in ("a_single", "a_batch"):
            await run_throughput(url, monitor, None, key, args, budget, throughput)
        service_log = args.logs.with_name(f"{args.logs.name}-service.log")
        async with contextlib.AsyncExitStack() as stack:
            env = {"DATABASE_URL": url}
            if args.callbacks:
                env |= CALLBACK_SERVICE_ENV
            if args.callbacks == "process":
                env["CALLBACK_IN_SERVICE"] = "false"
                log = args.logs.with_name(f"{args.logs.name}-deliverer.log")
                deliverer = stack.enter_context(deliverer_process(env, log))
                args.deliverer_pids.append(deliverer.pid)
                print(f"callback deliverer process pid {deliverer.pid}")
            base_url, process = stack.enter_context(
                uvicorn_server("worker_service.main:app", env, service_log)
            )
            service = (base_url, process.pid)
            print(f"worker service pid {process.pid} at {base_url}")
            for key in ("b_single", "b_batch"):
                await run_throughput(url, monitor, service, key, args, budget, throughput)
            if args.callbacks:
                await with_callbacks(monitor, stack, report)
                for key in ("bcb_single", "bcb_batch"):
                    await run_throughput(url, monitor, service, key, args, budget, throughput)
            for slots in args.pickup_slots:
                report["pickup"].append(asdict(await measure_pickup(monitor, service, slots, args)))
                print_pickup(report["pickup"][-1])
            if args.big_table:
                report["big_table"] = await load_finished_jobs(monitor, args.big_table)
                for key in ("d_single", "d_batch"):
                    await run_throughput(url, monitor, service, key, args, budget, throughput)
            if args.callbacks:
                await outbox_drained(monitor)
    finally:
        await monitor.close()


# --callbacks: the worker service may reach the receiver on loopback, and signs.
CALLBACK_SERVICE_ENV = {"CALLBACK_ALLOW_PRIVATE": "true", "WEBHOOK_SECRET": BENCH_WEBHOOK_SECRET}


async def with_callbacks(
    monitor: asyncpg.Connection, stack: contextlib.AsyncExitStack, report: dict[str, Any]
) -> None:
    """From here on every job gets a callback_url to a receiver in this process (a column
    default: the bench's inserts stay as they are)."""
    url, lags = await stack.enter_async_context(callback_receiver())
    await monitor.execute(f"ALTER TABLE jobs ALTER COLUMN callback_url SET DEFAULT '{url}'")
    stack.callback(lambda: report.__setitem__("callbacks", lags.summary()))
    print(f"callbacks to {url}")


async def outbox_drained(monitor: asyncpg.Connection) -> None:
    """Wait (a bounded time) until every callback has been delivered."""
    deadline = time.monotonic() + DRAIN_TIME_CAP_S
    while time.monotonic() < deadline:
        if not await monitor.fetchval(
            "SELECT EXISTS (SELECT 1 FROM callback_deliveries WHERE state = 'pending')"
        ):
            return
        await asyncio.sleep(POLL_INTERVAL_S)


async def run_throughput(
    url: str,
    monitor: asyncpg.Connection,
    service: tuple[str, int] | None,
    key: str,
    args: argparse.Namespace,
    budget: Budget,
    measured: list[Throughput],
) -> Throughput:
    """One throughput phase, listed in `measured` before it starts so that the rounds it
    completed are reported even if the run is interrupted."""
    phase = phase_list(args, key)
    measured.append(phase)
    print(f"{phase.title}: {phase.connections} x {phase.batch_size}")
    phase.busy_before = wait_for_quiet()
    if service is None:
        return await measure_raw(url, monitor, phase, args, budget)
    return await measure_full(monitor, service, phase, args, budget, fresh=key.startswith("b"))


# --- reporting ---------------------------------------------------------------------------------


def print_round(phase: Throughput) -> None:
    last = phase.rounds[-1]
    cpu = last.cpu_us_per_job
    parts = "  ".join(f"{k} {v:g}" for k, v in cpu.items() if not k.endswith("_share"))
    print(
        f"  round {len(phase.rounds)}: {last.jobs:,} jobs in {last.seconds:.2f} s ="
        f" {last.jobs_per_s:,} jobs/s{' (capped)' if last.capped else ''};"
        f" CPU us/job {parts}; other {cpu['other_share']:.0%} (steal {cpu['steal_share']:.0%})"
    )


def print_pickup(pickup: dict[str, Any]) -> None:
    claim = pickup["insert_to_claim_ms"]
    print(
        f"  pickup with {pickup['slots']} idle slot(s): insert->claim p50 {claim.get('p50')} ms,"
        f" p95 {claim.get('p95')} ms over {pickup['jobs']} jobs ({pickup['unclaimed']} unclaimed)"
    )


def throughput_rows(report: dict[str, Any]) -> list[list[str]]:
    by_key = {phase["key"]: phase for phase in report["throughput"]}
    targets = {"b_single": FULL_SINGLE_TARGET, "b_batch": FULL_BATCH_TARGET}
    rows = []
    for key, phase in by_key.items():
        rates = [r["jobs_per_s"] for r in phase["rounds"]]
        median = phase["median_jobs_per_s"]
        target, met = "-", "-"
        if key in targets:
            target, met = f">= {targets[key]:,}/s", yes_no(median, targets[key])
        shares = {"d": BIG_TABLE_TARGET_SHARE, "bcb": CALLBACK_SHARE_TARGET}
        if (prefix := key.split("_")[0]) in shares:
            base = by_key.get(key.replace(f"{prefix}_", "b_"), {}).get("median_jobs_per_s")
            share = median / base if median and base else None
            target = f">= {shares[prefix]:.0%} of (b)"
            met = "-" if share is None else f"{share:.0%} " + yes_no(share, shares[prefix])
        capped = any(r["capped"] for r in phase["rounds"])
        cpu = phase["median_cpu_us_per_job"]
        rows.append(
            [
                phase["title"],
                f"{phase['connections']}x{phase['batch_size']}",
                " / ".join(f"{rate:,}" for rate in rates) + (" capped" if capped else ""),
                f"{median:,}" if median else "-",
                target,
                met,
                " / ".join(f"{cpu.get(k, 0):g}" for k in ("bench", "service", "runner", "db")),
                f"{cpu.get('other_share', 0):.0%}",
                busy_text(phase["busy_before"]),
            ]
        )
    return rows


def yes_no(value: float | None, target: float) -> str:
    return "-" if value is None else ("yes" if value >= target else "NO")


def busy_text(samples: list[float | None]) -> str:
    return ",".join("?" if s is None else f"{s:.0%}" for s in samples) or "-"


def print_table(report: dict[str, Any]) -> None:
    header = [
        "scenario",
        "shape",
        "rounds jobs/s",
        "median",
        "target",
        "met",
        "CPU us/job bench/svc/runner/db",
        "other",
        "busy before",
    ]
    rows = [header, *throughput_rows(report)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print()
    for number, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("-" * (sum(widths) + 2 * len(widths)))
    for shape, ratio in report["full_over_raw"].items():
        print(f"(b)/(a) {shape}: {ratio:.0%}" if ratio is not None else f"(b)/(a) {shape}: -")
    print()
    for pickup in report["pickup"]:
        claim, done = pickup["insert_to_claim_ms"], pickup["insert_to_complete_ms"]
        met = (
            claim and claim["p50"] <= PICKUP_P50_TARGET_MS and claim["p95"] <= PICKUP_P95_TARGET_MS
        )
        print(
            f"(c) pickup, runner with {pickup['slots']} idle slot(s), {pickup['jobs']} inserts"
            f" {pickup['interval_ms']:g} ms apart: insert->claim p50 {claim.get('p50')} /"
            f" p95 {claim.get('p95')} / max {claim.get('max')} ms"
            f" (target p50 <= {PICKUP_P50_TARGET_MS:g}, p95 <= {PICKUP_P95_TARGET_MS:g}:"
            f" {'yes' if met else 'NO'}); insert->completed p50 {done.get('p50')} /"
            f" p95 {done.get('p95')} ms; busy before {busy_text(pickup['busy_before'])}"
        )
    if callbacks := report.get("callbacks"):
        print(
            f"callbacks: {callbacks['delivered']} delivered ({callbacks['repeated']} twice),"
            f" outcome->receiver p50 {callbacks['lag_p50_ms']} / p95 {callbacks['lag_p95_ms']} ms"
            f" (target p95 <= {CALLBACK_LAG_P95_TARGET_MS:g})"
        )
    print()
    print("Plans in the first round of each phase (jobs scans, below the claim's final sort):")
    for phase in report["throughput"]:
        plans = phase["plans"]
        print(f"  {phase['key']:9} claim: {plans.get('claim')}; complete: {plans.get('complete')}")
    print()
    print("CPU us/job: bench = this process and its monitoring connection (in (a) it is the SQL")
    print("client), svc = uvicorn, runner = the runner process, db = the service's (or in (a)")
    print("the bench's) backends; other = share of all CPUs used meanwhile by anything else:")
    print("other work, steal, unattributed kernel work, PostgreSQL's background processes.")


def summarize(report: dict[str, Any], phases: list[Throughput]) -> None:
    report["throughput"] = [
        {**asdict(p), "median_jobs_per_s": p.median, "median_cpu_us_per_job": p.median_cpu()}
        for p in phases
    ]
    medians = {p.key: p.median for p in phases}
    report["full_over_raw"] = {
        shape: ratio(medians.get(f"b_{shape}"), medians.get(f"a_{shape}"))
        for shape in ("single", "batch")
    }


def ratio(part: float | None, whole: float | None) -> float | None:
    return round(part / whole, 3) if part and whole else None


# --- main ------------------------------------------------------------------------------------


def slot_list(text: str) -> list[int]:
    return [positive(part) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--jobs", type=positive, default=20_000, help="no-op jobs per round (20,000)")
    add("--rounds", type=positive, default=3, help="rounds per throughput figure (3)")
    add("--big-table", type=int, default=1_000_000, help="finished jobs for (d); 0 skips (d)")
    add("--single-concurrency", type=positive, default=16, help="connections, (a) single (16)")
    add("--single-slots", type=positive, default=40, help="runner slots, (b)/(d) single (40)")
    add("--batch-concurrency", type=positive, default=4, help="connections/slots, batch (4)")
    add("--batch-size", type=positive, default=50, help="jobs per claim and complete, batch (50)")
    add("--pickup-jobs", type=positive, default=200, help="jobs inserted one by one for (c)")
    add("--pickup-interval-ms", type=float, default=20.0, help="between those inserts (20)")
    add("--pickup-slots", type=slot_list, default=[4, 16], help="idle slots for (c) (4,16)")
    add("--budget-seconds", type=float, default=450.0, help="then one round per phase (450)")
    add("--keep", action="store_true", help="keep the database afterwards (URL printed)")
    add("--controls", choices=list(CONTROLS), default="none", help="limits on every type (none)")
    add("--runner", choices=["python", "node"], default="python", help="whose runner (python)")
    add("--node-cpu-prof", action="store_true", help="with --runner node: V8 CPU profiles")
    add(
        "--callbacks",
        nargs="?",
        const="service",
        choices=["service", "process"],
        help="(b) again, then (c), (d), with callbacks sent by the worker service (or by"
        " `python -m worker_service.callbacks`: --callbacks process)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.deliverer_pids = []
    stop_on_sigterm()
    server_url = urls.validate(os.environ.get("DATABASE_URL") or DEFAULT_SERVER_URL)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    args.logs = RESULTS_DIR / f"worker-{stamp}"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "started_at": stamp,
        "cpus": os.cpu_count(),
        "arguments": {k: v for k, v in vars(args).items() if k not in ("logs", "deliverer_pids")},
        "targets": {
            "b_single_jobs_per_s": FULL_SINGLE_TARGET,
            "b_batch_jobs_per_s": FULL_BATCH_TARGET,
            "pickup_p50_ms": PICKUP_P50_TARGET_MS,
            "pickup_p95_ms": PICKUP_P95_TARGET_MS,
            "d_share_of_b": BIG_TABLE_TARGET_SHARE,
        },
        "phases": [],
        "pickup": [],
    }
    started = time.monotonic()
    print(f"worker bench on {urls.with_database(server_url, '...')}")
    try:
        with migrated_database(server_url, "jobdeck_wbench", keep=args.keep) as url:
            print(f"database {urls.database_name(url)} created and migrated")
            if args.keep:
                print(f"it will be kept: {url}")
            uvloop.run(run_phases(url, args, report))
    finally:
        report["seconds"] = round(time.monotonic() - started, 1)
        report["load_average_at_end"] = os.getloadavg()
        summarize(report, report.pop("phases"))
        print_table(report)
        path = write_results(report, f"worker-{stamp}")
        print(f"results written to {path.relative_to(REPO_ROOT)} ({report['seconds']} s)")


if __name__ == "__main__":
    main()
