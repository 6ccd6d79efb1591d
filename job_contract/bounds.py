"""The numbers the contract is held to: value ranges, batch sizes, windows and caps.

Requests are validated against these, the SQL binds them, the runner and the dashboard
read them from here; none of them is written down anywhere else.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal, get_args

from pydantic import Field

MIN_PRIORITY, MAX_PRIORITY, DEFAULT_PRIORITY = 1, 5, 3
PRIORITIES = tuple(range(MIN_PRIORITY, MAX_PRIORITY + 1))
MIN_ATTEMPTS, MAX_ATTEMPTS, DEFAULT_MAX_ATTEMPTS = 1, 25, 3

Priority = Annotated[
    int,
    Field(ge=MIN_PRIORITY, le=MAX_PRIORITY, description=f"{MAX_PRIORITY} is the most urgent"),
]
MaxAttempts = Annotated[int, Field(ge=MIN_ATTEMPTS, le=MAX_ATTEMPTS)]

# What the database's columns hold: a larger number is refused (422), never sent to them.
INTEGER_MAX = 2**31 - 1  # PostgreSQL integer: an attempt
BIGINT_MAX = 2**63 - 1  # PostgreSQL bigint: the jobs a runner has processed

# POST /jobs/batch creates, and POST /jobs/bulk acts on, at most this many jobs at once.
MAX_JOBS_PER_REQUEST = 1_000
# POST /jobs/bulk with a filter acts on at most this many matches, MAX_JOBS_PER_REQUEST per
# transaction: a batch locks no more rows than an `ids` request does.
MAX_BULK_MATCHES = 10_000
# GET /jobs pages.
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
MAX_OFFSET = 1_000_000
MAX_SEARCH_CHARS = 200

# The worker protocol.
MAX_CLAIM_BATCH = 100
MAX_COMPLETE_BATCH = 100
MAX_WAIT_SECONDS = 30
MAX_ERROR_CHARS = 10_000
# A heartbeat renews at most this many leases (a runner holds far fewer).
MAX_HEARTBEAT_JOBS = 10_000
# A job's result, as JSON, unless the worker service's MAX_RESULT_BYTES says otherwise (1 MiB).
DEFAULT_MAX_RESULT_BYTES = 1024 * 1024
# GET /workers lists this many runners unless its `limit` asks for more, up to the maximum.
DEFAULT_RUNNER_LIST, MAX_RUNNER_LIST = 200, 1_000
# A report file's name, as a runner uploads it.
MAX_FILENAME_CHARS = 200
# A job's callback URL; a delivery keeps this much of each answer's body.
MAX_CALLBACK_URL_CHARS = 2_000
CALLBACK_EXCERPT_CHARS = 500

# An API token lives at most this long (100 years: "never", said with a number).
MAX_TOKEN_DAYS = 36_500

# Job types: a custom type's JSON Schema, and a payload checked against it, are bounded so
# that neither a schema nor a payload can make validation slow or deep.
MAX_SCHEMA_BYTES = 64 * 1024
MAX_SCHEMA_DEPTH = 32
MAX_PAYLOAD_BYTES = 1024 * 1024
MAX_PAYLOAD_DEPTH = 64
# A schema's `pattern`s compile within this many bytes each (larger ones are refused).
MAX_SCHEMA_REGEX_BYTES = 1024 * 1024
# A payload that fails its schema is answered with at most this many errors.
MAX_VALIDATION_ERRORS = 50
MAX_TYPE_DESCRIPTION_CHARS = 1_000
# Controls: a rate limit keeps one row per job it allows in its window, hence the cap.
MAX_CONCURRENCY = 100_000
MAX_RATE_LIMIT_JOBS = 100_000
MAX_RATE_LIMIT_SECONDS = 86_400
MAX_TIMEOUT_SECONDS = 86_400
MAX_CONCURRENCY_KEY_CHARS = 200

# A failures report lists at most this many jobs, the newest.
REPORT_ROW_CAP = 1_000

StatsWindowName = Literal["1h", "24h", "7d"]


@dataclass(frozen=True)
class StatsWindow:
    """A throughput window: how it reads, and the buckets its chart is made of."""

    label: str
    bucket: timedelta
    buckets: int


STATS_WINDOWS: dict[StatsWindowName, StatsWindow] = {
    "1h": StatsWindow("last hour", timedelta(minutes=1), 60),
    "24h": StatsWindow("last 24 hours", timedelta(hours=1), 24),
    "7d": StatsWindow("last 7 days", timedelta(hours=6), 28),
}
DEFAULT_STATS_WINDOW: StatsWindowName = "1h"
assert tuple(STATS_WINDOWS) == get_args(StatsWindowName)
