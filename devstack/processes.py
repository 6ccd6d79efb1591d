"""Start our services as real processes on loopback, the way they are deployed.

Shared by `make run`, the tests and the benchmarks.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(
    base_url: str, process: subprocess.Popen[bytes], seconds: float = 30
) -> bool:
    """True once GET /healthz answers 200; False if the process exits or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def stop(process: subprocess.Popen[bytes], seconds: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not exited in time."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def uvicorn_server(
    app: str, env: Mapping[str, str], log: Path, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run `uvicorn APP` on loopback; yield its base URL and process once it is healthy."""
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        if not wait_until_healthy(base_url, process):
            raise RuntimeError(f"{app} at {base_url} did not start:\n{log.read_text()}")
        yield base_url, process
    finally:
        stop(process)


def start_module(
    module: str, args: list[str], env: Mapping[str, str], log: Path
) -> subprocess.Popen[bytes]:
    """`python -m MODULE ARGS` with its output in `log`; the caller stops it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    # The child keeps its own copy of the log's descriptor; ours can close at once.
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=REPO_ROOT,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def start_runner(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m worker_service.runner ARGS`; the caller stops it (SIGTERM drains it)."""
    return start_module("worker_service.runner", args, env, log)


@contextmanager
def deliverer_process(env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m worker_service.callbacks`, the callback deliverer on its own; stopped by its
    PID at the end."""
    process = start_module("worker_service.callbacks", [], env, log)
    try:
        yield process
    finally:
        stop(process)
