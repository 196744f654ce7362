"""Build the per-request `RequestContext` from what the middlewares left in the ASGI scope."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from corral.apis.context import RequestContext
from corral.errors import InvalidRequest

PROVIDER_DATA_HEADER = "x-llamastack-provider-data"


def request_context(request: Request) -> RequestContext:
    """The caller, provider data and the quota client the request was counted as.

    The caller is None when authentication is off; the quota client is None
    without ``server.quota``.
    """
    user = request.scope.get("user")
    quota = request.scope.get("corral.quota_client")
    raw = request.headers.get(PROVIDER_DATA_HEADER)
    if raw is None:
        return RequestContext(
            user=user, is_disconnected=request.is_disconnected, quota_client=quota
        )
    return RequestContext(
        user=user,
        provider_data=_provider_data(raw),
        is_disconnected=request.is_disconnected,
        quota_client=quota,
    )


def _provider_data(raw: str) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidRequest(
            f"the {PROVIDER_DATA_HEADER} header is not valid JSON", code="invalid_provider_data"
        ) from None
    if not isinstance(data, dict):
        raise InvalidRequest(f"the {PROVIDER_DATA_HEADER} header must be a JSON object")
    return data
