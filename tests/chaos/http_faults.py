"""The worker service behind an HTTP proxy a test can break, between it and the runners.

Faults, each by path prefix: a request reset before it reaches the service, an answer dropped
after the service acted on the request (either way the runner sees its connection reset and
cannot know whether it counted), and requests held unanswered and never forwarded (a
half-open path: the runner hears nothing until it gives up).
It runs in the test's own event loop; the runners are other processes.
"""

import asyncio
from collections import Counter, deque
from collections.abc import Mapping
from types import TracebackType
from typing import Literal

import aiohttp
from aiohttp import web

from tests.servers import free_port

# What the proxy passes on of a request's headers, and of an answer's.
_REQUEST_HEADERS = ("Authorization", "Content-Type")
_ANSWER_HEADERS = ("Content-Type",)

Fault = Literal["reset request", "drop answer"]


class FaultyHttpProxy:
    def __init__(self, target: str) -> None:
        self._target = target.rstrip("/")
        self.port = free_port()
        self._faults: dict[str, deque[Fault]] = {}  # path prefix -> the next requests' faults
        self._held: set[str] = set()
        self._healed = asyncio.Event()
        self.forwarded: Counter[str] = Counter()  # path -> requests the service answered
        self.injected: Counter[Fault] = Counter()
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset_requests(self, path_prefix: str, count: int = 1) -> None:
        """Hang up on the next `count` requests under `path_prefix`, forwarding nothing."""
        self._faults.setdefault(path_prefix, deque()).extend(["reset request"] * count)

    def drop_answers(self, path_prefix: str, count: int = 1) -> None:
        """Forward the next `count` requests under `path_prefix`, then hang up unanswered."""
        self._faults.setdefault(path_prefix, deque()).extend(["drop answer"] * count)

    def hold(self, path_prefix: str = "/") -> None:
        """Hold requests under `path_prefix` unanswered, forwarding nothing, until heal()."""
        self._held.add(path_prefix)
        self._healed.clear()

    def heal(self) -> None:
        """Pass everything again; held requests are answered 502 (their runners are gone)."""
        self._held.clear()
        self._faults.clear()
        self._healed.set()

    async def __aenter__(self) -> "FaultyHttpProxy":
        # No timeout: a claim may be held for as long as the runner's long-poll asks.
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, shutdown_timeout=1, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.heal()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if any(path.startswith(prefix) for prefix in self._held):
            await self._healed.wait()
            return web.Response(status=502)
        fault = self._next_fault(path)
        if fault == "reset request":
            return self._hang_up(request, fault)
        assert self._session is not None
        async with self._session.request(
            request.method,
            self._target + request.path_qs,
            data=await request.read(),
            headers=_picked(request.headers, _REQUEST_HEADERS),
        ) as upstream:
            body = await upstream.read()
        self.forwarded[path] += 1
        if fault == "drop answer":
            return self._hang_up(request, fault)
        headers = _picked(upstream.headers, _ANSWER_HEADERS)
        return web.Response(status=upstream.status, body=body, headers=headers)

    def _next_fault(self, path: str) -> Fault | None:
        for prefix, faults in self._faults.items():
            if path.startswith(prefix) and faults:
                return faults.popleft()
        return None

    def _hang_up(self, request: web.Request, fault: Fault) -> web.Response:
        self.injected[fault] += 1
        assert request.transport is not None
        request.transport.abort()  # a reset: the runner cannot tell whether it counted
        return web.Response(status=502)  # never sent: the connection is gone


def _picked(headers: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {name: headers[name] for name in names if name in headers}
