"""The one error mapping: every error body has the same envelope; unknown errors say nothing."""

from __future__ import annotations

import logging

import orjson
import pytest

from corral.errors import (
    InvalidParameter,
    NotFound,
    QuotaExceeded,
    Unauthenticated,
    UpstreamError,
    UpstreamTimeout,
)
from corral.server.errors import error_response, sse_error_event


@pytest.mark.parametrize(
    ("exc", "status", "kind"),
    [
        (InvalidParameter("messages", "required"), 400, "invalid_request_error"),
        (Unauthenticated(), 401, "authentication_error"),
        (NotFound("model 'x' not found"), 404, "not_found_error"),
        (QuotaExceeded(retry_after=12), 429, "rate_limit_error"),
        (UpstreamError("boom", upstream_status=401), 502, "upstream_error"),
        (UpstreamTimeout("slow"), 504, "upstream_timeout"),
    ],
)
def test_corral_errors_map_to_their_status_and_envelope(
    exc: Exception, status: int, kind: str
) -> None:
    got_status, headers, body = error_response(exc)
    error = orjson.loads(body)["error"]
    assert got_status == status
    assert error["type"] == kind and error["message"] and error["code"]
    assert headers["content-type"] == "application/json"


def test_auth_and_quota_headers() -> None:
    assert error_response(Unauthenticated())[1]["WWW-Authenticate"] == "Bearer"
    status, headers, body = error_response(QuotaExceeded(retry_after=12))
    assert headers["Retry-After"] == "12"
    assert orjson.loads(body)["error"]["message"] == "Quota exceeded"


def test_unexpected_exceptions_are_generic_500s_with_a_logged_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="corral.server"):
        status, _, body = error_response(RuntimeError("secret internal detail"))
    assert status == 500
    assert b"secret internal detail" not in body
    assert orjson.loads(body)["error"]["message"] == "Internal server error"
    assert caplog.records and caplog.records[0].exc_info is not None


def test_builtin_errors_are_never_4xx() -> None:
    for exc in (ValueError("x"), KeyError("y"), PermissionError("z")):
        assert error_response(exc)[0] == 500


def test_sse_error_event_carries_the_envelope() -> None:
    event = sse_error_event(UpstreamError("reset"))
    assert event.startswith(b"event: error\ndata: ")
    assert orjson.loads(event.split(b"data: ", 1)[1])["error"]["type"] == "upstream_error"
