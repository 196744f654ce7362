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

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from corral.config.loader import LoadedConfig
from corral.config.server import ServerConfig
from corral.core.stack import Stack
from corral.errors import CorralError
from corral.server.errors import handle_exception
from corral.server.http import ApiRoute, json_response
from corral.server.openapi import build_openapi
from corral.server.routes import collect_routes


def create_app(loaded: LoadedConfig, stack: Stack | None = None) -> Starlette:
    """The ASGI app serving `loaded`; the stack starts and stops with the app's lifespan."""
    stack = stack or Stack(loaded)
    api_routes = collect_routes(stack)
    openapi = build_openapi(api_routes)

    async def openapi_endpoint(request: Request) -> Response:
        return json_response(openapi)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await stack.start()
        try:
            yield
        finally:
            await stack.stop()

    app = Starlette(
        routes=[*_starlette_routes(api_routes), Route("/openapi.json", openapi_endpoint)],
        middleware=_middleware(loaded.run.server),
        exception_handlers={
            CorralError: handle_exception,
            HTTPException: handle_exception,
            Exception: handle_exception,
        },
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False
    app.state.stack = stack
    app.state.api_routes = api_routes
    return app


def _starlette_routes(api_routes: list[ApiRoute]) -> list[Route]:
    out = []
    for route in api_routes:
        for path in (route.path, *route.aliases):
            out.append(Route(path, route.endpoint, methods=[route.method]))
    return out


def _middleware(server: ServerConfig) -> list[Middleware]:
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
    return stack
