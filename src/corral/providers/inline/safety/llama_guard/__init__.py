"""``inline::llama-guard``: Llama Guard 3 through a model served by any inference provider."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.inline.safety.llama_guard.config import LlamaGuardConfig

if TYPE_CHECKING:
    from corral.providers.inline.safety.llama_guard.shield import LlamaGuardShield

SPEC = ProviderSpec(
    api=Api.safety,
    provider_type="inline::llama-guard",
    config=LlamaGuardConfig,
    description="Llama Guard 3 (S1-S14) through a chat model served by any inference provider.",
    api_dependencies=(Api.inference,),
)


async def create(config: LlamaGuardConfig, deps: ProviderDeps) -> LlamaGuardShield:
    """Bind the shield to the inference router."""
    from corral.core.routers.inference import INFERENCE
    from corral.providers.inline.safety.llama_guard.shield import LlamaGuardShield

    return LlamaGuardShield(config, deps.routers.require(INFERENCE))
