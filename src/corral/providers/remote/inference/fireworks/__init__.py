"""``remote::fireworks``: Fireworks AI, an OpenAI-compatible preset (base URL + key)."""

from __future__ import annotations

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.openai_compat.adapter import OpenAICompatAdapter, Quirks, build_adapter
from corral.providers.remote.inference.fireworks.config import FireworksConfig

SPEC = ProviderSpec(
    api=Api.inference,
    provider_type="remote::fireworks",
    config=FireworksConfig,
    description="Fireworks AI (hosted, OpenAI-compatible).",
)


async def create(config: FireworksConfig, deps: ProviderDeps) -> OpenAICompatAdapter:
    """Build the adapter."""
    quirks = Quirks(provider_data_key="fireworks_api_key")
    return build_adapter(
        config, config.base_url, quirks, f"fireworks provider {deps.provider_id!r}"
    )
