"""The package's own stack test (`npm run test:stack`), pointed at this suite's services: a
Runner inside a Node process, driven through the library rather than the command line."""

import os
import subprocess

from jobdeck_access.roles import Role
from tests.integration.runner.typescript.conftest import CLI


def test_the_packages_stack_test_passes_against_the_real_services(
    runners_worker_url: str, producer_url: str, tokens: dict[Role, str]
) -> None:
    env = {
        **os.environ,
        "WORKER_SERVICE_URL": runners_worker_url,
        "PRODUCER_API_URL": producer_url,
        "JOBDECK_TOKEN": tokens[Role.RUNNER],
        "JOBDECK_ADMIN_TOKEN": tokens[Role.ADMIN],
    }
    finished = subprocess.run(
        ["node", "--test", "test/stack/"],
        cwd=CLI.parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-2000:]
    assert "# pass 1\n" in finished.stdout
