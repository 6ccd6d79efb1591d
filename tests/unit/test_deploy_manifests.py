"""deploy/ runs the stack the SPEC names, with the settings .env.example documents."""

import configparser
import re
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]

from job_contract.bounds import MAX_WAIT_SECONDS
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
    assert readiness == {"path": "/healthz", "port": port}
    liveness = container["livenessProbe"]["httpGet"]
    assert liveness["port"] == port
    for probe in (readiness, liveness):
        assert ("GET", probe["path"]) in served, f"{name} does not serve {probe['path']}"


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

    assert init["command"][:2] == ["python", "-c"]
    script = init["command"][2]
    compile(script, f"{name} init container", "exec")  # a typo would block every rollout
    assert "ensure_migrated(database_url())" in script
    assert env_from_secret(init)["DATABASE_URL"] == {"name": SECRET, "key": "DATABASE_URL"}


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
        expected = SERVICE_ADDRESSES.get(key, documented[key])
        assert value == expected, f"{key}: {value!r} but expected {expected!r}"


@pytest.mark.parametrize("name", [*DATABASE_CLIENTS, "jobdeck-runner", "jobdeck-frontend"])
def test_every_long_running_workload_reads_the_config_map(name: str) -> None:
    sources = main_container("Deployment", name)["envFrom"]

    assert {"configMapRef": {"name": CONFIG_MAP}} in sources


def test_credentials_come_from_the_secret_and_never_from_the_config_map() -> None:
    for key in ("DATABASE_URL", "SMTP_URL", "NOTIFY_WEBHOOK_URL"):
        assert key not in config_map()

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
