"""A TCP proxy in front of PostgreSQL that a test can cut and restore, like a database restart.

Cutting closes every proxied connection and refuses new ones until `restore()`. Freezing
forwards nothing either way, closing nothing, until `thaw()`: a half-open connection, as when a
network path dies without a word. It runs on its own thread and loop, so it keeps serving
while a test blocks (e.g. waiting for a server).
"""

import asyncio
import contextlib
import threading
from urllib.parse import parse_qs, urlsplit

from jobdeck_db import urls


class DatabaseProxy:
    def __init__(self, database_url: str) -> None:
        parts = urlsplit(database_url)
        self._socket_dir = parse_qs(parts.query).get("host", [None])[0]
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._database_url = database_url
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.port = 0
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.restore()

    @property
    def url(self) -> str:
        """DATABASE_URL, through the proxy."""
        parts = urlsplit(urls.validate(self._database_url))
        credentials = parts.netloc.rpartition("@")[0]
        return f"postgresql://{credentials}@127.0.0.1:{self.port}{parts.path}"

    def cut(self) -> None:
        self._call(self._cut())

    def restore(self) -> None:
        self._call(self._listen())

    def freeze(self) -> None:
        self._loop.call_soon_threadsafe(self._flowing.clear)

    def thaw(self) -> None:
        self._loop.call_soon_threadsafe(self._flowing.set)

    def close(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def _call(self, coroutine: object) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)  # type: ignore[arg-type]

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.close()

    async def _pipe(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        if self._socket_dir:
            socket_path = f"{self._socket_dir}/.s.PGSQL.{self._target[1]}"
            server_reader, server_writer = await asyncio.open_unix_connection(socket_path)
        else:
            server_reader, server_writer = await asyncio.open_connection(*self._target)
        self._writers |= {client_writer, server_writer}
        await asyncio.gather(
            self._copy(client_reader, server_writer), self._copy(server_reader, client_writer)
        )

    async def _copy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        writer.close()
        self._writers.discard(writer)
