"""The files "router": the one configured files provider, checked at startup.

Files are not an auto-routed resource (a file id does not name a provider), so
exactly one files provider may be configured; the vector_io providers and the
routes use it directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.files.api import FilesProvider
from corral.config.issues import ConfigError

if TYPE_CHECKING:
    from corral.core.resolver import ProviderInstance
    from corral.core.stack import Stack


async def create_files_router(stack: Stack, instances: list[ProviderInstance]) -> FilesProvider:
    """The single files provider; several are a startup error naming them."""
    if len(instances) != 1:
        ids = ", ".join(i.provider_id for i in instances)
        raise ConfigError.single(
            stack.loaded.source,
            f"providers.files has {len(instances)} providers ({ids}); corral serves one",
            "keep one files provider",
            ("providers", "files"),
        )
    provider: FilesProvider = instances[0].impl
    return provider
