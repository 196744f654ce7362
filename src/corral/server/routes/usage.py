"""``GET /v1alpha/usage``: requests and tokens per principal, model and hour or day.

A caller sees their own usage; a caller whose ``roles`` attribute holds
``telemetry.usage.admin_role`` sees everyone's (and may filter by
``principal``). Without authentication every caller is anonymous and sees all
of it. Counted per request that reached a model (`corral.core.usage`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from corral.apis.context import User
from corral.core.usage import Granularity, UsageQuery, UsageRecorder
from corral.errors import Forbidden, InvalidParameter, ServiceUnavailable
from corral.server.http import json_response

USAGE_PATH = "/v1alpha/usage"


def usage_endpoint(recorder_of: Callable[[], UsageRecorder | None], admin_role: str) -> Any:
    """The endpoint over the recorder `recorder_of` returns (None until the app has started)."""

    async def usage(request: Request) -> Response:
        recorder = recorder_of()
        if recorder is None:
            raise ServiceUnavailable("usage accounting is starting", retry_after=1)
        query = _query(request, request.scope.get("user"), admin_role)
        data = await recorder.query(query)
        return json_response({"object": "list", "granularity": query.granularity, "data": data})

    return usage


def _query(request: Request, user: User | None, admin_role: str) -> UsageQuery:
    params = request.query_params
    granularity = params.get("granularity", "day")
    if granularity not in ("hour", "day"):
        raise InvalidParameter("granularity", "must be hour or day")
    principal = params.get("principal")
    if user is not None and admin_role not in user.attributes.get("roles", []):
        if principal is not None and principal != user.principal:
            raise Forbidden(f"only the {admin_role} role may see another principal's usage")
        principal = user.principal
    gran: Granularity = "hour" if granularity == "hour" else "day"
    return UsageQuery(
        principal=principal,
        model=params.get("model"),
        start=_time(params.get("start_time"), "start_time"),
        end=_time(params.get("end_time"), "end_time"),
        granularity=gran,
    )


def _time(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidParameter(name, "must be a Unix time in seconds") from None
