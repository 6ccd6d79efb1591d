"""docker-compose.yml and .env.example describe the stack the SPEC names."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from frontend.settings import Settings as FrontendSettings
from producer_api.settings import Settings as ProducerSettings
from tests.env_example import env_example_keys, env_example_sections
from worker_service.runner.settings import RunnerSettings
from worker_service.settings import Settings as WorkerSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = "postgresql://jobdeck:jobdeck@postgres:5432/jobdeck"
HTTP_SERVICES = [
    ("producer-api", "producer_api.main:app", 8000),
    ("worker-service", "worker_service.main:app", 3000),
    ("frontend", "frontend.main:app", 3001),
]
JOBDECK_SERVICES = ["migrate", "producer-api", "worker-service", "runner", "frontend"]
# Variables read straight from the environment rather than through a Settings class.
PLAIN_VARIABLES = {
    "JOBDECK_DATA_DIR": "jobdeck_db/embedded.py",
    "LOG_LEVEL": "worker_service/runner/__main__.py",
    "PRODUCER_API_PORT": "devstack/__main__.py",
    "WORKER_SERVICE_PORT": "devstack/__main__.py",
    "FRONTEND_PORT": "devstack/__main__.py",
}
SETTINGS_CLASSES: list[type[BaseSettings]] = [
    ProducerSettings,
    WorkerSettings,
    RunnerSettings,
    FrontendSettings,
]
# A section header in .env.example, and whose settings it lists.
SECTIONS = {
    "Producer API": ProducerSettings,
    "Worker service": WorkerSettings,
    "Runners": RunnerSettings,
    "Dashboard": FrontendSettings,
}


def load_compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    return compose


def service(name: str) -> dict[str, Any]:
    config: dict[str, Any] = load_compose()["services"][name]
    return config


def with_defaults(text: str) -> str:
    """`${VAR:-default}` as compose reads it when VAR is unset."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", text)


def env_names(settings: type[BaseSettings]) -> set[str]:
    return {name.upper() for name in settings.model_fields}


# --- docker-compose.yml ---------------------------------------------------------------------


def test_compose_describes_the_specd_stack() -> None:
    services = load_compose()["services"]

    assert set(services) == {"postgres", *JOBDECK_SERVICES}


@pytest.mark.parametrize(("name", "app", "port"), HTTP_SERVICES)
def test_http_services_run_uvicorn_on_their_spec_port_and_exit_if_startup_fails(
    name: str, app: str, port: int
) -> None:
    config = service(name)

    assert config["command"] == [
        "uvicorn", app, "--lifespan", "on", "--host", "0.0.0.0", "--port", str(port)
    ]  # fmt: skip
    assert [with_defaults(published) for published in config["ports"]] == [f"{port}:{port}"]


@pytest.mark.parametrize(("name", "app", "port"), HTTP_SERVICES)
def test_every_http_service_has_a_healthcheck_on_healthz(name: str, app: str, port: int) -> None:
    check = service(name)["healthcheck"]["test"]

    assert check[:3] == ["CMD", "python", "-c"]
    assert f"http://localhost:{port}/healthz" in check[3]
    compile(check[3], f"{name} healthcheck", "exec")  # a typo would leave it unhealthy forever


@pytest.mark.parametrize("name", JOBDECK_SERVICES)
def test_every_jobdeck_service_is_built_from_the_dockerfile_with_optional_env_file(
    name: str,
) -> None:
    config = service(name)

    assert config["build"] == {"context": ".", "dockerfile": "Dockerfile"}
    assert (REPO_ROOT / "Dockerfile").is_file()
    assert config["env_file"] == [{"path": ".env", "required": False}]


def test_postgres_is_healthchecked_and_keeps_its_data_in_a_named_volume() -> None:
    compose = load_compose()
    postgres = compose["services"]["postgres"]

    assert postgres["image"] == "postgres:17"
    assert "pg_isready" in postgres["healthcheck"]["test"]
    volume, mount = postgres["volumes"][0].split(":")
    assert volume in compose["volumes"]
    assert mount == "/var/lib/postgresql/data"


def test_postgres_credentials_match_the_services_database_url() -> None:
    env = service("postgres")["environment"]

    user, password, db = env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], env["POSTGRES_DB"]

    assert f"postgresql://{user}:{password}@postgres:5432/{db}" == DATABASE_URL


def test_migrate_runs_alembic_once_postgres_is_healthy() -> None:
    migrate = service("migrate")

    assert migrate["command"] == ["alembic", "upgrade", "head"]
    assert migrate["environment"]["DATABASE_URL"] == DATABASE_URL
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate["restart"] == "no"


@pytest.mark.parametrize("name", ["producer-api", "worker-service"])
def test_database_services_start_only_after_migrations_succeed(name: str) -> None:
    config = service(name)

    assert config["environment"]["DATABASE_URL"] == DATABASE_URL
    assert config["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_runner_scales_and_waits_for_a_healthy_worker_service() -> None:
    runner = service("runner")

    assert runner["command"] == ["python", "-m", "worker_service.runner"]
    assert "ports" not in runner
    assert "container_name" not in runner
    assert runner["environment"]["WORKER_SERVICE_URL"] == "http://worker-service:3000"
    assert runner["depends_on"] == {"worker-service": {"condition": "service_healthy"}}


def test_frontend_reaches_the_api_and_worker_service_by_service_name() -> None:
    frontend = service("frontend")

    assert frontend["environment"]["PRODUCER_API_URL"] == "http://producer-api:8000"
    assert frontend["environment"]["WORKER_SERVICE_URL"] == "http://worker-service:3000"
    assert frontend["depends_on"]["producer-api"] == {"condition": "service_healthy"}


@pytest.mark.parametrize("name", ["runner", "frontend"])
def test_http_clients_hold_no_database_credentials(name: str) -> None:
    assert "DATABASE_URL" not in service(name)["environment"]


def test_every_variable_compose_interpolates_is_documented_in_env_example() -> None:
    text = (REPO_ROOT / "docker-compose.yml").read_text()

    variables = set(re.findall(r"\$\{(\w+)", text))

    assert variables
    assert variables <= set(env_example_keys())


# --- Dockerfile -----------------------------------------------------------------------------


def test_the_image_installs_the_lock_then_the_project_and_vendors_the_dashboard_assets() -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()

    assert "FROM python:3.11-slim" in dockerfile
    lock = dockerfile.index("pip install -r requirements.lock")
    assert dockerfile.index("pip install --no-deps .") > lock
    assert "node scripts/copy-vendor.mjs" in dockerfile
    assert "static/vendor ./frontend/static/vendor" in dockerfile


def test_the_build_context_leaves_out_secrets_and_local_state() -> None:
    ignored = set((REPO_ROOT / ".dockerignore").read_text().splitlines())

    assert {".env", ".venv", ".data", ".git", "frontend/node_modules"} <= ignored


# --- .env.example ---------------------------------------------------------------------------


@pytest.mark.parametrize("settings", SETTINGS_CLASSES, ids=lambda s: s.__module__)
def test_every_setting_of_every_service_is_in_env_example(settings: type[BaseSettings]) -> None:
    missing = env_names(settings) - set(env_example_keys())

    assert not missing, f".env.example lacks {sorted(missing)}"


@pytest.mark.parametrize(("section", "settings"), SECTIONS.items(), ids=list(SECTIONS))
def test_each_service_section_of_env_example_lists_only_its_settings(
    section: str, settings: type[BaseSettings]
) -> None:
    [title] = [title for title in env_example_sections() if title.startswith(section)]

    strangers = set(env_example_sections()[title]) - env_names(settings) - set(PLAIN_VARIABLES)

    assert not strangers, f"{sorted(strangers)} are not {settings.__module__} settings"


def test_every_key_in_env_example_is_read_by_some_code() -> None:
    known = set().union(*(env_names(settings) for settings in SETTINGS_CLASSES))

    for key in set(env_example_keys()) - known:
        assert key in PLAIN_VARIABLES, f"{key} in .env.example is no setting"
        assert f'"{key}"' in (REPO_ROOT / PLAIN_VARIABLES[key]).read_text()


@pytest.mark.parametrize("settings", SETTINGS_CLASSES, ids=lambda s: s.__module__)
def test_env_example_values_are_the_settings_defaults(settings: type[BaseSettings]) -> None:
    documented = env_example_keys()
    # Settings without a default (a token, say) are commented out, with how to get one.
    required = {name: "x" for name, field in settings.model_fields.items() if field.is_required()}

    for name, field in settings.model_fields.items():
        if name.upper() not in documented:
            continue  # the completeness test above names it
        value = documented[name.upper()]
        if value is None:
            # Unset means: none (or an empty list), a computed path, or required.
            unset = field.default in (None, []) or name == "outbox_dir" or name in required
            assert unset, f"{name.upper()} has a default"
            continue
        # Parsed the way the service parses it, so "5" and 5.0 compare equal.
        parsed = getattr(settings(_env_file=None, **{**required, name: value}), name)  # type: ignore[call-arg]
        assert parsed == field.default, f"{name.upper()}={value} but the default is {field.default}"
