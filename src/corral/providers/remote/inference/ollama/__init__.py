"""``remote::ollama``: an Ollama server."""

from __future__ import annotations

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.openai_compat.adapter import OpenAICompatAdapter, Quirks, build_adapter
from corral.providers.remote.inference.ollama.config import OllamaConfig

SPEC = ProviderSpec(
    api=Api.inference,
    provider_type="remote::ollama",
    config=OllamaConfig,
    description="An Ollama server through its OpenAI-compatible endpoint.",
)


async def create(config: OllamaConfig, deps: ProviderDeps) -> OpenAICompatAdapter:
    """Build the adapter."""
    return build_adapter(
        config, config.api_root(), Quirks(), f"ollama provider {deps.provider_id!r}"
    )
