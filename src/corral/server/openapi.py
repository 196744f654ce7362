"""Build ``/openapi.json`` from the declared routes (computed once, at app creation)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, TypeAdapter

from corral import __version__
from corral.server.http import ApiRoute

_CONVERTOR = re.compile(r"\{(\w+):\w+\}")

_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type", "code"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "code": {"type": "string"},
                "param": {"type": "string"},
            },
        }
    },
}


def build_openapi(routes: list[ApiRoute]) -> dict[str, Any]:
    """An OpenAPI 3.1 document describing every route (aliases marked deprecated)."""
    components: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        for index, path in enumerate((route.path, *route.aliases)):
            op = _operation(route, components, deprecated=index > 0)
            paths.setdefault(openapi_path(path), {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "corral", "version": __version__},
        "paths": paths,
        "components": {"schemas": components},
    }


def openapi_path(path: str) -> str:
    """A route path as an OpenAPI template: ``{model_id:path}`` becomes ``{model_id}``.

    A value with a slash is sent percent-encoded (``up%2Fmodel-1``); the server
    decodes it before routing, so the ``path`` convertor still receives it whole.
    """
    return _CONVERTOR.sub(r"{\1}", path)


def _operation(route: ApiRoute, components: dict[str, Any], deprecated: bool) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": route.summary,
        "tags": [route.tag],
        "operationId": _operation_id(route, deprecated),
        "responses": {
            **_no_content(route),
            "200": _response(route, components),
            "default": {
                "description": "Error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        },
    }
    params = [p[1:-1].split(":")[0] for p in route.path.split("/") if p.startswith("{")]
    if params:
        op["parameters"] = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in params
        ]
    if route.request_model is not None:
        op["requestBody"] = {
            "required": True,
            "content": {
                route.request_media_type: {"schema": _schema(route.request_model, components)}
            },
        }
    if deprecated:
        op["deprecated"] = True
    return op


def _no_content(route: ApiRoute) -> dict[str, Any]:
    """A delete that declares no body may answer 204 (models, shields)."""
    if route.method == "DELETE" and route.response_model is None:
        return {"204": {"description": "Deleted"}}
    return {}


def _response(route: ApiRoute, components: dict[str, Any]) -> dict[str, Any]:
    """200: JSON, and for a streaming route also Server-Sent Events (``"stream": true``)."""
    content: dict[str, Any] = {}
    if route.response_model is not None:
        content["application/json"] = {"schema": _schema(route.response_model, components)}
    elif route.streaming:
        content["application/json"] = {"schema": {"type": "object"}}
    if route.streaming:
        content["text/event-stream"] = {"schema": {"type": "string"}}
    return {"description": "OK", "content": content} if content else {"description": "OK"}


def _schema(
    model: type[BaseModel] | type[Mapping[str, Any]], components: dict[str, Any]
) -> dict[str, Any]:
    # A model, or a request shape (TypedDict) that only a TypeAdapter can describe.
    schema = TypeAdapter(model).json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    components.setdefault(model.__name__, schema)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation_id(route: ApiRoute, deprecated: bool) -> str:
    words = [p for p in route.path.split("/") if p and not p.startswith("{") and p != "v1"]
    base = route.method.lower() + "_" + "_".join(w.replace("-", "_") for w in words)
    if route.path.endswith("}"):  # one item (``.../files/{file_id}``), not the list under it
        base += "_by_id"
    return base + ("_alias" if deprecated else "")
