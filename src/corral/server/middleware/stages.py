"""Trace stages: a span for each middleware's part of a request (built only when tracing is on).

`Stage(app, "auth")` sits just outside a middleware. When a request reaches
it, the stage span open before (if any) ends and one named after the stage
starts, under the request's span; it ends when the next stage starts or when the
request comes back out (a request the middleware answered itself, like a 401,
ends in its own stage). So a trace shows how long authentication, the route
policy, the quota and the handler each took, without code in those middlewares.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from corral.observe.context import CURRENT


class Stage:
    """Start the span of stage `name` (ending the previous stage's)."""

    def __init__(self, app: ASGIApp, name: str) -> None:
        self.app = app
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the rest of the request inside this stage's span."""
        record = CURRENT.get()
        if record is None or record.span is None:
            await self.app(scope, receive, send)
            return
        if record.stage is not None:
            record.stage.end()
        span = record.stage = record.tracing.start_child(self.name, record.span)
        try:
            await self.app(scope, receive, send)
        finally:
            if record.stage is span:
                span.end()
                record.stage = None
