"""One try of a delivery: POST the signed body, follow redirects only to allowed addresses,
and say what came of it. Nothing here touches the database."""

import asyncio
import email.utils
import enum
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import httpx

from job_contract.bounds import CALLBACK_EXCERPT_CHARS
from worker_service.callbacks.addresses import (
    AddressPolicy,
    DestinationRefused,
    HostUnresolved,
    checked_address,
)

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


@dataclass(frozen=True)
class Sender:
    client: httpx.AsyncClient
    timeout_seconds: float
    allowed: AddressPolicy

    async def send(self, url: str, headers: dict[str, str], body: bytes) -> TryResult:
        started = time.perf_counter()

        def took() -> float:
            return (time.perf_counter() - started) * 1000

        try:
            async with asyncio.timeout(self.timeout_seconds):
                response = await self._post_following_redirects(url, headers, body)
        except DestinationRefused as refused:
            return TryResult(Verdict.GIVE_UP, took(), error=str(refused))
        except TimeoutError:
            timed_out = f"timed out after {self.timeout_seconds:g} s"
            return TryResult(Verdict.RETRY, took(), error=timed_out)
        except (HostUnresolved, _TooManyRedirects) as problem:
            return TryResult(Verdict.RETRY, took(), error=str(problem))
        except httpx.HTTPError as error:
            failed = f"{type(error).__name__}: {error}"[:500]
            return TryResult(Verdict.RETRY, took(), error=failed)
        status = response.status_code
        excerpt = response.text[:CALLBACK_EXCERPT_CHARS] or None
        if 200 <= status < 300:
            return TryResult(Verdict.DELIVERED, took(), status_code=status, excerpt=excerpt)
        if status == 410:
            return TryResult(Verdict.GIVE_UP, took(), status_code=status, excerpt=excerpt)
        retry_after = _retry_after(response.headers.get("retry-after"))
        return TryResult(
            Verdict.RETRY, took(), status_code=status, excerpt=excerpt, retry_after=retry_after
        )

    async def _post_following_redirects(
        self, url: str, headers: dict[str, str], body: bytes
    ) -> httpx.Response:
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._post(url, headers, body)
            location = response.headers.get("location")
            if not response.is_redirect or location is None:
                return response
            # The same signed POST to the new place: its address is checked like the first.
            url = urljoin(url, location)
        raise _TooManyRedirects(f"more than {MAX_REDIRECTS} redirects")

    async def _post(self, url: str, headers: dict[str, str], body: bytes) -> httpx.Response:
        target = httpx.URL(url)
        if target.scheme not in ("http", "https"):
            raise DestinationRefused(f"refused: {target.scheme} is not http or https")
        port = target.port or (443 if target.scheme == "https" else 80)
        address = await checked_address(target.host, port, self.allowed)
        # Connect to the address checked, not to a second lookup's answer; Host and TLS
        # (SNI and the certificate's name) still say the host the URL names.
        pinned = target.copy_with(host=str(address))
        request = self.client.build_request(
            "POST",
            pinned,
            content=body,
            headers={
                **headers,
                "host": target.netloc.decode("ascii"),
                "content-type": "application/json",
            },
            extensions={"sni_hostname": target.host},
        )
        response = await self.client.send(request)
        await response.aread()
        return response


class _TooManyRedirects(Exception):
    pass


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
