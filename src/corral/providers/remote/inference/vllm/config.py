"""Config of ``remote::vllm``."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field, field_validator

from corral.providers.openai_compat.config import OpenAICompatConfig


class VLLMConfig(OpenAICompatConfig):
    """A vLLM server's OpenAI-compatible API."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"api_key", "api_token"})
    url: str = Field(
        validation_alias=AliasChoices("url", "base_url"),
        description="vLLM address, with or without the trailing /v1 (`base_url` is accepted too).",
    )
    api_token: str | None = Field(None, description="Alias of api_key (vLLM's --api-key).")
    max_tokens: int | None = Field(
        None, ge=1, description="`max_tokens` of requests that set no limit."
    )

    @field_validator("url")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the vLLM address is empty (set VLLM_URL or write url: http://...)")
        return value

    def api_root(self) -> str:
        """The OpenAI root: `url` with /v1 appended when missing."""
        root = self.url.rstrip("/")
        return root if root.endswith("/v1") else root + "/v1"

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "url": "${env.VLLM_URL:=http://localhost:8000/v1}",
            "api_token": "${env.VLLM_API_TOKEN:=}",
        }
