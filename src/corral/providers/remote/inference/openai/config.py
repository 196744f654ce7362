"""Config of ``remote::openai``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.providers.openai_compat.config import OpenAICompatConfig


class OpenAIConfig(OpenAICompatConfig):
    """OpenAI's API (or anything answering at the same paths)."""

    base_url: str = Field("https://api.openai.com/v1", description="API root, ending in /v1.")

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"api_key": "${env.OPENAI_API_KEY}", "base_url": "https://api.openai.com/v1"}
