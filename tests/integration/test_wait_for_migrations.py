"""`jobdeck wait-for-migrations`: what a deployment runs before a service that refuses an
unmigrated database (the Kubernetes init containers): it returns once the schema is at head."""

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from alembic import command
from devstack.databases import create_database, drop_database
from jobdeck_db.migrations import alembic_config
from tests.servers import REPO_ROOT


@pytest.fixture
async def empty_database(server_url: str) -> AsyncIterator[str]:
    url = await create_database(server_url, "jobdeck_unmigrated")
    try:
        yield url
    finally:
        await drop_database(server_url, url)


async def wait_for_migrations(database_url: str, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jobdeck_cli",
        "wait-for-migrations",
        *args,
        cwd=REPO_ROOT,
        env={"PATH": os.environ["PATH"], "DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


async def finished(process: asyncio.subprocess.Process) -> tuple[int, str]:
    _stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_a_migrated_database_needs_no_wait(database_url: str) -> None:
    returncode, stderr = await finished(await wait_for_migrations(database_url))

    assert (returncode, stderr) == (0, "")


async def test_it_gives_up_after_its_timeout_saying_which_command_migrates(
    empty_database: str,
) -> None:
    process = await wait_for_migrations(empty_database, "--every", "0.2", "--timeout", "1")

    returncode, stderr = await finished(process)

    assert returncode == 1
    assert "waiting for the migrations: The database is not migrated" in stderr
    assert "gave up" in stderr.strip().splitlines()[-1]
    assert "alembic upgrade head" in stderr


async def test_it_returns_once_the_migration_has_run(empty_database: str) -> None:
    process = await wait_for_migrations(empty_database, "--every", "0.2")
    assert process.stderr is not None
    waiting = await asyncio.wait_for(process.stderr.readline(), timeout=30)
    assert waiting.startswith(b"waiting for the migrations")
    assert process.returncode is None

    # alembic's env.py runs an event loop of its own: migrate from a thread, as a Job would.
    await asyncio.to_thread(command.upgrade, alembic_config(empty_database), "head")

    returncode, _stderr = await finished(process)
    assert returncode == 0
