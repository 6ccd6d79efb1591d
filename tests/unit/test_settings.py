"""Every entry point refuses a malformed setting at once, in one line naming the variable."""

import subprocess
import sys

import pytest

from jobdeck_runtime.settings import redact_password
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
    ("worker service", "SMTP_URL", "mail.example.com:25"),
    ("worker service", "ALERT_EMAIL", "ops at example.com"),
]


@pytest.mark.parametrize(("service", "variable", "value"), BAD_SETTINGS)
def test_a_malformed_setting_stops_the_service_in_one_line(
    service: str, variable: str, value: str
) -> None:
    process = start(service, {variable: value})

    assert process.returncode != 0
    last_line = process.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"Invalid settings: {variable}: ")
    assert "Traceback" not in process.stderr


def start(service: str, settings: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Start a service as it starts in production, with only `settings` (and a token)."""
    args = ENTRY_POINTS[service] + ([str(free_port())] if "--port" in ENTRY_POINTS[service] else [])
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": "postgresql://nowhere/x",
            "JOBDECK_TOKEN": "jd_" + "t" * 43,  # a fake, well-formed token: the runner needs one
            **settings,
        },
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_a_runner_without_a_token_refuses_to_start_naming_the_variable() -> None:
    process = start("runner", {"JOBDECK_TOKEN": ""})

    assert process.returncode != 0
    assert "JOBDECK_TOKEN" in process.stderr.strip().splitlines()[-1]
    assert "Traceback" not in process.stderr


@pytest.mark.parametrize(
    "url",
    [
        "smtp://mailer:hunter2-secret@:25",  # no host
        "smtp://mailer:hunter2-secret@mail.example.com:submission",  # no port number
        "http://mailer:hunter2-secret@mail.example.com:25",  # not smtp
        "smtp://mailer:hunter2-secret@mail.example.com:99999",  # port out of range
        # Passwords with characters that end the address part, left unencoded by mistake.
        "smtp://mailer:hunter2-secret/x@mail.example.com:25",
        "smtp://mailer:hunter2-secret#x@mail.example.com:25",
        "smtp://mailer:hunter2-secret?x@mail.example.com:25",
        "smtp://mailer:hunter2-secret@x@mail.example.com:nope",
    ],
)
def test_a_bad_smtp_url_is_reported_without_its_password(url: str) -> None:
    process = start("runner", {"SMTP_URL": url})

    assert process.returncode != 0
    assert process.stderr.strip().splitlines()[-1].startswith("Invalid settings: SMTP_URL: ")
    assert "hunter2-secret" not in process.stderr + process.stdout
    assert "mailer:***@" in process.stderr


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://jobdeck:s3cret@db:5432/jobdeck", "postgresql://jobdeck:***@db:5432/jobdeck"),
        ("postgresql://jobdeck@db/jobdeck", "postgresql://jobdeck@db/jobdeck"),
        ("postgresql://db/jobdeck?host=/run/pg", "postgresql://db/jobdeck?host=/run/pg"),
        ("smtp://ada:pa/ss#w?d@mail:25", "smtp://ada:***@mail:25"),
        ("smtp://ada:p@ss@mail:25", "smtp://ada:***@mail:25"),
        ("ada:hunter2@mail:25", "ada:***@mail:25"),  # no scheme at all
    ],
)
def test_redact_password_masks_the_password_however_it_is_written(url: str, shown: str) -> None:
    assert redact_password(url) == shown
