"""`jobdeck cleanup [--dry-run]`: run retention once from the command line.

The same run as the worker service's timer and POST /maintenance/cleanup, recorded in the
history as `cli` with the operating-system user who ran it.
"""

import getpass
import sys

import asyncpg

from job_contract.retention import CleanupRun, CleanupTrigger
from jobdeck_db.migrations import ensure_migrated
from jobdeck_db.sessions import server_settings, use_json_codecs
from jobdeck_db.settings import database_url
from jobdeck_retention.cleaner import Cleanup, CleanupStopped
from jobdeck_retention.settings import RetentionSettings
from jobdeck_retention.store import RetentionStore
from jobdeck_runtime.settings import load_settings


async def run_cleanup(dry_run: bool) -> int:
    settings = load_settings(RetentionSettings)
    url = database_url()
    await ensure_migrated(url)
    connection = await asyncpg.connect(
        url, timeout=10, server_settings=server_settings("jobdeck-cleanup")
    )
    try:
        await use_json_codecs(connection)
        store = RetentionStore(connection)
        run = await Cleanup(store, settings).run(
            CleanupTrigger.CLI, getpass.getuser(), dry_run=dry_run
        )
    except CleanupStopped as stopped:
        print(f"jobdeck: {stopped}", file=sys.stderr)
        return 1
    finally:
        await connection.close()
    print(describe(run))
    return 0


def describe(run: CleanupRun) -> str:
    """One line: `would delete 12,345 completed, 210 failed, 0 cancelled` (or `deleted …`)."""
    counts = ", ".join(f"{count:,} {status}" for status, count in run.deleted.items())
    verb = "would delete" if run.dry_run else "deleted"
    archived = f"; archived to {run.archived_to}" if run.archived_to else ""
    return f"{verb} {counts} in {run.duration_ms:,} ms{archived}"
