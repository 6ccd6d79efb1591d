"""X-Request-ID on every service: taken from the caller when it is a sensible id, made up
otherwise, returned on every response and bound to every line logged while serving it.

A pure ASGI wrapper, outermost, so refusals made before any route (400 Host, 401, 403, 413,
503 while starting) carry the id too.
"""

import itertools
import re
import secrets
from dataclasses import dataclass
from typing import Final

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobdeck_runtime import logs
from jobdeck_runtime.request_guards import header

HEADER: Final = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode()
# Long enough for a UUID with a prefix, short and plain enough that no caller can put a line
# break, markup or a megabyte into every log line of the request.
MAX_LENGTH: Final = 128
_VALID = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_LENGTH}}}")


# A random prefix per process and a counter: as unique as a UUID4 for what ids are used for
# (finding one request's lines), at a fraction of its cost, paid on every claim.
_PROCESS_PREFIX: Final = secrets.token_hex(8)
_sequence = itertools.count(1)


def new_request_id() -> str:
    return f"{_PROCESS_PREFIX}{next(_sequence):016x}"


def accepted(raw: str | None) -> str:
    """The caller's id if it is one we take, else a new one."""
    if raw is not None and _VALID.fullmatch(raw):
        return raw
    return new_request_id()


def outgoing() -> str:
    """The id to send with a call made on behalf of what is being served (or a new one)."""
    bound = logs.current("request_id")
    return str(bound) if bound else new_request_id()


async def forward(request: httpx.Request) -> None:
    """An httpx request hook: the call carries the id of the request it is made for."""
    request.headers[HEADER] = outgoing()


@dataclass(frozen=True)
class RequestIds:
    app: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted(header(scope, _HEADER_KEY))

        id_header = (_HEADER_KEY, request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Appended to the app's headers (optional in ASGI), replacing any it set.
                headers = [
                    (key, value)
                    for key, value in message.get("headers", ())
                    if key.lower() != _HEADER_KEY
                ]
                headers.append(id_header)
                message["headers"] = headers
            await send(message)

        with logs.bound(request_id=request_id):
            await self.app(scope, receive, send_with_id)
