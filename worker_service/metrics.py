"""Prometheus metrics of the worker service (served at /metrics).

Counters and histograms move as requests are served; the gauges are read when /metrics is
scraped (refresh_gauges), so they are as fresh as the scrape and cost nothing in between.
"""

from prometheus_client import Counter, Gauge, Histogram

_DURATION_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600)

CLAIMS = Counter("jobdeck_claims_total", "Jobs handed to runners")
COMPLETIONS = Counter("jobdeck_completions_total", "Jobs completed")
FAILURES = Counter("jobdeck_failures_total", "Failed attempts, by what happened next", ["outcome"])
RESCUES = Counter("jobdeck_rescues_total", "Expired leases returned to the queue")
CALLBACK_TRIES = Counter(
    "jobdeck_callback_tries_total", "Callback tries, by the delivery's state after", ["state"]
)
ALERTS = Counter("jobdeck_alerts_total", "Alerts recorded, by rule", ["rule"])
WAIT_TIME = Histogram(
    "jobdeck_job_wait_seconds",
    "From claimable (created or scheduled) to claimed",
    buckets=_DURATION_BUCKETS,
)
RUN_TIME = Histogram(
    "jobdeck_job_run_seconds", "From claimed to completed or failed", buckets=_DURATION_BUCKETS
)

QUEUE_DEPTH = Gauge(
    "jobdeck_jobs", "Jobs by status (absent while the database is away)", ["status"]
)
CLAIMS_WAITING = Gauge(
    "jobdeck_claims_waiting", "Long-polling claims of this process waiting for a claimable job"
)
LISTENING = Gauge(
    "jobdeck_wakeups_listening",
    "1 while the LISTEN connection that wakes long-polling claims is up",
)


def refresh_gauges(
    claims_waiting: int, listening: bool, jobs_by_status: dict[str, int] | None
) -> None:
    """Set the gauges from what the process and the database say now (None: unknown)."""
    CLAIMS_WAITING.set(claims_waiting)
    LISTENING.set(int(listening))
    if jobs_by_status is None:
        QUEUE_DEPTH.clear()  # unknown rather than stale
    for status, count in (jobs_by_status or {}).items():
        QUEUE_DEPTH.labels(status).set(count)
