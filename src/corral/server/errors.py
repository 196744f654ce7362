"""The single place where an exception becomes an HTTP error response.

`error_response` is used by the exception handlers, by the raw-ASGI middlewares
(auth, route policy, quota) and by streaming routes for their final SSE error
event. Every body is ``{"error": {"message", "type", "code"}}`` (plus ``param``
when one is named). Exceptions that are not `CorralError` are 500 with a generic
message; their traceback goes to the log, never to the client.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Send

from corral.errors import CorralError, NotFound
from corral.observe.context import CURRENT

log = logging.getLogger("corral.server")

_HTTP_TYPES = {
    404: ("not_found_error", "route_not_found"),
    405: ("invalid_request_error", "method_not_allowed"),
}


def error_body(exc: BaseException) -> dict[str, Any]:
    """The JSON body for `exc`."""
    if isinstance(exc, CorralError):
        error: dict[str, Any] = {"message": exc.message, "type": exc.type, "code": exc.code}
        if exc.param is not None:
            error["param"] = exc.param
        return {"error": error}
    if isinstance(exc, HTTPException):
        kind, code = _HTTP_TYPES.get(exc.status_code, ("invalid_request_error", "http_error"))
        return {"error": {"message": str(exc.detail), "type": kind, "code": code}}
    return {
        "error": {
            "message": "Internal server error",
            "type": "server_error",
            "code": "internal_error",
        }
    }


def error_response(exc: BaseException) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) for `exc`; logs unexpected exceptions with their traceback."""
    if isinstance(exc, CorralError):
        status, headers = exc.status, dict(exc.headers)
    elif isinstance(exc, HTTPException):
        status, headers = exc.status_code, dict(exc.headers or {})
    else:
        log.error("unhandled error", exc_info=exc)
        status, headers = 500, {}
    headers["content-type"] = "application/json"
    body = error_body(exc)
    record = CURRENT.get()
    if record is not None:
        # The id lets a client's report be found in the logs; the type and code feed metrics.
        error = body["error"]
        error["request_id"] = record.request_id
        record.error_type, record.error_code = error["type"], error["code"]
    return status, headers, orjson.dumps(body)


def sse_error_event(exc: BaseException) -> bytes:
    """The final event of a stream that failed after it started."""
    _, _, body = error_response(exc)
    return b"event: error\ndata: " + body + b"\n\n"


async def send_error(send: Send, exc: BaseException) -> None:
    """Write a complete error response from raw ASGI middleware."""
    status, headers, body = error_response(exc)
    raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw_headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


async def handle_exception(request: Request, exc: Exception) -> Response:
    """Starlette exception handler for every exception type."""
    status, headers, body = error_response(exc)
    return Response(body, status_code=status, headers=headers)


def not_found_route(path: str) -> NotFound:
    """The error for a path no route serves."""
    return NotFound(f"no route matches {path}", code="route_not_found")
