"""Config of ``remote::vllm``."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from corral.providers.openai_compat.config import OpenAICompatConfig


class VLLMConfig(OpenAICompatConfig):
    """A vLLM server's OpenAI-compatible API."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"api_key", "api_token"})
    url: str = Field(description="vLLM address, with or without the trailing /v1.")
    api_token: str | None = Field(None, description="Alias of api_key (vLLM's --api-key).")

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
