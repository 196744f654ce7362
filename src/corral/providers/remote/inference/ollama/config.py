"""Config of ``remote::ollama``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.providers.openai_compat.config import OpenAICompatConfig


class OllamaConfig(OpenAICompatConfig):
    """An Ollama server, through its OpenAI-compatible endpoint (``/v1``)."""

    url: str = Field("http://localhost:11434", description="Ollama address (with or without /v1).")
    refresh_models: bool = Field(True, description="List Ollama's pulled models at startup.")

    def api_root(self) -> str:
        """The OpenAI root: `url` with /v1 appended when missing."""
        root = self.url.rstrip("/")
        return root if root.endswith("/v1") else root + "/v1"

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"url": "${env.OLLAMA_URL:=http://localhost:11434}"}
