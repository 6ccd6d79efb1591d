"""deploy/ runs the stack the SPEC names, with the settings .env.example documents."""

import configparser
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]

from job_contract.bounds import MAX_WAIT_SECONDS
from jobdeck_access.settings import DEFAULT_ALLOWED_HOSTS
from jobdeck_access.tokens import looks_like_token
from jobdeck_cli.__main__ import _parser as jobdeck_parser
from producer_api import db as producer_db
from tests.env_example import env_example_keys
from tests.route_tables import frontend_routes, producer_routes, worker_routes
from worker_service import store as worker_store

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SECRET = "jobdeck-secrets"
CONFIG_MAP = "jobdeck-settings"
# (Deployment, compose service, SPEC port, the app's routes)
HTTP_SERVICES = [
    pytest.param("jobdeck-producer-api", "producer-api", 8000, producer_routes, id="producer"),
    pytest.param("jobdeck-worker-service", "worker-service", 3000, worker_routes, id="worker"),
    pytest.param("jobdeck-frontend", "frontend", 3001, frontend_routes, id="frontend"),
]
DATABASE_CLIENTS = ["jobdeck-producer-api", "jobdeck-worker-service"]
# Addresses the cluster has its own values for: the Services, not localhost.
SERVICE_ADDRESSES = {
    "WORKER_SERVICE_URL": "http://jobdeck-worker-service:3000",
    "PRODUCER_API_URL": "http://jobdeck-producer-api:8000",
}
SERVICE_NAMES = ["jobdeck-producer-api", "jobdeck-worker-service", "jobdeck-frontend"]
# ...and the Host names the services answer to: the probes' localhost and the Services.
CLUSTER_VALUES = {
    **SERVICE_ADDRESSES,
    "ALLOWED_HOSTS": ",".join([*DEFAULT_ALLOWED_HOSTS, *SERVICE_NAMES]),
    "LOG_FORMAT": "json",  # the image's default, said again where operators look
}
# PgBouncer passes these startup parameters on by itself (among others it tracks).
TRACKED_BY_PGBOUNCER = {"application_name", "timezone"}


def service(name: str) -> dict[str, Any]:
    """A service of docker-compose.yml, which the manifests follow."""
    compose = yaml.safe_load((DEPLOY.parent / "docker-compose.yml").read_text())
    config: dict[str, Any] = compose["services"][name]
    return config


def manifests() -> dict[str, list[dict[str, Any]]]:
    return {
        path.name: [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
        for path in sorted(DEPLOY.glob("*.yaml"))
    }


def resource(kind: str, name: str) -> dict[str, Any]:
    [found] = [
        doc
        for docs in manifests().values()
        for doc in docs
        if doc["kind"] == kind and doc["metadata"]["name"] == name
    ]
    return found


def pod(kind: str, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = resource(kind, name)["spec"]["template"]["spec"]
    return spec


def main_container(kind: str, name: str) -> dict[str, Any]:
    [container] = pod(kind, name)["containers"]
    found: dict[str, Any] = container
    return found


def all_containers() -> list[tuple[str, dict[str, Any]]]:
    return [
        (doc["metadata"]["name"], container)
        for docs in manifests().values()
        for doc in docs
        if doc["kind"] in ("Deployment", "Job")
        for container in [
            *doc["spec"]["template"]["spec"].get("initContainers", []),
            *doc["spec"]["template"]["spec"]["containers"],
        ]
    ]


def env_from_secret(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        env["name"]: env["valueFrom"]["secretKeyRef"]
        for env in container.get("env", [])
        if "secretKeyRef" in env.get("valueFrom", {})
    }


def config_map() -> dict[str, str]:
    data: dict[str, str] = resource("ConfigMap", CONFIG_MAP)["data"]
    return data


def workload_names() -> list[str]:
    return [
        doc["metadata"]["name"]
        for docs in manifests().values()
        for doc in docs
        if doc["kind"] in ("Deployment", "Job")
    ]


# --- the set of manifests --------------------------------------------------------------------


def test_the_kustomization_applies_every_manifest_but_the_example_secret() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())

    others = set(manifests()) - {"kustomization.yaml", "secret.example.yaml"}

    assert set(kustomization["resources"]) == others
    assert others == {
        "configmap.yaml",
        "migrate-job.yaml",
        "producer-api.yaml",
        "worker-service.yaml",
        "callbacks.yaml",
        "runner.yaml",
        "frontend.yaml",
    }


def test_every_workload_runs_the_image_the_kustomization_names() -> None:
    [image] = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["images"]

    images = {container["image"] for _, container in all_containers()}

    assert images == {image["name"]}
    assert (DEPLOY.parent / "Dockerfile").is_file()


def test_pods_run_as_the_dockerfiles_unprivileged_user() -> None:
    uid = int(re.findall(r"--uid (\d+)", (DEPLOY.parent / "Dockerfile").read_text())[0])

    for name in workload_names():
        kind = "Job" if name == "jobdeck-migrate" else "Deployment"
        security = pod(kind, name)["securityContext"]
        assert security == {"runAsNonRoot": True, "runAsUser": uid}, name


def test_every_container_requests_cpu_and_memory_and_limits_memory() -> None:
    for workload, container in all_containers():
        resources = container["resources"]
        assert {"cpu", "memory"} <= set(resources["requests"]), (workload, container["name"])
        assert "memory" in resources["limits"], (workload, container["name"])


# --- HTTP services ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "compose_name", "port", "routes"), HTTP_SERVICES)
def test_http_services_run_the_compose_command_on_their_spec_port(
    name: str, compose_name: str, port: int, routes: object
) -> None:
    container = main_container("Deployment", name)

    assert container["command"] == service(compose_name)["command"]
    assert container["command"][-2:] == ["--port", str(port)]
    # uvicorn's default `--lifespan auto` would serve without the app's state after a failed
    # startup (500s, yet a live /metrics); `on` exits, and the pod is restarted.
    assert container["command"][2:4] == ["--lifespan", "on"]
    assert [p["containerPort"] for p in container["ports"]] == [port]


@pytest.mark.parametrize(("name", "compose_name", "port", "routes"), HTTP_SERVICES)
def test_each_http_service_has_a_service_on_its_port_selecting_its_pods(
    name: str, compose_name: str, port: int, routes: object
) -> None:
    deployment = resource("Deployment", name)
    exposed = resource("Service", name)

    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert exposed["spec"]["selector"].items() <= pod_labels.items()
    [service_port] = exposed["spec"]["ports"]
    assert service_port["port"] == port
    [container_port] = main_container("Deployment", name)["ports"]
    assert service_port["targetPort"] in (port, container_port["name"])


@pytest.mark.parametrize(("name", "compose_name", "port", "routes"), HTTP_SERVICES)
def test_readiness_asks_healthz_and_every_probe_asks_a_route_the_app_serves(
    name: str, compose_name: str, port: int, routes: Any
) -> None:
    container = main_container("Deployment", name)
    served = routes()

    readiness = container["readinessProbe"]["httpGet"]
    assert (readiness["path"], readiness["port"]) == ("/healthz", port)
    liveness = container["livenessProbe"]["httpGet"]
    assert liveness["port"] == port
    for probe in (readiness, liveness):
        assert ("GET", probe["path"]) in served, f"{name} does not serve {probe['path']}"


@pytest.mark.parametrize(("name", "compose_name", "port", "routes"), HTTP_SERVICES)
def test_every_probe_asks_for_a_host_the_service_answers_to(
    name: str, compose_name: str, port: int, routes: object
) -> None:
    # Without a Host header kubelet sends the pod's IP, which ALLOWED_HOSTS refuses (400):
    # the pods would never be ready.
    allowed = config_map()["ALLOWED_HOSTS"].split(",")
    container = main_container("Deployment", name)

    for probe in ("readinessProbe", "livenessProbe"):
        headers = {h["name"]: h["value"] for h in container[probe]["httpGet"]["httpHeaders"]}
        assert headers["Host"] in allowed, (probe, headers)


@pytest.mark.parametrize("name", DATABASE_CLIENTS)
def test_database_services_are_not_restarted_by_a_database_outage(name: str) -> None:
    # /healthz is 503 while the database is away: fine for readiness, not for liveness.
    liveness = main_container("Deployment", name)["livenessProbe"]["httpGet"]

    assert liveness["path"] != "/healthz"


def test_the_worker_service_runs_two_replicas() -> None:
    assert resource("Deployment", "jobdeck-worker-service")["spec"]["replicas"] == 2


def test_the_worker_service_outlives_its_longest_long_poll() -> None:
    grace = pod("Deployment", "jobdeck-worker-service")["terminationGracePeriodSeconds"]

    assert grace > MAX_WAIT_SECONDS


# --- runners ---------------------------------------------------------------------------------


def test_runners_run_the_runner_module_with_no_port_and_no_service() -> None:
    runner = resource("Deployment", "jobdeck-runner")
    container = main_container("Deployment", "jobdeck-runner")
    labels = runner["spec"]["template"]["metadata"]["labels"]

    # Exec form, as in compose: the runner itself is PID 1 and gets the SIGTERM.
    assert container["command"][:3] == service("runner")["command"]
    assert "ports" not in container
    assert runner["spec"]["replicas"] >= 2
    selectors = [
        doc["spec"]["selector"]
        for docs in manifests().values()
        for doc in docs
        if doc["kind"] == "Service"
    ]
    assert all(not selector.items() <= labels.items() for selector in selectors)


def test_the_callback_process_is_opt_in_and_runs_as_compose_runs_it() -> None:
    deployment = resource("Deployment", "jobdeck-callbacks")
    container = main_container("Deployment", "jobdeck-callbacks")
    [init] = pod("Deployment", "jobdeck-callbacks")["initContainers"]

    assert deployment["spec"]["replicas"] == 0  # the worker services deliver by default
    assert config_map()["CALLBACK_IN_SERVICE"] == "true"
    assert container["command"] == service("callbacks")["command"]
    assert container["command"] == ["python", "-m", "worker_service.callbacks"]
    assert "ports" not in container
    assert init["command"] == ["jobdeck", "wait-for-migrations"]
    assert {"configMapRef": {"name": CONFIG_MAP}} in container["envFrom"]
    secrets = env_from_secret(container)
    assert secrets["DATABASE_URL"] == {"name": SECRET, "key": "DATABASE_URL"}
    assert secrets["WEBHOOK_SECRET"]["key"] == "WEBHOOK_SECRET"


def test_runners_are_given_longer_than_their_shutdown_grace_to_stop() -> None:
    grace = pod("Deployment", "jobdeck-runner")["terminationGracePeriodSeconds"]

    configured = float(config_map()["SHUTDOWN_GRACE_SECONDS"])
    default = float(env_example_keys()["SHUTDOWN_GRACE_SECONDS"] or 0)

    # Failing back what is left takes a request per job after the grace itself.
    assert grace >= max(configured, default) + 10


def test_runners_keep_their_outbox_on_a_writable_volume() -> None:
    [mount] = main_container("Deployment", "jobdeck-runner")["volumeMounts"]
    volumes = {volume["name"]: volume for volume in pod("Deployment", "jobdeck-runner")["volumes"]}

    assert mount["mountPath"] == "/app/.data/outbox"
    assert "emptyDir" in volumes[mount["name"]]


# --- migrations ------------------------------------------------------------------------------


def test_the_migration_job_runs_alembic_once_with_the_database_secret() -> None:
    job = resource("Job", "jobdeck-migrate")
    container = main_container("Job", "jobdeck-migrate")

    assert container["command"] == ["alembic", "upgrade", "head"]
    assert container["command"] == service("migrate")["command"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert env_from_secret(container)["DATABASE_URL"] == {"name": SECRET, "key": "DATABASE_URL"}


@pytest.mark.parametrize("name", DATABASE_CLIENTS)
def test_database_services_wait_for_the_migration_with_the_migration_guard(name: str) -> None:
    [init] = pod("Deployment", name)["initContainers"]

    assert init["command"] == ["jobdeck", "wait-for-migrations"]
    jobdeck_parser().parse_args(init["command"][1:])  # a typo would block every rollout
    assert env_from_secret(init)["DATABASE_URL"] == {"name": SECRET, "key": "DATABASE_URL"}


def test_the_image_has_the_jobdeck_command() -> None:
    pyproject = tomllib.loads((DEPLOY.parent / "pyproject.toml").read_text())

    assert pyproject["project"]["scripts"]["jobdeck"] == "jobdeck_cli.__main__:main"
    # Installing the project (not only its dependencies) is what puts `jobdeck` on PATH.
    assert "pip install --no-deps ." in (DEPLOY.parent / "Dockerfile").read_text()


# --- settings --------------------------------------------------------------------------------


def test_every_environment_variable_a_manifest_sets_is_in_env_example() -> None:
    documented = set(env_example_keys())

    for workload, container in all_containers():
        names = {env["name"] for env in container.get("env", [])}
        assert names <= documented, (workload, sorted(names - documented))
    assert set(config_map()) <= documented, sorted(set(config_map()) - documented)


def test_the_config_map_holds_env_examples_defaults_and_the_service_addresses() -> None:
    documented = env_example_keys()

    for key, value in config_map().items():
        expected = CLUSTER_VALUES.get(key, documented[key])
        assert value == expected, f"{key}: {value!r} but expected {expected!r}"


def test_the_services_answer_to_the_names_pods_call_them_by() -> None:
    allowed = config_map()["ALLOWED_HOSTS"].split(",")

    called = {urlsplit(url).hostname for url in SERVICE_ADDRESSES.values()}

    assert called <= set(allowed)
    assert "*" not in allowed  # any Host would reopen DNS rebinding


@pytest.mark.parametrize("name", [*DATABASE_CLIENTS, "jobdeck-runner", "jobdeck-frontend"])
def test_every_long_running_workload_reads_the_config_map(name: str) -> None:
    sources = main_container("Deployment", name)["envFrom"]

    assert {"configMapRef": {"name": CONFIG_MAP}} in sources


def test_credentials_come_from_the_secret_and_never_from_the_config_map() -> None:
    for key in ("DATABASE_URL", "SMTP_URL", "NOTIFY_WEBHOOK_URL", "SESSION_SECRET"):
        assert key not in config_map()
    assert "JOBDECK_TOKEN" not in config_map()

    for name in DATABASE_CLIENTS:
        reference = env_from_secret(main_container("Deployment", name))["DATABASE_URL"]
        assert reference == {"name": SECRET, "key": "DATABASE_URL"}


@pytest.mark.parametrize("name", ["jobdeck-runner", "jobdeck-frontend"])
def test_http_clients_hold_no_database_credentials(name: str) -> None:
    assert "DATABASE_URL" not in env_from_secret(main_container("Deployment", name))


def test_runners_read_the_optional_smtp_and_webhook_secrets() -> None:
    secrets = env_from_secret(main_container("Deployment", "jobdeck-runner"))

    # Optional: an absent key leaves the variable unset, and the runner uses its outbox.
    for key in ("SMTP_URL", "NOTIFY_WEBHOOK_URL"):
        assert secrets[key] == {"name": SECRET, "key": key, "optional": True}


def test_the_example_secret_names_the_database_and_no_empty_value() -> None:
    [secret] = manifests()["secret.example.yaml"]

    assert secret["metadata"]["name"] == SECRET
    assert secret["stringData"]["DATABASE_URL"].startswith("postgresql://")
    assert all(value for value in secret["stringData"].values())
    assert set(secret["stringData"]) <= set(env_example_keys())


def test_the_example_secret_has_every_key_a_pod_needs() -> None:
    [secret] = manifests()["secret.example.yaml"]

    for workload, container in all_containers():
        for name, reference in env_from_secret(container).items():
            if not reference.get("optional"):
                assert reference["key"] in secret["stringData"], (workload, name)


def test_the_example_secrets_placeholders_cannot_be_used_as_they_are() -> None:
    [secret] = manifests()["secret.example.yaml"]

    # Applied unchanged, nothing may run on a known secret: the dashboard refuses a session
    # secret under 32 characters, and no token of ours looks like the placeholder.
    assert len(secret["stringData"]["SESSION_SECRET"]) < 32
    assert not looks_like_token(secret["stringData"]["RUNNER_TOKEN"])


def test_runners_need_a_runner_token_from_the_secret() -> None:
    secrets = env_from_secret(main_container("Deployment", "jobdeck-runner"))

    # Not optional: without it the pod waits for the Secret instead of starting and failing.
    assert secrets["JOBDECK_TOKEN"] == {"name": SECRET, "key": "RUNNER_TOKEN"}


def test_the_dashboard_needs_its_session_secret_from_the_secret() -> None:
    secrets = env_from_secret(main_container("Deployment", "jobdeck-frontend"))

    assert secrets["SESSION_SECRET"] == {"name": SECRET, "key": "SESSION_SECRET"}
    assert "JOBDECK_TOKEN" not in secrets  # it acts with each person's own token


def test_no_workload_is_told_it_runs_locally() -> None:
    # ENVIRONMENT=local would let the dashboard make up a session secret of its own.
    assert "ENVIRONMENT" not in config_map()
    for workload, container in all_containers():
        assert "ENVIRONMENT" not in {env["name"] for env in container.get("env", [])}, workload


def readme_commands() -> list[list[str]]:
    """The `jobdeck …` commands deploy/README.md gives, as arguments."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", (DEPLOY / "README.md").read_text(), re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            code = line.split("#")[0]  # comments may mention the command in prose
            for found in re.findall(r"\bjobdeck ([^)|;]*)", code):
                commands.append(shlex.split(found))
    return commands


def test_the_readme_creates_a_runner_token_and_an_admin_token_with_real_commands() -> None:
    roles = []

    for command in readme_commands():
        args = jobdeck_parser().parse_args(command)  # a typo would exit here
        if args.command == "tokens" and args.action == "create":
            roles.append(args.role)

    assert {"runner", "admin"} <= set(roles)


# --- PgBouncer -------------------------------------------------------------------------------


def pgbouncer_ini() -> configparser.ConfigParser:
    ini = configparser.ConfigParser()
    ini.read(DEPLOY / "pgbouncer" / "pgbouncer.ini")
    return ini


def test_the_example_pgbouncer_pool_is_in_session_mode() -> None:
    options = dict(pair.split("=", 1) for pair in pgbouncer_ini()["databases"]["jobdeck"].split())

    assert options["pool_mode"] == "session"


async def test_pgbouncer_is_told_to_ignore_every_startup_parameter_the_services_send(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: set[str] = set()

    def engine(url: str, **options: Any) -> None:
        sent.update(options["connect_args"]["server_settings"])

    async def pool(dsn: str, **options: Any) -> None:
        sent.update(options["server_settings"])

    monkeypatch.setattr(producer_db, "create_async_engine", engine)
    monkeypatch.setattr(asyncpg, "create_pool", pool)
    producer_db.create_engine("postgresql://u@h/db", 1)
    for durable in (True, False):
        await worker_store.create_pool("postgresql://u@h/db", 1, durable)

    ignored = pgbouncer_ini()["pgbouncer"]["ignore_startup_parameters"].split(",")

    assert "synchronous_commit" in sent  # the capture saw both services
    assert sent - TRACKED_BY_PGBOUNCER <= {name.strip() for name in ignored}
