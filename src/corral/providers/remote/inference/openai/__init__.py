"""``remote::openai``: OpenAI's hosted models."""

from __future__ import annotations

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.openai_compat.adapter import OpenAICompatAdapter, Quirks, build_adapter
from corral.providers.remote.inference.openai.config import OpenAIConfig

SPEC = ProviderSpec(
    api=Api.inference,
    provider_type="remote::openai",
    config=OpenAIConfig,
    description="OpenAI's API: chat, completions and embeddings.",
)


async def create(config: OpenAIConfig, deps: ProviderDeps) -> OpenAICompatAdapter:
    """Build the adapter."""
    quirks = Quirks(provider_data_key="openai_api_key")
    return build_adapter(config, config.base_url, quirks, f"openai provider {deps.provider_id!r}")
