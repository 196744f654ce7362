"""`create_app`: build the ASGI application for one loaded run config.

The middleware order is fixed here, outermost first:

1. Starlette's error middleware: any exception escaping below becomes a JSON 500.
2. CORS: preflight requests are answered before anything checks credentials.
3. Authentication: who is calling (401 on a bad token).
4. Route policy: may this caller use this path at all (403).
5. Quota: counted only for authenticated-or-anonymous callers that passed 3-4 (429).
6. The router, then the route's own handler.

All middlewares are pure ASGI so streaming bodies pass through unbuffered.
"""

from __future__ import annotations

import traceback

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from corral.config.issues import ConfigError
from corral.config.loader import LoadedConfig
from corral.config.server import ServerConfig
from corral.core.spec import ProviderStartupError
from corral.core.stack import Stack
from corral.errors import CorralError
from corral.server.errors import handle_exception
from corral.server.http import ApiRoute, json_response
from corral.server.middleware.auth import PUBLIC_PATHS, AuthMiddleware
from corral.server.middleware.quota import QuotaMiddleware
from corral.server.middleware.route_policy import RoutePolicyMiddleware
from corral.server.openapi import build_openapi
from corral.server.routes import collect_routes
from corral.storage.manager import StorageStartupError

STARTUP_ERRORS = (ConfigError, StorageStartupError, ProviderStartupError)


def create_app(loaded: LoadedConfig, stack: Stack | None = None) -> CorralApp:
    """The ASGI app serving `loaded`; the stack starts and stops with the app's lifespan."""
    stack = stack or Stack(loaded)
    api_routes = collect_routes(stack)
    openapi = build_openapi(api_routes)

    async def openapi_endpoint(request: Request) -> Response:
        return json_response(openapi)

    app = Starlette(
        routes=[*_starlette_routes(api_routes), Route("/openapi.json", openapi_endpoint)],
        middleware=_middleware(loaded.run.server, stack),
        exception_handlers={
            CorralError: handle_exception,
            HTTPException: handle_exception,
            Exception: handle_exception,
        },
    )
    app.router.redirect_slashes = False
    app.router.middleware_stack = ExactPathDispatch(app.router)
    app.state.stack = stack
    app.state.api_routes = api_routes
    return CorralApp(app, stack)


class ExactPathDispatch:
    """Send requests for parameter-free paths straight to their route (one dict lookup).

    Starlette's router tries every route's regex in turn; the hot routes
    (chat completions, embeddings, ...) have fixed paths, so they skip that scan.
    Anything else falls through to the normal router.
    """

    def __init__(self, router: Router) -> None:
        self._fallback = router.app
        self._exact: dict[tuple[str, str], Route] = {}
        for route in router.routes:
            if isinstance(route, Route) and not route.param_convertors:
                for method in route.methods or ():
                    self._exact[(method, route.path)] = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch one request."""
        if scope["type"] == "http":
            route = self._exact.get((scope["method"], scope["path"]))
            if route is not None:
                scope["path_params"] = {}
                scope["endpoint"] = route.endpoint
                await route.handle(scope, receive, send)
                return
        await self._fallback(scope, receive, send)


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
            await self._lifespan(receive, send)
        else:
            await self.app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        try:
            await self.stack.start()
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
        await self.stack.stop()
        await send({"type": "lifespan.shutdown.complete"})


def _starlette_routes(api_routes: list[ApiRoute]) -> list[Route]:
    out = []
    for route in api_routes:
        for path in (route.path, *route.aliases):
            out.append(Route(path, route.endpoint, methods=[route.method]))
    return out


def _middleware(server: ServerConfig, corral: Stack) -> list[Middleware]:
    stack: list[Middleware] = []
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
            Middleware(AuthMiddleware, provider=corral.auth_provider, public_paths=PUBLIC_PATHS)
        )
    if corral.route_policy.active:
        stack.append(Middleware(RoutePolicyMiddleware, policy=corral.route_policy))
    if corral.quota is not None:
        stack.append(Middleware(QuotaMiddleware, policy=corral.quota, public_paths=PUBLIC_PATHS))
    return stack
