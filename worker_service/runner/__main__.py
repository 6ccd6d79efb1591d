"""`python -m worker_service.runner [--concurrency N] [--types email,report]`.

Runs until SIGTERM or Ctrl-C, then drains (see loop.py) and exits 0.
"""

import argparse
import asyncio
import logging
import os
import signal
import socket
import uuid

import uvloop

from job_contract import JobType
from job_contract.bounds import MAX_CLAIM_BATCH
from worker_service.runner.client import WorkerServiceClient
from worker_service.runner.loop import Runner
from worker_service.runner.settings import get_settings


def _types(raw: str) -> list[str]:
    names = [name.strip() for name in raw.split(",") if name.strip()]
    allowed = {job_type.value for job_type in JobType}
    unknown = sorted(set(names) - allowed)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown job type(s) {', '.join(unknown)}; use {', '.join(sorted(allowed))}"
        )
    return names


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m worker_service.runner", description=__doc__)
    parser.add_argument("--concurrency", type=int, default=4, help="jobs run at once (default 4)")
    parser.add_argument(
        "--types", type=_types, default=None, help="only these job types, comma-separated"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1,
        choices=range(1, MAX_CLAIM_BATCH + 1),
        metavar=f"1-{MAX_CLAIM_BATCH}",
        help="jobs claimed per request by each slot (default 1)",
    )
    parser.add_argument(
        "--worker-id",
        default=f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}",
        help="this runner's name in leases and timelines",
    )
    parser.add_argument(
        "--no-op",
        action="store_true",
        help="complete every job without running its handler (benchmarks)",
    )
    return parser.parse_args()


async def _main(args: argparse.Namespace) -> None:
    settings = get_settings()
    client = WorkerServiceClient(
        settings.worker_service_url, args.worker_id, settings.jobdeck_token.get_secret_value()
    )
    runner = Runner(client, settings, args.concurrency, args.types, args.batch_size, args.no_op)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, runner.stop)
    try:
        await runner.run()
    finally:
        await client.close()
    if runner.refused is not None:
        raise SystemExit(f"Stopped: {runner.refused}")


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    # httpx (the notification webhook's client) would log every request at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    uvloop.run(_main(_parse_args()))


if __name__ == "__main__":
    main()
