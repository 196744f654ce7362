"""``remote::groq``: Groq, a preset of the OpenAI-compatible adapter (base URL + key)."""

from __future__ import annotations

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.openai_compat.adapter import OpenAICompatAdapter, Quirks, build_adapter
from corral.providers.remote.inference.groq.config import GroqConfig

SPEC = ProviderSpec(
    api=Api.inference,
    provider_type="remote::groq",
    config=GroqConfig,
    description="Groq (hosted, OpenAI-compatible).",
)


async def create(config: GroqConfig, deps: ProviderDeps) -> OpenAICompatAdapter:
    """Build the adapter."""
    quirks = Quirks(provider_data_key="groq_api_key")
    return build_adapter(config, config.base_url, quirks, f"groq provider {deps.provider_id!r}")
