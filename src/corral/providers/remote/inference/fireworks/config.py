"""Config of ``remote::fireworks``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.providers.openai_compat.config import OpenAICompatConfig


class FireworksConfig(OpenAICompatConfig):
    """Fireworks AI's OpenAI-compatible API."""

    base_url: str = Field("https://api.fireworks.ai/inference/v1", description="API root.")

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"api_key": "${env.FIREWORKS_API_KEY}"}
