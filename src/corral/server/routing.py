"""Route resolution: each request is matched once, to one canonical route, before any policy runs.

A route is declared once with its canonical path (``/v1/files/{file_id}``) and
its aliases (``/v1/openai/v1/files/{file_id}``). `RouteTable`, built at startup,
maps every spelling the server serves to the canonical route:

- a declared path or alias, exactly: one dict lookup (the hot, parameter-free routes);
- the same with a trailing slash or repeated slashes: normalised once, then looked up again;
- paths with parameters: the routes' compiled patterns, tried in order (the one
  scan that routing needs anyway; nothing scans a second time).

`ResolveRoutes`, the outermost middleware after the error one, rewrites
``scope["path"]`` to the canonical concrete path (alias prefix replaced,
slashes normalised: ``/v1/openai/v1/files/abc/`` becomes ``/v1/files/abc``) and
keeps the match in ``scope["corral.route"]``. Authentication's public paths,
route_policy and quota read that path, so no alias or spelling reaches a
handler under another name than the one the policies decided on.
`RouteDispatch`, the innermost app, calls the matched endpoint or answers 404/405.

The HTTP server decodes percent-escapes before this point (``/v1/%6Dodels`` is
``/v1/models`` here and for the policies alike). Matching is case-sensitive:
``/V1/models`` is no route (404), whatever a policy says about it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.exceptions import HTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from corral.server.errors import not_found_route, send_error

_SLASHES = re.compile(r"/{2,}")


def normalise_path(path: str) -> str:
    """Repeated slashes collapsed, the trailing slash dropped (``/`` stays ``/``)."""
    if "//" in path:
        path = _SLASHES.sub("/", path)
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """What a request resolved to; `app` is None for 404 (no path) and 405 (no such method)."""

    #: The canonical concrete path (``/v1/files/abc``); the policies decide on it.
    path: str
    #: The canonical route template (``/v1/files/{file_id}``), or None when no route matched.
    template: str | None
    app: ASGIApp | None = None
    params: dict[str, Any] = field(default_factory=dict)
    #: Methods the path serves, for a 405's ``Allow`` header.
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteEntry:
    """One (method, canonical path, aliases, handler) as the table is built from."""

    method: str
    path: str
    aliases: tuple[str, ...]
    app: ASGIApp


@dataclass
class _Pattern:
    regex: re.Pattern[str]
    convertors: dict[str, Any]
    canonical_format: str
    template: str
    apps: dict[str, ASGIApp] = field(default_factory=dict)


class RouteTable:
    """Every spelling of every route, resolved to the canonical route (built once, at startup)."""

    def __init__(self, entries: Iterable[RouteEntry]) -> None:
        self.exact: dict[tuple[str, str], RouteMatch] = {}
        self._exact_methods: dict[str, tuple[str, list[str]]] = {}
        self._patterns: dict[str, _Pattern] = {}
        for entry in entries:
            methods = [entry.method, "HEAD"] if entry.method == "GET" else [entry.method]
            _, canonical_format, _ = compile_path(entry.path)
            for spelling in (entry.path, *entry.aliases):
                regex, _, convertors = compile_path(spelling)
                if not convertors:
                    self._add_exact(spelling, entry.path, methods, entry.app)
                    continue
                pattern = self._patterns.setdefault(
                    spelling, _Pattern(regex, convertors, canonical_format, entry.path)
                )
                for method in methods:
                    pattern.apps.setdefault(method, entry.app)

    def _add_exact(self, spelling: str, canonical: str, methods: list[str], app: ASGIApp) -> None:
        _, known = self._exact_methods.setdefault(spelling, (canonical, []))
        for method in methods:
            self.exact.setdefault((method, spelling), RouteMatch(canonical, canonical, app))
            known.append(method)

    def resolve(self, method: str, path: str) -> RouteMatch:
        """The match for a path that is not a declared parameter-free spelling as it stands."""
        path = normalise_path(path)
        hit = self.exact.get((method, path))
        if hit is not None:
            return hit
        partial: RouteMatch | None = None
        for pattern in self._patterns.values():
            found = pattern.regex.match(path)
            if found is None:
                continue
            raw = found.groupdict()
            canonical = pattern.canonical_format.format(**raw)
            app = pattern.apps.get(method)
            if app is not None:
                params = {k: pattern.convertors[k].convert(v) for k, v in raw.items()}
                return RouteMatch(canonical, pattern.template, app, params)
            if partial is None:  # another route may serve this method on the same path
                partial = RouteMatch(canonical, pattern.template, allowed=tuple(pattern.apps))
        known = self._exact_methods.get(path)
        if partial is None and known is not None:
            canonical, methods = known
            partial = RouteMatch(canonical, canonical, allowed=tuple(methods))
        return partial or RouteMatch(path, None)

    def spellings(self) -> list[tuple[str, str, str]]:
        """(method, declared path or alias, canonical template) for every declared spelling."""
        out = [(m, p, match.template or p) for (m, p), match in self.exact.items()]
        for spelling, pattern in self._patterns.items():
            out.extend((m, spelling, pattern.template) for m in pattern.apps)
        return out


class ResolveRoutes:
    """Resolve the request's route and put its canonical path in ``scope["path"]``."""

    def __init__(self, app: ASGIApp, table: RouteTable) -> None:
        self.app = app
        self.table = table
        self._exact = table.exact

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Resolve, then pass the request on."""
        if scope["type"] == "http":
            match = self._exact.get((scope["method"], scope["path"]))
            if match is None:
                match = self.table.resolve(scope["method"], scope["path"])
            scope["corral.route"] = match
            scope["path"] = match.path
        await self.app(scope, receive, send)


class RouteDispatch:
    """The innermost app: the resolved endpoint, or a 404/405 in the JSON error envelope."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one resolved request."""
        match: RouteMatch = scope["corral.route"]
        if match.app is not None:
            scope["path_params"] = dict(match.params) if match.params else {}
            await match.app(scope, receive, send)
        elif match.allowed:
            allow = ", ".join(match.allowed)
            await send_error(send, HTTPException(405, headers={"Allow": allow}))
        else:
            await send_error(send, not_found_route(match.path))
