"""docker-compose.yml and .env.example describe the stack the SPEC names."""

import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic_settings import BaseSettings

from frontend.settings import Settings as FrontendSettings
from jobdeck_access.settings import DEFAULT_ALLOWED_HOSTS
from jobdeck_cli.__main__ import _parser as jobdeck_parser
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
    "LOG_LEVEL": "jobdeck_runtime/logs.py",
    "LOG_FORMAT": "jobdeck_runtime/logs.py",
    "PRODUCER_API_PORT": "devstack/__main__.py",
    "WORKER_SERVICE_PORT": "devstack/__main__.py",
    "FRONTEND_PORT": "devstack/__main__.py",
}
# Variables only docker compose reads (it interpolates them into docker-compose.yml).
COMPOSE_VARIABLES = {"PUBLISH_ADDRESS", "RUNNER_TOKEN"}
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


def allowed_hosts(name: str) -> list[str]:
    return with_defaults(service(name)["environment"]["ALLOWED_HOSTS"]).split(",")


def compose_run(args: list[str]) -> tuple[list[str], str, list[str]]:
    """(options, service, command) of `docker compose run ARGS`."""
    options: list[str] = []
    rest = iter(args)
    for arg in rest:
        if arg in ("-e", "--env"):
            options += [arg, next(rest)]
        elif arg.startswith("-"):
            options.append(arg)
        else:
            return options, arg, list(rest)
    raise AssertionError(f"no service in docker compose run {shlex.join(args)}")


def documented_commands() -> list[list[str]]:
    """The commands docker-compose.yml's opening comment tells you to run, as arguments
    (the command inside `$(…)` on its own)."""
    commands = []
    for line in (REPO_ROOT / "docker-compose.yml").read_text().splitlines():
        if not line.startswith("#   "):
            continue
        command = line[1:].split("  #")[0].strip()
        inner = re.search(r"\$\((docker compose [^)]*)\)", command)
        commands.append(shlex.split(inner.group(1) if inner else command))
    return commands


def env_names(settings: type[BaseSettings]) -> set[str]:
    return {name.upper() for name in settings.model_fields}


# --- docker-compose.yml ---------------------------------------------------------------------


def test_compose_describes_the_specd_stack() -> None:
    services = load_compose()["services"]
    started_by_default = {name for name, config in services.items() if not config.get("profiles")}

    assert started_by_default == {"postgres", *JOBDECK_SERVICES}


def test_the_callback_process_is_opt_in_and_runs_the_deliverer_alone() -> None:
    config = service("callbacks")

    assert config["profiles"] == ["callbacks-process"]
    assert config["command"] == ["python", "-m", "worker_service.callbacks"]
    assert "migrate" in config["depends_on"]


@pytest.mark.parametrize(("name", "app", "port"), HTTP_SERVICES)
def test_http_services_run_uvicorn_on_their_spec_port_and_exit_if_startup_fails(
    name: str, app: str, port: int
) -> None:
    config = service(name)

    assert config["command"] == [
        "uvicorn", app, "--lifespan", "on", "--host", "0.0.0.0", "--port", str(port)
    ]  # fmt: skip
    assert [with_defaults(published) for published in config["ports"]] == [
        f"127.0.0.1:{port}:{port}"  # this machine only, unless PUBLISH_ADDRESS says otherwise
    ]


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


def test_compose_defaults_are_env_examples_values() -> None:
    text = (REPO_ROOT / "docker-compose.yml").read_text()
    documented = env_example_keys()

    for name, default in re.findall(r"\$\{(\w+):-([^}]*)\}", text):
        # An empty default is "unset", which .env.example writes as a commented-out line.
        assert (documented[name] or "") == default, f"{name}: compose says {default!r}"


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "app", "port"), HTTP_SERVICES)
def test_http_services_answer_to_localhost_by_default(name: str, app: str, port: int) -> None:
    # The published port is reached as localhost; the healthcheck asks for localhost too.
    assert set(DEFAULT_ALLOWED_HOSTS) <= set(allowed_hosts(name))


@pytest.mark.parametrize(("name", "app", "port"), HTTP_SERVICES)
def test_http_services_answer_to_the_names_other_containers_call_them_by(
    name: str, app: str, port: int
) -> None:
    for caller, config in load_compose()["services"].items():
        for value in (config.get("environment") or {}).values():
            address = urlsplit(str(value)) if str(value).startswith("http") else None
            if address and address.hostname == name:
                assert name in allowed_hosts(name), f"{caller} calls {name} by its name"


def test_the_runners_token_is_env_runner_token_with_no_default() -> None:
    token = service("runner")["environment"]["JOBDECK_TOKEN"]

    assert re.fullmatch(r"\$\{RUNNER_TOKEN(:-)?\}", token)
    assert with_defaults(token) == ""  # unset: the runner refuses to start, naming the variable


def test_the_dashboards_session_secret_is_passed_on_and_never_written_down() -> None:
    environment = service("frontend")["environment"]

    assert "SESSION_SECRET" in environment
    assert environment["SESSION_SECRET"] is None  # compose passes the shell's or .env's value


def test_no_service_is_told_it_runs_locally() -> None:
    # ENVIRONMENT=local would let the dashboard make up a session secret of its own.
    for name, config in load_compose()["services"].items():
        assert "ENVIRONMENT" not in (config.get("environment") or {}), name


def test_no_token_is_written_into_the_compose_file() -> None:
    assert "jd_" not in (REPO_ROOT / "docker-compose.yml").read_text()


def test_the_documented_first_run_creates_a_runner_token_and_an_admin_token() -> None:
    created = []

    for command in documented_commands():
        if command[:3] != ["docker", "compose", "run"]:
            continue
        options, name, inside = compose_run(command[3:])
        assert name in load_compose()["services"], command
        if inside[:1] == ["jobdeck"]:
            args = jobdeck_parser().parse_args(inside[1:])  # a typo would exit here
            if args.command == "tokens" and args.action == "create":
                created.append(args.role)
                assert "-T" in options, "a TTY would add \\r to the token it prints"
                assert "DATABASE_URL" in service(name)["environment"]

    assert created == ["runner", "admin"]


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
    compose = (REPO_ROOT / "docker-compose.yml").read_text()

    for key in set(env_example_keys()) - known:
        if key in COMPOSE_VARIABLES:
            assert "${" + key in compose, f"{key} is not used in docker-compose.yml"
            continue
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
