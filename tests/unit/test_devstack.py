"""`make run`'s services and the secrets it keeps: each process gets only what it needs, and
with SEED=1 the runners make a lively demo, unless told otherwise."""

import stat
from pathlib import Path

import pytest

from devstack.__main__ import Service, _services
from devstack.local_secrets import LocalSecrets, keep, read_kept

LOCAL = LocalSecrets(
    admin_token="jd_admin", runner_token="jd_runner", session_secret="s" * 43, created=()
)


def runners() -> list[Service]:
    return [service for service in _services(LOCAL) if "worker_service.runner" in service.args]


def runner_envs() -> list[dict[str, str]]:
    return [runner.env for runner in runners()]


def service(name: str) -> Service:
    [found] = [service for service in _services(LOCAL) if service.name == name]
    return found


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


# --- who gets which secret -------------------------------------------------------------------


def test_runners_get_the_runner_token() -> None:
    assert [env["JOBDECK_TOKEN"] for env in runner_envs()] == ["jd_runner", "jd_runner"]


def test_the_dashboard_gets_the_session_secret_and_no_token() -> None:
    env = service("dashboard").env

    assert env["SESSION_SECRET"] == LOCAL.session_secret
    assert "JOBDECK_TOKEN" not in env


def test_the_admin_token_is_given_to_no_service() -> None:
    # It is the person's: they sign in with it. Services act with their own, or the caller's.
    for started in _services(LOCAL):
        assert LOCAL.admin_token not in started.env.values(), started.name


# --- the files they are kept in --------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_kept_secret_is_readable_by_its_owner_alone(tmp_path: Path) -> None:
    path = tmp_path / "data" / "admin-token"

    keep(path, "jd_first")

    assert mode(path) == 0o600
    assert read_kept(path) == "jd_first"


def test_keeping_again_replaces_the_secret_and_leaves_no_draft(tmp_path: Path) -> None:
    path = tmp_path / "runner-token"
    keep(path, "jd_first")

    keep(path, "jd_second")

    assert read_kept(path) == "jd_second"
    assert mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["runner-token"]


def test_a_kept_file_with_looser_rights_is_tightened_when_read(tmp_path: Path) -> None:
    path = tmp_path / "session-secret"
    path.write_text("restored-from-a-backup\n")
    path.chmod(0o644)

    assert read_kept(path) == "restored-from-a-backup"
    assert mode(path) == 0o600


def test_a_missing_or_empty_file_keeps_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("\n")

    assert read_kept(tmp_path / "missing") is None
    assert read_kept(tmp_path / "empty") is None
