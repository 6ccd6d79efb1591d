"""Our services as real processes on loopback, with their output in .data/logs."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from devstack import processes
from devstack.processes import REPO_ROOT, free_port

__all__ = ["REPO_ROOT", "free_port", "uvicorn_server"]


@contextmanager
def uvicorn_server(app: str, env: Mapping[str, str], port: int | None = None) -> Iterator[str]:
    """Run `uvicorn APP`; yield its base URL once GET /healthz answers 200."""
    port = port or free_port()
    log = REPO_ROOT / ".data" / "logs" / f"{app.split('.')[0]}-{port}.log"
    with processes.uvicorn_server(app, env, log, port) as (base_url, _process):
        yield base_url
