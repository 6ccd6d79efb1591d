"""A small HTTP/1.1 client for callbacks: one POST at a time per connection, kept alive.

Why not a general client: a callback is a POST of a few hundred bytes whose answer matters only
for its status, Retry-After, Location and first few hundred characters. At thousands a second
aiohttp spent ~130 µs of CPU on each (bench/README.md); this writes the request in one go and
lets httptools (the C parser uvicorn reads requests with) read the answer, chunked or not.

Connections are pooled by (address, port, TLS server name): the address is the one the SSRF
check passed (addresses.py), and a TLS connection is only reused for the name it verified.
"""

import asyncio
import ssl
from collections import defaultdict
from dataclasses import dataclass, field
from typing import cast

import httptools

# Bytes of an answer's body kept (the excerpt needs far fewer; the rest is read and dropped).
KEPT_BODY_BYTES = 4096
# Idle connections kept per destination: beyond that, a finished one is closed.
MAX_IDLE_PER_DESTINATION = 100

PoolKey = tuple[str, int, str | None]


class ConnectionLost(Exception):
    """The server closed the connection before it answered in full."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names; a repeated header keeps its last value
    body: bytes  # at most KEPT_BODY_BYTES
    charset: str | None = None

    @property
    def is_redirect(self) -> bool:
        return self.status in (301, 302, 303, 307, 308)


@dataclass
class _Reading:
    """The answer being read on one connection."""

    done: asyncio.Future[None]
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    header_name: bytes = b""


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.keep_alive = True
        self._reading: _Reading | None = None
        self._parser = httptools.HttpResponseParser(self)

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._reading is None:
            self.close()  # bytes nobody asked for: this connection cannot be trusted
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(ConnectionLost(f"malformed answer ({error})"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._reading is not None and self._reading.status:
            # An answer without a length ends with its connection.
            self.keep_alive = False
            self.on_message_complete()
        self._fail(ConnectionLost("the connection closed before the answer ended"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        assert self._reading is not None
        self._reading.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        assert self._reading is not None
        self._reading.status = self._parser.get_status_code()
        self.keep_alive = self._parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        assert self._reading is not None
        room = KEPT_BODY_BYTES - len(self._reading.body)
        if room > 0:
            self._reading.body += body[:room]

    def on_message_complete(self) -> None:
        reading, self._reading = self._reading, None
        if reading is not None and not reading.done.done():
            reading.done.set_result(None)

    # ours
    async def post(self, head: bytes, body: bytes) -> Answer:
        assert self.transport is not None
        reading = _Reading(asyncio.get_running_loop().create_future())
        self._reading = reading
        self.transport.write(head + body)
        await reading.done
        headers = reading.headers
        return Answer(reading.status, headers, bytes(reading.body), _charset(headers))

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _fail(self, error: Exception) -> None:
        reading, self._reading = self._reading, None
        if reading is not None and not reading.done.done():
            reading.done.set_exception(error)


class CallbackClient:
    """POSTs to an address already checked; keeps connections alive between them."""

    def __init__(self) -> None:
        self._idle: defaultdict[PoolKey, list[_Connection]] = defaultdict(list)
        self._tls = ssl.create_default_context()

    async def post(
        self,
        address: str,
        port: int,
        tls_name: str | None,
        target: str,
        headers: dict[str, str],
        body: bytes,
    ) -> Answer:
        """POST `body` to `target` (path and query) at address:port, over TLS verified for
        `tls_name` when one is given. `headers` must include Host."""
        key = (address, port, tls_name)
        head = _request_head(target, headers, len(body))
        connection = self._reuse(key)
        if connection is not None:
            try:
                answer = await connection.post(head, body)
            except ConnectionLost:
                # An idle connection the server had closed meanwhile: once more, on a new one.
                connection.close()
            else:
                self._release(key, connection)
                return answer
        connection = await self._connect(address, port, tls_name)
        try:
            answer = await connection.post(head, body)
        except BaseException:
            connection.close()
            raise
        self._release(key, connection)
        return answer

    def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    def _reuse(self, key: PoolKey) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if not connection.closed:
                return connection
        return None

    def _release(self, key: PoolKey, connection: _Connection) -> None:
        idle = self._idle[key]
        if connection.keep_alive and not connection.closed and len(idle) < MAX_IDLE_PER_DESTINATION:
            idle.append(connection)
        else:
            connection.close()

    async def _connect(self, address: str, port: int, tls_name: str | None) -> _Connection:
        loop = asyncio.get_running_loop()
        _transport, connection = await loop.create_connection(
            _Connection,
            address,
            port,
            ssl=self._tls if tls_name is not None else None,
            server_hostname=tls_name,
        )
        return connection


def _request_head(target: str, headers: dict[str, str], length: int) -> bytes:
    lines = [f"POST {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"content-length: {length}")
    for line in lines:
        if "\r" in line or "\n" in line:
            raise ValueError("a header holds a line break")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _charset(headers: dict[str, str]) -> str | None:
    for part in headers.get("content-type", "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"')
    return None
