"""The dashboard starts only with a session secret nobody can guess, and says so in one line
that names SESSION_SECRET without showing it; a local run makes up its own."""

import subprocess
import sys

import pytest

from frontend.settings import SESSION_SECRET_PLACEHOLDER
from tests.env_example import ENV_EXAMPLE
from tests.servers import REPO_ROOT, free_port

SHORT = "only-31-characters-long-secret!"


def start_dashboard(settings: dict[str, str]) -> subprocess.CompletedProcess[str]:
    port = str(free_port())
    return subprocess.run(
        [sys.executable, "-m", "uvicorn", "frontend.main:app", "--port", port],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", **settings},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({}, "is required outside local runs (ENVIRONMENT=local)"),
        ({"SESSION_SECRET": ""}, "is required outside local runs (ENVIRONMENT=local)"),
        ({"SESSION_SECRET": SHORT}, "needs at least 32 characters"),
        ({"SESSION_SECRET": SESSION_SECRET_PLACEHOLDER}, "is still the placeholder"),
        (
            {"SESSION_SECRET": SHORT, "ENVIRONMENT": "local"},
            "needs at least 32 characters",  # a local run replaces only a missing one
        ),
    ],
)
def test_the_dashboard_refuses_to_start_without_a_strong_session_secret(
    settings: dict[str, str], problem: str
) -> None:
    process = start_dashboard(settings)

    assert process.returncode != 0
    last_line = process.stderr.strip().splitlines()[-1]
    assert last_line.startswith(f"Invalid settings: SESSION_SECRET: {problem}")
    assert "Traceback" not in process.stderr
    if secret := settings.get("SESSION_SECRET"):
        assert secret not in process.stderr


def test_the_placeholder_is_the_one_env_example_shows() -> None:
    assert f"# SESSION_SECRET={SESSION_SECRET_PLACEHOLDER}\n" in ENV_EXAMPLE.read_text()


def test_a_local_dashboard_makes_up_a_secret_and_warns() -> None:
    # Two local dashboards never share it: each process draws its own.
    show = (
        "from frontend.settings import get_settings;"
        "print(get_settings().session_secret.get_secret_value())"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", show],
            cwd=REPO_ROOT,
            env={"PATH": "/usr/bin:/bin", "ENVIRONMENT": "local"},
            capture_output=True,
            text=True,
            timeout=30,
        )
        for _ in range(2)
    ]

    for run in runs:
        assert run.returncode == 0, run.stderr
        assert len(run.stdout.strip()) >= 32
        assert "SESSION_SECRET is not set: this local dashboard signs sessions" in run.stderr
    assert runs[0].stdout != runs[1].stdout
