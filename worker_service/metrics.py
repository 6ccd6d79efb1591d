"""Prometheus metrics of the worker service (served at /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

_DURATION_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600)

CLAIMS = Counter("jobdeck_claims_total", "Jobs handed to runners")
COMPLETIONS = Counter("jobdeck_completions_total", "Jobs completed")
FAILURES = Counter("jobdeck_failures_total", "Failed attempts, by what happened next", ["outcome"])
RESCUES = Counter("jobdeck_rescues_total", "Expired leases returned to the queue")
QUEUE_DEPTH = Gauge("jobdeck_jobs", "Jobs by status, as of the last rescuer pass", ["status"])
WAIT_TIME = Histogram(
    "jobdeck_job_wait_seconds",
    "From claimable (created or scheduled) to claimed",
    buckets=_DURATION_BUCKETS,
)
RUN_TIME = Histogram(
    "jobdeck_job_run_seconds", "From claimed to completed or failed", buckets=_DURATION_BUCKETS
)
