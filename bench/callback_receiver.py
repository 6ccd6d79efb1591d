"""The worker bench's callback receiver (`--callbacks`): a bare HTTP/1.1 server on loopback
that answers 200 at once and notes, per delivery, how long after the job's outcome it arrived.

It shares the machine's CPUs with what is measured, so it does as little as a receiver can:
an asyncio protocol over keep-alive connections that finds the two things it needs (the
webhook-id header, the job's completed_at) without a framework or a full JSON parse. An
aiohttp app spent about as much CPU per callback as the deliverer sending it.
"""

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from bench.producer_bench import percentile

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
COMPLETED_AT = b'"completed_at":"'


@dataclass
class CallbackLags:
    """Seconds from a job's completed_at (the database's clock, the same machine's) to its
    callback's arrival, and the webhook-ids seen (a repeat would be a delivery sent twice)."""

    seconds: list[float] = field(default_factory=list)
    ids: set[bytes] = field(default_factory=set)
    repeats: int = 0

    def summary(self) -> dict[str, float | int]:
        ms = [lag * 1000 for lag in self.seconds]
        return {
            "delivered": len(ms),
            "repeated": self.repeats,
            "lag_p50_ms": round(percentile(ms, 50), 1) if ms else float("nan"),
            "lag_p95_ms": round(percentile(ms, 95), 1) if ms else float("nan"),
        }

    def received(self, head: bytes, body: bytes, arrived: float) -> None:
        self.seconds.append(arrived - _outcome_at(body))
        webhook_id = _header(head, b"\r\nwebhook-id:")
        self.repeats += webhook_id in self.ids
        self.ids.add(webhook_id)


def _outcome_at(body: bytes) -> float:
    """The job's completed_at (or, failed without one, updated_at) as a Unix time."""
    start = body.find(COMPLETED_AT)
    if start >= 0:
        start += len(COMPLETED_AT)
        stamp = body[start : body.index(b'"', start)].decode()
    else:
        data = json.loads(body)["data"]
        stamp = data["completed_at"] or data["updated_at"]
    return datetime.fromisoformat(stamp).timestamp()


def _header(head: bytes, name: bytes) -> bytes:
    start = head.lower().index(name) + len(name)
    end = head.find(b"\r\n", start)
    return head[start : end if end >= 0 else len(head)].strip()


class _Receiving(asyncio.Protocol):
    def __init__(self, lags: CallbackLags, open_ones: set[asyncio.Transport]) -> None:
        self._lags = lags
        self._open = open_ones
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self._transport = cast(asyncio.Transport, transport)
        self._open.add(self._transport)

    def connection_lost(self, exc: Exception | None) -> None:
        assert self._transport is not None
        self._open.discard(self._transport)

    def data_received(self, data: bytes) -> None:
        arrived = time.time()
        self._buffer += data
        while (end := self._buffer.find(b"\r\n\r\n")) >= 0:
            head = self._buffer[:end]
            length = int(_header(head, b"\r\ncontent-length:") or 0)
            if len(self._buffer) < end + 4 + length:
                return  # the rest of the body is still coming
            body = self._buffer[end + 4 : end + 4 + length]
            self._buffer = self._buffer[end + 4 + length :]
            self._lags.received(head, body, arrived)
            assert self._transport is not None
            self._transport.write(ANSWER)


@contextlib.asynccontextmanager
async def callback_receiver() -> AsyncIterator[tuple[str, CallbackLags]]:
    """Yield the URL to give jobs as callback_url, and what it has received so far."""
    lags = CallbackLags()
    open_ones: set[asyncio.Transport] = set()
    server = await asyncio.get_running_loop().create_server(
        lambda: _Receiving(lags, open_ones), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/hook", lags
    finally:
        server.close()
        for transport in list(open_ones):  # the deliverer's keep-alive connections
            transport.close()
        await server.wait_closed()
