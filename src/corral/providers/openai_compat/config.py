"""Config fields shared by every OpenAI-compatible remote inference provider."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, field_validator

from corral.config.base import ConfigModel


class TLSSettings(ConfigModel):
    """``network.tls`` (Llama Stack 0.7's form of `tls_verify`/`tls_cafile`)."""

    verify: bool | str = True
    """`true`, `false`, or a CA bundle file the upstream's certificate must chain to."""
    min_version: str | None = None
    """Accepted for compatibility (corral uses Python's default minimum, TLS 1.2)."""
    ciphers: list[str] | None = None
    """Accepted for compatibility (not applied)."""
    client_cert: str | None = None
    """Accepted for compatibility (client certificates are not sent)."""
    client_key: str | None = None
    """Accepted for compatibility (client certificates are not sent)."""


class TimeoutSettings(ConfigModel):
    """``network.timeout`` with separate phases."""

    connect: float | None = Field(None, gt=0)
    """Seconds to open a connection."""
    read: float | None = Field(None, gt=0)
    """Seconds to wait for each upstream read."""


class NetworkSettings(ConfigModel):
    """``network:``: TLS, timeouts and extra headers of the upstream connection."""

    tls: TLSSettings | None = None
    """Certificate verification; overrides `tls_verify`/`tls_cafile`."""
    timeout: float | TimeoutSettings | None = None
    """Seconds (read), or `{connect, read}`; overrides `timeout`."""
    headers: dict[str, str] | None = None
    """Headers added to every upstream request."""
    proxy: dict[str, object] | None = None
    """Accepted for compatibility: corral connects directly (not through a proxy)."""


class OpenAICompatConfig(ConfigModel):
    """Connection settings common to OpenAI-compatible upstreams."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"api_key"})
    api_key: str | None = Field(None, description="Sent as `Authorization: Bearer`.")
    timeout: float = Field(120.0, gt=0, description="Seconds to wait for each upstream read.")
    max_retries: int = Field(2, ge=0, le=10, description="Retries on connect errors, 429, 503.")
    tls_verify: bool = Field(True, description="Verify the upstream's TLS certificate.")
    tls_cafile: str | None = Field(None, description="CA bundle for the upstream's certificate.")
    refresh_models: bool = Field(False, description="List the upstream's models at startup.")
    pool_size: int = Field(256, ge=1, description="Requests in flight to the upstream at once.")
    pool_timeout: float = Field(
        10.0,
        gt=0,
        description="Longest wait for a free pool slot; past it the client gets 503 with "
        "Retry-After instead of being held silently.",
    )
    max_concurrent_per_principal: int | None = Field(
        None,
        ge=1,
        description="Most requests one authenticated principal may have in flight to this "
        "upstream (429 past it), so one tenant's slow streams cannot hold every slot; unset: "
        "no cap.",
    )
    allowed_models: list[str] | None = Field(
        None, description="Upstream models listed at startup (with refresh_models); all when unset."
    )
    network: NetworkSettings | None = Field(
        None, description="Llama Stack 0.7's connection block: TLS, timeouts, headers."
    )

    @field_validator("api_key")
    @classmethod
    def _empty_key_is_none(cls, value: str | None) -> str | None:
        # `${env.X:=}` leaves an empty string; sending `Bearer ` would be refused upstream.
        return value or None

    def connection(self) -> tuple[bool, str | None, float, float | None, dict[str, str]]:
        """(verify, CA file, read timeout, connect timeout, headers), `network` applied."""
        verify, cafile = self.tls_verify, self.tls_cafile
        read, connect = self.timeout, None
        headers: dict[str, str] = {}
        net = self.network
        if net is not None:
            if net.tls is not None:
                verify = net.tls.verify is not False
                cafile = net.tls.verify if isinstance(net.tls.verify, str) else cafile
            if isinstance(net.timeout, float | int):
                read = float(net.timeout)
            elif net.timeout is not None:
                read = net.timeout.read or read
                connect = net.timeout.connect
            headers = dict(net.headers or {})
        return verify, cafile, read, connect, headers
