"""Refuse to start, in one line, when a service cannot run as configured."""

from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class StartupRefused(Exception):
    """A problem the operator must fix before the service can run; the message says how."""


class StartupGuard:
    """Run `check` before the app's own startup; a StartupRefused becomes uvicorn's one-line
    "startup failed" message instead of a traceback."""

    def __init__(self, app: ASGIApp, check: Callable[[], Awaitable[None]]) -> None:
        self.app = app
        self.check = check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        startup = await receive()
        try:
            await self.check()
        except StartupRefused as refusal:
            await send({"type": "lifespan.startup.failed", "message": str(refusal)})
            return
        replayed = False

        async def receive_with_startup() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return startup
            return await receive()

        await self.app(scope, receive_with_startup, send)
