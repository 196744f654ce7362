"""``server:``: listening address, TLS, CORS, workers, auth, quota and the web console."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from corral.config.auth import AuthConfig
from corral.config.base import ConfigModel
from corral.config.quota import QuotaConfig

LOCALHOST_ORIGIN_REGEX = r"https?://(localhost|127\.0\.0\.1)(:\d+)?"


class CORSConfig(ConfigModel):
    """The explicit CORS form; defaults follow the reference table."""

    allow_origins: list[str] = Field(default_factory=lambda: ["*"])
    """Origins allowed to call the API; `["*"]` for any."""
    allow_origin_regex: str | None = None
    """Regex of allowed origins, in addition to `allow_origins`."""
    allow_methods: list[str] = Field(default_factory=lambda: ["*"])
    """Allowed HTTP methods."""
    allow_headers: list[str] = Field(default_factory=lambda: ["*"])
    """Allowed request headers."""
    allow_credentials: bool = False
    """Allow cookies and auth headers; requires explicit origins."""
    expose_headers: list[str] = Field(default_factory=list)
    """Response headers the browser may read."""
    max_age: int = Field(600, ge=0)
    """Seconds a browser may cache a preflight answer."""

    @model_validator(mode="after")
    def _no_credentials_with_wildcard(self) -> CORSConfig:
        if self.allow_credentials and "*" in self.allow_origins:
            raise ValueError(
                "allow_credentials: true requires explicit allow_origins (no '*'); "
                "list the origins that may send credentials"
            )
        return self

    @classmethod
    def localhost(cls) -> CORSConfig:
        """What ``cors: true`` means: http(s) on localhost/127.0.0.1, any port."""
        return cls(allow_origins=[], allow_origin_regex=LOCALHOST_ORIGIN_REGEX)


class ServerLimits(ConfigModel):
    """``server.limits``: what one client may cost the server before it is authenticated.

    Checked by the HTTP protocol itself (`corral.server.protocol`), before any
    request reaches the app; see docs/security.md.
    """

    max_header_bytes: int = Field(64 * 1024, ge=1024)
    """Largest request head (request line and headers together); larger is refused with 431."""
    max_header_count: int = Field(100, ge=8)
    """Most header lines in one request; more are refused with 431."""
    header_timeout_seconds: float = Field(10.0, gt=0)
    """Time a client has to send a complete request head (from its first byte, or from
    connecting); a slower one gets 408 and is disconnected."""
    body_timeout_seconds: float = Field(30.0, gt=0)
    """Longest pause between two reads of a request body while the server is reading it;
    a longer one gets 408 (or, once the answer has started, a closed connection)."""
    keep_alive_timeout_seconds: float = Field(5.0, gt=0)
    """An idle keep-alive connection is closed after this many seconds."""
    max_connections: int = Field(2048, ge=1)
    """Open connections per worker; one more is answered 503 (with Retry-After) and closed.
    Keep it below the process's open-file limit (`ulimit -n`)."""


_CONSOLE_PATH = re.compile(r"(/[A-Za-z0-9._~-]+)+")
_API_PREFIXES = ("/v1", "/openapi.json")


class ConsoleConfig(ConfigModel):
    """``server.console``: the web console (static pages that call this server's API)."""

    enabled: bool = True
    """Serve the console; `false` answers 404 at its path like any unknown route."""
    path: str = "/console"
    """Where the console is served (one or more path segments, no trailing slash). Its files
    are public (they hold no data); everything it shows comes from API calls made with the
    token typed into it."""

    @field_validator("path")
    @classmethod
    def _plain_path(cls, path: str) -> str:
        if not _CONSOLE_PATH.fullmatch(path):
            raise ValueError(
                "a path such as /console: segments of letters, digits, '.', '_', '~' or '-', "
                "each after a '/', no trailing slash"
            )
        if any(path == p or path.startswith(p + "/") for p in _API_PREFIXES):
            raise ValueError(f"{path} is inside the API's paths; choose another, e.g. /console")
        return path


class ServerConfig(ConfigModel):
    """``server:``."""

    host: str = Field("0.0.0.0", description="Address to bind; 0.0.0.0 listens everywhere.")
    port: int = Field(8321, ge=0, le=65535)
    """Port to listen on; `corral run --port` overrides it."""
    tls_certfile: str | None = None
    """PEM certificate; with `tls_keyfile`, the server speaks HTTPS."""
    tls_keyfile: str | None = None
    """PEM private key of `tls_certfile`."""
    tls_cafile: str | None = Field(None, description="CA for verifying client certificates.")
    cors: bool | CORSConfig = False
    """`true` allows http(s)://localhost and 127.0.0.1 on any port; an object sets explicit rules;
    `false` turns CORS off.
    """
    auth: AuthConfig | None = None
    """Authentication provider, access_policy and route_policy."""
    quota: QuotaConfig | None = None
    """Per-client request quotas (off unless configured)."""
    workers: int = Field(1, ge=1)
    """Worker processes (uvicorn); share state through the storage backends."""
    max_request_body_bytes: int = Field(100 * 1024 * 1024, ge=1)
    """Larger request bodies are refused with 413."""
    limits: ServerLimits = Field(default_factory=ServerLimits)
    """Header size and count, read timeouts and the connection cap (safe defaults)."""
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)
    """The web console: on at /console unless `enabled: false`; see docs/console.md."""

    @model_validator(mode="after")
    def _tls_pairs(self) -> ServerConfig:
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ValueError("tls_certfile and tls_keyfile go together; set both or neither")
        if self.tls_cafile is not None and self.tls_certfile is None:
            raise ValueError("tls_cafile (client certificates) needs tls_certfile and tls_keyfile")
        return self

    def cors_settings(self) -> CORSConfig | None:
        """The effective CORS settings, or None when CORS is off."""
        if self.cors is True:
            return CORSConfig.localhost()
        if self.cors is False:
            return None
        return self.cors
