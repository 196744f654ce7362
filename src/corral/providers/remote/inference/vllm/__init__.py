"""``remote::vllm``: a vLLM server."""

from __future__ import annotations

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.openai_compat.adapter import (
    OpenAICompatAdapter,
    Quirks,
    RerankingAdapter,
    build_adapter,
)
from corral.providers.remote.inference.vllm.config import VLLMConfig

SPEC = ProviderSpec(
    api=Api.inference,
    provider_type="remote::vllm",
    config=VLLMConfig,
    description="A vLLM server through its OpenAI-compatible API (and its /rerank endpoint).",
)


async def create(config: VLLMConfig, deps: ProviderDeps) -> OpenAICompatAdapter:
    """Build the adapter (api_token is accepted as the key, as in Llama Stack configs)."""
    if config.api_key is None and config.api_token:
        config = config.model_copy(update={"api_key": config.api_token})
    quirks = Quirks(provider_data_key="vllm_api_token", default_max_tokens=config.max_tokens)
    adapter = build_adapter(
        config, config.api_root(), quirks, f"vllm provider {deps.provider_id!r}"
    )
    # vLLM serves /rerank next to its OpenAI routes (for models started as rerankers)
    return RerankingAdapter(adapter.client, adapter.quirks, adapter.refresh_models)
