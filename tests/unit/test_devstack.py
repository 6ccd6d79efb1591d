"""`make run`'s services: with SEED=1 the runners make a lively demo, unless told otherwise."""

import pytest

from devstack.__main__ import _services


def runner_envs() -> list[dict[str, str]]:
    return [service.env for service in _services() if "worker_service.runner" in service.args]


def test_seeded_runs_simulate_slow_and_failing_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEED", "1")
    monkeypatch.delenv("SIMULATED_FAILURE_RATE", raising=False)
    monkeypatch.delenv("SIMULATED_DURATION_MS", raising=False)

    envs = runner_envs()

    assert len(envs) == 2
    assert all(float(env["SIMULATED_FAILURE_RATE"]) > 0 for env in envs)
    assert all(int(env["SIMULATED_DURATION_MS"]) > 0 for env in envs)


def test_the_environment_overrides_the_seeded_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEED", "1")
    monkeypatch.setenv("SIMULATED_FAILURE_RATE", "0")

    assert {env["SIMULATED_FAILURE_RATE"] for env in runner_envs()} == {"0"}


def test_unseeded_runs_leave_the_simulation_to_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SEED", raising=False)

    assert all("SIMULATED_FAILURE_RATE" not in env for env in runner_envs())
