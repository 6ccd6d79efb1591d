"""The chaos suite's job type: a handler that does what its payload says, and notes each run.

Payload: {"n": ..., "fail_times": k} fails its first k attempts (retryable), then succeeds;
{"poison": true} kills its runner's process outright; {"sleep_ms": t} takes that long first.
Each run appends "<job id> <attempt>" to the file CHAOS_RUN_LOG names: one short append per
line, which the kernel keeps whole with several runner processes writing.
"""

import asyncio
import os
from typing import Any

from worker_service.runner.context import JobContext

JOB_TYPE = "chaos"
RUN_LOG = "CHAOS_RUN_LOG"
POISON_EXIT_CODE = 3


async def chaos(job: JobContext) -> dict[str, Any]:
    payload = job.payload
    assert isinstance(payload, dict)
    # A short append, so a blocking write is fine here (and shows in the order it happened).
    with open(os.environ[RUN_LOG], "a") as runs:  # noqa: ASYNC230
        runs.write(f"{job.id} {job.attempt}\n")
    if payload.get("poison"):
        os._exit(POISON_EXIT_CODE)  # no cleanup, no report: as a segfault or the OOM killer
    if payload.get("sleep_ms"):
        await asyncio.sleep(payload["sleep_ms"] / 1000)
    if job.attempt <= payload.get("fail_times", 0):
        raise RuntimeError(f"planned failure of attempt {job.attempt}")
    return {"n": payload.get("n"), "attempt": job.attempt}


HANDLERS = {JOB_TYPE: chaos}
