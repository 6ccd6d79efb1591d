"""`make bench`'s cleanup phase: the cleaner deleting about half of the loaded table while the
producer API serves list pages and runners claim and complete jobs.

Two windows over the same load: first without a cleanup (`BASELINE_SECONDS`), then while
`jobdeck cleanup` runs (as an operator would start it, in its own process) with one
RETAIN_*_DAYS chosen so that about half of all jobs are past it. In both, `LIST_READERS`
clients page through `GET /jobs` and `CLAIMERS` runner loops speak the worker protocol over
HTTP (`POST /process?limit=…`, then `POST /complete` for the batch): the figures are list
p95 and completed claims per second, during against without, and the rows the cleaner
deleted per second. Pending jobs are topped up first, so the queue cannot run dry.
"""

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from devstack.processes import uvicorn_server
from jobdeck_access.roles import Role
from jobdeck_access.store import TokenStore
from jobdeck_db.sessions import use_json_codecs

BASELINE_SECONDS = 20.0
LIST_READERS = 2
CLAIMERS = 2
CLAIM_BATCH = 20
# Targets (the issue's): lists stay fast and claims keep most of their pace while it cleans.
LIST_P95_TARGET_MS = 50.0
CLAIM_RATIO_TARGET = 0.8
LIST_PAGES = ({}, {"status": "failed", "type": "email"})


@dataclass
class Window:
    list_ms: list[float] = field(default_factory=list)
    completed: int = 0
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.list_ms)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] if ordered else None
        return {
            "list_requests": len(ordered),
            "list_p95_ms": None if p95 is None else round(p95, 1),
            "claims_per_s": round(self.completed / self.seconds, 1) if self.seconds else None,
            "seconds": round(self.seconds, 1),
        }


async def retention_days_for_half(connection: asyncpg.Connection) -> int:
    """The fewest days such that at most half of all jobs finished longer ago than that."""
    total = await connection.fetchval("SELECT count(*) FROM jobs")
    ages = await connection.fetch("""
        SELECT floor(extract(epoch FROM now() - job_finished_at(completed_at, updated_at))
                     / 86400)::int AS days, count(*) AS jobs
        FROM jobs WHERE status IN ('completed', 'failed', 'cancelled')
        GROUP BY 1 ORDER BY 1 DESC
    """)
    older = 0
    for row in ages:  # oldest first: stop before passing half
        if older + row["jobs"] > total // 2:
            return max(1, row["days"] + 1)
        older += row["jobs"]
    return 1


async def top_up_pending(connection: asyncpg.Connection, count: int) -> None:
    await connection.execute(
        """INSERT INTO jobs (type, payload)
           SELECT 'email', jsonb_build_object('to', 'bench' || g || '@example.com',
                                              'subject', 'cleanup bench', 'body', 'hello')
           FROM generate_series(1, $1) AS g""",
        count,
    )
    await connection.execute("ANALYZE jobs")


async def read_lists(client: httpx.AsyncClient, window: Window, stop: asyncio.Event) -> None:
    turn = 0
    while not stop.is_set():
        started = time.perf_counter()
        response = await client.get("/jobs", params=LIST_PAGES[turn % len(LIST_PAGES)])
        response.raise_for_status()
        window.list_ms.append((time.perf_counter() - started) * 1000)
        turn += 1


async def claim_and_complete(
    client: httpx.AsyncClient, runner: str, window: Window, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        claimed = await client.post("/process", params={"worker_id": runner, "limit": CLAIM_BATCH})
        claimed.raise_for_status()
        jobs = claimed.json()["jobs"]
        if not jobs:
            await asyncio.sleep(0.01)
            continue
        acks = [{"id": job["id"], "attempt": job["attempts"], "result": {}} for job in jobs]
        done = await client.post("/complete", json={"jobs": acks})
        done.raise_for_status()
        window.completed += len(done.json()["completed"])


async def measured(
    api: httpx.AsyncClient, worker: httpx.AsyncClient, until: Callable[[], Awaitable[Any]]
) -> tuple[Window, Any]:
    """Run the load until `until()` returns; the window's figures and what it returned."""
    window, stop = Window(), asyncio.Event()
    load = [asyncio.create_task(read_lists(api, window, stop)) for _ in range(LIST_READERS)]
    load += [
        asyncio.create_task(claim_and_complete(worker, f"bench-runner-{n}", window, stop))
        for n in range(CLAIMERS)
    ]
    started = time.perf_counter()
    try:
        outcome = await until()
    finally:
        window.seconds = time.perf_counter() - started
        stop.set()
        await asyncio.gather(*load)
    return window, outcome


async def run_cleanup(database_url: str, days: int) -> int:
    env = {**os.environ, "DATABASE_URL": database_url}
    env |= {f"RETAIN_{status}_DAYS": str(days) for status in ("COMPLETED", "FAILED", "CANCELLED")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "jobdeck_cli", "cleanup", env=env
    )
    return await process.wait()


async def measure_cleanup(
    api_url: str, database_url: str, log_dir: Path, pending: int
) -> dict[str, Any]:
    connection = await asyncpg.connect(database_url)
    try:
        await use_json_codecs(connection)
        days = await retention_days_for_half(connection)  # half of the table as loaded
        await top_up_pending(connection, pending)
        store = TokenStore(connection)
        _info, producer = await store.create("bench-cleanup-lists", Role.PRODUCER, None)
        _info, runner = await store.create("bench-cleanup-runner", Role.RUNNER, None)
        # The service's own cleaner stays out of the way: the bench starts the one it measures.
        env = {"DATABASE_URL": database_url, "CLEANUP_INTERVAL_SECONDS": "86400"}
        log = log_dir / "cleanup-worker-service.log"
        with uvicorn_server("worker_service.main:app", env, log) as (worker_url, _process):
            async with (
                httpx.AsyncClient(base_url=api_url, timeout=60, headers=_bearer(producer)) as api,
                httpx.AsyncClient(base_url=worker_url, timeout=60, headers=_bearer(runner)) as w,
            ):
                print(f"  cleanup phase: {BASELINE_SECONDS:g} s without a cleanup…")
                baseline, _ = await measured(api, w, lambda: asyncio.sleep(BASELINE_SECONDS))
                print(f"  cleanup phase: jobdeck cleanup with RETAIN_*_DAYS={days}…")
                during, status = await measured(api, w, lambda: run_cleanup(database_url, days))
        if status != 0:
            raise RuntimeError(f"jobdeck cleanup exited with {status}")
        run = await connection.fetchrow(
            "SELECT deleted, duration_ms FROM cleanup_runs ORDER BY id DESC LIMIT 1"
        )
    finally:
        await connection.close()
    deleted = sum(run["deleted"].values())
    return _report(days, deleted, run["duration_ms"], baseline.summary(), during.summary())


def _report(
    days: int, deleted: int, duration_ms: int, baseline: dict[str, Any], during: dict[str, Any]
) -> dict[str, Any]:
    ratio = (
        during["claims_per_s"] / baseline["claims_per_s"]
        if baseline["claims_per_s"] and during["claims_per_s"] is not None
        else None
    )
    p95 = during["list_p95_ms"]
    return {
        "retain_days": days,
        "deleted": deleted,
        "cleanup_seconds": round(duration_ms / 1000, 1),
        "rows_per_s": round(deleted * 1000 / max(1, duration_ms)),
        "without_cleanup": baseline,
        "during_cleanup": during,
        "claims_during_vs_without": None if ratio is None else round(ratio, 2),
        "list_p95_met": p95 is not None and p95 <= LIST_P95_TARGET_MS,
        "claims_met": ratio is not None and ratio >= CLAIM_RATIO_TARGET,
    }


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def print_cleanup(report: dict[str, Any]) -> None:
    without, during = report["without_cleanup"], report["during_cleanup"]
    print()
    print(
        f"cleanup: {report['deleted']:,} jobs deleted in {report['cleanup_seconds']} s"
        f" ({report['rows_per_s']:,} rows/s; RETAIN_*_DAYS={report['retain_days']})"
    )
    print(
        f"  list p95 {without['list_p95_ms']} ms without, {during['list_p95_ms']} ms during"
        f" (target <= {LIST_P95_TARGET_MS:g} ms: {'met' if report['list_p95_met'] else 'NOT met'})"
    )
    print(
        f"  claims {without['claims_per_s']}/s without, {during['claims_per_s']}/s during"
        f" = {report['claims_during_vs_without']}"
        f" (target >= {CLAIM_RATIO_TARGET:g}: {'met' if report['claims_met'] else 'NOT met'})"
    )


def main(argv: list[str] | None = None) -> None:
    """The phase alone, on a table of its own: quicker to iterate on than the whole bench."""
    import argparse

    from bench import producer_bench  # imported here: it imports this module

    parser = argparse.ArgumentParser(description="the cleanup phase alone")
    parser.add_argument("--jobs", type=producer_bench.positive, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    producer_bench.stop_on_sigterm()
    server_url = producer_bench.urls.validate(
        os.environ.get("DATABASE_URL") or producer_bench.DEFAULT_SERVER_URL
    )
    log_dir = producer_bench.RESULTS_DIR
    with producer_bench.bench_database(server_url, args.keep) as url:
        load = asyncio.run(producer_bench.load_jobs(url, args.jobs))
        print(f"loaded in {load['total_seconds']} s")
        with producer_bench.producer_api(url, log_dir / "cleanup-producer-api.log") as (api, _):
            report = asyncio.run(measure_cleanup(api, url, log_dir, args.jobs // 4))
    print_cleanup(report)


if __name__ == "__main__":
    main()
