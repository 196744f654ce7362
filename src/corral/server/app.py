"""`create_app`: build the ASGI application for one loaded run config.

The middleware order is fixed here, outermost first:

0. Observe (`corral.server.middleware.observe`): the request id and record;
   metrics, access log and usage once the request has ended (so it sees the
   500s of the error middleware too).
1. Starlette's error middleware: any exception escaping below becomes a JSON 500.
1b. The web console's static files (`corral.server.routes.console`), when on: public
   files with no data, answered before anything judges API calls.
2. Route resolution (`corral.server.routing`): the request's route is found once,
   and ``scope["path"]`` becomes its canonical path, so every alias and spelling
   is judged below as the route it reaches.
3. CORS: preflight requests are answered before anything checks credentials.
4. Authentication: who is calling (401 on a bad token).
5. Route policy: may this caller use this path at all (403).
6. Quota: counted only for authenticated-or-anonymous callers that passed 4-5 (429).
7. Dispatch to the resolved endpoint (or 404/405), then the route's own handler.

All middlewares are pure ASGI so streaming bodies pass through unbuffered.
The stack is composed here rather than by Starlette: Starlette's router would
match the path a second time, and its per-request wrapping (two `Request`s and
four closures per request) was ~6% of a request when profiled.
"""

from __future__ import annotations

import traceback

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from corral.apis.spec import ProviderStartupError
from corral.config.issues import ConfigError
from corral.config.loader import LoadedConfig
from corral.config.server import ServerConfig
from corral.core.stack import Stack
from corral.server.errors import handle_exception
from corral.server.http import EndpointApp, json_response
from corral.server.middleware.auth import PUBLIC_PATHS, AuthMiddleware
from corral.server.middleware.quota import QuotaMiddleware
from corral.server.middleware.route_policy import RoutePolicyMiddleware
from corral.server.middleware.stages import Stage
from corral.server.observability import Observability, observability
from corral.server.openapi import build_openapi
from corral.server.protocol import LIMITS_STATE_KEY
from corral.server.routes import collect_routes
from corral.server.routes.console import console_mount
from corral.server.routing import ResolveRoutes, RouteDispatch, RouteEntry, RouteTable
from corral.storage.manager import StorageStartupError

STARTUP_ERRORS = (ConfigError, StorageStartupError, ProviderStartupError)
#: The trace stage (a span) each middleware's part of a request is (when tracing is on).
STAGES: dict[type, str] = {
    AuthMiddleware: "auth",
    RoutePolicyMiddleware: "route_policy",
    QuotaMiddleware: "quota",
}


def create_app(loaded: LoadedConfig, stack: Stack | None = None) -> CorralApp:
    """The ASGI app serving `loaded`; the stack starts and stops with the app's lifespan."""
    stack = stack or Stack(loaded)
    api_routes = collect_routes(stack)
    openapi = build_openapi(api_routes)
    observe = observability(stack)

    async def openapi_endpoint(request: Request) -> Response:
        return json_response(openapi)

    table = RouteTable(
        [
            *(RouteEntry(r.method, r.path, r.aliases, EndpointApp(r.endpoint)) for r in api_routes),
            RouteEntry("GET", "/openapi.json", (), EndpointApp(openapi_endpoint)),
            *observe.routes,
        ]
    )
    app = Starlette()
    app.middleware_stack = _compose(table, loaded.run.server, stack, observe)
    app.state.stack = stack
    app.state.api_routes = api_routes
    app.state.route_table = table
    app.state.metrics = observe.metrics
    app.state.observability = observe
    return CorralApp(app, stack)


def _compose(
    table: RouteTable, server: ServerConfig, corral: Stack, observe: Observability
) -> ASGIApp:
    """Observe → errors → console → route resolution → CORS → auth → policies → dispatch."""
    traced = observe.tracing is not None
    middleware = _middleware(server, corral, observe.public_paths)
    # A handler stage only when other stages exist: otherwise it would be the request span again.
    staged = traced and any(cls in STAGES for cls, _, _ in middleware)
    app: ASGIApp = Stage(RouteDispatch(), "handler") if staged else RouteDispatch()
    for cls, args, kwargs in reversed(middleware):
        app = cls(app, *args, **kwargs)
        if traced and cls in STAGES:
            app = Stage(app, STAGES[cls])
    api = console_mount(ResolveRoutes(app, table), server.console)
    app = ServerErrorMiddleware(api, handler=handle_exception)
    return observe.wrap(app, corral)


class CorralApp:
    """The ASGI entry point: owns the lifespan (stack start/stop), delegates HTTP to Starlette.

    Startup failures that are the operator's to fix (a database that is down, a
    bad reference) are reported as one clear line instead of a traceback.
    """

    def __init__(self, app: Starlette, stack: Stack) -> None:
        self.app = app
        self.stack = stack
        self.state = app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if scope["type"] == "lifespan":
            # The HTTP protocol reads server.limits from the lifespan state (one per worker).
            if isinstance(scope.get("state"), dict):
                scope["state"][LIMITS_STATE_KEY] = self.stack.loaded.run.server.limits
            await self._lifespan(receive, send)
        else:
            await self.app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        try:
            await self.stack.start()
            await self.state.observability.start(self.stack)
        except STARTUP_ERRORS as exc:
            await self.stack.stop()
            await send({"type": "lifespan.startup.failed", "message": f"startup failed: {exc}"})
            return
        except BaseException:
            await self.stack.stop()
            await send({"type": "lifespan.startup.failed", "message": traceback.format_exc()})
            raise
        await send({"type": "lifespan.startup.complete"})
        message = await receive()
        assert message["type"] == "lifespan.shutdown"
        await self.state.observability.stop()
        await self.stack.stop()
        await send({"type": "lifespan.shutdown.complete"})


def _middleware(server: ServerConfig, corral: Stack, public: frozenset[str]) -> list[Middleware]:
    stack: list[Middleware] = []
    public_paths = PUBLIC_PATHS | public
    cors = server.cors_settings()
    if cors is not None:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=cors.allow_origins,
                allow_origin_regex=cors.allow_origin_regex,
                allow_methods=cors.allow_methods,
                allow_headers=cors.allow_headers,
                allow_credentials=cors.allow_credentials,
                expose_headers=cors.expose_headers,
                max_age=cors.max_age,
            )
        )
    if corral.auth_provider is not None:
        stack.append(
            Middleware(AuthMiddleware, provider=corral.auth_provider, public_paths=public_paths)
        )
    if corral.route_policy.active:
        stack.append(Middleware(RoutePolicyMiddleware, policy=corral.route_policy))
    if corral.quota is not None:
        stack.append(Middleware(QuotaMiddleware, policy=corral.quota, public_paths=public_paths))
    return stack
