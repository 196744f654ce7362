"""Config of ``remote::groq``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.providers.openai_compat.config import OpenAICompatConfig


class GroqConfig(OpenAICompatConfig):
    """Groq's OpenAI-compatible API."""

    base_url: str = Field("https://api.groq.com/openai/v1", description="API root.")

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"api_key": "${env.GROQ_API_KEY}"}
