"""The worker bench's callback receiver (`--callbacks`): an aiohttp server on loopback that
answers 200 at once and notes, per delivery, how long after the job's outcome it arrived."""

import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web

from bench.producer_bench import percentile
from devstack.processes import free_port


@dataclass
class CallbackLags:
    """Seconds from a job's completed_at (the database's clock, the same machine's) to its
    callback's arrival, and the webhook-ids seen (a repeat would be a delivery sent twice)."""

    seconds: list[float] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    repeats: int = 0

    def summary(self) -> dict[str, float | int]:
        ms = [lag * 1000 for lag in self.seconds]
        return {
            "delivered": len(ms),
            "repeated": self.repeats,
            "lag_p50_ms": round(percentile(ms, 50), 1) if ms else float("nan"),
            "lag_p95_ms": round(percentile(ms, 95), 1) if ms else float("nan"),
        }


@contextlib.asynccontextmanager
async def callback_receiver() -> AsyncIterator[tuple[str, CallbackLags]]:
    """Yield the URL to give jobs as callback_url, and what it has received so far."""
    lags = CallbackLags()

    async def receive(request: web.Request) -> web.Response:
        arrived = time.time()
        message = json.loads(await request.read())
        completed_at = message["data"]["completed_at"] or message["data"]["updated_at"]
        lags.seconds.append(arrived - datetime.fromisoformat(completed_at).timestamp())
        webhook_id = request.headers["webhook-id"]
        lags.repeats += webhook_id in lags.ids
        lags.ids.add(webhook_id)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/hook", lags
    finally:
        await runner.cleanup()
