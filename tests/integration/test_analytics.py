"""GET /analytics and GET /jobs?error_group=: figures checked against hand-computed values.

Timings are crafted through SQL (a trigger reads each transition's times from the row, so a
test can say exactly how long a job waited and ran); failures go through the worker
service's /fail, as runners report them. The API's own compactor may fold the rollups at
any moment: the figures must not change when it does, and one test folds them on purpose.
"""

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from jobdeck_runtime.maintenance import MaintenanceSettings
from producer_api.analytics_compactor import AnalyticsCompactor
from producer_api.db import create_engine
from tests.factories import create_job, email_job, insert_jobs, notification_job

# Histogram bins grow by 10 %: a percentile is within 5 % of the exact value.
WITHIN_BIN = 0.05


async def finished_job(
    db: asyncpg.Connection,
    job_type: str,
    *,
    created: datetime,
    waited: float,
    ran: float | None,
    status: str = "completed",
) -> str:
    """A job that was created, claimed after `waited` seconds and, when `ran` is given, ended
    in `status` that many seconds later; each step its own UPDATE, as the services do."""
    (job_id,) = await insert_jobs(db, type=job_type, created_at=created.isoformat())
    await db.execute("UPDATE jobs SET updated_at = created_at WHERE id = $1", job_id)
    claimed = created + timedelta(seconds=waited)
    await db.execute(
        "UPDATE jobs SET status = 'processing', attempts = 1, claimed_at = $2::timestamptz,"
        " updated_at = $2, locked_by = 'runner-a', locked_until = $2 + interval '1 minute'"
        " WHERE id = $1",
        job_id,
        claimed,
    )
    if ran is not None:
        finished = claimed + timedelta(seconds=ran)
        await db.execute(
            "UPDATE jobs SET status = $2::text, updated_at = $3::timestamptz, locked_by = NULL,"
            " locked_until = NULL,"
            " completed_at = CASE WHEN $2 = 'completed' THEN $3 END,"
            " error = CASE WHEN $2 = 'failed' THEN 'gave up' END WHERE id = $1",
            job_id,
            status,
            finished,
        )
    return job_id


async def fail_through_the_worker(
    worker: httpx.AsyncClient, api: httpx.AsyncClient, job: dict, message: str
) -> str:
    created = await create_job(api, job)
    claimed = await worker.post(f"/process?types={job['type']}")
    assert claimed.status_code == 200, claimed.text
    failed = await worker.post(
        f"/fail/{created['id']}", json={"error": message, "retryable": False}
    )
    assert failed.json()["status"] == "failed"
    return str(created["id"])


def by_type(analytics: dict) -> dict[str, dict]:
    return {entry["type"]: entry for entry in analytics["types"]}


async def test_outcomes_and_percentiles_match_the_hand_computed_values(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    # On a minute, so that every job finishes in the same bucket of the series.
    start = (datetime.now(UTC) - timedelta(minutes=20)).replace(second=0, microsecond=0)
    # Ten email jobs: the i-th waited i seconds and ran 0.2 × i seconds; the last two failed.
    for i in range(1, 11):
        status = "completed" if i <= 8 else "failed"
        await finished_job(db, "email", created=start, waited=i, ran=0.2 * i, status=status)
    # A report still running after a 30-second wait, and one still pending.
    await finished_job(db, "report", created=start, waited=30, ran=None)
    await insert_jobs(db, type="report")

    analytics = (await api.get("/analytics?window=1h")).json()

    email, report = by_type(analytics)["email"], by_type(analytics)["report"]
    assert (email["completed"], email["failed"], email["success_rate"]) == (8, 2, 0.8)
    # Nearest rank of 10 values: p50 is the 5th, p95 and p99 the 10th.
    assert email["run_seconds"] == {
        "p50": pytest.approx(1.0, rel=WITHIN_BIN),
        "p95": pytest.approx(2.0, rel=WITHIN_BIN),
        "p99": pytest.approx(2.0, rel=WITHIN_BIN),
    }
    assert email["wait_seconds"] == {
        "p50": pytest.approx(5.0, rel=WITHIN_BIN),
        "p95": pytest.approx(10.0, rel=WITHIN_BIN),
    }
    assert email["throughput_per_minute"] == pytest.approx(10 / 60)
    assert (report["completed"], report["failed"], report["success_rate"]) == (0, 0, None)
    assert report["run_seconds"]["p50"] is None
    assert report["wait_seconds"]["p50"] == pytest.approx(30.0, rel=WITHIN_BIN)
    # The series adds up to the window, in one bucket per minute.
    assert len(email["series"]) == 60 and analytics["bucket_seconds"] == 60
    assert sum(point["completed"] for point in email["series"]) == 8
    busy = [point for point in email["series"] if point["completed"] or point["failed"]]
    assert busy[0]["run_seconds"]["p50"] == pytest.approx(1.0, rel=WITHIN_BIN)


async def test_figures_stay_the_same_once_the_rollups_are_folded(
    api: httpx.AsyncClient, db: asyncpg.Connection, database_url: str
) -> None:
    # Some in the last hour (minute rows), some two days ago (folded into hours).
    now = datetime.now(UTC)
    for created in (now - timedelta(minutes=5), (now - timedelta(days=2)).replace(minute=10)):
        for i in range(1, 5):
            await finished_job(db, "email", created=created, waited=i, ran=i)
    before = (await api.get("/analytics?window=7d")).json()

    engine = create_engine(database_url, pool_size=1)
    try:
        compactor = AnalyticsCompactor(engine, MaintenanceSettings())
        await compactor.run_once()
    finally:
        await engine.dispose()

    after = (await api.get("/analytics?window=7d")).json()
    assert after["types"] == before["types"]
    assert by_type(after)["email"]["completed"] == 8
    # The jobs of two days ago are one 6-hour histogram of the 7d window's; none is left as
    # a trigger row.
    periods = await db.fetch(
        "SELECT grain, period FROM job_analytics_histograms"
        " WHERE measure = 'completed' AND period < now() - interval '1 day'"
    )
    assert [row["grain"] for row in periods] == [timedelta(hours=6)]
    assert not await db.fetchval(
        "SELECT count(*) FROM job_analytics_deltas WHERE measure <> 'created'"
    )


async def test_failures_group_by_their_masked_message(
    api: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    same = [
        (email_job(), "Connection refused to 10.0.0.12:5432 after 3 attempts"),
        (notification_job(), "Connection refused to 192.168.1.7:6543 after 12 attempts"),
    ]
    other = [
        (email_job(), "user 'bob' not found (id 8f14e45f-ceea-467f-a0e6-5d1b7a4f2c3d)"),
        (email_job(), "SMTP 550 mailbox full for bob@example.com"),
        (email_job(), "SMTP 550 mailbox unavailable for ann@example.com"),
    ]
    grouped_ids = [await fail_through_the_worker(worker, api, job, msg) for job, msg in same]
    for job, message in other:
        await fail_through_the_worker(worker, api, job, message)

    groups = (await api.get("/analytics?window=24h")).json()["error_groups"]

    assert sorted(group["count"] for group in groups) == [1, 1, 1, 2]
    (refused,) = [group for group in groups if group["count"] == 2]
    assert refused["pattern"] == "Connection refused to <ip> after <n> attempts"
    assert refused["types"] == ["email", "notification"]
    assert refused["sample"] == same[1][1]
    assert refused["sample_job"] == grouped_ids[1]
    assert refused["first_seen"] <= refused["last_seen"]
    patterns = {group["pattern"] for group in groups}
    assert "user <str> not found (id <uuid>)" in patterns
    assert "SMTP <n> mailbox full for <email>" in patterns

    listed = (await api.get(f"/jobs?error_group={refused['group']}")).json()
    assert sorted(job["id"] for job in listed["items"]) == sorted(grouped_ids)
    assert listed["total"] == 2


async def test_type_filter_and_weekday_hour_counts(
    api: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    created = datetime.now(UTC) - timedelta(days=1)
    await insert_jobs(db, 3, type="email", created_at=created.isoformat())
    await insert_jobs(db, 2, type="report", created_at=created.isoformat())

    analytics = (await api.get("/analytics?window=7d&type=email")).json()

    assert [entry["type"] for entry in analytics["types"]] == ["email"]
    heatmap = {row["weekday"]: row["hours"] for row in analytics["by_hour"]}
    assert list(heatmap) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert heatmap[created.strftime("%a")][created.hour] == 3
    assert sum(sum(hours) for hours in heatmap.values()) == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/analytics?window=30d", "window"),
        ("/analytics?type=Not-A-Type", "type"),
        ("/jobs?error_group=xyz", "error_group"),
        ("/jobs?error_group=3F1C0A9BE2D47781", "error_group"),
    ],
)
async def test_bad_parameters_are_a_422_naming_the_field(
    api: httpx.AsyncClient, query: str, field: str
) -> None:
    response = await api.get(query)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]
