"""The responses "router": the one responses provider, called directly.

A response is not a registered resource (there is nothing to route on), so
exactly one responses provider may be configured; a second is a config error
naming both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.responses.api import ResponsesProvider
from corral.config.issues import ConfigError

if TYPE_CHECKING:
    from corral.core.resolver import ProviderInstance
    from corral.core.stack import Stack


async def create_responses_router(
    stack: Stack, instances: list[ProviderInstance]
) -> ResponsesProvider:
    """The single responses provider."""
    if len(instances) > 1:
        ids = ", ".join(i.provider_id for i in instances)
        raise ConfigError.single(
            stack.loaded.source,
            f"only one responses provider may be configured (found: {ids})",
            "keep one entry under providers.responses",
            ("providers", "responses"),
        )
    provider: ResponsesProvider = instances[0].impl
    return provider
