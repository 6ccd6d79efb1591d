"""Create demo jobs with valid random payloads of every type through the producer API.

    python seed.py [--count 20] [--url http://localhost:8000]

The URL defaults to PRODUCER_API_URL, else http://localhost:8000.
"""

import argparse
import json
import os
import random
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from job_contract import JobType, validate_payload

BATCH_SIZE = 1_000  # the most POST /jobs/batch accepts at once
DEFAULT_URL = "http://localhost:8000"

NAMES = ["ada", "grace", "alan", "edsger", "barbara", "donald", "margaret", "linus", "guido"]
SUBJECTS = ["Welcome aboard", "Your invoice", "Password reset", "Weekly digest", "We miss you"]
MESSAGES = ["Your export is ready", "New login from Lisbon", "Build #{n} passed", "You have mail"]

Job = dict[str, Any]


def email_payload(rng: random.Random) -> dict[str, Any]:
    name = rng.choice(NAMES)
    return {
        "to": f"{name}@example.com",
        "subject": rng.choice(SUBJECTS),
        "body": f"Hello {name.title()},\n\nThis is demo message #{rng.randint(1, 9999)}.",
    }


def report_payload(rng: random.Random) -> dict[str, Any]:
    end = date.today() - timedelta(days=rng.randint(0, 30))
    start = end - timedelta(days=rng.randint(0, 30))
    return {
        "report_type": rng.choice(["jobs_summary", "failures", "throughput"]),
        "format": rng.choice(["csv", "pdf"]),
        "date_range": {"start": start.isoformat(), "end": end.isoformat()},
    }


def notification_payload(rng: random.Random) -> dict[str, Any]:
    return {
        "user_id": f"user-{rng.randint(1, 500)}",
        "channel": rng.choice(["push", "sms", "email"]),
        "message": rng.choice(MESSAGES).format(n=rng.randint(100, 999)),
    }


PAYLOADS: dict[JobType, Callable[[random.Random], dict[str, Any]]] = {
    JobType.EMAIL: email_payload,
    JobType.REPORT: report_payload,
    JobType.NOTIFICATION: notification_payload,
}


def random_job(rng: random.Random, job_type: JobType) -> Job:
    payload = PAYLOADS[job_type](rng)
    # Validate here so a generator bug fails loudly before anything is sent.
    validate_payload(job_type, payload)
    job: Job = {"type": job_type.value, "priority": rng.randint(1, 5), "payload": payload}
    if rng.random() < 0.2:
        minutes = rng.randint(2, 15)
        job["scheduled_for"] = (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()
    if rng.random() < 0.3:
        job["max_attempts"] = rng.choice([1, 2, 5, 10])
    return job


def random_jobs(count: int, rng: random.Random) -> list[Job]:
    # Types take turns so every type appears once there are three jobs or more.
    types = list(JobType)
    jobs = [random_job(rng, types[i % len(types)]) for i in range(count)]
    rng.shuffle(jobs)
    return jobs


NO_TOKEN = (
    "seed.py: JOBDECK_TOKEN is not set; it needs a producer (or higher) token, e.g.\n"
    "  export JOBDECK_TOKEN=$(.venv/bin/jobdeck tokens create --role producer --name seed)"
)


class SeedError(Exception):
    """Seeding stopped; the message says why, in one line."""


def post_batch(client: httpx.Client, url: str, jobs: list[Job]) -> list[Job]:
    try:
        response = client.post(f"{url}/jobs/batch", json={"jobs": jobs})
    except (httpx.TransportError, httpx.InvalidURL) as error:
        raise SeedError(f"cannot reach the producer API at {url}: {error}") from error
    if response.is_error:
        status = response.status_code
        raise SeedError(f"the producer API at {url} answered {status}: {_detail(response)}")
    created: list[Job] = response.json()["jobs"]
    return created


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json()["detail"]
    except (ValueError, KeyError, TypeError):
        return response.text.strip() or response.reason_phrase
    return detail if isinstance(detail, str) else json.dumps(detail)


def seed(url: str, token: str, count: int, rng: random.Random) -> Counter[str]:
    jobs = random_jobs(count, rng)
    by_type: Counter[str] = Counter()
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"}) as client:
        for start in range(0, count, BATCH_SIZE):
            try:
                created = post_batch(client, url, jobs[start : start + BATCH_SIZE])
            except SeedError as error:
                done = f" ({start} jobs were created before this)" if start else ""
                raise SeedError(f"{error}{done}") from error
            by_type.update(job["type"] for job in created)
            print(f"created {by_type.total()}/{count} jobs", flush=True)
    return by_type


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=positive_int, default=20, help="jobs to create (20)")
    parser.add_argument(
        "--url",
        default=os.environ.get("PRODUCER_API_URL") or DEFAULT_URL,
        help=f"the producer API (PRODUCER_API_URL, else {DEFAULT_URL})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.url.rstrip("/")
    token = os.environ.get("JOBDECK_TOKEN", "").strip()
    if not token:
        print(NO_TOKEN, file=sys.stderr)
        return 1
    try:
        by_type = seed(url, token, args.count, random.Random())
    except SeedError as error:
        print(f"seed.py: {error}", file=sys.stderr)
        return 1
    print(f"done: {by_type.total()} jobs at {url}")
    for job_type in JobType:
        print(f"  {job_type.value:<13} {by_type[job_type.value]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
