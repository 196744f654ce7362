"""Config of ``remote::openai-compatible``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.providers.openai_compat.config import OpenAICompatConfig


class OpenAICompatibleConfig(OpenAICompatConfig):
    """Any server that speaks the OpenAI API (LiteLLM, LM Studio, llama.cpp server, TGI, ...)."""

    base_url: str = Field(description="API root, usually ending in /v1.")

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "base_url": "${env.OPENAI_COMPATIBLE_URL:=http://localhost:8080/v1}",
            "api_key": "${env.OPENAI_COMPATIBLE_API_KEY:=}",
        }
