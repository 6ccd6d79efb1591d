"""The outbox: where e-mails and notifications go when no server is configured to take them.

Files appear whole or not at all, so whatever reads the outbox (a person, a test, a script
tailing the directory) never sees half a message.
"""

import asyncio
import os
import tempfile
from pathlib import Path
from uuid import UUID

from worker_service.runner.settings import RunnerSettings


def outbox_path(settings: RunnerSettings, kind: str, job_id: UUID, suffix: str) -> Path:
    """`<outbox_dir>/<kind>/<job id><suffix>`: one file per job, so a retry overwrites it."""
    return settings.outbox_dir / kind / f"{job_id}{suffix}"


async def write_outbox_file(path: Path, content: bytes) -> Path:
    """Write `content` to `path` atomically, off the event loop (fsync may block)."""
    await asyncio.to_thread(write_atomically, path, content)
    return path


def write_atomically(path: Path, content: bytes) -> None:
    """Write a hidden temp file beside `path`, flush it to disk, then rename it into place.

    The rename is atomic within a directory, and the temp name (`.<name>.<random>.tmp`)
    matches no `*.eml` / `*.json` glob, so readers see either nothing or the whole file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as temp:
            temp.write(content)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
