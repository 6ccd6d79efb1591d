"""The real `jobdeck` command line, run in its own process on a test database."""

import os
import subprocess
import sys

from tests.servers import REPO_ROOT


def jobdeck(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobdeck_cli", *args],
        cwd=REPO_ROOT,
        env={"PATH": os.environ["PATH"], "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
