"""One try of a delivery: POST the signed body, follow redirects only to allowed addresses,
and say what came of it. Nothing here touches the database.

The POST itself is http.py's: a small keep-alive client that costs a fraction of a general
one's CPU per callback, with connections pooled by checked address and TLS server name.
"""

import asyncio
import email.utils
import enum
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from yarl import URL

from job_contract.bounds import CALLBACK_EXCERPT_CHARS
from worker_service.callbacks.addresses import (
    AddressPolicy,
    DestinationRefused,
    HostUnresolved,
    checked_address,
)
from worker_service.callbacks.http import Answer, CallbackClient, ConnectionLost

# A receiver that redirects more often than this is answered as failing (a loop, likely).
MAX_REDIRECTS = 3
# Retry-After is honoured up to this long (a receiver cannot park a delivery for days).
MAX_RETRY_AFTER_SECONDS = 3600.0


class Verdict(enum.Enum):
    DELIVERED = "delivered"  # 2xx
    RETRY = "retry"  # worth another try: 5xx, 429, other 4xx, timeout, connection problems
    GIVE_UP = "give_up"  # 410 Gone, or a destination that may not be reached


@dataclass(frozen=True)
class TryResult:
    verdict: Verdict
    duration_ms: float
    status_code: int | None = None
    error: str | None = None
    excerpt: str | None = None
    retry_after: float | None = None  # seconds, when the receiver said (Retry-After)

    def summary(self) -> str:
        """What came back, in a few words: a status, or the error."""
        return f"HTTP {self.status_code}" if self.status_code is not None else self.error or ""


class Sender:
    """Sends tries over keep-alive connections."""

    def __init__(self, timeout_seconds: float, allowed: AddressPolicy) -> None:
        self.timeout_seconds = timeout_seconds
        self.allowed = allowed
        self._client = CallbackClient()

    async def close(self) -> None:
        self._client.close()

    async def send(self, url: str, headers: dict[str, str], body: bytes) -> TryResult:
        started = time.perf_counter()

        def took() -> float:
            return (time.perf_counter() - started) * 1000

        try:
            async with asyncio.timeout(self.timeout_seconds):
                answer = await self._post_following_redirects(url, headers, body)
        except DestinationRefused as refused:
            return TryResult(Verdict.GIVE_UP, took(), error=str(refused))
        except TimeoutError:
            timed_out = f"timed out after {self.timeout_seconds:g} s"
            return TryResult(Verdict.RETRY, took(), error=timed_out)
        except (HostUnresolved, _TooManyRedirects) as problem:
            return TryResult(Verdict.RETRY, took(), error=str(problem))
        except (ConnectionLost, OSError, ValueError) as error:
            failed = f"{type(error).__name__}: {error}"[:500]
            return TryResult(Verdict.RETRY, took(), error=failed)
        status = answer.status
        excerpt = _decoded(answer.body, answer.charset)[:CALLBACK_EXCERPT_CHARS] or None
        if 200 <= status < 300:
            return TryResult(Verdict.DELIVERED, took(), status_code=status, excerpt=excerpt)
        if status == 410:
            return TryResult(Verdict.GIVE_UP, took(), status_code=status, excerpt=excerpt)
        return TryResult(
            Verdict.RETRY,
            took(),
            status_code=status,
            excerpt=excerpt,
            retry_after=_retry_after(answer.headers.get("retry-after")),
        )

    async def _post_following_redirects(
        self, url: str, headers: dict[str, str], body: bytes
    ) -> Answer:
        target = URL(url, encoded=True)
        for _ in range(MAX_REDIRECTS + 1):
            answer = await self._post(target, headers, body)
            location = answer.headers.get("location")
            if not answer.is_redirect or location is None:
                return answer
            # The same signed POST to the new place: its address is checked like the first.
            target = target.join(URL(location, encoded=True))
        raise _TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")

    async def _post(self, target: URL, headers: dict[str, str], body: bytes) -> Answer:
        host = target.raw_host
        if target.scheme not in ("http", "https") or not host:
            raise DestinationRefused(f"refused: {target.scheme} is not http or https")
        https = target.scheme == "https"
        port = target.port or (443 if https else 80)
        address = await checked_address(host, port, self.allowed)
        # Connect to the address checked, not to a second lookup's answer; Host and TLS
        # (SNI and the certificate's name) still say the host the URL names.
        return await self._client.post(
            str(address),
            port,
            host if https else None,
            target.raw_path_qs,
            {
                **headers,
                "host": target.host_port_subcomponent or host,
                "content-type": "application/json",
                "user-agent": "Jobdeck-Webhooks",
            },
            body,
        )


class _TooManyRedirects(Exception):
    pass


def _decoded(answer: bytes, charset: str | None) -> str:
    try:
        return answer.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return answer.decode("utf-8", errors="replace")


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now: a number of seconds, or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
