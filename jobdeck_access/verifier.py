"""From a bearer secret to a Principal, without a database round trip per request.

Answers (found or not) are kept for `cache_seconds`: a revoked token stops working within
that time in every process, and an expired one at once (the expiry is checked on each use).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from jobdeck_access.store import TokenStore
from jobdeck_access.tokens import Principal, digest, looks_like_token

# Enough for every token a deployment has; a flood of made-up ones only empties the cache.
MAX_CACHED = 10_000


@dataclass(frozen=True, slots=True)
class _Cached:
    principal: Principal | None
    fresh_until: float


class TokenVerifier:
    def __init__(
        self,
        store: TokenStore,
        cache_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._wall_clock = wall_clock
        self._cache: dict[bytes, _Cached] = {}

    async def principal(self, secret: str) -> Principal | None:
        """The token's principal, or None for anything unknown, revoked or expired."""
        if not looks_like_token(secret):
            return None  # not worth a lookup: no token of ours looks like this
        key = digest(secret)
        cached = self._cache.get(key)
        if cached is None or cached.fresh_until <= self._clock():
            cached = _Cached(await self._store.use(secret), self._clock() + self._cache_seconds)
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[key] = cached
        principal = cached.principal
        if principal is None:
            return None
        if principal.expires_at is not None and principal.expires_at <= self._wall_clock():
            return None
        return principal
