"""`python -m worker_service.runner [--concurrency N] [--types email,resize_image]
[--handlers mypkg.jobs]`.

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

from job_contract.bounds import MAX_CLAIM_BATCH
from jobdeck_runtime import logs
from worker_service.runner.client import WorkerServiceClient
from worker_service.runner.loop import Runner
from worker_service.runner.registry import (
    HandlerRegistry,
    HandlersRefused,
    is_job_type_name,
    load_registry,
)
from worker_service.runner.settings import RunnerSettings, get_settings

logger = logging.getLogger("worker_service.runner")


def _comma_separated(raw: str) -> list[str]:
    return [name.strip() for name in raw.split(",") if name.strip()]


def _types(raw: str) -> list[str]:
    names = _comma_separated(raw)
    malformed = [name for name in names if not is_job_type_name(name)]
    if malformed:
        raise argparse.ArgumentTypeError(
            f"{', '.join(malformed)}: a job type name is a lower-case letter, then letters,"
            " digits or _ (63 at most)"
        )
    return names


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m worker_service.runner", description=__doc__)
    parser.add_argument("--concurrency", type=int, default=4, help="jobs run at once (default 4)")
    parser.add_argument(
        "--types",
        type=_types,
        default=None,
        help="claim only these job types, comma-separated (default: those it has handlers"
        " for); jobs of a type it has no handler for fail, not retried",
    )
    parser.add_argument(
        "--handlers",
        type=_comma_separated,
        action="extend",
        default=None,
        metavar="MODULE",
        help="a module whose HANDLERS dict maps job types to async handlers; repeatable"
        " (default: RUNNER_HANDLERS)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1,
        choices=range(1, MAX_CLAIM_BATCH + 1),
        metavar=f"1-{MAX_CLAIM_BATCH}",
        help="jobs each slot claims and runs at once (default 1); idle slots claim together",
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


def _registry(args: argparse.Namespace, settings: RunnerSettings) -> HandlerRegistry:
    modules = settings.runner_handlers if args.handlers is None else args.handlers
    try:
        registry = load_registry(modules)
    except HandlersRefused as refusal:
        raise SystemExit(f"Not started: {refusal}") from None
    unhandled = sorted(set(args.types or ()) - set(registry.types))
    if unhandled and not args.no_op:
        logger.warning(
            "no handler for %s: its jobs will be claimed and failed (not retried)",
            ", ".join(unhandled),
        )
    return registry


async def _main(args: argparse.Namespace) -> None:
    settings = get_settings()
    registry = _registry(args, settings)
    client = WorkerServiceClient(
        settings.worker_service_url, args.worker_id, settings.jobdeck_token.get_secret_value()
    )
    runner = Runner(
        client, settings, registry, args.concurrency, args.types, args.batch_size, args.no_op
    )
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
    logs.configure("runner")
    args = _parse_args()
    with logs.bound(worker_id=args.worker_id):
        uvloop.run(_main(args))


if __name__ == "__main__":
    main()
