"""``remote::together``: Together AI, a preset of the OpenAI-compatible adapter (base URL + key)."""

from __future__ import annotations

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.openai_compat.adapter import OpenAICompatAdapter, Quirks, build_adapter
from corral.providers.remote.inference.together.config import TogetherConfig

SPEC = ProviderSpec(
    api=Api.inference,
    provider_type="remote::together",
    config=TogetherConfig,
    description="Together AI (hosted, OpenAI-compatible).",
)


async def create(config: TogetherConfig, deps: ProviderDeps) -> OpenAICompatAdapter:
    """Build the adapter."""
    quirks = Quirks(provider_data_key="together_api_key")
    return build_adapter(config, config.base_url, quirks, f"together provider {deps.provider_id!r}")
