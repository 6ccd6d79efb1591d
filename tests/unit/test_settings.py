"""Every entry point refuses a malformed setting at once, in one line naming the variable."""

import subprocess
import sys

import pytest

from tests.servers import REPO_ROOT, free_port

ENTRY_POINTS = {
    "producer API": ["-m", "uvicorn", "producer_api.main:app", "--port"],
    "worker service": ["-m", "uvicorn", "worker_service.main:app", "--port"],
    "dashboard": ["-m", "uvicorn", "frontend.main:app", "--port"],
    "runner": ["-m", "worker_service.runner"],
}
BAD_SETTINGS = [
    ("producer API", "EXACT_COUNT_LIMIT", "lots"),
    ("worker service", "LEASE_SECONDS", "-5"),
    ("dashboard", "REFRESH_SECONDS", "often"),
    ("runner", "SIMULATED_FAILURE_RATE", "2"),
    ("runner", "SMTP_URL", "mail.example.com:25"),
]


@pytest.mark.parametrize(("service", "variable", "value"), BAD_SETTINGS)
def test_a_malformed_setting_stops_the_service_in_one_line(
    service: str, variable: str, value: str
) -> None:
    args = ENTRY_POINTS[service] + ([str(free_port())] if "--port" in ENTRY_POINTS[service] else [])

    process = subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", variable: value, "DATABASE_URL": "postgresql://nowhere/x"},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert process.returncode != 0
    last_line = process.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"Invalid settings: {variable}: ")
    assert "Traceback" not in process.stderr
