"""``remote::openai-compatible``: any OpenAI-compatible server, by base URL and optional key."""

from __future__ import annotations

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.openai_compat.adapter import OpenAICompatAdapter, Quirks, build_adapter
from corral.providers.remote.inference.openai_compatible.config import OpenAICompatibleConfig

SPEC = ProviderSpec(
    api=Api.inference,
    provider_type="remote::openai-compatible",
    config=OpenAICompatibleConfig,
    description="Any OpenAI-compatible server, by base URL and optional API key.",
)


async def create(config: OpenAICompatibleConfig, deps: ProviderDeps) -> OpenAICompatAdapter:
    """Build the adapter."""
    quirks = Quirks(provider_data_key="api_key")
    return build_adapter(config, config.base_url, quirks, f"provider {deps.provider_id!r}")
