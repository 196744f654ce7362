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
