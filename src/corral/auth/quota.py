"""Quota decisions: which client a request belongs to, its limit, and its count in the window.

The client is the authenticated principal (quota runs after authentication),
else the client IP — taken from ``X-Forwarded-For`` only when the direct peer is
a configured trusted proxy. Keys hold hashes, never tokens. Windows are fixed
and aligned to the clock (minute, hour, day); each request is one atomic
increment-with-expiry in the KV store, so N concurrent requests across any
number of processes admit exactly `limit`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from corral.apis.context import QuotaClient, User
from corral.apis.storage import KVStore
from corral.config.quota import QuotaConfig
from corral.storage.breaker import StoreBreaker

PERIOD_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
PRINCIPAL_CACHE_SIZE = 10000


@dataclass(frozen=True)
class QuotaState:
    """The outcome of counting one request."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The rate-limit headers (IETF draft names and the ones OpenAI clients read)."""
        limit, remaining, reset = str(self.limit), str(self.remaining), str(self.reset_seconds)
        return [
            (b"ratelimit-limit", limit.encode()),
            (b"ratelimit-remaining", remaining.encode()),
            (b"ratelimit-reset", reset.encode()),
            (b"x-ratelimit-limit-requests", limit.encode()),
            (b"x-ratelimit-remaining-requests", remaining.encode()),
            (b"x-ratelimit-reset-requests", f"{reset}s".encode()),
        ]


class TrustedProxies:
    """Addresses whose X-Forwarded-For header is believed."""

    def __init__(self, specs: Iterable[str]) -> None:
        self._networks = [ipaddress.ip_network(s, strict=False) for s in specs]

    def trusted(self, address: str) -> bool:
        """True when `address` belongs to a trusted proxy."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self._networks)

    def client_ip(self, peer: str, forwarded_for: str | None) -> str:
        """The rightmost X-Forwarded-For address that is not a trusted proxy (or the peer)."""
        if forwarded_for is None or not self.trusted(peer):
            return peer
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for hop in reversed(hops):
            if not self.trusted(hop):
                return hop
        return hops[0] if hops else peer


class QuotaPolicy:
    """Counts requests per client in fixed windows."""

    def __init__(
        self,
        config: QuotaConfig,
        auth_enabled: bool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.period = PERIOD_SECONDS[config.period]
        self.auth_enabled = auth_enabled
        self.proxies = TrustedProxies(config.trusted_proxies)
        self.clock = clock
        self.store: KVStore | None = None
        self.breaker = StoreBreaker(
            "the quota store",
            timeout=config.store_timeout_ms / 1000,
            threshold=config.breaker_threshold,
            cooldown=config.breaker_cooldown_seconds,
        )
        self._principal_keys: dict[str, str] = {}

    def by_principal(self, user: User | None) -> bool:
        """True when `user` is counted by principal (so X-Forwarded-For does not matter)."""
        return user is not None and self.auth_enabled

    def client(self, user: User | None, peer: str, forwarded_for: str | None) -> QuotaClient:
        """(counter key prefix, limit) for this caller."""
        if user is not None and self.auth_enabled:
            return QuotaClient(
                self._principal_key(user.principal), self.config.authenticated_max_requests
            )
        ip = self.proxies.client_ip(peer, forwarded_for)
        return QuotaClient(f"ip:{ip}", self.config.anonymous_max_requests)

    def _principal_key(self, principal: str) -> str:
        """``user:<hash>``, remembered (bounded) so a busy caller is hashed once."""
        key = self._principal_keys.get(principal)
        if key is None:
            if len(self._principal_keys) >= PRINCIPAL_CACHE_SIZE:
                self._principal_keys.clear()
            digest = hashlib.sha256(principal.encode()).hexdigest()[:32]
            key = self._principal_keys[principal] = f"user:{digest}"
        return key

    async def count(self, client_key: str, limit: int) -> QuotaState:
        """Count one request; raises the store's error (or a timeout) when it is unavailable."""
        assert self.store is not None
        now = self.clock()
        window_start = math.floor(now / self.period) * self.period
        window_end = window_start + self.period
        # A deadline and a breaker: a hung store costs one deadline, not one per request.
        incr = self.store.incr(f"{client_key}:{window_start}", window_end - now)
        count, _ = await self.breaker.call(incr)
        reset = max(1, math.ceil(window_end - now))
        return QuotaState(count <= limit, limit, max(0, limit - count), reset)

    async def take(self, client: QuotaClient) -> float:
        """Count one request of background work for `client` (see `corral.apis.spec.QuotaGate`)."""
        try:
            state = await self.count(client.key, client.limit)
        except Exception:
            if self.config.on_store_error == "allow":
                return 0.0
            raise
        return 0.0 if state.allowed else float(state.reset_seconds)
