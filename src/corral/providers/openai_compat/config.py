"""Config fields shared by every OpenAI-compatible remote inference provider."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from corral.config.base import ConfigModel


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
