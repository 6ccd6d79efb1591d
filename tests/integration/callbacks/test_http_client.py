"""The callbacks' own HTTP client against a real aiohttp server on loopback: keep-alive reuse,
a chunked answer, and a kept connection the server closed meanwhile."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from worker_service.callbacks.http import CallbackClient

HEADERS = {"host": "receiver.example", "content-type": "application/json"}


class Server:
    def __init__(self) -> None:
        self.peers: list[object] = []  # the client's address of each request
        self.transports: list[asyncio.BaseTransport] = []
        self.bodies: list[bytes] = []
        self.port = 0


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    seen = Server()

    async def plain(request: web.Request) -> web.Response:
        seen.bodies.append(await request.read())
        seen.peers.append(request.transport.get_extra_info("peername"))  # type: ignore[union-attr]
        seen.transports.append(request.transport)  # type: ignore[arg-type]
        return web.Response(status=202, text="accepted", headers={"Retry-After": "7"})

    async def chunked(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for part in (b"first ", b"second ", b"third"):
            await response.write(part)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_post("/hook", plain)
    app.router.add_post("/chunked", chunked)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    seen.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield seen
    finally:
        await runner.cleanup()


async def test_posts_share_one_kept_alive_connection(server: Server) -> None:
    client = CallbackClient()
    try:
        answers = [
            await client.post("127.0.0.1", server.port, None, "/hook", HEADERS, b'{"n": %d}' % n)
            for n in range(3)
        ]
    finally:
        client.close()

    assert [(a.status, a.body, a.headers["retry-after"]) for a in answers] == [
        (202, b"accepted", "7")
    ] * 3
    assert server.bodies == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']
    assert len(set(map(str, server.peers))) == 1


async def test_a_chunked_answer_is_read_whole(server: Server) -> None:
    client = CallbackClient()
    try:
        answer = await client.post("127.0.0.1", server.port, None, "/chunked", HEADERS, b"{}")
    finally:
        client.close()

    assert (answer.status, answer.body, answer.charset) == (200, b"first second third", "utf-8")


async def test_a_kept_connection_the_server_closed_is_replaced(server: Server) -> None:
    client = CallbackClient()
    try:
        await client.post("127.0.0.1", server.port, None, "/hook", HEADERS, b"1")
        server.transports[0].close()  # the server drops the idle connection

        answer = await client.post("127.0.0.1", server.port, None, "/hook", HEADERS, b"2")
    finally:
        client.close()

    assert answer.status == 202
    assert server.bodies == [b"1", b"2"]
    assert server.peers[0] != server.peers[1]  # a new connection
