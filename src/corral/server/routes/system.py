"""Health, version, providers and route inspection."""

from __future__ import annotations

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from corral import __version__
from corral.config.redact import redacted
from corral.core.stack import Stack
from corral.errors import NotFound
from corral.server.http import ApiRoute, json_response
from corral.server.openapi import openapi_path


class HealthInfo(BaseModel):
    """``GET /v1/health``: ``OK``, or ``Loading`` / ``Error`` with the providers concerned."""

    status: str
    providers: dict[str, dict[str, str]] | None = None
    #: Storage backends whose SQLite file vanished, was replaced or cannot be written.
    storage: dict[str, str] | None = None


class VersionInfo(BaseModel):
    """``GET /v1/version``."""

    version: str


class ProviderInfo(BaseModel):
    """One provider instance, config redacted."""

    api: str
    provider_id: str
    provider_type: str
    config: dict[str, object]
    health: dict[str, object]


class ProviderList(BaseModel):
    """``GET /v1/providers``."""

    data: list[ProviderInfo]


class RouteInfo(BaseModel):
    """One served route."""

    route: str
    method: str
    provider_types: list[str]


class RouteList(BaseModel):
    """``GET /v1/inspect/routes``."""

    data: list[RouteInfo]


def health_payload(stack: Stack) -> dict[str, object] | None:
    """None when every provider and store is fine; else the worst state and what is not."""
    storage = stack.storage.files.problems()
    if storage:
        return {"status": "Error", "storage": storage}
    reporting = stack.health_reporting()
    if not reporting:
        return None
    states = {pid: p.health() for pid, p in reporting.items()}
    if all(s.status == "OK" for s in states.values()):
        return None
    worst = "Error" if any(s.status == "Error" for s in states.values()) else "Loading"
    detail = {
        pid: {"status": s.status, "message": s.message}
        for pid, s in states.items()
        if s.status != "OK"
    }
    return {"status": worst, "providers": detail}


def provider_health(stack: Stack, provider_id: str) -> dict[str, object]:
    """One provider's state for /v1/providers."""
    if not stack.started_at:
        return {"status": "Not started"}
    reporting = stack.health_reporting().get(provider_id)
    if reporting is None:
        return {"status": "OK"}
    state = reporting.health()
    if state.message:
        return {"status": state.status, "message": state.message}
    return {"status": state.status}


def routes(stack: Stack) -> list[ApiRoute]:
    """The system routes."""
    health_body = {"status": "OK"}
    version_body = {"version": __version__}

    async def health(request: Request) -> Response:
        payload = health_payload(stack)
        if payload is not None and "storage" in payload:
            return json_response(payload, status=503)  # writes are being lost: out of rotation
        return json_response(payload or health_body)

    async def version(request: Request) -> Response:
        return json_response(version_body)

    def provider_infos() -> list[dict[str, object]]:
        return [
            {
                "api": str(inst.api),
                "provider_id": inst.entry.provider_id,
                "provider_type": inst.entry.provider_type,
                "config": redacted(inst.config),
                "health": provider_health(stack, inst.entry.provider_id),
            }
            for inst in stack.loaded.providers
        ]

    async def list_providers(request: Request) -> Response:
        return json_response({"data": provider_infos()})

    async def get_provider(request: Request) -> Response:
        wanted = request.path_params["provider_id"]
        for info in provider_infos():
            if info["provider_id"] == wanted:
                return json_response(info)
        raise NotFound(f"provider {wanted!r} not found", code="provider_not_found")

    async def inspect_routes(request: Request) -> Response:
        api_routes: list[ApiRoute] = request.app.state.api_routes
        types_by_tag: dict[str, list[str]] = {}
        for inst in stack.loaded.providers:
            types_by_tag.setdefault(str(inst.api), []).append(inst.entry.provider_type)
        data = [
            {
                "route": openapi_path(r.path),  # as /openapi.json writes it
                "method": r.method,
                "provider_types": types_by_tag.get(r.tag, []),
            }
            for r in api_routes
        ]
        return json_response({"data": data})

    return [
        ApiRoute(
            "GET", "/v1/health", health, "Server health", "system", None, HealthInfo, public=True
        ),
        ApiRoute(
            "GET",
            "/v1/version",
            version,
            "Server version",
            "system",
            None,
            VersionInfo,
            public=True,
        ),
        ApiRoute(
            "GET",
            "/v1/providers",
            list_providers,
            "List provider instances",
            "system",
            None,
            ProviderList,
        ),
        ApiRoute(
            "GET",
            "/v1/providers/{provider_id}",
            get_provider,
            "Get a provider instance",
            "system",
            None,
            ProviderInfo,
        ),
        ApiRoute(
            "GET",
            "/v1/inspect/routes",
            inspect_routes,
            "List served routes",
            "system",
            None,
            RouteList,
        ),
    ]
