"""Quota middleware: one atomic count per request, standard headers on every counted response.

Runs after authentication and route policy, so authenticated limits apply to
authenticated callers. Over the limit: 429 ``{"error": {"message": "Quota
exceeded", ...}}`` with ``Retry-After``. Counter store unavailable (an error, a
call past ``store_timeout_ms``, or the breaker open): 503 (or, with
``on_store_error: allow``, the request passes and the failure is logged).
Public routes (health, version) are not counted.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from corral.auth.quota import QuotaPolicy
from corral.errors import QuotaExceeded, ServiceUnavailable
from corral.server.errors import send_error
from corral.storage.breaker import CircuitOpen

log = logging.getLogger("corral.quota")


class QuotaMiddleware:
    """Enforces server.quota."""

    def __init__(self, app: ASGIApp, policy: QuotaPolicy, public_paths: frozenset[str]) -> None:
        self.app = app
        self.policy = policy
        self.public_paths = public_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request, then answer 429/503 or pass it on with the limit headers."""
        if scope["type"] != "http" or scope["path"] in self.public_paths:
            await self.app(scope, receive, send)
            return
        user = scope.get("user")
        peer = scope["client"][0] if scope.get("client") else "unknown"
        forwarded = None if self.policy.by_principal(user) else _header(scope, b"x-forwarded-for")
        client = self.policy.client(user, peer, forwarded)
        key, limit = client
        # Kept for work done later on this client's behalf (a batch's lines count against it).
        scope["corral.quota_client"] = client
        try:
            state = await self.policy.count(key, limit)
        except Exception as exc:
            # With the breaker open the store was not asked; the breaker logged the outage once.
            quiet = isinstance(exc, CircuitOpen)
            if self.policy.config.on_store_error == "allow":
                if not quiet:
                    log.warning("quota store unavailable, request admitted: %r", exc)
                await self.app(scope, receive, send)
                return
            if not quiet:
                log.warning("quota store unavailable, request refused: %r", exc)
            await send_error(
                send,
                ServiceUnavailable(
                    "the quota store is unavailable; try again shortly",
                    retry_after=5,
                    code="quota_store_unavailable",
                ),
            )
            return
        headers = state.headers()
        if not state.allowed:
            extra = {k.decode(): v.decode() for k, v in headers}
            await send_error(send, QuotaExceeded(state.reset_seconds, headers=extra))
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None
