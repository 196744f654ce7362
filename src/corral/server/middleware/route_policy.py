"""Route-policy middleware: a 403 JSON answer for routes the caller may not use."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from corral.auth.route_policy import RoutePolicy
from corral.errors import Forbidden
from corral.server.errors import send_error


class RoutePolicyMiddleware:
    """Applies route_policy after authentication."""

    def __init__(self, app: ASGIApp, policy: RoutePolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Let the request through, or answer 403."""
        if scope["type"] == "http" and not self.policy.allows(scope["path"], scope.get("user")):
            await send_error(
                send,
                Forbidden(
                    f"route {scope['path']} is not allowed by route_policy", code="route_forbidden"
                ),
            )
            return
        await self.app(scope, receive, send)
