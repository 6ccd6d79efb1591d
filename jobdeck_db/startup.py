"""Refuse to start, in one line, when the database is not usable as configured."""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, TypeVar

from pydantic import ValidationError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


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


Loaded = TypeVar("Loaded")


def load_settings(settings_class: Callable[[], Loaded]) -> Loaded:
    """Read a service's settings, or stop at once with one line naming each bad variable."""
    try:
        return settings_class()
    except ValidationError as error:
        problems = "; ".join(
            f"{'_'.join(str(part) for part in problem['loc']).upper()}: {problem['msg']}"
            f" (got {problem['input']!r})"
            for problem in error.errors(include_url=False)
        )
        raise SystemExit(f"Invalid settings: {problems}") from None
