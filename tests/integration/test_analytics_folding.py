"""The analytics compactor (migration 0016): folding trigger rows into per-bucket histograms
changes no figure, passes add up, and each grain is kept as long as its window reaches back.

On a database of its own, so that the rows are fresh until a test folds them (the producer
API under test folds the shared one every few seconds). Timings are crafted in SQL (the
trigger reads a job's times from its row), and percentiles are checked against the exact
nearest-rank values, within the histogram's stated error.
"""

import asyncio
import math
import random
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from alembic import command
from devstack.databases import create_database, drop_database
from jobdeck_db.migrations import alembic_config
from jobdeck_runtime.maintenance import MaintenanceSettings
from producer_api.analytics import AnalyticsReader
from producer_api.analytics_compactor import AnalyticsCompaction, AnalyticsCompactor
from producer_api.db import create_engine

# Bins grow by 10 %, read at their geometric middle: within 1.1 ** 0.5 - 1 < 5 %.
WITHIN_BIN = 0.05


@pytest.fixture
async def quiet_db(quiet_database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(quiet_database_url)
    try:
        await connection.execute(
            "TRUNCATE jobs, job_analytics_deltas, job_analytics_histograms, job_created_hours,"
            " job_error_deltas CASCADE"
        )
        yield connection
    finally:
        await connection.close()


class Analytics:
    """The API's reader and compactor, in this process, on the quiet database."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url, pool_size=1)
        self.reader = AnalyticsReader(self._engine)
        self.compactor = AnalyticsCompactor(self._engine, MaintenanceSettings())

    async def windows(self) -> dict[str, dict[str, Any]]:
        return {w: await self.reader.analytics(w, []) for w in ("1h", "24h", "7d")}

    async def close(self) -> None:
        await self._engine.dispose()


@pytest.fixture
async def analytics(quiet_database_url: str) -> AsyncIterator[Analytics]:
    reading = Analytics(quiet_database_url)
    try:
        yield reading
    finally:
        await reading.close()


async def insert_timed(
    db: asyncpg.Connection,
    created: datetime,
    waits: Sequence[float],
    runs: Sequence[float],
    status: str = "completed",
) -> None:
    """Email jobs created at `created` that waited and ran those seconds, in one INSERT."""
    await db.execute(
        """
        INSERT INTO jobs (type, payload, status, attempts, created_at, claimed_at, updated_at,
                          completed_at, error)
        SELECT 'email', '{}', $2::text, 1, at, at + make_interval(secs => w),
               at + make_interval(secs => w + r),
               CASE WHEN $2 = 'completed' THEN at + make_interval(secs => w + r) END,
               CASE WHEN $2 = 'failed' THEN 'gave up' END
        FROM unnest($3::float8[], $4::float8[]) AS t (w, r), CAST($1 AS timestamptz) AS at
        """,
        created,
        status,
        list(waits),
        list(runs),
    )


def log_uniform(rng: random.Random, count: int, low: float, high: float) -> list[float]:
    return [math.exp(rng.uniform(math.log(low), math.log(high))) for _ in range(count)]


def nearest_rank(values: Sequence[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(percent * len(ordered) / 100) - 1]


def assert_timings(figures: dict[str, Any], waits: list[float], runs: list[float]) -> None:
    for percent in (50, 95, 99):
        assert figures["run_seconds"][f"p{percent}"] == pytest.approx(
            nearest_rank(runs, percent), rel=WITHIN_BIN
        )
    for percent in (50, 95):
        assert figures["wait_seconds"][f"p{percent}"] == pytest.approx(
            nearest_rank(waits, percent), rel=WITHIN_BIN
        )


def assert_same_figures(one: dict[str, Any], other: dict[str, Any]) -> None:
    """Every window's figures are equal; only a bucket the series moved on by (the minute
    turned between two reads) is left out."""
    assert one.keys() == other.keys()
    for window in one:
        assert one[window]["error_groups"] == other[window]["error_groups"]
        assert one[window]["by_hour"] == other[window]["by_hour"]
        types = {entry["type"]: entry for entry in one[window]["types"]}
        others = {entry["type"]: entry for entry in other[window]["types"]}
        assert types.keys() == others.keys()
        for name, entry in types.items():
            then, now = entry.copy(), others[name].copy()
            series = {point["bucket"]: point for point in then.pop("series")}
            later = {point["bucket"]: point for point in now.pop("series")}
            assert then == now
            common = series.keys() & later.keys()
            assert len(common) >= len(series) - 1
            assert [series[b] for b in sorted(common)] == [later[b] for b in sorted(common)]


def email(window: dict[str, Any]) -> dict[str, Any]:
    (only,) = window["types"]
    assert only["type"] == "email"
    return only


async def test_every_window_answers_the_same_once_folded_and_right_within_the_error(
    quiet_db: asyncpg.Connection, analytics: Analytics
) -> None:
    rng = random.Random(16)
    now = datetime.now(UTC)
    # Three sets, each inside one bucket of the windows that see it (a job waits and runs
    # under three minutes): this hour's, five hours ago, two days ago.
    sets = {
        "recent": now.replace(second=0, microsecond=0) - timedelta(minutes=20),
        "hours": now.replace(minute=10, second=0, microsecond=0) - timedelta(hours=5),
        "days": now.replace(minute=10, second=0, microsecond=0) - timedelta(days=2),
    }
    timings: dict[str, tuple[list[float], list[float]]] = {}
    for name, created in sets.items():
        waits = log_uniform(rng, 120, 0.01, 60)
        runs = log_uniform(rng, 120, 0.005, 100)
        await insert_timed(quiet_db, created, waits[:100], runs[:100])
        await insert_timed(quiet_db, created, waits[100:], runs[100:], status="failed")
        timings[name] = (waits, runs)

    fresh = await analytics.windows()
    compaction = await analytics.compactor.run_once()
    folded = await analytics.windows()

    assert compaction.analytics_rows_removed > 0
    assert not await quiet_db.fetchval("SELECT count(*) FROM job_analytics_deltas")
    assert_same_figures(folded, fresh)
    seen_by = {"1h": ["recent"], "24h": ["recent", "hours"], "7d": ["recent", "hours", "days"]}
    for window, names in seen_by.items():
        figures = email(folded[window])
        assert (figures["completed"], figures["failed"]) == (100 * len(names), 20 * len(names))
        waits = [w for name in names for w in timings[name][0]]
        runs = [r for name in names for r in timings[name][1]]
        assert_timings(figures, waits, runs)
    # A bucket's figures are those of the jobs in it alone.
    six_hours = timedelta(hours=6)
    (two_days_ago,) = [
        b
        for b in email(folded["7d"])["series"]
        if b["bucket"] <= sets["days"] < b["bucket"] + six_hours
    ]
    assert two_days_ago["completed"] == 100
    assert_timings(two_days_ago, *timings["days"])
    assert sum(b["failed"] for b in email(folded["24h"])["series"]) == 40


async def test_passes_add_up_and_each_grain_is_kept_as_long_as_its_window_reaches(
    quiet_db: asyncpg.Connection, analytics: Analytics
) -> None:
    rng = random.Random(7)
    three_hours_ago = datetime.now(UTC).replace(minute=5, second=0, microsecond=0) - timedelta(
        hours=3
    )
    first = log_uniform(rng, 50, 0.01, 10), log_uniform(rng, 50, 0.01, 10)
    second = log_uniform(rng, 30, 1, 300), log_uniform(rng, 30, 1, 100)
    await insert_timed(quiet_db, three_hours_ago, *first)
    await analytics.compactor.run_once()
    await insert_timed(quiet_db, three_hours_ago + timedelta(minutes=1), *second)
    # Nine days ago: older than any window, and than the heatmap's 8 days.
    await insert_timed(quiet_db, datetime.now(UTC) - timedelta(days=9), [1.0], [1.0])
    await analytics.compactor.run_once()

    day = email(await analytics.reader.analytics("24h", []))
    assert day["completed"] == 80
    assert_timings(day, first[0] + second[0], first[1] + second[1])
    # One histogram per grain that reaches three hours back, holding both passes' jobs; the
    # minutes went with the 1h window, and the nine-day-old jobs with everything.
    kept = await quiet_db.fetch(
        "SELECT grain, untimed, (SELECT sum(n) FROM unnest(jobs) AS n) AS timed"
        " FROM job_analytics_histograms WHERE measure = 'completed' ORDER BY grain"
    )
    assert [(row["grain"], row["untimed"], row["timed"]) for row in kept] == [
        (timedelta(hours=1), 0, 80),
        (timedelta(hours=6), 0, 80),
    ]
    created = await quiet_db.fetch("SELECT hour, jobs FROM job_created_hours")
    assert [tuple(row) for row in created] == [(three_hours_ago.replace(minute=0), 80)]
    assert await analytics.compactor.run_once() == AnalyticsCompaction(0, 0)


async def crafted_history(url: str, now: datetime) -> None:
    """Timed jobs in each window's reach, and just inside the 1h and 24h windows' starts,
    where a downgrade that cut the grains elsewhere would move them out."""
    rng = random.Random(5)
    start_1h = now.replace(second=0, microsecond=0) - timedelta(minutes=59)
    start_24h = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    sets = [now - timedelta(minutes=m) for m in (3, 50, 70, 100, 5 * 60, 22 * 60, 26 * 60)]
    sets += [now - timedelta(hours=33), now - timedelta(days=4)]
    sets += [start_1h + timedelta(minutes=3), start_24h + timedelta(minutes=10)]
    db = await asyncpg.connect(url)
    try:
        for created in sets:
            runs = log_uniform(rng, 10, 0.01, 30)
            await insert_timed(db, created, log_uniform(rng, 10, 0.01, 30), runs)
            await insert_timed(db, created, [1.0], [runs[0]], status="failed")
    finally:
        await db.close()


async def read_windows(url: str, *, fold_first: bool = False) -> dict[str, dict[str, Any]]:
    """Every window, read by the API's reader (after a pass of its compactor if asked)."""
    reading = Analytics(url)
    try:
        if fold_first:
            await reading.compactor.run_once()
        return await reading.windows()
    finally:
        await reading.close()


async def fold_as_0013_did(url: str) -> None:
    db = await asyncpg.connect(url)
    try:
        await db.execute("SELECT job_analytics_compact()")
    finally:
        await db.close()


def test_a_downgrade_and_upgrade_keep_every_window_s_figures(server_url: str) -> None:
    # The windows move on the hour: an attempt that straddles one is run again.
    for _attempt in range(2):
        started = datetime.now(UTC)
        figures = downgrade_and_upgrade(server_url, started)
        if datetime.now(UTC).hour == started.hour:
            break
    fresh, folded, upgraded, refolded = figures

    assert [email(fresh[w])["completed"] for w in ("1h", "24h", "7d")] == [30, 80, 110]
    assert_same_figures(folded, fresh)
    assert_same_figures(upgraded, fresh)
    assert_same_figures(refolded, fresh)


def downgrade_and_upgrade(server_url: str, now: datetime) -> list[dict[str, dict[str, Any]]]:
    """Every window: fresh, folded, after a downgrade (folded by 0013's compactor) and an
    upgrade, and once this layout's compactor has folded that."""
    url = asyncio.run(create_database(server_url, "jobdeck_scratch"))
    try:
        config = alembic_config(url)
        command.upgrade(config, "head")
        asyncio.run(crafted_history(url, now))
        fresh = asyncio.run(read_windows(url))
        folded = asyncio.run(read_windows(url, fold_first=True))
        command.downgrade(config, "0016-1")
        asyncio.run(fold_as_0013_did(url))
        command.upgrade(config, "head")
        upgraded = asyncio.run(read_windows(url))
        refolded = asyncio.run(read_windows(url, fold_first=True))
    finally:
        asyncio.run(drop_database(server_url, url))
    return [fresh, folded, upgraded, refolded]
