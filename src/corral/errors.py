"""The one error hierarchy of corral.

Every failure that a client or an operator should see as something other than
"internal error" is raised as a subclass of `CorralError`. Each class fixes its
HTTP status, its OpenAI-style ``type`` and a default ``code``; the single
function that turns one into an HTTP response is `corral.server.errors.error_response`.
Nothing else writes an error body.

    CorralError (500, server_error)
    ├── InvalidRequest (400, invalid_request_error)
    │   ├── InvalidParameter (400; names the parameter)
    │   └── ShieldViolation (400, shield_violation; the shield's message to the user)
    ├── Unauthenticated (401, authentication_error; WWW-Authenticate: Bearer)
    ├── Forbidden (403, permission_error)
    ├── NotFound (404, not_found_error)
    ├── Conflict (409, conflict_error)
    ├── RequestTimeout (408, invalid_request_error; the client sent too slowly)
    ├── PayloadTooLarge (413, invalid_request_error)
    ├── UnsupportedMediaType (415, invalid_request_error; a JSON body without application/json)
    ├── HeadersTooLarge (431, invalid_request_error; head larger or longer than server.limits)
    ├── ClientDisconnected (499, client_closed_request; nobody receives it: it ends the work)
    ├── QuotaExceeded (429, rate_limit_error; Retry-After)
    ├── ConcurrencyLimited (429, rate_limit_error; Retry-After: the caller's share is in use)
    ├── ServiceUnavailable (503, service_unavailable; optional Retry-After)
    │   └── IdentityProviderUnavailable (503; Retry-After: the token was not judged)
    ├── UpstreamError (502, upstream_error; keeps the upstream status as a field)
    │   └── UpstreamRateLimited (429, rate_limit_error; Retry-After from upstream)
    └── UpstreamTimeout (504, upstream_timeout)

`ConfigError` is separate: it is raised before any server exists and is printed
by the CLI as ``FILE:LINE path: problem; fix`` lines (see `corral.config.issues`).

This module must not import anything from the server, providers or config.
"""

from __future__ import annotations

from collections.abc import Mapping


class CorralError(Exception):
    """Base of every error corral reports on purpose."""

    status: int = 500
    type: str = "server_error"
    code: str = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.param = param
        self.headers: dict[str, str] = dict(headers or {})


class InvalidRequest(CorralError):
    """The request is malformed or asks for something impossible."""

    status = 400
    type = "invalid_request_error"
    code = "invalid_request"


class InvalidParameter(InvalidRequest):
    """One named request parameter has a bad value."""

    code = "invalid_parameter"

    def __init__(self, param: str, message: str, *, code: str | None = None) -> None:
        super().__init__(f"{param}: {message}", code=code, param=param)


class ShieldViolation(InvalidRequest):
    """A shield guarding chat completions blocked the request or its answer."""

    code = "shield_violation"


class Unauthenticated(CorralError):
    """No credentials, or credentials that do not check out."""

    status = 401
    type = "authentication_error"
    code = "invalid_token"

    def __init__(self, message: str = "Authentication required", *, code: str | None = None):
        super().__init__(message, code=code, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(CorralError):
    """The caller is known but may not do this."""

    status = 403
    type = "permission_error"
    code = "forbidden"


class NotFound(CorralError):
    """The named resource does not exist (or is invisible to the caller)."""

    status = 404
    type = "not_found_error"
    code = "not_found"


class Conflict(CorralError):
    """The resource already exists or is in a state that forbids the change."""

    status = 409
    type = "conflict_error"
    code = "conflict"


class PayloadTooLarge(CorralError):
    """The request body is larger than the configured limit."""

    status = 413
    type = "invalid_request_error"
    code = "payload_too_large"


class RequestTimeout(CorralError):
    """The client did not send its request head or body in the time server.limits allows."""

    status = 408
    type = "invalid_request_error"
    code = "request_timeout"


class UnsupportedMediaType(CorralError):
    """A body in a media type the route does not read (JSON routes need application/json)."""

    status = 415
    type = "invalid_request_error"
    code = "unsupported_media_type"


class HeadersTooLarge(CorralError):
    """The request head is larger, or has more header lines, than server.limits allows."""

    status = 431
    type = "invalid_request_error"
    code = "request_header_fields_too_large"


class ClientDisconnected(CorralError):
    """The client closed the connection before the answer was ready; the work is abandoned.

    Raised so that half-done work (a generation cut short) is never recorded as a
    result; the response it maps to has no one left to read it.
    """

    status = 499
    type = "client_closed_request"
    code = "client_disconnected"


class QuotaExceeded(CorralError):
    """The client used up its request quota for the current window."""

    status = 429
    type = "rate_limit_error"
    code = "quota_exceeded"

    def __init__(self, retry_after: int, headers: Mapping[str, str] | None = None) -> None:
        super().__init__("Quota exceeded", headers=headers)
        self.retry_after = retry_after
        self.headers["Retry-After"] = str(retry_after)


class ConcurrencyLimited(CorralError):
    """The caller already has as many requests in flight to an upstream as it may."""

    status = 429
    type = "rate_limit_error"
    code = "concurrency_limit_exceeded"

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(CorralError):
    """A dependency (database, model still loading, full queue) is not available now."""

    status = 503
    type = "service_unavailable"
    code = "service_unavailable"

    def __init__(
        self, message: str, *, retry_after: int | None = None, code: str | None = None
    ) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        super().__init__(message, code=code, headers=headers)


class IdentityProviderUnavailable(ServiceUnavailable):
    """The identity provider could not be asked (down, timing out, answering 5xx or 429).

    The token was not judged, so the client is not told its credentials are bad
    (401): it is told to come back (503 with Retry-After).
    """

    code = "identity_provider_unavailable"
    #: Seconds a client is asked to wait before retrying.
    RETRY_AFTER = 5

    def __init__(self, message: str) -> None:
        super().__init__(message, retry_after=self.RETRY_AFTER)


class UpstreamError(CorralError):
    """An upstream provider failed; corral chooses its own status for the client."""

    status = 502
    type = "upstream_error"
    code = "upstream_error"

    def __init__(
        self,
        message: str,
        *,
        upstream_status: int | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, code=code, headers=headers)
        self.upstream_status = upstream_status


class UpstreamRateLimited(UpstreamError):
    """The upstream said 429; the client is told when to retry."""

    status = 429
    type = "rate_limit_error"
    code = "upstream_rate_limited"


class UpstreamTimeout(CorralError):
    """The upstream did not answer in time."""

    status = 504
    type = "upstream_timeout"
    code = "upstream_timeout"
